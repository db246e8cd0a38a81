use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A risk step-up without TOTP: the ticket of purpose `email_code` keeps the peppered
        // hash of the six-digit code mailed to the account's address.
        m.alter_table(
            Table::alter()
                .table(LoginTickets::Table)
                .add_column(string_null(LoginTickets::CodeHash))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum LoginTickets {
    Table,
    CodeHash,
}
