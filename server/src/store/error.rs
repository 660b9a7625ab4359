//! What can go wrong in storage, in the words the layers above need: a name or passkey already
//! taken, a database that cannot be reached right now, or anything else.

/// A failed storage operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The unique index refused the username (compared without case).
    #[error("username taken")]
    UsernameTaken,
    /// The unique index refused a passkey's credential id: it is registered already.
    #[error("passkey already registered")]
    PasskeyTaken,
    /// The database cannot be reached right now: worth a retry at start-up, a 503 while serving.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            StoreError::Unavailable(error)
        } else {
            StoreError::Other(error)
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        sqlx::Error::from(error).into()
    }
}

/// Errors that mean "the database cannot be reached right now" rather than a bug.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        // PostgreSQL: connection exceptions (08), shutting down or restarting (57P0x),
        // too many connections (53300), statement timeout (57014).
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08") || code.starts_with("57P0") || code == "53300" || code == "57014"
        }),
        _ => false,
    }
}
