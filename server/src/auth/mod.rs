//! Who is calling: `Authorization` header parsing, password hashing on a bounded pool, tokens,
//! brute-force limits, and [`Authenticator`], which ties them together with the sessions in
//! the store. Knows nothing of HTTP responses: the API's `AuthUser` extractor turns an
//! [`AuthError`] into one.

pub mod header;
pub mod jwt;
pub mod password;
pub mod throttle;
pub mod user_agent;

use crate::{
    audit::{self, LoginOutcome},
    clock::{seconds, unix_now},
    metrics::Metrics,
    store::{ActiveSession, NewSession, SignInMethod, Store, StoreError, User},
    tasks::Tasks,
};
use app::api::{MAX_PASSWORD_CHARS, MAX_USERNAME_CHARS};
use header::Credentials;
use jwt::{IssuedToken, TokenError, TokenKeys};
use password::{HashError, HashingPool};
use std::{net::IpAddr, sync::Arc, time::Duration};
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
    /// A token could not be signed: the server's fault, never the caller's.
    #[error("signing a token failed: {0}")]
    Signing(#[source] TokenError),
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: i64,
    pub username: String,
    pub method: AuthMethod,
    pub address: IpAddr,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// A password, checked just now; such a request belongs to no session.
    Password,
    /// A token of this live session.
    Session(ActiveSession),
}

impl Caller {
    /// The session the caller's token belongs to, if it came with one.
    pub fn session(&self) -> Option<&ActiveSession> {
        match &self.method {
            AuthMethod::Password => None,
            AuthMethod::Session(session) => Some(session),
        }
    }
}

/// Checks passwords and tokens against the store, within the brute-force limits, and begins
/// sessions.
#[derive(Clone)]
pub struct Authenticator {
    store: Store,
    tokens: Arc<TokenKeys>,
    hashing: HashingPool,
    throttle: Arc<LoginThrottle>,
    metrics: Arc<Metrics>,
    max_session: Duration,
    /// A session's last use is written to the database at most this often.
    touch_interval: Duration,
}

impl Authenticator {
    pub fn new(
        store: Store,
        tokens: TokenKeys,
        hashing: HashingPool,
        throttle: Arc<LoginThrottle>,
        metrics: Arc<Metrics>,
        touch_interval: Duration,
    ) -> Self {
        let max_session = tokens.max_session();
        Authenticator {
            store,
            tokens: Arc::new(tokens),
            hashing,
            throttle,
            metrics,
            max_session,
            touch_interval,
        }
    }

    /// Starts the upkeep of sessions and limits: sessions past their absolute lifetime are
    /// ended (and audited) once a minute, or more often when the lifetime itself is shorter
    /// (their tokens already stopped working: no token outlives its session); the brute-force
    /// counts of keys that have paid back every failure are forgotten once a minute.
    pub fn spawn_tasks(&self, tasks: &mut Tasks) {
        let (store, max_session) = (self.store.clone(), self.max_session);
        tasks.every(max_session.min(Duration::from_secs(60)), move || {
            let store = store.clone();
            async move { end_expired_sessions(&store, max_session).await }
        });
        let throttle = self.throttle.clone();
        tasks.every(Duration::from_secs(60), move || {
            let throttle = throttle.clone();
            async move { throttle.forget_idle().await }
        });
    }

    /// Who presented `credentials`: `Bearer <token>`, Basic `<username>:<password>`, or Basic
    /// `<token>:<anything>` (the Flask original's way of sending a token through curl's `-u`).
    pub async fn authenticate(
        &self,
        credentials: Credentials,
        address: IpAddr,
    ) -> Result<Caller, AuthError> {
        let (id, username, method) = match credentials {
            Credentials::Bearer(token) => self.session_of_token(&token).await?,
            // A username has at most 32 characters and every token is longer (its header alone
            // is 36), so the user-id is one or the other, never ambiguous, and a failed token
            // check never falls through to an argon2 run.
            Credentials::Basic { username, .. }
                if username.chars().count() > MAX_USERNAME_CHARS =>
            {
                self.session_of_token(&username).await?
            }
            Credentials::Basic { username, password } => {
                let user = self.check_password(&username, password, address).await?;
                (user.id, user.username, AuthMethod::Password)
            }
        };
        Ok(Caller {
            id,
            username,
            method,
            address,
        })
    }

