//! Shared fixed-window rate-limit counters (`rate_limit.backend = "postgres"`), in the UNLOGGED
//! table `rate_limit_counters` (PostgreSQL only).
use sea_orm::{ConnectionTrait, DbErr, Statement};

/// Counts one hit for `key` in the current `window_secs` window, by the database's clock so
/// instances agree. One statement: the upsert returns the count and the seconds until the
/// window ends.
pub async fn hit<C: ConnectionTrait>(
    db: &C,
    key: &str,
    window_secs: i64,
) -> Result<(i64, f64), DbErr> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "INSERT INTO rate_limit_counters AS c (key, window_start, hits) \
             VALUES ($1, to_timestamp(floor(extract(epoch FROM now()) / $2) * $2), 1) \
             ON CONFLICT (key) DO UPDATE SET \
               hits = CASE WHEN c.window_start = EXCLUDED.window_start THEN c.hits + 1 ELSE 1 END, \
               window_start = EXCLUDED.window_start \
             RETURNING hits::BIGINT AS hits, \
               extract(epoch FROM (window_start + make_interval(secs => $2) - now()))::FLOAT8 AS resets_in",
            [key.into(), (window_secs as f64).into()],
        ))
        .await?
        .ok_or_else(|| DbErr::RecordNotFound("rate_limit_counters upsert returned no row".into()))?;
    Ok((row.try_get("", "hits")?, row.try_get("", "resets_in")?))
}

/// Deletes counters whose window ended (the housekeeping task).
pub async fn prune<C: ConnectionTrait>(db: &C, longest_window_secs: i64) -> Result<u64, DbErr> {
    let result = db
        .execute_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "DELETE FROM rate_limit_counters WHERE window_start < now() - make_interval(secs => $1)",
            [(longest_window_secs as f64).into()],
        ))
        .await?;
    Ok(result.rows_affected())
}
