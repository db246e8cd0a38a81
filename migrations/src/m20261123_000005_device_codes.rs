use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // RFC 8628 device authorizations: the device code is stored as its SHA-256, the short
        // user code normalized (8 letters, no dash). `status` is pending, approved, denied,
        // consumed or expired; the approving user's sign-in is copied in on approval.
        m.create_table(
            Table::create()
                .table(DeviceCodes::Table)
                .col(uuid(DeviceCodes::Id).primary_key())
                .col(string_uniq(DeviceCodes::DeviceCodeHash))
                .col(string_uniq(DeviceCodes::UserCode))
                .col(uuid(DeviceCodes::ServiceId))
                .col(text(DeviceCodes::Scope))
                .col(string(DeviceCodes::Status))
                .col(uuid_null(DeviceCodes::UserId))
                .col(uuid_null(DeviceCodes::SessionId))
                .col(timestamp_with_time_zone_null(DeviceCodes::AuthTime))
                .col(text_null(DeviceCodes::Amr))
                .col(integer(DeviceCodes::IntervalSecs))
                .col(timestamp_with_time_zone_null(DeviceCodes::LastPolledAt))
                .col(timestamp_with_time_zone(DeviceCodes::CreatedAt))
                .col(timestamp_with_time_zone(DeviceCodes::ExpiresAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(DeviceCodes::Table, DeviceCodes::ServiceId)
                        .to(Services::Table, Services::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(DeviceCodes::Table, DeviceCodes::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // Housekeeping deletes long-expired rows.
        m.create_index(
            Index::create()
                .name("ix_device_codes_expires_at")
                .table(DeviceCodes::Table)
                .col(DeviceCodes::ExpiresAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum DeviceCodes {
    Table,
    Id,
    DeviceCodeHash,
    UserCode,
    ServiceId,
    Scope,
    Status,
    UserId,
    SessionId,
    AuthTime,
    Amr,
    IntervalSecs,
    LastPolledAt,
    CreatedAt,
    ExpiresAt,
}
