//! Judging what a person presents, a password and a one-time code, within the brute-force
//! limits: every guess takes its place in the counts first ([`LoginThrottle::reserve`]; a guess
//! refused there costs no hash), is judged, and then gives its place back (right) or keeps it
//! (wrong). The password is hashed once per guess; a code is checked only after a right
//! password. Each attempt is recorded once, after every factor it presented was checked: one
//! audit line and one count in `/metrics`.
//!
//! [`LoginThrottle::reserve`]: super::throttle::LoginThrottle::reserve

use super::{
    second_factor::{totp, CodeCheck},
    throttle::{LoginThrottle, Reservation},
    AuthError, Authenticator, Caller,
};
use crate::{
    audit::{self, Attempt, LoginOutcome},
    clock::unix_now,
    store::{SignInMethod, User},
};
use app::api::MAX_PASSWORD_CHARS;
use std::{net::IpAddr, sync::Arc};

/// Credentials that checked out.
#[derive(Clone)]
pub struct Verified {
    pub user: User,
    /// Every factor presented, as a session begun from them says it began.
    pub method: SignInMethod,
}

/// What became of a password (and the code with it, if any).
pub enum PasswordCheck {
    /// Every factor the account has: a session may begin.
    SignedIn(Verified),
    /// The password was right, and the account needs a code with it: none came. (Guesses
    /// nothing: it gives its place back.)
    CodeRequired(User),
}

/// A guess's place in the counts while it is judged. A request its client gives up on is
/// dropped before its verdict exists (the hash it waited for is never seen by anyone), so its
/// place goes back then, in a task of its own: clients that time out must not use up an
/// address's or a name's allowance.
struct Held {
    throttle: Arc<LoginThrottle>,
    reservation: Option<Reservation>,
}

impl Held {
    fn take(mut self) -> Reservation {
        self.reservation.take().expect("a held place is taken once")
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Some(reservation) = self.reservation.take() {
            let throttle = self.throttle.clone();
            tokio::spawn(async move {
                if let Err(error) = throttle.give_back(reservation).await {
                    tracing::warn!(%error, "a dropped guess's place was not given back");
                }
            });
        }
    }
}

/// How a judged guess turned out.
enum Verdict<T> {
    Right(T),
    WrongPassword,
    WrongCode,
}

impl Authenticator {
    /// The checks of a password sign-in: `password` for `username`, and, where the account
    /// uses two-step verification, `code` (the `X-OTP` header) when one came. An unknown
    /// username costs the same hash as a wrong password and counts in the same way, so neither
    /// the answer, its timing nor the lock tells whether an account exists.
    pub async fn check_sign_in(
        &self,
        username: &str,
        password: String,
        code: Option<&str>,
        address: IpAddr,
    ) -> Result<PasswordCheck, AuthError> {
        let reservation = self.reserve(username, address).await?;
        let verdict = self.judge_password_and_code(username, password, code, address);
        let verdict = self
            .settle(
                Attempt::SignIn,
                reservation,
                verdict.await,
                username,
                address,
            )
            .await?;
        if let PasswordCheck::SignedIn(verified) = &verdict {
            self.record(
                Attempt::SignIn,
                LoginOutcome::Success,
                &verified.user.username,
                address,
            );
        }
        Ok(verdict)
    }

    /// The code step of a sign-in whose password was right (a sign-in ticket holds `user`):
    /// `code`, within the limits.
    pub async fn check_code_step(
        &self,
        user: User,
        code: &str,
        address: IpAddr,
    ) -> Result<Verified, AuthError> {
        let reservation = self.reserve(&user.username, address).await?;
        let username = user.username.clone();
        let verdict = self.judge_code(user, Some(code), address).await;
        let verified = match self
            .settle(Attempt::SignIn, reservation, verdict, &username, address)
            .await?
        {
            PasswordCheck::SignedIn(verified) => verified,
            // An empty code: the step asks again.
            PasswordCheck::CodeRequired(_) => return Err(AuthError::CodeRequired),
        };
        self.record(Attempt::SignIn, LoginOutcome::Success, &username, address);
        Ok(verified)
    }

