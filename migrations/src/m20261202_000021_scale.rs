use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        // Instances that started together before this migration could each create an active
        // key of one algorithm. Keep the oldest one signing; the others stay published (retired
        // without an end) so every token they signed still verifies.
        db.execute_unprepared(
            "UPDATE signing_keys SET status = 'retired' \
             WHERE status = 'active' AND EXISTS (SELECT 1 FROM signing_keys o \
               WHERE o.status = 'active' AND o.alg = signing_keys.alg \
               AND (o.created_at < signing_keys.created_at \
                    OR (o.created_at = signing_keys.created_at AND o.kid < signing_keys.kid)))",
        )
        .await?;
        // At most one active signing key per algorithm, enforced by the database.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX IF NOT EXISTS signing_keys_one_active_per_alg \
             ON signing_keys (alg) WHERE status = 'active'",
        )
        .await?;
        if m.get_database_backend() == DatabaseBackend::Postgres {
            // Shared rate-limit counters (`rate_limit.backend = "postgres"`): fixed windows,
            // one upsert-and-return per decision. UNLOGGED: no WAL, lost on a crash, which only
            // resets the counts.
            db.execute_unprepared(
                "CREATE UNLOGGED TABLE IF NOT EXISTS rate_limit_counters (\
                   key TEXT PRIMARY KEY, \
                   window_start TIMESTAMPTZ NOT NULL, \
                   hits INTEGER NOT NULL)",
            )
            .await?;
        }
        Ok(())
    }
}
