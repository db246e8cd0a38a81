use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The sender's display name of one message (an organization's branding); NULL keeps the
        // configured `mail.from` as it is.
        m.alter_table(
            Table::alter()
                .table(MailOutbox::Table)
                .add_column(string_null(MailOutbox::FromName))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    FromName,
}
