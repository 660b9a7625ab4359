//! The `AuthUser` extractor: a handler that takes one only runs for an authenticated caller.

use super::client_addr::client_ip;
use crate::{
    auth::{header::parse_authorization, Authenticator, Caller},
    error::ApiError,
    state::ClientIpHeader,
};
use axum::{
    extract::{FromRef, FromRequestParts},
    http::{header::AUTHORIZATION, request::Parts},
};

/// The caller of a protected endpoint, authenticated by `Authorization: Bearer <token>`, Basic
/// `<username>:<password>`, or Basic `<token>:<anything>`. Anything else is a 401 with the
/// Basic challenge; a password attempt while the username or address is locked is a 429.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Caller);

impl<S> FromRequestParts<S> for AuthUser
where
    S: Send + Sync,
    Authenticator: FromRef<S>,
    ClientIpHeader: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let address = client_ip(parts, &ClientIpHeader::from_ref(state));
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(ApiError::Unauthorized)?;
        let credentials =
            parse_authorization(header.as_bytes()).map_err(|_| ApiError::Unauthorized)?;
        let caller = Authenticator::from_ref(state)
            .authenticate(credentials, address)
            .await?;
        Ok(AuthUser(caller))
    }
}
