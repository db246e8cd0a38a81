use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One authenticator per user; `enabled_at` is null while enrolment awaits its first code.
        m.create_table(
            Table::create()
                .table(TotpCredentials::Table)
                .col(uuid(TotpCredentials::UserId).primary_key())
                .col(text(TotpCredentials::SecretSealed))
                .col(big_integer_null(TotpCredentials::LastUsedStep))
                .col(timestamp_with_time_zone(TotpCredentials::CreatedAt))
                .col(timestamp_with_time_zone_null(TotpCredentials::EnabledAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(TotpCredentials::Table, TotpCredentials::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(BackupCodes::Table)
                .col(uuid(BackupCodes::Id).primary_key())
                .col(uuid(BackupCodes::UserId))
                .col(string_uniq(BackupCodes::CodeHash))
                .col(timestamp_with_time_zone(BackupCodes::CreatedAt))
                .col(timestamp_with_time_zone_null(BackupCodes::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(BackupCodes::Table, BackupCodes::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_backup_codes_user")
                .table(BackupCodes::Table)
                .col(BackupCodes::UserId)
                .to_owned(),
        )
        .await?;

        // Five-minute tickets between the first factor and the second (or enrolment).
        m.create_table(
            Table::create()
                .table(LoginTickets::Table)
                .col(uuid(LoginTickets::Id).primary_key())
                .col(string_uniq(LoginTickets::TicketHash))
                .col(uuid(LoginTickets::UserId))
                .col(string(LoginTickets::Purpose))
                .col(text(LoginTickets::Amr))
                .col(text_null(LoginTickets::NextPath))
                .col(string_null(LoginTickets::ClientId))
                .col(integer(LoginTickets::FailedAttempts).default(0))
                .col(timestamp_with_time_zone(LoginTickets::CreatedAt))
                .col(timestamp_with_time_zone(LoginTickets::ExpiresAt))
                .col(timestamp_with_time_zone_null(LoginTickets::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(LoginTickets::Table, LoginTickets::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TotpCredentials {
    Table,
    UserId,
    SecretSealed,
    LastUsedStep,
    CreatedAt,
    EnabledAt,
}

#[derive(DeriveIden)]
enum BackupCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum LoginTickets {
    Table,
    Id,
    TicketHash,
    UserId,
    Purpose,
    Amr,
    NextPath,
    ClientId,
    FailedAttempts,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
