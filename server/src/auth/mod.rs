//! Who is calling: `Authorization` header parsing, password hashing on a bounded pool, tokens,
//! brute-force limits, and [`Authenticator`], which ties them together with the sessions in
//! the store. Knows nothing of HTTP responses: the API's `AuthUser` extractor turns an
//! [`AuthError`] into one.

pub mod header;
pub mod jwt;
pub mod password;
pub mod second_factor;
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
use second_factor::{CheckError, CodeCheck, SecondFactor};
use std::{net::IpAddr, sync::Arc, time::Duration};
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
    /// A password (and, for an account with two-step verification, a code), checked just now;
    /// such a request belongs to no session. How a session begun from it would say it began.
    Password(SignInMethod),
    /// A token of this live session.
    Session(ActiveSession),
}

impl Caller {
    /// The session the caller's token belongs to, if it came with one.
    pub fn session(&self) -> Option<&ActiveSession> {
        match &self.method {
            AuthMethod::Password(_) => None,
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
    second_factor: SecondFactor,
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
        second_factor: SecondFactor,
        metrics: Arc<Metrics>,
        touch_interval: Duration,
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
                Box::pin(self.password_caller(&username, password, one_time_code, address)).await?
            }
        };
        Ok(Caller {
            id,
            username,
            method,
            address,
        })
    }

    async fn password_caller(
        &self,
        username: &str,
        password: String,
        one_time_code: Option<&str>,
        address: IpAddr,
    ) -> Result<(i64, String, AuthMethod), AuthError> {
        let user = self.check_password(username, password, address).await?;
        let signed_in_with = self.check_code(&user, one_time_code, address).await?;
        Ok((user.id, user.username, AuthMethod::Password(signed_in_with)))
    }

    /// Begins a session for a caller who signed in with a password, and a code where the
    /// account needs one (ASVS 7.2: a new session at every authentication). `user_agent`: the
    /// client's `User-Agent`, as sent.
    pub async fn start_session(
        &self,
        caller: &Caller,
        user_agent: &str,
    ) -> Result<ActiveSession, AuthError> {
        let signed_in_with = match caller.method {
            AuthMethod::Password(method) => method,
            // A token's caller who gave the password again (a password change).
            AuthMethod::Session(_) => SignInMethod::Password,
        };
        self.begin_session(
            (caller.id, &caller.username),
            caller.address,
            user_agent,
            signed_in_with,
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
        self.refuse_if_locked(username, address).await?;
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
            self.count_towards_lock(username, address).await?;
            return Err(AuthError::Unauthorized);
        };
        self.record(LoginOutcome::Success, username, address);
        Ok(user)
    }

    /// The second step after a right password: how the sign-in counts, or why it is refused.
    /// A wrong or replayed code counts against the brute-force limits exactly as a wrong
    /// password does, so six digits cannot be guessed by volume; a missing code does not (it
    /// guesses nothing).
    async fn check_code(
        &self,
        user: &User,
        code: Option<&str>,
        address: IpAddr,
    ) -> Result<SignInMethod, AuthError> {
        let now = u64::try_from(unix_now()).unwrap_or_default();
        let check = self.second_factor.check(user.id, code, now).await?;
        if let Some(outcome) = check.label() {
            let refused = matches!(check, CodeCheck::Replayed | CodeCheck::Wrong);
            let left = check.recovery_codes_left();
            audit::code_checked(outcome, refused, left, (user.id, &user.username), address);
        }
        match check.sign_in_method() {
            Some(method) => Ok(method),
            None if check == CodeCheck::Missing => Err(AuthError::CodeRequired),
            None => {
                self.record_failed_code(&user.username, address).await?;
                Err(AuthError::WrongCode)
            }
        }
    }

    /// Refuses at once (429) while `username` or `address` is locked out; counts nothing.
    pub async fn refuse_if_locked(&self, username: &str, address: IpAddr) -> Result<(), AuthError> {
        match self.throttle.check(username, address).await? {
            Some(lock) => {
                let retry_after = lock.retry_after_secs();
                self.record(
                    LoginOutcome::RefusedLocked { retry_after },
                    username,
                    address,
                );
                Err(AuthError::Locked { retry_after })
            }
            None => Ok(()),
        }
    }

    /// Counts a wrong one-time code against the limits, as a wrong password counts.
    pub async fn record_failed_code(
        &self,
        username: &str,
        address: IpAddr,
    ) -> Result<(), AuthError> {
        // Its own audit line is the code check's; the counter is the logins' one.
        self.metrics.login(LoginOutcome::Failure);
        self.count_towards_lock(username, address).await
    }

    /// Counts one failure (a wrong password or code) against the limits, and audits the lock
    /// it starts, if it uses one up.
    async fn count_towards_lock(&self, username: &str, address: IpAddr) -> Result<(), AuthError> {
        if let Some(lock) = self.throttle.record_failure(username, address).await? {
            let retry_after = lock.retry_after_secs();
            self.record(LoginOutcome::LockStarted { retry_after }, username, address);
        }
        Ok(())
    }

    /// The code checks (for the two-step setup, which checks its first code itself).
    pub fn second_factor(&self) -> &SecondFactor {
        &self.second_factor
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
