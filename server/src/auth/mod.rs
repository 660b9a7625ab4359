//! Who is calling: `Authorization` header parsing, password hashing on a bounded pool, tokens,
//! brute-force limits, and [`Authenticator`], which ties them together with the sessions in
//! the store: `verification.rs` judges what a person presents (a password, a code) within the
//! limits, `step_up.rs` says whether a session authenticated recently enough for a sensitive
//! change and records a new authentication. Knows nothing of HTTP responses: the API's
//! `AuthUser` extractor turns an [`AuthError`] into one.

pub mod header;
pub mod jwt;
pub mod keys;
pub mod password;
pub mod second_factor;
mod step_up;
pub mod throttle;
pub mod user_agent;
mod verification;

pub use step_up::Fresh;
pub use verification::{PasswordCheck, Verified};

use crate::{
    audit,
    clock::{seconds, unix_now},
    metrics::Metrics,
    store::{ActiveSession, NewSession, SignInMethod, Store, StoreError},
    tasks::Tasks,
};
use app::api::MAX_USERNAME_CHARS;
use header::Credentials;
use jwt::{IssuedToken, TokenError, TokenKeys};
use password::{HashError, HashingPool};
use second_factor::{CheckError, SecondFactor};
use std::{future::Future, net::IpAddr, pin::Pin, sync::Arc, time::Duration};
use throttle::LoginThrottle;

/// Why a caller was not let in.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Missing, malformed or wrong credentials; one variant for every cause, so nothing tells
    /// an unknown user from a wrong password.
    #[error("unauthorized")]
    Unauthorized,
    /// The password was right, but the account uses two-step verification and no code came.
    #[error("a one-time code is required")]
    CodeRequired,
    /// The password was right, but the code was wrong or already used.
    #[error("wrong one-time code")]
    WrongCode,
    /// Too many failed password or code checks for this username or address.
    #[error("locked for {retry_after} s")]
    Locked { retry_after: u64 },
    /// A change that needs a recent full authentication, asked by a session whose last one is
    /// older than `max_age` seconds or was not full (a password alone on a two-step account).
    #[error("a recent full authentication is required")]
    StaleAuthentication { max_age: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hashing(#[from] HashError),
    /// A token could not be signed: the server's fault, never the caller's.
    #[error("signing a token failed: {0}")]
    Signing(#[source] TokenError),
    /// An account's sealed two-step secret did not open: the server's fault (a changed
    /// `SECRET_KEY`), never the caller's.
    #[error(transparent)]
    Sealing(#[from] second_factor::sealing::Unopenable),
    /// A task the check ran in stopped without an answer (it panicked): the server's fault.
    #[error("a task of the check stopped")]
    Stopped,
}

impl From<CheckError> for AuthError {
    fn from(error: CheckError) -> Self {
        match error {
            CheckError::Store(error) => error.into(),
            CheckError::Unopenable(error) => error.into(),
        }
    }
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
    /// A password (and, for an account with two-step verification, a code), checked just now
    /// against the account's credential `generation`; such a request belongs to no session.
    /// `method`: how a session begun from it would say it began.
    Password {
        method: SignInMethod,
        generation: i64,
    },
    /// A token of this live session.
    Session(ActiveSession),
}

impl Caller {
    /// The session the caller's token belongs to, if it came with one.
    pub fn session(&self) -> Option<&ActiveSession> {
        match &self.method {
            AuthMethod::Password { .. } => None,
            AuthMethod::Session(session) => Some(session),
        }
    }
}

/// Waited for between a sign-in's checks and the store of its session, so a test can change the
/// credentials in that gap (`Config::sign_in_pause`); nothing in production.
#[derive(Clone, Default)]
pub struct SignInPause(pub Option<Arc<PauseFn>>);

/// What a [`SignInPause`] runs: a future to wait for.
pub type PauseFn = dyn Fn() -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

impl std::fmt::Debug for SignInPause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "SignInPause(set)"
        } else {
            "SignInPause(none)"
        })
    }
}

/// How the [`Authenticator`] runs: the settings it takes from the configuration.
#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// A session's last use is written to the database at most this often.
    pub touch_interval: Duration,
    /// `REAUTH_MAX_AGE_SECONDS`: how long a full authentication lets a session make sensitive
    /// changes (step-up).
    pub reauth_max_age: Duration,
    pub sign_in_pause: SignInPause,
}

/// Checks passwords and tokens against the store, within the brute-force limits, and begins
/// sessions.
#[derive(Clone)]
pub struct Authenticator {
    store: Store,
    tokens: Arc<TokenKeys>,
    hashing: HashingPool,
    throttle: Arc<LoginThrottle>,
    second_factor: SecondFactor,
    metrics: Arc<Metrics>,
    max_session: Duration,
    settings: Arc<AuthSettings>,
}

impl Authenticator {
    pub fn new(
        store: Store,
        tokens: TokenKeys,
        hashing: HashingPool,
        throttle: Arc<LoginThrottle>,
        second_factor: SecondFactor,
        metrics: Arc<Metrics>,
        settings: AuthSettings,
    ) -> Self {
        let max_session = tokens.max_session();
        Authenticator {
            store,
            tokens: Arc::new(tokens),
            hashing,
            throttle,
            second_factor,
            metrics,
            max_session,
            settings: Arc::new(settings),
        }
    }

