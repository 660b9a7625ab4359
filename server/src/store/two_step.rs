//! The `two_step` and `recovery_codes` tables: each account's authenticator-app secret (sealed
//! before it gets here: the store never sees it in the clear), the last time step accepted,
//! and the digests of its recovery codes.

use super::{on_pool, transactions::BeginAccountWrite, SignInMethod, Store, StoreError};

/// Deletes the account's recovery codes and inserts `digests`, inside `transaction` (a macro
/// rather than a function: the same statements on either engine's transaction type).
macro_rules! replace_recovery_codes {
    ($transaction:expr, $user_id:expr, $digests:expr) => {{
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind($user_id)
            .execute(&mut *$transaction)
            .await?;
        for digest in $digests {
            sqlx::query("INSERT INTO recovery_codes (user_id, digest) VALUES ($1, $2)")
                .bind($user_id)
                .bind(digest)
                .execute(&mut *$transaction)
                .await?;
        }
    }};
}

/// Moves the account's credential generation (`$1`): sign-ins that checked the credentials
/// before this change can no longer store their sessions.
pub(super) const NEW_CREDENTIAL_GENERATION: &str =
    "UPDATE users SET credential_generation = credential_generation + 1 WHERE id = $1";

/// An account's two-step verification, as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TwoStepRecord {
    /// The sealed secret; `None` while it is only being set up.
    pub secret: Option<String>,
    /// The sealed secret of a setup begun and not yet confirmed.
    pub pending_secret: Option<String>,
    pub last_step: i64,
}

