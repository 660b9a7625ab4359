//! The audit trail: one `audit` log line per login success, failure and lock, and per session
//! start and end (with the reason), with the username, the client address and the outcome.
//! Never a password or a token. Session ids are logged: alone they authenticate nothing (a
//! token must be signed), and they tie a session's start to its end.
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

pub fn login(outcome: LoginOutcome, username: &str, address: IpAddr) {
    let label = outcome.label();
    match outcome {
        LoginOutcome::Success => {
            tracing::info!(target: "audit", event = "login", outcome = label, username = ?username, %address)
        }
        LoginOutcome::Failure => {
            tracing::warn!(target: "audit", event = "login", outcome = label, username = ?username, %address)
        }
        LoginOutcome::LockStarted { retry_after } | LoginOutcome::RefusedLocked { retry_after } => {
            tracing::warn!(target: "audit", event = "login", outcome = label, username = ?username, %address, retry_after)
        }
    }
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
) {
    tracing::info!(target: "audit", event = "session_started", user_id, username = ?username, session, %address, user_agent);
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
