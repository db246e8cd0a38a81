use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // The password hash of the registration that sent a verification link: verifying the
        // address applies that password, so an unverified account pre-registered by someone
        // else never becomes the mailbox owner's with the other person's password.
        m.alter_table(
            Table::alter()
                .table(OneTimeTokens::Table)
                .add_column(text_null(OneTimeTokens::PasswordHash))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum OneTimeTokens {
    Table,
    PasswordHash,
}
