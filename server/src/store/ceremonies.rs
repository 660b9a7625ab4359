//! Passkey ceremonies in flight: the state webauthn-rs needs between a ceremony's begin and its
//! finish. Kept in the database so that any instance can finish what another began, and taken
//! with one `DELETE ... RETURNING`, so that each is finished at most once: webauthn-rs itself
//! would accept the same response twice.

use super::{on_pool, random_id, Store, StoreError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CeremonyKind {
    /// Adding a passkey to an account.
    Registration,
    /// Signing in with a passkey.
    SignIn,
    /// A signed-in user confirming it is them with one of their passkeys (step-up).
    Reauthentication,
}

impl CeremonyKind {
    fn as_str(self) -> &'static str {
        match self {
            CeremonyKind::Registration => "registration",
            CeremonyKind::SignIn => "sign_in",
            CeremonyKind::Reauthentication => "reauthentication",
        }
    }
}

impl Store {
    /// Stores a ceremony's `state` until `expires_at` (Unix seconds); its id (128 random bits).
    pub async fn begin_ceremony(
        &self,
        kind: CeremonyKind,
        user_id: Option<i64>,
        state: &str,
        expires_at: i64,
    ) -> Result<String, StoreError> {
        let id = random_id();
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO ceremonies (id, kind, user_id, state, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&id)
            .bind(kind.as_str())
            .bind(user_id)
            .bind(state)
            .bind(expires_at)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())?
        });
        Ok(id)
    }

    /// Takes ceremony `id` of this kind and user (`None` for a sign-in), if it exists and has
    /// not expired at `now`: its state. Taken means gone, whatever the caller does next.
    pub async fn take_ceremony(
        &self,
        id: &str,
        kind: CeremonyKind,
        user_id: Option<i64>,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let taken = on_pool!(self, |pool| {
            sqlx::query_as::<_, (Option<i64>, String, i64)>(
                "DELETE FROM ceremonies WHERE id = $1 AND kind = $2 \
                 RETURNING user_id, state, expires_at",
            )
            .bind(id)
            .bind(kind.as_str())
            .fetch_optional(pool)
            .await?
        });
        Ok(taken
            .filter(|(owner, _, expires_at)| *owner == user_id && *expires_at > now)
            .map(|(_, state, _)| state))
    }

    /// Forgets the ceremonies that expired before `now`; how many.
    pub async fn end_expired_ceremonies(&self, now: i64) -> Result<u64, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query("DELETE FROM ceremonies WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
