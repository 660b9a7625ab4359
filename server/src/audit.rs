//! The audit trail: one `audit` log line per login success, failure and lock, per session
//! start and end (with the reason), per passkey added, removed, signed in with or refused, and
//! per two-step event (turned on or off, a code accepted, refused or replayed, a recovery code
//! used and how many remain), with the username, the client address and the outcome. Never a
//! password, a token, a code or a secret. Session ids are logged: alone they authenticate
//! nothing (a token must be signed), and they tie a session's start to its end.
//!
//! Usernames are logged with `?` (quoted and escaped): a failed login's username is whatever the
//! caller typed, and must not be able to forge a log line.

use std::net::IpAddr;

/// What became of one password check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginOutcome {
    Success,
    Failure,
    /// This failure used up a limit: attempts are refused from now on, for `retry_after` s.
    LockStarted {
        retry_after: u64,
    },
    /// Refused without checking, because a limit is used up.
    RefusedLocked {
        retry_after: u64,
    },
}

impl LoginOutcome {
    /// The name in the audit line and the `/metrics` label.
    pub fn label(self) -> &'static str {
        match self {
            LoginOutcome::Success => "success",
            LoginOutcome::Failure => "failure",
            LoginOutcome::LockStarted { .. } => "locked",
            LoginOutcome::RefusedLocked { .. } => "refused_locked",
        }
    }
}

/// What a password or code was presented for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// Signing in (a session begins), or a request that authenticates with the password.
    SignIn,
    /// A signed-in user confirming it is them before a sensitive change (step-up).
    Reauthentication,
    /// The first code of a two-step setup (its refusal has a line of its own,
    /// [`two_step_setup_refused`]; a lock it starts is a `login` line, as the counts are the
    /// logins').
    TwoStepSetup,
}

/// The outcome of one attempt, once every factor it presented was checked: `event = "login"`
/// or `"reauthentication"`. Locks (started, or refusing) are `login` lines whatever the
/// attempt: the counts are the logins'.
pub fn attempt(attempt: Attempt, outcome: LoginOutcome, username: &str, address: IpAddr) {
    let label = outcome.label();
    let event = match (attempt, outcome) {
        (_, LoginOutcome::LockStarted { .. } | LoginOutcome::RefusedLocked { .. }) => "login",
        (Attempt::SignIn, _) => "login",
        (Attempt::Reauthentication, _) => "reauthentication",
        (Attempt::TwoStepSetup, _) => return,
    };
    match outcome {
        LoginOutcome::Success => {
            tracing::info!(target: "audit", event, outcome = label, username = ?username, %address)
        }
        LoginOutcome::Failure => {
            tracing::warn!(target: "audit", event, outcome = label, username = ?username, %address)
        }
        LoginOutcome::LockStarted { retry_after } | LoginOutcome::RefusedLocked { retry_after } => {
            tracing::warn!(target: "audit", event, outcome = label, username = ?username, %address, retry_after)
        }
    }
}

/// A sign-in whose checks passed, refused because the account's credentials changed before its
/// session could be stored (a password change in between).
pub fn sign_in_outlived((user_id, username): (i64, &str), address: IpAddr) {
    tracing::warn!(target: "audit", event = "login", outcome = "credentials_changed", user_id, username = ?username, %address);
}

/// A refresh token was presented a second time, after the grace period: one of its two holders
/// is not the owner, so the session has ended.
pub fn refresh_token_reused(user_id: i64, session: &str, address: IpAddr) {
    tracing::warn!(target: "audit", event = "session_ended", reason = "refresh_token_reused", user_id, session, %address);
}

/// A session was fully authenticated again (step-up), with `method`.
pub fn reauthenticated(user_id: i64, username: &str, session: &str, method: &str, address: IpAddr) {
    tracing::info!(target: "audit", event = "reauthenticated", user_id, username = ?username, session, method, %address);
}

/// Why a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// Its own token ended it (log out).
    Logout,
    /// The user ended it from elsewhere: another session, or "log out everywhere".
    Revoked,
    /// The password changed (every session but the one that changed it).
    PasswordChange,
    /// The account was deleted.
    AccountDeleted,
}

impl SessionEnd {
    pub fn label(self) -> &'static str {
        match self {
            SessionEnd::Logout => "logout",
            SessionEnd::Revoked => "revoked",
            SessionEnd::PasswordChange => "password_change",
            SessionEnd::AccountDeleted => "account_deleted",
        }
    }
}

pub fn session_started(
    user_id: i64,
    username: &str,
    session: &str,
    address: IpAddr,
    user_agent: &str,
    signed_in_with: &str,
) {
    tracing::info!(target: "audit", event = "session_started", user_id, username = ?username, session, %address, user_agent, signed_in_with);
}

/// The sessions `sessions` of user `user_id` ended, at the request of a caller at `address`.
pub fn sessions_ended(
    reason: SessionEnd,
    user_id: i64,
    username: &str,
    sessions: &[String],
    address: IpAddr,
) {
    for session in sessions {
        tracing::info!(target: "audit", event = "session_ended", reason = reason.label(), user_id, username = ?username, session, %address);
    }
}

/// A session reached its absolute lifetime and was ended.
pub fn session_expired(user_id: i64, session: &str) {
    tracing::info!(target: "audit", event = "session_ended", reason = "expiry", user_id, session);
}