    /// Starts the upkeep of sessions and limits: sessions past their absolute lifetime are
    /// ended (and audited) once a minute, or more often when the lifetime itself is shorter
    /// (their tokens already stopped working: no token outlives its session); the brute-force
    /// counts of keys that have paid back every failure, and sign-in tickets past their time,
    /// are forgotten once a minute.
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
        let store = self.store.clone();
        tasks.every(Duration::from_secs(60), move || {
            let store = store.clone();
            async move {
                if let Err(error) = store.end_expired_tickets(unix_now()).await {
                    tracing::warn!(%error, "forgetting expired sign-in tickets failed");
                }
            }
        });
    }

    /// Who presented `credentials`: `Bearer <token>`, Basic `<username>:<password>`, or Basic
    /// `<token>:<anything>` (the Flask original's way of sending a token through curl's `-u`).
    /// `one_time_code`: the `X-OTP` header, which a password needs when the account uses
    /// two-step verification; tokens need none (their session began with one).
    pub async fn authenticate(
        &self,
        credentials: Credentials,
        one_time_code: Option<&str>,
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
            // Boxed: the password path's state (argon2, the limits' queries) is many times the
            // token path's, and every token request would otherwise carry and move it.
            Credentials::Basic { username, password } => {
                let check = self.check_sign_in(&username, password, one_time_code, address);
                match Box::pin(check).await? {
                    PasswordCheck::SignedIn(Verified { user, method }) => (
                        user.id,
                        user.username,
                        AuthMethod::Password {
                            method,
                            generation: user.credential_generation,
                        },
                    ),
                    PasswordCheck::CodeRequired(_) => return Err(AuthError::CodeRequired),
                }
            }
        };
        Ok(Caller {
            id,
            username,
            method,
            address,
        })
    }

    /// Begins a session for a caller who presented every factor just now (a password and a
    /// code where the account needs one) at its own request (`GET /api/token`); a token's
    /// caller already has one. `user_agent`: the client's `User-Agent`, as sent.
    pub async fn start_session(
        &self,
        caller: &Caller,
        user_agent: &str,
    ) -> Result<ActiveSession, AuthError> {
        match &caller.method {
            AuthMethod::Password { method, generation } => {
                let who = (caller.id, caller.username.as_str(), *generation);
                self.begin_session(who, *method, caller.address, user_agent)
                    .await
            }
            AuthMethod::Session(session) => Ok(session.clone()),
        }
    }

    /// Begins a session (ASVS 7.2: a new one at every authentication) for `user_id` called
    /// `username`, whose credentials of `generation` were checked just now with `method`:
    /// unless they have changed since (a password change between the check and now), which
    /// refuses the sign-in.
    pub async fn begin_session(
        &self,
        (user_id, username, generation): (i64, &str, i64),
        method: SignInMethod,
        address: IpAddr,
        user_agent: &str,
    ) -> Result<ActiveSession, AuthError> {
        if let Some(pause) = &self.settings.sign_in_pause.0 {
            pause().await;
        }
        let label = user_agent::label(user_agent);
        let now = unix_now();
        let client = (address.to_string(), label);
        let new = NewSession::signed_in(
            (user_id, username, generation),
            method,
            now,
            (&client.0, &client.1),
        );
        let Some(session) = self.store.start_session(new, now).await? else {
            audit::sign_in_outlived((user_id, username), address);
            return Err(AuthError::Unauthorized);
        };
        audit::session_started(
            user_id,
            username,
            &session.id,
            address,
            &client.1,
            method.as_str(),
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

    /// The live session of one of our own access tokens (HS256), as the token path sees it:
    /// for introspection, which answers exactly what `/api/resource` would.
    pub async fn session_of_access_token(
        &self,
        token: &str,
    ) -> Result<Option<ActiveSession>, AuthError> {
        match self.session_of_token(token).await {
            Ok((_, _, AuthMethod::Session(session))) => Ok(Some(session)),
            Ok(_) | Err(AuthError::Unauthorized) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Live session `id`, usually from memory (see store/cache.rs): what an application's
    /// access token is good for, as one of ours is.
    pub async fn live_session(&self, id: &str) -> Result<Option<ActiveSession>, AuthError> {
        Ok(self
            .store
            .use_session(id, unix_now(), seconds(self.settings.touch_interval))
            .await?)
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
                seconds(self.settings.touch_interval),
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

    /// The code checks (for the two-step setup, which checks its first code itself).
    pub fn second_factor(&self) -> &SecondFactor {
        &self.second_factor
    }

    /// The store of accounts and sessions.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

fn issuing_error(error: TokenError) -> AuthError {
    match error {
        TokenError::SessionOver => AuthError::Unauthorized,
        other => AuthError::Signing(other),
    }
}

/// Sessions one statement of the expiry sweep ends: each is a short transaction on one pooled
/// connection, so a sweep of many (100k after a burst of sign-ins a day ago) never holds locks
/// for long or keeps the pool from the requests.
const EXPIRY_BATCH: u32 = 1_000;

/// Ends the sessions that began more than `max_session` ago, a batch at a time, with an audit
/// line for each.
async fn end_expired_sessions(store: &Store, max_session: Duration) {
    let started_before = unix_now() - seconds(max_session);
    loop {
        match store
            .end_sessions_started_before(started_before, EXPIRY_BATCH)
            .await
        {
            Ok(ended) => {
                let more = ended.len() == EXPIRY_BATCH as usize;
                for (session_id, user_id) in ended {
                    audit::session_expired(user_id, &session_id);
                }
                if !more {
                    return;
                }
                // Let the requests waiting on this thread and for connections go first.
                tokio::task::yield_now().await;
            }
            Err(error) => {
                tracing::warn!(%error, "ending expired sessions failed");
                return;
            }
        }
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
            issuing_error(TokenError::Signing(signing)),
            AuthError::Signing(_)
        ));
        assert!(matches!(
            issuing_error(TokenError::SessionOver),
            AuthError::Unauthorized
        ));
    }
}
