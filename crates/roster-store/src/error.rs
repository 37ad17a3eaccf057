//! The store's one error type.

/// What can go wrong below the services. Unique violations are surfaced with the constraint
/// that collided, so the services turn each into its own code (`email_taken`, `conflict`, …).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unique constraint violated: {0:?}")]
    Conflict(Unique),
    #[error("{0}")]
    Connect(String),
    #[error("the database URL must start with sqlite: or postgres://")]
    UnsupportedUrl,
    #[error("the database schema is at migration {applied}, this build needs {latest}: run `roster migrate`")]
    NotMigrated { applied: i64, latest: i64 },
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    /// The database is not there for us right now — unreachable, restarting, dropped, or without
    /// Roster's tables — rather than refusing this one query: worth a 503 and a retry, never a
    /// 500. (A query that is wrong is still a 500.)
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(err) | StoreError::Migrate(sqlx::migrate::MigrateError::Execute(err)) => {
                unavailable(err)
            }
            StoreError::NotMigrated { .. } => true,
            _ => false,
        }
    }

    /// Map a unique violation of `constraint` to [`StoreError::Conflict`]; any other error, a
    /// violation of another constraint included, stays what it is.
    pub(crate) fn unique(err: sqlx::Error, constraint: Unique) -> Self {
        if let sqlx::Error::Database(db) = &err
            && db.is_unique_violation()
            && (db.constraint().is_some_and(|name| constraint.indexes().contains(&name))
                || constraint.columns().iter().any(|columns| db.message().ends_with(columns)))
        {
            return StoreError::Conflict(constraint);
        }
        StoreError::Database(err)
    }
}

/// A unique constraint whose violation means something to a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unique {
    /// A live user already holds this (normalised) email address, as its login address or a
    /// confirmed one, or the user has it already.
    UserEmail,
    /// The user is already a member of the account.
    Membership,
    /// The user is already a member of the workspace.
    WorkspaceMember,
    /// The user has this phone number already.
    PhoneNumber,
}

impl Unique {
    /// The indexes' names, as PostgreSQL reports them.
    fn indexes(self) -> &'static [&'static str] {
        match self {
            Unique::UserEmail => &["users_email_live", "user_emails_address", "user_emails_claims"],
            Unique::Membership => &["memberships_pkey"],
            Unique::WorkspaceMember => &["workspace_members_pkey"],
            Unique::PhoneNumber => &["user_phones_number"],
        }
    }

    /// Their columns, as SQLite's message ends: "UNIQUE constraint failed: table.a, table.b".
    fn columns(self) -> &'static [&'static str] {
        match self {
            Unique::UserEmail => {
                &["users.email_normalized", "user_emails.address_key", "user_emails.address_key, user_emails.user_id"]
            }
            Unique::Membership => &["memberships.user_id, memberships.account_id"],
            Unique::WorkspaceMember => &["workspace_members.workspace_id, workspace_members.user_id"],
            Unique::PhoneNumber => &["user_phones.user_id, user_phones.number"],
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

fn unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => {
            let code = db.code();
            let code = code.as_deref().unwrap_or("");
            if db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>().is_some() {
                // 08: connection exceptions; 57P01-03: the server is shutting down or starting;
                // 3D000: the database does not exist (dropped); 42P01: a table is missing (a
                // database Roster has not migrated); 53: out of connections, memory or disk.
                code.starts_with("08")
                    || code.starts_with("57P")
                    || code.starts_with("53")
                    || code == "3D000"
                    || code == "42P01"
            } else {
                // SQLite's extended result codes: BUSY (5) and LOCKED (6) past the busy timeout,
                // IOERR (10 and its extended forms), FULL (13), CANTOPEN (14), and SQLITE_ERROR
                // for a missing table.
                let primary = code.parse::<i32>().map_or(0, |c| c & 0xff);
                matches!(primary, 5 | 6 | 10 | 13 | 14) || db.message().starts_with("no such table")
            }
        }
        _ => false,
    }
}
