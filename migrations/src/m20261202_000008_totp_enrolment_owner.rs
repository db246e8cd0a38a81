use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // A pending (not yet confirmed) TOTP secret belongs to the sign-in that started its
        // enrolment (a browser session or a login ticket): someone who only knows the password
        // must not be able to read a secret that the real user later confirms.
        m.alter_table(
            Table::alter()
                .table(TotpCredentials::Table)
                .add_column(string_null(TotpCredentials::PendingOwner))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum TotpCredentials {
    Table,
    PendingOwner,
}
