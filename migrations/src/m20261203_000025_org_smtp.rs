use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // An organization's own mail server. One row per organization; absent means its mail
        // goes through the platform's. The password is sealed with the master key.
        m.create_table(
            Table::create()
                .table(OrgSmtp::Table)
                .col(uuid(OrgSmtp::OrgId).primary_key())
                .col(string(OrgSmtp::Host))
                .col(integer(OrgSmtp::Port))
                .col(string(OrgSmtp::TlsMode))
                .col(string_null(OrgSmtp::Username))
                .col(text_null(OrgSmtp::PasswordSealed))
                .col(string(OrgSmtp::FromAddress))
                .col(string_null(OrgSmtp::FromName))
                .col(timestamp_with_time_zone(OrgSmtp::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OrgSmtp::Table, OrgSmtp::OrgId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The organization a queued message speaks for: delivered through its mail server when
        // it has one. No foreign key (SQLite cannot add one to an existing table); a deleted
        // organization's mail simply falls back to the platform's server.
        m.alter_table(
            Table::alter()
                .table(MailOutbox::Table)
                .add_column(uuid_null(MailOutbox::OrgId))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum OrgSmtp {
    Table,
    OrgId,
    Host,
    Port,
    TlsMode,
    Username,
    PasswordSealed,
    FromAddress,
    FromName,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    OrgId,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}
