use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Pending /authorize requests, kept server-side while the user signs in or consents.
        m.create_table(
            Table::create()
                .table(AuthorizationRequests::Table)
                .col(uuid(AuthorizationRequests::Id).primary_key())
                .col(string_uniq(AuthorizationRequests::HandleHash))
                .col(uuid(AuthorizationRequests::ServiceId))
                .col(text(AuthorizationRequests::Params))
                .col(timestamp_with_time_zone(AuthorizationRequests::CreatedAt))
                .col(timestamp_with_time_zone(AuthorizationRequests::ExpiresAt))
                .col(timestamp_with_time_zone_null(
                    AuthorizationRequests::CompletedAt,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(
                            AuthorizationRequests::Table,
                            AuthorizationRequests::ServiceId,
                        )
                        .to(Services::Table, Services::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuthorizationCodes::Table)
                .col(uuid(AuthorizationCodes::Id).primary_key())
                .col(string_uniq(AuthorizationCodes::CodeHash))
                .col(uuid(AuthorizationCodes::ServiceId))
                .col(uuid(AuthorizationCodes::UserId))
                .col(uuid_null(AuthorizationCodes::SessionId))
                .col(text(AuthorizationCodes::RedirectUri))
                .col(text(AuthorizationCodes::Scope))
                .col(text_null(AuthorizationCodes::Nonce))
                .col(string_null(AuthorizationCodes::CodeChallenge))
                .col(timestamp_with_time_zone(AuthorizationCodes::AuthTime))
                .col(text(AuthorizationCodes::Amr))
                .col(string_null(AuthorizationCodes::AccessTokenJti))
                .col(timestamp_with_time_zone_null(
                    AuthorizationCodes::AccessTokenExpiresAt,
                ))
                .col(timestamp_with_time_zone(AuthorizationCodes::CreatedAt))
                .col(timestamp_with_time_zone(AuthorizationCodes::ExpiresAt))
                .col(timestamp_with_time_zone_null(AuthorizationCodes::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(AuthorizationCodes::Table, AuthorizationCodes::ServiceId)
                        .to(Services::Table, Services::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(AuthorizationCodes::Table, AuthorizationCodes::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;

        // Single-use refresh tokens; every rotation stays in its family so reuse revokes it all.
        m.create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(uuid(RefreshTokens::Id).primary_key())
                .col(string_uniq(RefreshTokens::TokenHash))
                .col(uuid(RefreshTokens::FamilyId))
                .col(uuid(RefreshTokens::ServiceId))
                .col(uuid(RefreshTokens::UserId))
                .col(uuid_null(RefreshTokens::SessionId))
                .col(uuid_null(RefreshTokens::GrantId))
                .col(text(RefreshTokens::Scope))
                .col(timestamp_with_time_zone(RefreshTokens::AuthTime))
                .col(text(RefreshTokens::Amr))
                .col(string_null(RefreshTokens::AccessTokenJti))
                .col(timestamp_with_time_zone_null(
                    RefreshTokens::AccessTokenExpiresAt,
                ))
                .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(RefreshTokens::Table, RefreshTokens::ServiceId)
                        .to(Services::Table, Services::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(RefreshTokens::Table, RefreshTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        for (name, column) in [
            ("ix_refresh_tokens_family", RefreshTokens::FamilyId),
            ("ix_refresh_tokens_grant", RefreshTokens::GrantId),
            ("ix_refresh_tokens_session", RefreshTokens::SessionId),
            ("ix_refresh_tokens_user", RefreshTokens::UserId),
        ] {
            m.create_index(
                Index::create()
                    .name(name)
                    .table(RefreshTokens::Table)
                    .col(column)
                    .to_owned(),
            )
            .await?;
        }

        // Revoked access tokens (by jti) until they would have expired anyway.
        m.create_table(
            Table::create()
                .table(RevokedTokens::Table)
                .col(string(RevokedTokens::Jti).primary_key())
                .col(timestamp_with_time_zone(RevokedTokens::ExpiresAt))
                .col(timestamp_with_time_zone(RevokedTokens::RevokedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Consents::Table)
                .col(uuid(Consents::Id).primary_key())
                .col(uuid(Consents::UserId))
                .col(uuid(Consents::ServiceId))
                .col(text(Consents::Scopes))
                .col(timestamp_with_time_zone(Consents::CreatedAt))
                .col(timestamp_with_time_zone(Consents::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Consents::Table, Consents::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Consents::Table, Consents::ServiceId)
                        .to(Services::Table, Services::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_consents_user_service")
                .table(Consents::Table)
                .col(Consents::UserId)
                .col(Consents::ServiceId)
                .unique()
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
enum AuthorizationRequests {
    Table,
    Id,
    HandleHash,
    ServiceId,
    Params,
    CreatedAt,
    ExpiresAt,
    CompletedAt,
}

#[derive(DeriveIden)]
enum AuthorizationCodes {
    Table,
    Id,
    CodeHash,
    ServiceId,
    UserId,
    SessionId,
    RedirectUri,
    Scope,
    Nonce,
    CodeChallenge,
    AuthTime,
    Amr,
    AccessTokenJti,
    AccessTokenExpiresAt,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum RefreshTokens {
    Table,
    Id,
    TokenHash,
    FamilyId,
    ServiceId,
    UserId,
    SessionId,
    GrantId,
    Scope,
    AuthTime,
    Amr,
    AccessTokenJti,
    AccessTokenExpiresAt,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum RevokedTokens {
    Table,
    Jti,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Consents {
    Table,
    Id,
    UserId,
    ServiceId,
    Scopes,
    CreatedAt,
    UpdatedAt,
}
