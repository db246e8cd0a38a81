use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Long-lived machine credentials (docs/service-tokens.md). The primary key is the
        // token's public id, the part of the secret a lookup uses; only SHA-256 hashes of
        // secrets are stored. During a rotation's overlap the previous hash stays valid until
        // `previous_valid_until`. Scopes and workspaces are JSON lists.
        m.create_table(
            Table::create()
                .table(ServiceTokens::Table)
                .col(string(ServiceTokens::Id).primary_key())
                .col(uuid_null(ServiceTokens::OrgId))
                .col(text(ServiceTokens::Scopes))
                .col(text(ServiceTokens::Workspaces))
                .col(string(ServiceTokens::SecretHash))
                .col(string_null(ServiceTokens::PreviousSecretHash))
                .col(timestamp_with_time_zone_null(
                    ServiceTokens::PreviousValidUntil,
                ))
                .col(timestamp_with_time_zone_null(ServiceTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(ServiceTokens::RevokedAt))
                .col(text_null(ServiceTokens::RevokedReason))
                .col(string(ServiceTokens::CreatedBy))
                .col(timestamp_with_time_zone(ServiceTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(ServiceTokens::RotatedAt))
                .col(timestamp_with_time_zone_null(ServiceTokens::LastUsedAt))
                .col(string_null(ServiceTokens::LastUsedIp))
                .foreign_key(
                    ForeignKey::create()
                        .from(ServiceTokens::Table, ServiceTokens::OrgId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_service_tokens_org")
                .table(ServiceTokens::Table)
                .col(ServiceTokens::OrgId)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum ServiceTokens {
    Table,
    Id,
    OrgId,
    Scopes,
    Workspaces,
    SecretHash,
    PreviousSecretHash,
    PreviousValidUntil,
    ExpiresAt,
    RevokedAt,
    RevokedReason,
    CreatedBy,
    CreatedAt,
    RotatedAt,
    LastUsedAt,
    LastUsedIp,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}
