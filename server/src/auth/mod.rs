//! Who is calling: `Authorization` header parsing, password hashing on a bounded pool, tokens,
//! brute-force limits, and [`Authenticator`], which ties them together. Knows nothing of HTTP
//! responses: the API's `AuthUser` extractor turns an [`AuthError`] into one.

pub mod header;
pub mod jwt;
pub mod password;
pub mod throttle;

use crate::{
    audit::{self, LoginOutcome},
    metrics::Metrics,
    store::{Store, StoreError, TokenHolder, User},
};
use app::api::{MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS};
use header::Credentials;
use jwt::{unix_now, IssuedToken, TokenKeys};
use password::{HashError, HashingPool};
use std::{net::IpAddr, sync::Arc};
use throttle::LoginThrottle;

/// Why a caller was not let in.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Missing, malformed or wrong credentials; one variant for every cause, so nothing tells
    /// an unknown user from a wrong password.
    #[error("unauthorized")]
    Unauthorized,
    /// Too many failed password checks for this username or address.
    #[error("locked for {retry_after} s")]
    Locked { retry_after: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hashing(#[from] HashError),
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: i64,
    pub username: String,
    /// The user's token version when the request was authenticated.
    pub token_version: i64,
    pub method: AuthMethod,
    pub address: IpAddr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Password,
    /// A token, from a chain of refreshes begun by a password login at `auth_time`.
    Token {
        auth_time: u64,
    },
}

impl Caller {
    /// When the password login behind this request happened: now, or the token chain's start.
    pub fn auth_time(&self) -> u64 {
        match self.method {
            AuthMethod::Password => unix_now(),
            AuthMethod::Token { auth_time } => auth_time,
        }
    }
}

/// Checks passwords and tokens against the store, within the brute-force limits.
#[derive(Clone)]
pub struct Authenticator {
    store: Store,
    tokens: Arc<TokenKeys>,
    hashing: HashingPool,
    throttle: Arc<LoginThrottle>,
    metrics: Arc<Metrics>,
}

impl Authenticator {
    pub fn new(
        store: Store,
        tokens: TokenKeys,
        hashing: HashingPool,
        throttle: Arc<LoginThrottle>,
        metrics: Arc<Metrics>,
    ) -> Self {
        Authenticator {
            store,
            tokens: Arc::new(tokens),
            hashing,
            throttle,
            metrics,
        }
    }

    /// Who presented `credentials`: `Bearer <token>`, Basic `<username>:<password>`, or Basic
    /// `<token>:<anything>` (the Flask original's way of sending a token through curl's `-u`).
    pub async fn authenticate(
        &self,
        credentials: Credentials,
        address: IpAddr,
    ) -> Result<Caller, AuthError> {
        let (user, method) = match credentials {
            Credentials::Bearer(token) => self.holder_of_token(&token).await?,
            // A username has at most 32 characters and every token is longer (its header alone
            // is 36), so the user-id is one or the other, never ambiguous, and a failed token
            // check never falls through to an argon2 run.
            Credentials::Basic { username, .. }
                if username.chars().count() > MAX_USERNAME_CHARS =>
            {
                self.holder_of_token(&username).await?
            }
            Credentials::Basic { username, password } => (
                self.check_password(&username, password, address)
                    .await?
                    .into(),
                AuthMethod::Password,
            ),
        };
        Ok(Caller {
            id: user.id,
            username: user.username,
            token_version: user.token_version,
            method,
            address,
        })
    }

    /// A fresh token for `caller`, in its chain of refreshes (never past the chain's absolute
    /// lifetime).
    pub fn issue_token(&self, caller: &Caller) -> Result<IssuedToken, AuthError> {
        self.tokens
            .issue(caller.id, caller.token_version, caller.auth_time())
            .map_err(|_| AuthError::Unauthorized)
    }

    async fn holder_of_token(&self, token: &str) -> Result<(TokenHolder, AuthMethod), AuthError> {
        let verified = self
            .tokens
            .verify(token)
            .map_err(|_| AuthError::Unauthorized)?;
        // The account may be gone, and the token revoked (logout, password change) since it was
        // issued. (Usually answered from memory: see store/cache.rs.)
        let user = self
            .store
            .token_holder(verified.user_id)
            .await?
            .filter(|user| user.token_version == verified.token_version)
            .ok_or(AuthError::Unauthorized)?;
        let method = AuthMethod::Token {
            auth_time: verified.auth_time,
        };
        Ok((user, method))
    }

    /// Checks `password` for `username`, within the brute-force limits. Every check of a
    /// password goes through here (logins and password changes alike). An unknown username
    /// costs the same hash as a wrong password and counts as a failure in the same way, so
    /// neither the answer, its timing nor the lock tells whether an account exists.
    pub async fn check_password(
        &self,
        username: &str,
        password: String,
        address: IpAddr,
    ) -> Result<User, AuthError> {
        if let Err(lock) = self.throttle.check(username, address) {
            let retry_after = lock.retry_after_secs();
            self.record(
                LoginOutcome::RefusedLocked { retry_after },
                username,
                address,
            );
            return Err(AuthError::Locked { retry_after });
        }
        // No account can have such a password, and hashing a megabyte would be a cheap way to
        // make the server work hard; it still counts as a failed attempt.
        let user = if password.chars().count() > MAX_PASSWORD_CHARS {
            None
        } else {
            let user = self.store.find_user_by_name(username).await?;
            let stored = user.as_ref().map(|user| user.password_hash.clone());
            let matches = self.hashing.verify(password, stored).await?;
            user.filter(|_| matches)
        };
        let Some(user) = user else {
            self.record(LoginOutcome::Failure, username, address);
            if let Some(lock) = self.throttle.record_failure(username, address) {
                let retry_after = lock.retry_after_secs();
                self.record(LoginOutcome::LockStarted { retry_after }, username, address);
            }
            return Err(AuthError::Unauthorized);
        };
        self.record(LoginOutcome::Success, username, address);
        Ok(user)
    }

    /// The audit line and the `/metrics` counter of one password check.
    fn record(&self, outcome: LoginOutcome, username: &str, address: IpAddr) {
        audit::login(outcome, username, address);
        self.metrics.login(outcome);
    }
}