/// The account was deleted by its owner.
pub fn account_deleted(user_id: i64, username: &str, address: IpAddr) {
    tracing::info!(target: "audit", event = "account_deleted", user_id, username = ?username, %address);
}

/// A passkey was added to the account. Passkey names are the user's words: logged with `?`.
pub fn passkey_added(user_id: i64, username: &str, passkey: i64, name: &str, address: IpAddr) {
    tracing::info!(target: "audit", event = "passkey_added", user_id, username = ?username, passkey, name = ?name, %address);
}

/// A passkey was removed from the account.
pub fn passkey_removed(user_id: i64, username: &str, passkey: i64, name: &str, address: IpAddr) {
    tracing::info!(target: "audit", event = "passkey_removed", user_id, username = ?username, passkey, name = ?name, %address);
}

/// A sign-in with a passkey of this user.
pub fn passkey_signed_in(user_id: i64, username: &str, address: IpAddr) {
    tracing::info!(target: "audit", event = "passkey_sign_in", outcome = "success", user_id, username = ?username, %address);
}

/// A passkey sign-in refused for `reason`; `user`: whose passkey it was, when that much is
/// known.
pub fn passkey_refused(reason: &'static str, user: Option<(i64, &str)>, address: IpAddr) {
    match user {
        Some((user_id, username)) => {
            tracing::warn!(target: "audit", event = "passkey_sign_in", outcome = "failure", reason, user_id, username = ?username, %address)
        }
        None => {
            tracing::warn!(target: "audit", event = "passkey_sign_in", outcome = "failure", reason, %address)
        }
    }
}

/// The second step of a password sign-in: `outcome` names it ("code_required",
/// "code_accepted", "recovery_code_used" with how many are `left`, "replay_refused",
/// "code_refused"); a `refused` one is a warning.
pub fn code_checked(
    outcome: &'static str,
    refused: bool,
    left: Option<i64>,
    (user_id, username): (i64, &str),
    address: IpAddr,
) {
    if refused {
        tracing::warn!(target: "audit", event = "two_step", outcome, user_id, username = ?username, %address);
    } else {
        tracing::info!(target: "audit", event = "two_step", outcome, recovery_codes_left = left, user_id, username = ?username, %address);
    }
}

/// Two-step verification was turned on (a first code confirmed the setup).
pub fn two_step_on(user_id: i64, username: &str, address: IpAddr) {
    tracing::info!(target: "audit", event = "two_step_on", user_id, username = ?username, %address);
}

/// The first code of a setup was wrong.
pub fn two_step_setup_refused(user_id: i64, username: &str, address: IpAddr) {
    tracing::warn!(target: "audit", event = "two_step", outcome = "setup_code_refused", user_id, username = ?username, %address);
}

/// Two-step verification was turned off, by its owner (with `address`) or by an operator
/// (`rest-auth account reset-two-step`).
pub fn two_step_off(user_id: i64, username: &str, address: Option<IpAddr>) {
    match address {
        Some(address) => {
            tracing::info!(target: "audit", event = "two_step_off", by = "user", user_id, username = ?username, %address)
        }
        None => {
            tracing::info!(target: "audit", event = "two_step_off", by = "operator", user_id, username = ?username)
        }
    }
}

/// A new set of recovery codes replaced the old one.
pub fn recovery_codes_renewed(user_id: i64, username: &str, count: usize, address: IpAddr) {
    tracing::info!(target: "audit", event = "recovery_codes_renewed", recovery_codes_left = count, user_id, username = ?username, %address);
}

/// An operator registered application `client_id` (`rest-auth client add`).
pub fn client_added(client_id: &str, name: &str, public: bool) {
    tracing::info!(target: "audit", event = "client_added", client_id, name = ?name, public);
}

/// An operator removed application `client_id`, ending the `sessions` it held.
pub fn client_removed(client_id: &str, sessions: usize) {
    tracing::info!(target: "audit", event = "client_removed", client_id, sessions);
}

/// The provider's signing keys were rotated: `kid` signs from now on.
pub fn signing_keys_rotated(kid: &str) {
    tracing::info!(target: "audit", event = "signing_keys_rotated", kid);
}

/// User `user_id` allowed application `client_id` the scopes `scope`, or was asked and refused.
pub fn consent(user_id: i64, username: &str, client_id: &str, scope: &str, allowed: bool) {
    tracing::info!(target: "audit", event = "consent", user_id, username = ?username, client_id, scope, allowed);
}

/// User `user_id` withdrew their consent to application `client_id`, ending `sessions`.
pub fn consent_removed(user_id: i64, username: &str, client_id: &str, sessions: usize) {
    tracing::info!(target: "audit", event = "consent_removed", user_id, username = ?username, client_id, sessions);
}

/// An authorization code was presented again: the session its first use began (if any) ended.
pub fn code_reused(client_id: Option<&str>, ended: Option<(&str, i64)>, address: IpAddr) {
    let (session, user_id) = ended.unzip();
    tracing::warn!(target: "audit", event = "code_reused", client_id, session, user_id, %address);
}

/// Application `client_id` ended session `session` of user `user_id` (revocation, or the
/// person signing out of it).
pub fn client_session_ended(client_id: &str, user_id: i64, session: &str, reason: &'static str) {
    tracing::info!(target: "audit", event = "session_ended", client_id, user_id, session, reason);
}
