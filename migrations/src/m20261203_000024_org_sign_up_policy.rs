use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Who may create an account from this organization's sign-in pages: `open` (anyone, as
        // before) or `invite_only` (its admins invite members from the console).
        m.alter_table(
            Table::alter()
                .table(Organizations::Table)
                .add_column(string(Organizations::SignUpPolicy).default("open"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    SignUpPolicy,
}
