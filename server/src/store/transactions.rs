//! How a transaction that changes one account begins, on either engine, so that what it reads
//! still holds when it writes and no two such transactions wait on each other in a cycle.

use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::future::Future;

/// A pool that can begin a transaction holding one account against every other such transaction
/// from its first statement (ASVS 5.0 asks nothing less of a change to how an account signs in:
/// two requests at once must not both half-apply).
pub(super) trait BeginAccountWrite {
    type Database: sqlx::Database;

    /// Begins a transaction that writes `user_id`'s rows. Every multi-statement transaction
    /// on an account starts here, so each takes the account's lock first and then its rows:
    /// one order for all, so none deadlocks another.
    fn begin_account_write(
        &self,
        user_id: i64,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Database>, sqlx::Error>> + Send;
}

impl BeginAccountWrite for SqlitePool {
    type Database = Sqlite;

    /// `BEGIN IMMEDIATE`: the database's write lock from the start, waited for under
    /// `busy_timeout`. A deferred transaction that reads first fails with BUSY, and is not
    /// retried, when another writer commits between its read and its first write.
    async fn begin_account_write(
        &self,
        _user_id: i64,
    ) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginAccountWrite for PgPool {
    type Database = Postgres;

    /// The account's `users` row, `FOR NO KEY UPDATE`: the lock an UPDATE of the row takes,
    /// so changes to the account wait for each other, while rows that only reference it (a
    /// sign-in's session) can still be inserted.
    async fn begin_account_write(
        &self,
        user_id: i64,
    ) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
        let mut transaction = self.begin().await?;
        sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE")
            .bind(user_id)
            .execute(&mut *transaction)
            .await?;
        Ok(transaction)
    }
}