    /// A signed-in caller confirming it is them: the password, and, on a two-step account, a
    /// code. Within the limits, as a sign-in. A right password without the code it needs is
    /// [`AuthError::CodeRequired`].
    pub async fn check_reauthentication(
        &self,
        caller: &Caller,
        password: String,
        code: Option<&str>,
    ) -> Result<Verified, AuthError> {
        let (username, address) = (caller.username.as_str(), caller.address);
        let reservation = self.reserve(username, address).await?;
        let verdict = self.judge_password_and_code(username, password, code, address);
        let attempt = Attempt::Reauthentication;
        match self
            .settle(attempt, reservation, verdict.await, username, address)
            .await?
        {
            PasswordCheck::SignedIn(verified) if verified.user.id == caller.id => {
                self.record(attempt, LoginOutcome::Success, username, address);
                Ok(verified)
            }
            PasswordCheck::SignedIn(_) => Err(AuthError::Unauthorized),
            PasswordCheck::CodeRequired(_) => Err(AuthError::CodeRequired),
        }
    }

    /// The caller's current password, asked for again to change it (ASVS 5.0 6.2.3), within
    /// the limits: the account as checked. Only the password: the step-up before the change
    /// asked for every factor.
    pub async fn check_current_password(
        &self,
        caller: &Caller,
        password: String,
    ) -> Result<User, AuthError> {
        let (username, address) = (caller.username.as_str(), caller.address);
        let reservation = self.reserve(username, address).await?;
        let verdict = async {
            if password.chars().count() > MAX_PASSWORD_CHARS {
                return Ok(Verdict::WrongPassword);
            }
            let user = self.store.find_user(caller.id).await?;
            let stored = user.as_ref().map(|user| user.password_hash.clone());
            let matches = self.hashing.verify(password, stored).await?;
            Ok(match user.filter(|_| matches) {
                Some(user) => Verdict::Right(user),
                None => Verdict::WrongPassword,
            })
        };
        let attempt = Attempt::Reauthentication;
        let user = self
            .settle(attempt, reservation, verdict.await, username, address)
            .await?;
        self.record(attempt, LoginOutcome::Success, username, address);
        Ok(user)
    }

    /// The first code of a two-step setup, checked against `secret` (the pending one) within
    /// the limits: the step it belongs to, if right. A wrong one counts as a wrong code at
    /// sign-in does.
    pub async fn check_setup_code(
        &self,
        caller: &Caller,
        secret: &[u8],
        code: &str,
    ) -> Result<u64, AuthError> {
        let (username, address) = (caller.username.as_str(), caller.address);
        let reservation = self.reserve(username, address).await?;
        let now = u64::try_from(unix_now()).unwrap_or_default();
        let step = totp::matching_step(secret, &code.replace(' ', ""), now);
        let verdict = match step {
            Some(step) => Verdict::Right(step),
            None => {
                audit::two_step_setup_refused(caller.id, username, address);
                Verdict::WrongCode
            }
        };
        self.settle(
            Attempt::TwoStepSetup,
            reservation,
            Ok(verdict),
            username,
            address,
        )
        .await
    }

