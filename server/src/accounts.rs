//! Creating, changing and deleting accounts: the rules a new password must meet, the hashing,
//! and the check of the current password, in one place for every handler that needs them.
//! Changing and deleting take a [`Fresh`]: proof of a recent full authentication (step-up).

use crate::{
    audit::{self, SessionEnd},
    auth::{
        password::{HashError, HashingPool},
        user_agent, AuthError, Authenticator, Caller, Fresh,
    },
    clock::unix_now,
    store::{ActiveSession, NewSession, Store, StoreError},
};
use app::api::{validate_password, validate_username, Secret};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// Input that breaks a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The password given to confirm a change is not the account's.
    #[error("wrong current password")]
    WrongPassword,
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl From<StoreError> for AccountError {
    fn from(error: StoreError) -> Self {
        AccountError::Auth(error.into())
    }
}

impl From<HashError> for AccountError {
    fn from(error: HashError) -> Self {
        AccountError::Auth(error.into())
    }
}

/// What a new password must be, besides what `validate_password` asks of every one.
#[derive(Clone, Copy, Debug)]
pub struct PasswordRules {
    /// `MIN_PASSWORD_LENGTH`.
    pub min_chars: usize,
    /// `REFUSE_COMMON_PASSWORDS` (ASVS 5.0 6.2.4).
    pub refuse_common: bool,
}

/// What the API and the pages say about a password on the list of the most common ones.
pub const COMMON_PASSWORD: &str =
    "This password is one of the most common ones, which are tried first by anyone guessing. \
     Please choose another.";

#[derive(Clone)]
pub struct Accounts {
    store: Store,
    auth: Authenticator,
    hashing: HashingPool,
    rules: PasswordRules,
}

impl Accounts {
    pub fn new(
        store: Store,
        auth: Authenticator,
        hashing: HashingPool,
        rules: PasswordRules,
    ) -> Self {
        Accounts {
            store,
            auth,
            hashing,
            rules,
        }
    }

    /// The shortest password accepted (`MIN_PASSWORD_LENGTH`), for the published document.
    pub fn min_password_chars(&self) -> usize {
        self.rules.min_chars
    }

    /// Creates an account and returns its id. A name already taken (without regard to case)
    /// is the store's `UsernameTaken`.
    pub async fn register(&self, username: &str, password: Secret) -> Result<i64, AccountError> {
        validate_username(username).map_err(AccountError::Invalid)?;
        self.check_new_password(&password)?;
        let hash = self.hashing.hash(password.into_inner()).await?;
        let id = self.store.create_user(username, &hash).await?;
        tracing::info!(user_id = id, username = ?username, "user registered");
        Ok(id)
    }

    /// Replaces the caller's password, after a recent full authentication and given the
    /// current one (ASVS 5.0 6.2.3; a wrong one counts towards the brute-force limits), and ends
    /// every session of the account (7.4.3). A caller who came with a token gets a new session
    /// in place of the old one (7.2.4), in the same transaction: as strong as the one it
    /// replaces (how it began, its last full authentication) and no longer-lived (its
    /// beginning). After the change only the new session's tokens work. `user_agent` labels it.
    pub async fn change_password(
        &self,
        caller: &Caller,
        fresh: &Fresh,
        (current, new): (Secret, Secret),
        user_agent: &str,
    ) -> Result<Option<ActiveSession>, AccountError> {
        self.check_new_password(&new)?;
        match self
            .auth
            .check_current_password(caller, current.into_inner())
            .await
        {
            Ok(_) => {}
            Err(AuthError::Unauthorized) => return Err(AccountError::WrongPassword),
            Err(other) => return Err(other.into()),
        }
        let hash = self.hashing.hash(new.into_inner()).await?;
        let label = user_agent::label(user_agent);
        let address = caller.address.to_string();
        let replacement = caller.session().map(|session| {
            let before = fresh.authentication();
            NewSession {
                user_id: caller.id,
                username: &caller.username,
                // Set by the store to the generation the change makes.
                generation: 0,
                started_at: session.started_at,
                authenticated_at: before.at,
                signed_in_with: before.signed_in_with,
                authenticated_with: before.with,
                address: &address,
                user_agent: &label,
                client: None,
            }
        });
        let changed = self
            .store
            .set_password(caller.id, &hash, replacement, unix_now())
            .await?
            // Deleted since the caller's credentials were checked.
            .ok_or(AuthError::Unauthorized)?;
        audit::sessions_ended(
            SessionEnd::PasswordChange,
            caller.id,
            &caller.username,
            &changed.ended,
            caller.address,
        );
        if let Some(session) = &changed.replacement {
            let method = fresh.authentication().signed_in_with.as_str();
            audit::session_started(
                caller.id,
                &caller.username,
                &session.id,
                caller.address,
                &label,
                method,
            );
        }
        Ok(changed.replacement)
    }

    /// Deletes the caller's account, after a recent full authentication: every session ends,
    /// the name may be registered again, the id is never reused.
    pub async fn delete(&self, caller: &Caller, _fresh: &Fresh) -> Result<(), AccountError> {
        let ended = self.store.delete_user(caller.id).await?;
        audit::account_deleted(caller.id, &caller.username, caller.address);
        audit::sessions_ended(
            SessionEnd::AccountDeleted,
            caller.id,
            &caller.username,
            &ended,
            caller.address,
        );
        Ok(())
    }

    fn check_new_password(&self, password: &Secret) -> Result<(), AccountError> {
        validate_password(password.expose(), self.rules.min_chars)
            .map_err(AccountError::Invalid)?;
        if self.rules.refuse_common && is_common(password.expose()) {
            return Err(AccountError::Invalid(COMMON_PASSWORD.into()));
        }
        Ok(())
    }
}

/// Whether `password` is on the list of about 100,000 most common passwords that ships with
/// the `passwords` crate, as typed or in lower case (the list is mostly lower case, and
/// "Password" is no better a guess than "password").
fn is_common(password: &str) -> bool {
    passwords::analyzer::is_common_password(password)
        || passwords::analyzer::is_common_password(password.to_lowercase())
}
