//! The passkeys table: each account's passkeys, stored as webauthn-rs serialises them. The
//! store keeps them as text; `crate::passkeys` reads them.

use super::{
    on_pool, transactions::BeginAccountWrite, two_step::NEW_CREDENTIAL_GENERATION, Store,
    StoreError,
};

/// A passkey as its owner sees it in the list.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PasskeyRecord {
    pub id: i64,
    pub name: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A passkey with what a sign-in needs of it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StoredPasskey {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// webauthn-rs's `Passkey`, as JSON.
    pub passkey: String,
}

impl Store {
    /// Stores a new passkey of `user_id`; its id. A credential id registered before, to any
    /// account, is `PasskeyTaken` (decided by the unique index).
    pub async fn add_passkey(
        &self,
        user_id: i64,
        credential_id: &str,
        name: &str,
        passkey: &str,
        now: i64,
    ) -> Result<i64, StoreError> {
        let inserted = on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "INSERT INTO passkeys (user_id, credential_id, name, passkey, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(user_id)
            .bind(credential_id)
            .bind(name)
            .bind(passkey)
            .bind(now)
            .fetch_one(pool)
            .await
        });
        match inserted {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::PasskeyTaken)
            }
            other => Ok(other?),
        }
    }

    /// The user's passkeys, oldest first.
    pub async fn list_passkeys(&self, user_id: i64) -> Result<Vec<PasskeyRecord>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, PasskeyRecord>(
                "SELECT id, name, created_at, last_used_at FROM passkeys \
                 WHERE user_id = $1 ORDER BY created_at, id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The user's passkeys as stored (to exclude them from a new registration).
    pub async fn stored_passkeys(&self, user_id: i64) -> Result<Vec<StoredPasskey>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, StoredPasskey>(
                "SELECT id, user_id, name, passkey FROM passkeys WHERE user_id = $1",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The passkey with this credential id (base64url), whoever's it is.
    pub async fn find_passkey(
        &self,
        credential_id: &str,
    ) -> Result<Option<StoredPasskey>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, StoredPasskey>(
                "SELECT id, user_id, name, passkey FROM passkeys WHERE credential_id = $1",
            )
            .bind(credential_id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Records a sign-in with passkey `id` at `now`, and, when it changed, its new state `new`
    /// (the signature counter, the backup flags) in place of `read`, the state the sign-in
    /// checked: compare and set, so two sign-ins that raced never write an older counter over
    /// a newer one. `false` when the state is no longer `read` (nothing was written): the
    /// caller reads it again and decides anew.
    pub async fn passkey_used(
        &self,
        id: i64,
        (read, new): (&str, Option<&str>),
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE passkeys SET last_used_at = $1, passkey = COALESCE($2, passkey) \
                 WHERE id = $3 AND passkey = $4",
            )
            .bind(now)
            .bind(new)
            .bind(id)
            .bind(read)
            .execute(pool)
            .await?
            .rows_affected()
                == 1
        }))
    }

    /// The stored state of passkey `id` (webauthn-rs's JSON), if it is still there.
    pub async fn passkey_state(&self, id: i64) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_scalar::<_, String>("SELECT passkey FROM passkeys WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Renames passkey `id` if it is one of `user_id`'s; the passkey after the change.
    pub async fn rename_passkey(
        &self,
        user_id: i64,
        id: i64,
        name: &str,
    ) -> Result<Option<PasskeyRecord>, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query_as::<_, PasskeyRecord>(
                "UPDATE passkeys SET name = $1 WHERE id = $2 AND user_id = $3 \
                 RETURNING id, name, created_at, last_used_at",
            )
            .bind(name)
            .bind(id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Removes passkey `id` if it is one of `user_id`'s, and moves the credential generation
    /// (a sign-in with it under way stores no session); its name if it was.
    pub async fn remove_passkey(
        &self,
        user_id: i64,
        id: i64,
    ) -> Result<Option<String>, StoreError> {
        Ok(on_pool!(self, |pool| {
            let mut transaction = pool.begin_account_write(user_id).await?;
            let removed = sqlx::query_scalar::<_, String>(
                "DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name",
            )
            .bind(id)
            .bind(user_id)
            .fetch_optional(&mut *transaction)
            .await?;
            if removed.is_some() {
                sqlx::query(NEW_CREDENTIAL_GENERATION)
                    .bind(user_id)
                    .execute(&mut *transaction)
                    .await?;
            }
            transaction.commit().await?;
            removed
        }))
    }
}
