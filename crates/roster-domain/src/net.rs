//! Which network addresses a user-supplied URL may reach (SSRF). A calendar feed is fetched by
//! the server, from inside the operator's network: unless the operator allows it
//! (`ROSTER_ALLOW_PRIVATE_URLS`), only addresses routable on the public internet are. IPv6
//! forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by the IPv4
//! address they reach. (`IpAddr::is_global` would say it, but it is not stable.)

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a public unicast address: not loopback, private, shared (CGNAT),
/// link-local, multicast, broadcast, unspecified, documentation, benchmarking or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0                                   // "this network", 0.0.0.0
        || a == 10                             // private
        || a == 127                            // loopback
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 169 && b == 254)              // link-local (cloud metadata services)
        || (a == 172 && (16..32).contains(&b)) // private
        || (a == 192 && b == 0 && c == 0)      // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2)      // documentation
        || (a == 192 && b == 88 && c == 99)    // 6to4 relay anycast
        || (a == 192 && b == 168)              // private
        || (a == 198 && (b == 18 || b == 19))  // benchmarking
        || (a == 198 && b == 51 && c == 100)   // documentation
        || (a == 203 && b == 0 && c == 113)    // documentation
        || a >= 224) // multicast, reserved, broadcast
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || (s[0] & 0xfe00) == 0xfc00   // unique local
        || (s[0] & 0xffc0) == 0xfe80   // link-local
        || (s[0] & 0xffc0) == 0xfec0   // site-local (deprecated)
        || (s[0] & 0xff00) == 0xff00   // multicast
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0) // discard-only
        || (s[0] & 0xe000) != 0x2000) // outside global unicast 2000::/3
}

/// The IPv4 address an IPv6 address stands for: `::ffff:a.b.c.d` (mapped), `::a.b.c.d`
/// (compatible, deprecated), `64:ff9b::a.b.c.d` (NAT64) and `2002:AABB:CCDD::/48` (6to4).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if s[..5] == [0, 0, 0, 0, 0] && (s[5] == 0xffff || (s[5] == 0 && !ip.is_loopback() && !ip.is_unspecified())) {
        return Some(tail());
    }
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(tail());
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(text: &str) -> bool {
        is_public(text.parse().unwrap())
    }

    #[test]
    fn internet_addresses_are_public() {
        for ip in ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700::1111", "2a00:1450:4001:80b::200e"] {
            assert!(public(ip), "{ip}");
        }
    }

    #[test]
    fn loopback_private_link_local_and_reserved_ipv4_addresses_are_not() {
        for ip in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
        ] {
            assert!(!public(ip), "{ip}");
        }
        assert!(public("172.32.0.1") && public("100.128.0.1") && public("11.0.0.1"));
    }

    #[test]
    fn ipv6_forms_of_those_addresses_are_not_either() {
        for ip in [
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
        ] {
            assert!(!public(ip), "{ip}");
        }
        assert!(public("::ffff:8.8.8.8") && public("64:ff9b::808:808") && public("2002:808:808::1"));
    }
}
