//! The address a request came from, for rate limits and the audit log.

use crate::state::ClientIpHeader;
use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts},
    http::request::Parts,
};
use std::{
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
};

/// The caller's address ([`client_ip`]), for handlers that take no credentials.
pub struct ClientAddr(pub IpAddr);

impl<S> FromRequestParts<S> for ClientAddr
where
    S: Send + Sync,
    ClientIpHeader: FromRef<S>,
{
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Infallible> {
        Ok(ClientAddr(client_ip(
            parts,
            &ClientIpHeader::from_ref(state),
        )))
    }
}

/// The client's IP address: the TCP peer, or, when `CLIENT_IP_HEADER` names a header that a
/// trusted reverse proxy sets (such as `X-Real-IP`), that header's address. Only set it behind
/// such a proxy: anyone can send the header to a server reached directly.
///
/// X-Forwarded-For style lists: the proxy appends the address it saw, so the last entry is
/// the one to trust. A request may carry the header on several lines, which together are one
/// list (RFC 9110 5.3): the last entry of the last line, whatever the client wrote before it.
pub fn client_ip(parts: &Parts, header: &ClientIpHeader) -> IpAddr {
    let from_proxy = header
        .0
        .as_ref()
        .and_then(|name| parts.headers.get_all(name).iter().next_back())
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok());
    from_proxy
        .or_else(|| {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip())
        })
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}
