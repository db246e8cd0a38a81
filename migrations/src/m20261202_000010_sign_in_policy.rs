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
        .await
    }
}

#[derive(DeriveIden)]
enum Services {
    Table,
    ClientId,
    AllowPasswordApi,
}
