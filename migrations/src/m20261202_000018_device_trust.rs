use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Browsers a user signed in with: the `device_token` cookie is an opaque random token,
        // only its SHA-256 is stored, so a row is revoked by setting `revoked_at`.
        m.create_table(
            Table::create()
                .table(TrustedDevices::Table)
                .col(uuid(TrustedDevices::Id).primary_key())
                .col(uuid(TrustedDevices::UserId))
                .col(string_uniq(TrustedDevices::TokenHash))
                .col(string(TrustedDevices::Browser))
                .col(string_null(TrustedDevices::LastIp))
                .col(timestamp_with_time_zone(TrustedDevices::FirstSeenAt))
                .col(timestamp_with_time_zone(TrustedDevices::LastSeenAt))
                .col(timestamp_with_time_zone(TrustedDevices::ExpiresAt))
                .col(timestamp_with_time_zone_null(TrustedDevices::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(TrustedDevices::Table, TrustedDevices::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_trusted_devices_user")
                .table(TrustedDevices::Table)
                .col(TrustedDevices::UserId)
                .to_owned(),
        )
        .await?;

        // The history the risk score reads: completed sign-ins (known networks of a user) and
        // failed ones (per account, per network). `network` is the IPv4 address or the IPv6
        // /64; `account` is the SHA-256 of the lower-cased address typed, known or not.
        m.create_table(
            Table::create()
                .table(SignInAttempts::Table)
                .col(uuid(SignInAttempts::Id).primary_key())
                .col(uuid_null(SignInAttempts::UserId))
                .col(string(SignInAttempts::Account))
                .col(string(SignInAttempts::Network))
                .col(boolean(SignInAttempts::Succeeded))
                .col(timestamp_with_time_zone(SignInAttempts::OccurredAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(SignInAttempts::Table, SignInAttempts::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        for (name, column) in [
            ("ix_sign_in_attempts_user", SignInAttempts::UserId),
            ("ix_sign_in_attempts_network", SignInAttempts::Network),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(SignInAttempts::Table)
                    .col(column)
                    .col(SignInAttempts::OccurredAt)
                    .to_owned(),
            )
            .await?;
        }

        // Per-organization risk policy, one row per organization that changed a default.
        m.create_table(
            Table::create()
                .table(OrgRiskPolicies::Table)
                .col(uuid(OrgRiskPolicies::OrgId).primary_key())
                .col(boolean(OrgRiskPolicies::StepUpUntrustedDevices).default(false))
                .col(timestamp_with_time_zone(OrgRiskPolicies::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OrgRiskPolicies::Table, OrgRiskPolicies::OrgId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum TrustedDevices {
    Table,
    Id,
    UserId,
    TokenHash,
    Browser,
    LastIp,
    FirstSeenAt,
    LastSeenAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum SignInAttempts {
    Table,
    Id,
    UserId,
    Account,
    Network,
    Succeeded,
    OccurredAt,
}

#[derive(DeriveIden)]
enum OrgRiskPolicies {
    Table,
    OrgId,
    StepUpUntrustedDevices,
    UpdatedAt,
}
