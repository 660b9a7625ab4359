//! The second step of a password sign-in, for accounts that turned two-step verification on: a
//! code from the authenticator app (`totp.rs`) or one of the account's recovery codes
//! (`recovery_codes.rs`), checked against the secret sealed at rest (`sealing.rs`).
//!
//! Each code is accepted once (ASVS 5.0 6.5.1): the store moves the account's last accepted
//! time step forward with a conditional UPDATE, so a replay (within the code's 30 s, or on
//! another instance) is refused; recovery codes are deleted as they are used.

pub mod recovery_codes;
pub mod sealing;
pub mod totp;

use crate::store::{SignInMethod, Store, StoreError};
use sealing::{Sealer, Unopenable};

/// The header that carries a code beside a password (curl's `-H 'X-OTP: 123456'`), and its
/// value on a 401 that wants one (as GitHub's API asked Basic-auth clients).
pub const ONE_TIME_CODE_HEADER: &str = "x-otp";
pub const ONE_TIME_CODE_REQUIRED: &str = "required";
/// The longest code read (a recovery code with its dashes is 29).
pub const MAX_ONE_TIME_CODE_CHARS: usize = 64;

/// A code as presented (a form field, a JSON field), trimmed; `None` when it is empty or
/// longer than any code of ours.
pub fn presented_code(text: &str) -> Option<&str> {
    let code = text.trim();
    (!code.is_empty() && code.len() <= MAX_ONE_TIME_CODE_CHARS).then_some(code)
}

/// What became of the code given with a right password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeCheck {
    /// The account has no two-step verification: the password was enough.
    NotNeeded,
    /// The account needs a code and none came.
    Missing,
    /// An authenticator code of `step`, accepted (and never again).
    Accepted { step: u64 },
    /// A recovery code, used up; `left` remain.
    RecoveryCodeUsed { left: i64 },
    /// A code of a step already used (a replay).
    Replayed,
    /// Not a code of this account.
    Wrong,
}

impl CodeCheck {
    /// Its name in the audit line; `None` when there was nothing to check.
    pub fn label(self) -> Option<&'static str> {
        Some(match self {
            CodeCheck::NotNeeded => return None,
            CodeCheck::Missing => "code_required",
            CodeCheck::Accepted { .. } => "code_accepted",
            CodeCheck::RecoveryCodeUsed { .. } => "recovery_code_used",
            CodeCheck::Replayed => "replay_refused",
            CodeCheck::Wrong => "code_refused",
        })
    }

    /// Recovery codes left after this check used one.
    pub fn recovery_codes_left(self) -> Option<i64> {
        match self {
            CodeCheck::RecoveryCodeUsed { left } => Some(left),
            _ => None,
        }
    }

    /// How a session begun after this check signed in; `None` when it refuses.
    pub fn sign_in_method(self) -> Option<SignInMethod> {
        match self {
            CodeCheck::NotNeeded => Some(SignInMethod::Password),
            CodeCheck::Accepted { .. } => Some(SignInMethod::PasswordAndCode),
            CodeCheck::RecoveryCodeUsed { .. } => Some(SignInMethod::RecoveryCode),
            CodeCheck::Missing | CodeCheck::Replayed | CodeCheck::Wrong => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Unopenable(#[from] Unopenable),
}

/// Checks codes against the store.
#[derive(Clone)]
pub struct SecondFactor {
    store: Store,
    sealer: Sealer,
}

impl SecondFactor {
    pub fn new(store: Store, sealer: Sealer) -> Self {
        SecondFactor { store, sealer }
    }

    pub fn sealer(&self) -> &Sealer {
        &self.sealer
    }

    /// Checks `code` (the `X-OTP` header, if sent) for account `user_id` at Unix time `now`.
    /// Six digits are an authenticator code; anything else is tried as a recovery code.
    pub async fn check(
        &self,
        user_id: i64,
        code: Option<&str>,
        now: u64,
    ) -> Result<CodeCheck, CheckError> {
        let Some(sealed) = self
            .store
            .two_step(user_id)
            .await?
            .and_then(|record| record.secret)
        else {
            return Ok(CodeCheck::NotNeeded);
        };
        let Some(code) = code.map(|code| code.replace(' ', "")) else {
            return Ok(CodeCheck::Missing);
        };
        if code.is_empty() {
            return Ok(CodeCheck::Missing);
        }
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            let secret = self.sealer.open(user_id, &sealed)?;
            let Some(step) = totp::matching_step(&secret, &code, now) else {
                return Ok(CodeCheck::Wrong);
            };
            let step_number = i64::try_from(step).unwrap_or(i64::MAX);
            return Ok(if self.store.accept_step(user_id, step_number).await? {
                CodeCheck::Accepted { step }
            } else {
                CodeCheck::Replayed
            });
        }
        let Some(normalised) = recovery_codes::normalise(&code) else {
            return Ok(CodeCheck::Wrong);
        };
        let digest = recovery_codes::digest(&normalised);
        Ok(
            match self.store.use_recovery_code(user_id, &digest).await? {
                Some(left) => CodeCheck::RecoveryCodeUsed { left },
                None => CodeCheck::Wrong,
            },
        )
    }
}
