//! Sign-in tickets: what a right password on an account with two-step verification hands the
//! client for the code step, in place of the password. Stored as a SHA-256 digest (the ticket
//! itself has 128 random bits: a copy of the table signs nobody in), with the account and the
//! credential generation the password was checked against. Read while codes are tried; taken
//! (deleted) when one is accepted, so a ticket signs in once, on any instance.

use super::{on_pool, Store, StoreError};

/// A ticket as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    pub user_id: i64,
    pub generation: i64,
}

impl Store {
    /// Stores a ticket (its digest) for `user_id` until `expires_at` (Unix seconds).
    pub async fn issue_ticket(
        &self,
        digest: &str,
        ticket: Ticket,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO sign_in_tickets (digest, user_id, credential_generation, expires_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(digest)
            .bind(ticket.user_id)
            .bind(ticket.generation)
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The ticket with this digest, if it has not expired at `now` nor been taken.
    pub async fn ticket(&self, digest: &str, now: i64) -> Result<Option<Ticket>, StoreError> {
        let row = on_pool!(self, |pool| {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT user_id, credential_generation FROM sign_in_tickets \
                 WHERE digest = $1 AND expires_at > $2",
            )
            .bind(digest)
            .bind(now)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(user_id, generation)| Ticket {
            user_id,
            generation,
        }))
    }

    /// Takes the ticket with this digest: whether it was still there (unexpired at `now`).
    /// Of two requests taking one ticket, exactly one gets `true`.
    pub async fn take_ticket(&self, digest: &str, now: i64) -> Result<bool, StoreError> {
        let taken = on_pool!(self, |pool| {
            sqlx::query_scalar::<_, i64>(
                "DELETE FROM sign_in_tickets WHERE digest = $1 RETURNING expires_at",
            )
            .bind(digest)
            .fetch_optional(pool)
            .await?
        });
        Ok(taken.is_some_and(|expires_at| expires_at > now))
    }

    /// Forgets the tickets that expired before `now`; how many.
    pub async fn end_expired_tickets(&self, now: i64) -> Result<u64, StoreError> {
        Ok(on_pool!(self, |pool| {
            sqlx::query("DELETE FROM sign_in_tickets WHERE expires_at <= $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
