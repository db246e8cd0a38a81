//! Storage: sea-orm is used only here. Functions are generic over `ConnectionTrait` so callers can
//! compose them inside one transaction.
pub mod audit_events;
pub mod authorization_codes;
pub mod authorization_requests;
pub mod backup_codes;
pub mod browser_sessions;
pub mod cleanup;
pub mod consents;
pub mod device_codes;
pub mod entities;
pub mod federated_identities;
pub mod federation_states;
pub mod instance_meta;
pub mod login_tickets;
pub mod mail_outbox;
pub mod memberships;
pub mod notify;
pub mod oidc_providers;
pub mod one_time_tokens;
pub mod org_branding;
pub mod org_providers;
pub mod org_risk_policies;
pub mod org_roles;
pub mod org_smtp;
pub mod organizations;
pub mod passkeys;
pub mod rate_limit_counters;
pub mod refresh_tokens;
pub mod revoked_tokens;
pub mod service_tokens;
pub mod services;
pub mod setup_link;
pub mod sign_in_attempts;
pub mod signing_keys;
pub mod stats;
pub mod test_bench_states;
pub mod totp_credentials;
pub mod trusted_devices;
pub mod users;
pub mod webauthn_ceremonies;

use std::sync::Arc;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteJournalMode;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, ExecResult,
    QueryResult, Statement,
};

use sea_orm::{DatabaseTransaction, SqliteTransactionMode, TransactionOptions, TransactionTrait};

/// Opens a pool. SQLite gets WAL, foreign keys and a busy timeout on every connection.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    if url.starts_with("sqlite:") {
        // Each SQLite connection is a thread of its own, so sqlx's ping before every checkout
        // is a thread round trip that doubled the cost of a short query; a local file's
        // connection cannot go stale the way a server's can. PostgreSQL keeps the ping.
        options.test_before_acquire(false);
    }
    options
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
        });
    Database::connect(options).await
}

/// The pool write transactions ([`begin`]) run on. For SQLite a pool of its own with the one
/// connection that writes: a writer then never waits for a pooled connection behind readers
/// while it holds the write turn, and its page cache is not thrown away by other connections'
/// commits. PostgreSQL writes concurrently, so its writers share the one pool.
pub async fn writer(url: &str, db: &DatabaseConnection) -> Result<DatabaseConnection, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => connect(url, 1).await,
        _ => Ok(db.clone()),
    }
}

/// Starts a write transaction. On SQLite it takes the write lock up front (`BEGIN IMMEDIATE`):
/// a deferred transaction that reads and then writes fails with SQLITE_BUSY, without waiting,
/// when another connection committed in between. Writers of this process also take turns on
/// [`SQLITE_WRITER`] first, so they queue without a sleep instead of polling SQLite's busy
/// handler, whose back-off (up to 100 ms a try) stalled 64 concurrent refreshes for seconds.
pub async fn begin(db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
    let writer = write_turn(db).await?;
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    Ok(WriteTxn {
        txn,
        _writer: writer,
    })
}

/// On SQLite, waits for this process's write turn (see [`begin`]); the turn lasts as long as
/// the permit. Other databases write concurrently: `None`.
pub async fn write_turn(
    db: &DatabaseConnection,
) -> Result<Option<tokio::sync::OwnedSemaphorePermit>, DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => Ok(Some(
            tokio::time::timeout(WRITER_WAIT, SQLITE_WRITER.clone().acquire_owned())
                .await
                .map_err(|_| DbErr::Custom("timed out waiting for the database write lock".into()))?
                .map_err(|e| DbErr::Custom(e.to_string()))?,
        )),
        _ => Ok(None),
    }
}

/// One SQLite write transaction at a time in this process (SQLite allows one writer anyway).
static SQLITE_WRITER: std::sync::LazyLock<Arc<tokio::sync::Semaphore>> =
    std::sync::LazyLock::new(|| Arc::new(tokio::sync::Semaphore::new(1)));
/// As long as SQLite's busy timeout: a writer waits no longer than it used to.
const WRITER_WAIT: Duration = Duration::from_secs(10);

/// A write transaction from [`begin`]; it holds this process's SQLite write turn until it
/// commits, rolls back or is dropped.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _writer: Option<tokio::sync::OwnedSemaphorePermit>,
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }

    pub async fn rollback(self) -> Result<(), DbErr> {
        self.txn.rollback().await
    }
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;

    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for WriteTxn {
    fn get_database_backend(&self) -> DbBackend {
        self.txn.get_database_backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        self.txn.execute_raw(stmt).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.txn.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.txn.query_one_raw(stmt).await
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.txn.query_all_raw(stmt).await
    }

    fn support_returning(&self) -> bool {
        self.txn.support_returning()
    }
}

/// Advisory-lock keys (any constants unique to Gatehouse): instances starting together take
/// turns instead of racing on `CREATE TABLE`, the built-in service or first-key generation.
pub const MIGRATION_LOCK: i64 = 0x6761_7465_0001;
pub const INIT_LOCK: i64 = 0x6761_7465_0002;

/// Applies pending migrations and returns how many. On PostgreSQL one instance applies them
/// under a session advisory lock, held on a connection of its own, while the others wait and
/// then find nothing to do.
pub async fn migrate(db: &DatabaseConnection) -> Result<usize, DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return apply_pending(db).await;
    }
    let options = db.get_postgres_connection_pool().connect_options();
    let single = sea_orm::sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with((*options).clone())
        .await
        .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
    let conn = sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(single);
    conn.execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
        .await?;
    let result = apply_pending(&conn).await;
    // Closing the connection releases the lock even if the unlock fails.
    let _ = conn
        .execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
        .await;
    let _ = conn.close().await;
    result
}

async fn apply_pending(db: &DatabaseConnection) -> Result<usize, DbErr> {
    let pending = Migrator::get_pending_migrations(db).await?.len();
    if pending > 0 {
        Migrator::up(db, None).await?;
    }
    Ok(pending)
}

/// The pool's open connections and how many of them are idle.
pub fn pool_usage(db: &DatabaseConnection) -> (u32, u32) {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (
                pool.size(),
                u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            )
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            (
                pool.size(),
                u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            )
        }
    }
}

/// `true` when every migration this binary knows has been applied.
pub async fn migrations_current(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.is_empty())
}

/// Inside `txn` on PostgreSQL, waits for the transaction-scoped advisory lock `key`; a no-op on
/// SQLite, where `begin` already holds the write lock.
pub async fn advisory_xact_lock(txn: &DatabaseTransaction, key: i64) -> Result<(), DbErr> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({key})"))
            .await?;
    }
    Ok(())
}

/// `true` when the database answers a trivial query.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// Timestamps are kept to microseconds, the precision both backends store.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{SubsecRound, Utc};
    Utc::now().trunc_subsecs(6)
}

/// Lists are stored as JSON text so one column type serves both backends.
pub fn to_json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

pub fn from_json_list(raw: &str) -> Vec<String> {
    serde_json::from_str(raw).unwrap_or_default()
}