impl Store {
    /// The account's two-step row, if it has begun or finished setting it up.
    pub async fn two_step(&self, user_id: i64) -> Result<Option<TwoStepRecord>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, TwoStepRecord>(
                "SELECT secret, pending_secret, last_step FROM two_step WHERE user_id = $1",
            )
            .bind(user_id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Keeps `sealed` as the secret being set up, in place of any earlier one, unless two-step
    /// is on (checked in the same statement, so a confirmation that lands first wins); whether
    /// it was kept.
    pub async fn begin_two_step(&self, user_id: i64, sealed: &str) -> Result<bool, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO two_step (user_id, pending_secret) VALUES ($1, $2) \
                 ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret \
                 WHERE two_step.secret IS NULL",
            )
            .bind(user_id)
            .bind(sealed)
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        }))
    }

    /// Makes the pending secret `sealed` the one in use, with `step` as the last step accepted
    /// (the code that confirmed it), and `digests` as the only recovery codes, and moves the
    /// credential generation, in one transaction. `false` when `sealed` is no longer the
    /// pending secret (a newer begin, or a concurrent confirmation, came first) or a secret is
    /// already in use: nothing changes.
    ///
    /// `session`: the confirming caller's, which has now authenticated with both factors (its
    /// last full authentication becomes `now`, with a code).
    pub async fn confirm_two_step(
        &self,
        user_id: i64,
        (sealed, step): (&str, i64),
        now: i64,
        digests: &[String],
        session: Option<&str>,
    ) -> Result<bool, StoreError> {
        Ok(on_pool!(self, |pool| {
            let mut transaction = pool.begin_account_write(user_id).await?;
            let confirmed = sqlx::query(
                "UPDATE two_step SET secret = pending_secret, pending_secret = NULL, \
                 last_step = $3, turned_on_at = $4 \
                 WHERE user_id = $1 AND pending_secret = $2 AND secret IS NULL",
            )
            .bind(user_id)
            .bind(sealed)
            .bind(step)
            .bind(now)
            .execute(&mut *transaction)
            .await?
            .rows_affected()
                == 1;
            if confirmed {
                replace_recovery_codes!(transaction, user_id, digests);
                sqlx::query(NEW_CREDENTIAL_GENERATION)
                    .bind(user_id)
                    .execute(&mut *transaction)
                    .await?;
                sqlx::query(
                    "UPDATE sessions SET authenticated_at = $1, authenticated_with = $2 \
                     WHERE id = $3 AND user_id = $4",
                )
                .bind(now)
                .bind(SignInMethod::PasswordAndCode.as_str())
                .bind(session)
                .bind(user_id)
                .execute(&mut *transaction)
                .await?;
                transaction.commit().await?;
            }
            confirmed
        }))
    }

    /// Records that the code of `step` was accepted, if no code of that step or a later one
    /// was before: one conditional UPDATE, so of two requests with the same code (on any
    /// instances) exactly one wins. `false`: a replay, or two-step is off.
    pub async fn accept_step(&self, user_id: i64, step: i64) -> Result<bool, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE two_step SET last_step = $2 \
                 WHERE user_id = $1 AND secret IS NOT NULL AND last_step < $2",
            )
            .bind(user_id)
            .bind(step)
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        }))
    }

    /// Uses up the recovery code with this digest: how many remain, or `None` when the account
    /// has no such code (never had it, or it was used). A DELETE, so a code works once, on any
    /// instance.
    pub async fn use_recovery_code(
        &self,
        user_id: i64,
        digest: &str,
    ) -> Result<Option<i64>, StoreError> {
        Ok(on_pool!(self, |pool| {
            let mut transaction = pool.begin_account_write(user_id).await?;
            let used = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND digest = $2")
                .bind(user_id)
                .bind(digest)
                .execute(&mut *transaction)
                .await?
                .rows_affected()
                == 1;
            let left = sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM recovery_codes WHERE user_id = $1",
            )
            .bind(user_id)
            .fetch_one(&mut *transaction)
            .await?;
            transaction.commit().await?;
            used.then_some(left)
        }))
    }

    /// How many unused recovery codes the account has.
    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<i64, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(pool)
                .await?
        }))
    }

    /// Replaces every recovery code of the account with `digests`, if two-step is on; whether
    /// it was.
    pub async fn set_recovery_codes(
        &self,
        user_id: i64,
        digests: &[String],
    ) -> Result<bool, StoreError> {
        Ok(on_pool!(self, |pool| {
            let mut transaction = pool.begin_account_write(user_id).await?;
            let on = sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM two_step WHERE user_id = $1 AND secret IS NOT NULL",
            )
            .bind(user_id)
            .fetch_one(&mut *transaction)
            .await?
                == 1;
            if on {
                replace_recovery_codes!(transaction, user_id, digests);
                transaction.commit().await?;
            }
            on
        }))
    }

    /// Turns two-step verification off: the secret, any setup under way and the recovery codes
    /// go, and the credential generation moves. Whether it was on.
    pub async fn end_two_step(&self, user_id: i64) -> Result<bool, StoreError> {
        Ok(on_pool!(self, |pool| {
            let mut transaction = pool.begin_account_write(user_id).await?;
            let was_on = sqlx::query_scalar::<_, Option<String>>(
                "DELETE FROM two_step WHERE user_id = $1 RETURNING secret",
            )
            .bind(user_id)
            .fetch_optional(&mut *transaction)
            .await?
            .flatten()
            .is_some();
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *transaction)
                .await?;
            if was_on {
                sqlx::query(NEW_CREDENTIAL_GENERATION)
                    .bind(user_id)
                    .execute(&mut *transaction)
                    .await?;
            }
            transaction.commit().await?;
            was_on
        }))
    }

    /// Every sealed two-step secret, in use or being set up, with its account (to seal again
    /// after a key rotation).
    pub async fn sealed_two_step_secrets(&self) -> Result<Vec<(i64, String)>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, (i64, String)>(
                "SELECT user_id, secret FROM two_step WHERE secret IS NOT NULL \
                 UNION ALL \
                 SELECT user_id, pending_secret FROM two_step WHERE pending_secret IS NOT NULL",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Puts `new` in place of the sealed secret `old` of `user_id` (in use or being set up), if
    /// it is still there; whether it was.
    pub async fn replace_sealed_secret(
        &self,
        user_id: i64,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE two_step SET \
                 secret = CASE WHEN secret = $2 THEN $3 ELSE secret END, \
                 pending_secret = CASE WHEN pending_secret = $2 THEN $3 ELSE pending_secret END \
                 WHERE user_id = $1 AND (secret = $2 OR pending_secret = $2)",
            )
            .bind(user_id)
            .bind(old)
            .bind(new)
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        }))
    }
}
