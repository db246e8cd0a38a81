use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Password sign-in through the JSON API is opt-in per service (RFC 9700 §2.4 discourages
        // the password style). The built-in first-party service has always used it.
        m.alter_table(
            Table::alter()
                .table(Services::Table)
                .add_column(boolean(Services::AllowPasswordApi).default(false))
                .to_owned(),
        )
        .await?;
        m.exec_stmt(
            Query::update()
                .table(Services::Table)
                .value(Services::AllowPasswordApi, true)
                .and_where(Expr::col(Services::ClientId).eq("gatehouse"))
                .to_owned(),
        )
        .await?;
        // A refresh-token family keeps the time it started, for its absolute lifetime
        // (`tokens.refresh_absolute_days`). The constant default only satisfies SQLite's
        // ADD COLUMN … NOT NULL; every existing row gets its family's first row's time here.
        m.alter_table(
            Table::alter()
                .table(RefreshTokens::Table)
                .add_column(
                    timestamp_with_time_zone(RefreshTokens::FamilyCreatedAt)
                        .default("1970-01-01T00:00:00Z"),
                )
                .to_owned(),
        )
        .await?;
        m.get_connection()
            .execute_unprepared(
                "UPDATE refresh_tokens SET family_created_at = \
                 (SELECT MIN(f.created_at) FROM refresh_tokens f \
                  WHERE f.family_id = refresh_tokens.family_id)",
            )
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    FamilyCreatedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    ClientId,
    AllowPasswordApi,
}
