//! PostgreSQL `NOTIFY` / `LISTEN` on one channel, for cache invalidations between instances.
use sea_orm::sqlx::postgres::{PgListener, PgPoolOptions};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};

pub const CHANNEL: &str = "gatehouse_invalidate";

/// Sends `payload` to every listening instance (delivered when the surrounding transaction, if
/// any, commits). A no-op on SQLite, where one process owns the database.
pub async fn publish<C: ConnectionTrait>(db: &C, payload: &str) -> Result<(), DbErr> {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        ))
        .await?;
    }
    Ok(())
}

/// A listener on the channel over a connection of its own (outside the pool, so it takes no
/// request's connection); `None` on SQLite.
pub async fn listen(db: &DatabaseConnection) -> Result<Option<PgListener>, sea_orm::sqlx::Error> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(None);
    }
    let options = db.get_postgres_connection_pool().connect_options();
    let own = PgPoolOptions::new()
        .max_connections(1)
        .connect_with((*options).clone())
        .await?;
    let mut listener = PgListener::connect_with(&own).await?;
    listener.listen(CHANNEL).await?;
    Ok(Some(listener))
}
