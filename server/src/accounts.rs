//! Creating accounts and changing their passwords: the rules a new password must meet, the
//! hashing, and the check of the current password, in one place for every handler that needs
//! them.

use crate::{
    auth::{
        password::{HashError, HashingPool},
        AuthError, Authenticator, Caller,
    },
    store::{Store, StoreError},
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

#[derive(Clone)]
pub struct Accounts {
    store: Store,
    auth: Authenticator,
    hashing: HashingPool,
    /// `MIN_PASSWORD_LENGTH`.
    min_password_chars: usize,
}

impl Accounts {
    pub fn new(
        store: Store,
        auth: Authenticator,
        hashing: HashingPool,
        min_password_chars: usize,
    ) -> Self {
        Accounts {
            store,
            auth,
            hashing,
            min_password_chars,
        }
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

    /// Replaces the caller's password, given the current one (so a stolen token alone cannot
    /// take the account over), and revokes every token. Wrong current passwords count towards
    /// the brute-force limits like failed logins.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: Secret,
        new: Secret,
    ) -> Result<(), AccountError> {
        self.check_new_password(&new)?;
        match self
            .auth
            .check_password(&caller.username, current.into_inner(), caller.address)
            .await
        {
            Err(AuthError::Unauthorized) => return Err(AccountError::WrongPassword),
            other => other?,
        };
        let hash = self.hashing.hash(new.into_inner()).await?;
        self.store.set_password(caller.id, &hash).await?;
        Ok(())
    }

    fn check_new_password(&self, password: &Secret) -> Result<(), AccountError> {
        validate_password(password.expose(), self.min_password_chars).map_err(AccountError::Invalid)
    }
}
