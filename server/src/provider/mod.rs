//! The OpenID Connect provider: other applications (clients, registered by the operator) sign
//! their users in here with the authorization code flow and PKCE (OAuth 2.1 rules), and get an
//! ID token, an access token (an RS256 JWT, RFC 9068) and, with `offline_access`, a refresh
//! token. What an application holds for a person is a session of its own (a `sessions` row
//! with the client's id): its tokens are good while the session lasts, its refresh tokens rotate
//! with reuse detection as the pages' do, and removing the application from the account page,
//! revoking, the person's password change or the client's removal ends it.
//!
//! `keys.rs` the signing keys, `clients.rs` registration and client authentication,
//! `authorization.rs` the authorization request and its answer on our pages, `tokens.rs` what
//! the token, userinfo, introspection, revocation and logout endpoints do.

pub mod authorization;
pub mod clients;
pub mod keys;
pub mod tokens;

use crate::{auth::Authenticator, clock::unix_now, store::Store, tasks::Tasks};
use keys::SigningKeys;
use std::time::Duration;

/// The scopes this provider knows; others asked for are left out of what is granted.
pub const SCOPES: [&str; 3] = ["openid", "profile", "offline_access"];

/// How long an authorization code may wait for its exchange (RFC 9700 4.2.1 keeps it short).
pub const CODE_LIFETIME: Duration = Duration::from_secs(60);

/// How long a used code is kept after it expired: a second use within it still ends the
/// session the first began.
const SESSION_REVOCATION_WINDOW: Duration = Duration::from_secs(3600);

/// How long an authorization request may wait for the person's answer on our pages.
pub const REQUEST_LIFETIME: Duration = Duration::from_secs(600);

/// The longest lifetime of an ID token or an application's access token (RFC 9068 tokens are
/// bearer tokens: short-lived, renewed with the refresh token).
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(600);

/// What the provider's parts share.
#[derive(Clone)]
pub struct Provider {
    store: Store,
    auth: Authenticator,
    keys: SigningKeys,
    /// `PUBLIC_URL` without a trailing slash: the `iss` of every token, and the `aud` of access
    /// tokens (the resources this deployment protects).
    issuer: String,
    token_lifetime: Duration,
}

impl Provider {
    /// `token_lifetime`: the `TOKEN_TTL` of the seed's tokens, capped at ten minutes.
    pub fn new(
        store: Store,
        auth: Authenticator,
        keys: SigningKeys,
        issuer: &url::Url,
        token_lifetime: Duration,
    ) -> Provider {
        Provider {
            store,
            auth,
            keys,
            issuer: issuer.as_str().trim_end_matches('/').to_owned(),
            token_lifetime: token_lifetime.min(MAX_TOKEN_LIFETIME),
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn keys(&self) -> &SigningKeys {
        &self.keys
    }

    /// Forgets, once a minute, the authorization requests and codes past their time (a code a
    /// while longer, so that its late second use still ends what its first began) and the keys
    /// retired long enough ago that no token they signed is still good.
    pub fn spawn_tasks(&self, tasks: &mut Tasks) {
        let store = self.store.clone();
        tasks.every(Duration::from_secs(60), move || {
            let store = store.clone();
            async move {
                let now = unix_now();
                let codes_kept = SESSION_REVOCATION_WINDOW.as_secs() as i64;
                if let Err(error) = store.end_expired_authorizations(now, codes_kept).await {
                    tracing::warn!(%error, "forgetting expired authorization requests failed");
                }
                let retired = now - keys::PUBLISHED_AFTER_RETIREMENT.as_secs() as i64;
                if let Err(error) = store.delete_signing_keys_retired_before(retired).await {
                    tracing::warn!(%error, "forgetting retired signing keys failed");
                }
            }
        });
    }

    /// `path` (starting with `/`) on the issuer's origin.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }
}

/// An error the token, introspection and revocation endpoints answer, in RFC 6749 5.2's words.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    /// The client's credentials are missing or wrong, or it is unknown.
    #[error("client authentication failed")]
    InvalidClient,
    /// The code or refresh token is unknown, expired, used, or not this client's; or the PKCE
    /// verifier or redirect URI does not match it.
    #[error("{0}")]
    InvalidGrant(&'static str),
    #[error("unsupported grant type")]
    UnsupportedGrantType,
    #[error(transparent)]
    Server(#[from] ServerError),
}

/// The server's fault, never the client's (logged, answered 500 or 503).
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Keys(#[from] keys::KeyError),
    #[error("signing a token failed: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
    #[error("no signing key is in use")]
    NoSigningKey,
}

impl From<crate::store::StoreError> for OAuthError {
    fn from(error: crate::store::StoreError) -> Self {
        OAuthError::Server(error.into())
    }
}

impl From<keys::KeyError> for OAuthError {
    fn from(error: keys::KeyError) -> Self {
        OAuthError::Server(error.into())
    }
}

/// The known scopes among the space-separated `requested`, in [`SCOPES`]' order.
pub fn known_scopes(requested: &str) -> Vec<&'static str> {
    let asked: Vec<&str> = requested.split(' ').collect();
    SCOPES
        .into_iter()
        .filter(|scope| asked.contains(scope))
        .collect()
}

/// Whether `text` could be one of our ids (clients, requests, sign-outs: 128 random bits in
/// hex). Anything else is unknown without asking the database (which would refuse some bytes,
/// such as NUL on PostgreSQL, with an error rather than "not found").
pub fn is_id(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether the space-separated `scope` holds `wanted`.
pub fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split(' ').any(|one| one == wanted)
}