    /// A place in the counts for one guess, or the 429 of a lock in force. Taken in a task of
    /// its own: on PostgreSQL the take is a statement, which the database completes even if the
    /// request is given up while it runs; the task then gives the place back.
    async fn reserve(&self, username: &str, address: IpAddr) -> Result<Held, AuthError> {
        let (throttle, name) = (self.throttle.clone(), username.to_owned());
        let (answer, answered) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            let taken = throttle.reserve(&name, address).await;
            if let Err(Ok(Ok(reservation))) = answer.send(taken) {
                if let Err(error) = throttle.give_back(reservation).await {
                    tracing::warn!(%error, "a dropped guess's place was not given back");
                }
            }
        });
        let reservation = answered
            .await
            .map_err(|_| AuthError::Stopped)??
            .map_err(|lock| {
                let retry_after = lock.retry_after_secs();
                self.record_lock(
                    LoginOutcome::RefusedLocked { retry_after },
                    username,
                    address,
                );
                AuthError::Locked { retry_after }
            })?;
        Ok(Held {
            throttle: self.throttle.clone(),
            reservation: Some(reservation),
        })
    }

    /// Gives the place back for a right guess (and for a guess the server failed to judge),
    /// keeps it for a wrong one, which is recorded, with the lock it starts if it used up a
    /// count.
    async fn settle<T>(
        &self,
        attempt: Attempt,
        held: Held,
        verdict: Result<Verdict<T>, AuthError>,
        username: &str,
        address: IpAddr,
    ) -> Result<T, AuthError> {
        let reservation = held.take();
        let refusal = match verdict {
            // A place not given back costs a cell of the count, never the answer.
            Ok(Verdict::Right(value)) => {
                self.give_back(reservation).await;
                return Ok(value);
            }
            Err(error) => {
                self.give_back(reservation).await;
                return Err(error);
            }
            Ok(Verdict::WrongPassword) => AuthError::Unauthorized,
            Ok(Verdict::WrongCode) => AuthError::WrongCode,
        };
        self.record(attempt, LoginOutcome::Failure, username, address);
        if let Some(lock) = self.throttle.keep(reservation) {
            let retry_after = lock.retry_after_secs();
            self.record_lock(LoginOutcome::LockStarted { retry_after }, username, address);
        }
        Err(refusal)
    }

    async fn give_back(&self, reservation: Reservation) {
        if let Err(error) = self.throttle.give_back(reservation).await {
            tracing::warn!(%error, "a guess's place in the brute-force counts was not given back");
        }
    }

    /// `password` for `username`, hashed once, then the code where the account needs one.
    async fn judge_password_and_code(
        &self,
        username: &str,
        password: String,
        code: Option<&str>,
        address: IpAddr,
    ) -> Result<Verdict<PasswordCheck>, AuthError> {
        // No account can have such a password, and hashing a megabyte would be a cheap way to
        // make the server work hard; it still counts as a failed attempt.
        if password.chars().count() > MAX_PASSWORD_CHARS {
            return Ok(Verdict::WrongPassword);
        }
        let user = self.store.find_user_by_name(username).await?;
        let stored = user.as_ref().map(|user| user.password_hash.clone());
        let matches = self.hashing.verify(password, stored).await?;
        match user.filter(|_| matches) {
            Some(user) => self.judge_code(user, code, address).await,
            None => Ok(Verdict::WrongPassword),
        }
    }

    /// The second step after a right password of `user`: how a sign-in counts, or why it is
    /// refused. A wrong or replayed code is a wrong guess, as a wrong password is, so six
    /// digits cannot be guessed by volume; a missing code guesses nothing.
    async fn judge_code(
        &self,
        user: User,
        code: Option<&str>,
        address: IpAddr,
    ) -> Result<Verdict<PasswordCheck>, AuthError> {
        let now = u64::try_from(unix_now()).unwrap_or_default();
        let check = self.second_factor.check(user.id, code, now).await?;
        if let Some(outcome) = check.label() {
            let refused = matches!(check, CodeCheck::Replayed | CodeCheck::Wrong);
            let left = check.recovery_codes_left();
            audit::code_checked(outcome, refused, left, (user.id, &user.username), address);
        }
        Ok(match check.sign_in_method() {
            Some(method) => Verdict::Right(PasswordCheck::SignedIn(Verified { user, method })),
            None if check == CodeCheck::Missing => {
                Verdict::Right(PasswordCheck::CodeRequired(user))
            }
            None => Verdict::WrongCode,
        })
    }

    /// The audit line and, for a sign-in, the `/metrics` count of one attempt's outcome.
    fn record(&self, attempt: Attempt, outcome: LoginOutcome, username: &str, address: IpAddr) {
        audit::attempt(attempt, outcome, username, address);
        if attempt == Attempt::SignIn {
            self.metrics.login(outcome);
        }
    }

    /// The audit line and the `/metrics` count of a lock started or in force.
    fn record_lock(&self, outcome: LoginOutcome, username: &str, address: IpAddr) {
        audit::attempt(Attempt::SignIn, outcome, username, address);
        self.metrics.login(outcome);
    }
}