    /// Begins a session for a caller who signed in with a password (ASVS 7.2: a new session
    /// at every authentication). `user_agent`: the client's `User-Agent`, as sent.
    pub async fn start_session(
        &self,
        caller: &Caller,
        user_agent: &str,
    ) -> Result<ActiveSession, AuthError> {
        self.begin_session(
            (caller.id, &caller.username),
            caller.address,
            user_agent,
            SignInMethod::Password,
        )
        .await
    }

    /// Begins a session for a user who signed in with a passkey just now.
    pub async fn start_passkey_session(
        &self,
        user_id: i64,
        username: &str,
        address: IpAddr,
        user_agent: &str,
    ) -> Result<ActiveSession, AuthError> {
        self.begin_session(
            (user_id, username),
            address,
            user_agent,
            SignInMethod::Passkey,
        )
        .await
    }

    async fn begin_session(
        &self,
        (user_id, username): (i64, &str),
        address: IpAddr,
        user_agent: &str,
        signed_in_with: SignInMethod,
    ) -> Result<ActiveSession, AuthError> {
        let label = user_agent::label(user_agent);
        let session = self
            .store
            .start_session(NewSession {
                user_id,
                username,
                now: unix_now(),
                address: &address.to_string(),
                user_agent: &label,
                signed_in_with,
            })
            .await?;
        audit::session_started(
            user_id,
            username,
            &session.id,
            address,
            &label,
            signed_in_with.as_str(),
        );
        Ok(session)
    }

    /// A fresh token in `session` (never outliving the session's absolute lifetime). A session
    /// past that lifetime is the caller's problem (401); a token that cannot be signed is the
    /// server's (500, logged).
    pub fn issue_token(&self, session: &ActiveSession) -> Result<IssuedToken, AuthError> {
        self.tokens
            .issue(session.user_id, &session.id, session.started_at)
            .map_err(issuing_error)
    }

    async fn session_of_token(&self, token: &str) -> Result<(i64, String, AuthMethod), AuthError> {
        let verified = self
            .tokens
            .verify(token)
            .map_err(|_| AuthError::Unauthorized)?;
        // The session may have ended since the token was issued (a logout, a password change,
        // the account's deletion). Usually answered from memory: see store/cache.rs.
        let session = self
            .store
            .use_session(
                &verified.session_id,
                unix_now(),
                seconds(self.touch_interval),
            )
            .await?
            .filter(|session| session.user_id == verified.user_id)
            .ok_or(AuthError::Unauthorized)?;
        Ok((
            session.user_id,
            session.username.clone(),
            AuthMethod::Session(session),
        ))
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
        if let Some(lock) = self.throttle.check(username, address).await? {
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
            if let Some(lock) = self.throttle.record_failure(username, address).await? {
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

fn issuing_error(error: TokenError) -> AuthError {
    match error {
        TokenError::SessionOver => AuthError::Unauthorized,
        other => AuthError::Signing(other),
    }
}

/// Ends the sessions that began more than `max_session` ago, with an audit line for each.
async fn end_expired_sessions(store: &Store, max_session: Duration) {
    let started_before = unix_now() - seconds(max_session);
    match store.end_sessions_started_before(started_before).await {
        Ok(ended) => {
            for (session_id, user_id) in ended {
                audit::session_expired(user_id, &session_id);
            }
        }
        Err(error) => tracing::warn!(%error, "ending expired sessions failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token that cannot be signed is the server's failure, not the caller's: it must not
    /// become the 401 of bad credentials.
    #[test]
    fn a_signing_failure_is_not_an_authentication_failure() {
        let signing = jsonwebtoken::errors::ErrorKind::InvalidAlgorithm.into();
        assert!(matches!(
            issuing_error(TokenError::Invalid(signing)),
            AuthError::Signing(_)
        ));
        assert!(matches!(
            issuing_error(TokenError::SessionOver),
            AuthError::Unauthorized
        ));
    }
}
