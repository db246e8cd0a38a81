use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Where a magic link resumes (a pending authorize request): kept server-side, so the
        // link itself carries no redirect target.
        m.alter_table(
            Table::alter()
                .table(OneTimeTokens::Table)
                .add_column(text_null(OneTimeTokens::NextPath))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_one_time_tokens_email_purpose")
                .table(OneTimeTokens::Table)
                .col(OneTimeTokens::Email)
                .col(OneTimeTokens::Purpose)
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum OneTimeTokens {
    Table,
    NextPath,
    Email,
    Purpose,
}
