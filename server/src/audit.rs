//! The audit trail: one `audit` log line per login success, failure, lock and token revocation,
//! with the username, the client address and the outcome. Never a password or a token.
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

/// Every token of the user was revoked (`reason`: `logout` or `password_change`).
pub fn tokens_revoked(reason: &'static str, user_id: i64, username: &str, address: IpAddr) {
    tracing::info!(target: "audit", event = "tokens_revoked", reason, user_id, username = ?username, %address);
}
