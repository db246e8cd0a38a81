use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Which sign-in providers a service offers: a JSON list of provider slugs; empty means
        // every provider its organization offers.
        m.alter_table(
            Table::alter()
                .table(Services::Table)
                .add_column(text(Services::AllowedProviders).default("[]"))
                .to_owned(),
        )
        .await?;
        // The seed's direct form (`redirect_uri?access_token=…`) after a provider sign-in: an
        // opt-in of first-party services, since tokens in a URL leak through logs and Referer.
        m.alter_table(
            Table::alter()
                .table(Services::Table)
                .add_column(boolean(Services::TokenRedirect).default(false))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Services {
    Table,
    AllowedProviders,
    TokenRedirect,
}
