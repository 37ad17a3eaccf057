//! Who is on the other end of the socket, for the audit trail and per-address limits. The client
//! address is the peer unless the peer is a trusted proxy; only then does `X-Forwarded-For`
//! count (API.md §1), read from the right, skipping our own proxies.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, header};
use roster_core::RequestMeta;

use crate::AppState;
use crate::error::ApiError;

pub struct Meta(pub RequestMeta);

const USER_AGENT_MAX: usize = 512;

impl FromRequestParts<AppState> for Meta {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ip = client_ip(&parts.extensions, &parts.headers, &state.trusted_proxies).map(|ip| ip.to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(USER_AGENT_MAX).collect());
        Ok(Meta(RequestMeta { ip, user_agent }))
    }
}

pub fn client_ip(extensions: &Extensions, headers: &HeaderMap, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())?;
    Some(resolve_client(peer, headers, trusted))
}

fn resolve_client(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse().ok())
        .collect();
    forwarded.into_iter().rev().find(|ip| !trusted.contains(ip)).unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", xff.parse().unwrap());
        h
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_the_header_says() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        assert_eq!(resolve_client(peer, &headers("1.2.3.4"), &[]), peer);
    }

    #[test]
    fn trusted_proxy_passes_on_the_nearest_untrusted_address() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let client =
            resolve_client(proxy, &headers("6.6.6.6, 198.51.100.7, 10.0.0.2"), &[proxy, "10.0.0.2".parse().unwrap()]);
        assert_eq!(client, "198.51.100.7".parse::<IpAddr>().unwrap());
    }
}
