use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A rotated client secret keeps working until its overlap ends, so a service can roll
        // out the new one without downtime: the old hash and when it stops.
        m.alter_table(
            Table::alter()
                .table(Services::Table)
                .add_column(string_null(Services::PreviousClientSecretHash))
                .to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table(Services::Table)
                .add_column(timestamp_with_time_zone_null(
                    Services::PreviousSecretExpiresAt,
                ))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Services {
    Table,
    PreviousClientSecretHash,
    PreviousSecretExpiresAt,
}
