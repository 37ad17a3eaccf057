//! The store's one error type.

/// What can go wrong below the services. Unique violations are surfaced with the name of what
/// collided, so a service can turn "email already used" into `email_taken`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unique constraint violated: {0}")]
    Conflict(&'static str),
    #[error("the database URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// The database could not be reached in time (pool exhausted, connection lost): worth a
    /// 503 and a retry rather than a 500.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)))
    }

    /// Map a unique violation on `index` (PostgreSQL index name) or `column` (SQLite reports
    /// "UNIQUE constraint failed: table.column") to [`StoreError::Conflict`] with `what`.
    pub(crate) fn unique(err: sqlx::Error, index: &str, column: &str, what: &'static str) -> Self {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
            && (db.constraint() == Some(index) || db.message().contains(column))
        {
            return StoreError::Conflict(what);
        }
        StoreError::Database(err)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
