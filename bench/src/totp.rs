//! RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s), as an authenticator app computes it, and the base32
//! of RFC 4648 its secret comes in: what the mfa_login scenario types into Roster.

use hmac::{KeyInit, Mac};

pub fn base32_decode(secret: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut held, mut out) = (0u64, 0u32, Vec::new());
    for c in secret.trim_end_matches('=').bytes() {
        let value = ALPHABET.iter().position(|&a| a == c.to_ascii_uppercase())? as u64;
        bits = (bits << 5) | value;
        held += 5;
        if held >= 8 {
            held -= 8;
            out.push((bits >> held) as u8);
            bits &= (1 << held) - 1;
        }
    }
    Some(out)
}

/// The 6-digit code of `seed` for time step `step` (unix seconds / 30).
pub fn code(seed: &[u8], step: u64) -> String {
    let mut mac = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(seed).expect("HMAC takes any key");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let binary =
        u32::from_be_bytes([digest[offset] & 0x7f, digest[offset + 1], digest[offset + 2], digest[offset + 3]]);
    format!("{:06}", binary % 1_000_000)
}

/// The current time step.
pub fn now_step() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) / 30
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc_6238_sha1_vectors() {
        let seed = b"12345678901234567890";
        assert_eq!(super::code(seed, 59 / 30), "287082");
        assert_eq!(super::code(seed, 1_234_567_890 / 30), "005924");
        assert_eq!(super::base32_decode("GEZDGNBVGY3TQOJQ").unwrap(), b"1234567890");
    }
}
