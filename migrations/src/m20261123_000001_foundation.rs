use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(InstanceMeta::Table)
                .col(string(InstanceMeta::Key).primary_key())
                .col(text(InstanceMeta::Value))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Organizations::Table)
                .col(uuid(Organizations::Id).primary_key())
                .col(string_uniq(Organizations::Slug))
                .col(string(Organizations::Name))
                .col(string(Organizations::Status))
                .col(text_null(Organizations::Branding))
                .col(boolean(Organizations::MfaRequired).default(false))
                .col(timestamp_with_time_zone(Organizations::CreatedAt))
                .col(timestamp_with_time_zone(Organizations::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Services::Table)
                .col(uuid(Services::Id).primary_key())
                .col(uuid(Services::OrgId))
                .col(string(Services::Slug))
                .col(string(Services::Name))
                .col(string_uniq(Services::ClientId))
                .col(string_null(Services::ClientSecretHash))
                .col(boolean(Services::Confidential))
                .col(text(Services::RedirectUris))
                .col(text(Services::PostLogoutRedirectUris))
                .col(text(Services::GrantTypes))
                .col(text(Services::AllowedScopes))
                .col(string_null(Services::Audience))
                .col(integer(Services::AccessTokenTtlSecs))
                .col(integer(Services::IdTokenTtlSecs))
                .col(integer(Services::RefreshTokenTtlSecs))
                .col(boolean(Services::FirstParty))
                .col(boolean(Services::RequirePkce))
                .col(string(Services::SigningAlg))
                .col(string_null(Services::DeviceActivationUri))
                .col(timestamp_with_time_zone(Services::CreatedAt))
                .col(timestamp_with_time_zone(Services::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Services::Table, Services::OrgId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_services_org_slug")
                .table(Services::Table)
                .col(Services::OrgId)
                .col(Services::Slug)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(uuid(Users::Id).primary_key())
                .col(string(Users::Email))
                // Lower-cased copy: uniqueness and look-ups are case-insensitive on both backends.
                .col(string_uniq(Users::EmailNormalized))
                .col(boolean(Users::EmailVerified))
                .col(string_null(Users::PasswordHash))
                .col(string_null(Users::Name))
                .col(string(Users::Status))
                .col(string_null(Users::LastLoginMethod))
                .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Memberships::Table)
                .col(uuid(Memberships::Id).primary_key())
                .col(uuid(Memberships::OrgId))
                .col(uuid(Memberships::UserId))
                .col(text(Memberships::Roles))
                .col(timestamp_with_time_zone(Memberships::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Memberships::Table, Memberships::OrgId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Memberships::Table, Memberships::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_memberships_org_user")
                .table(Memberships::Table)
                .col(Memberships::OrgId)
                .col(Memberships::UserId)
                .unique()
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(BrowserSessions::Table)
                .col(uuid(BrowserSessions::Id).primary_key())
                .col(string_uniq(BrowserSessions::TokenHash))
                .col(uuid(BrowserSessions::UserId))
                .col(timestamp_with_time_zone(BrowserSessions::AuthTime))
                .col(text(BrowserSessions::Amr))
                .col(string_null(BrowserSessions::Ip))
                .col(string_null(BrowserSessions::UserAgent))
                .col(timestamp_with_time_zone(BrowserSessions::CreatedAt))
                .col(timestamp_with_time_zone(BrowserSessions::LastSeenAt))
                .col(timestamp_with_time_zone(BrowserSessions::ExpiresAt))
                .col(timestamp_with_time_zone_null(BrowserSessions::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(BrowserSessions::Table, BrowserSessions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_browser_sessions_user")
                .table(BrowserSessions::Table)
                .col(BrowserSessions::UserId)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(OneTimeTokens::Table)
                .col(uuid(OneTimeTokens::Id).primary_key())
                .col(string_uniq(OneTimeTokens::TokenHash))
                .col(string(OneTimeTokens::Purpose))
                .col(uuid_null(OneTimeTokens::UserId))
                .col(string_null(OneTimeTokens::Email))
                .col(timestamp_with_time_zone(OneTimeTokens::CreatedAt))
                .col(timestamp_with_time_zone(OneTimeTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(OneTimeTokens::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OneTimeTokens::Table, OneTimeTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_one_time_tokens_user_purpose")
                .table(OneTimeTokens::Table)
                .col(OneTimeTokens::UserId)
                .col(OneTimeTokens::Purpose)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(SigningKeys::Table)
                .col(string(SigningKeys::Kid).primary_key())
                .col(string(SigningKeys::Alg))
                .col(string(SigningKeys::Status))
                .col(text(SigningKeys::PrivateKeySealed))
                .col(text(SigningKeys::PublicJwk))
                .col(timestamp_with_time_zone(SigningKeys::CreatedAt))
                .col(timestamp_with_time_zone_null(SigningKeys::ActivatesAt))
                .col(timestamp_with_time_zone_null(SigningKeys::RetiredAt))
                .col(timestamp_with_time_zone_null(SigningKeys::PublishUntil))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(MailOutbox::Table)
                .col(uuid(MailOutbox::Id).primary_key())
                .col(string(MailOutbox::Recipient))
                .col(string(MailOutbox::Subject))
                .col(text(MailOutbox::BodyText))
                .col(text(MailOutbox::BodyHtml))
                .col(string(MailOutbox::Status))
                .col(integer(MailOutbox::Attempts).default(0))
                .col(timestamp_with_time_zone(MailOutbox::NextAttemptAt))
                .col(timestamp_with_time_zone_null(MailOutbox::LockedUntil))
                .col(text_null(MailOutbox::LastError))
                .col(timestamp_with_time_zone(MailOutbox::CreatedAt))
                .col(timestamp_with_time_zone_null(MailOutbox::SentAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_mail_outbox_due")
                .table(MailOutbox::Table)
                .col(MailOutbox::Status)
                .col(MailOutbox::NextAttemptAt)
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(uuid(AuditEvents::Id).primary_key())
                .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                .col(string_null(AuditEvents::Actor))
                .col(string(AuditEvents::Action))
                .col(string_null(AuditEvents::Target))
                .col(uuid_null(AuditEvents::OrgId))
                .col(string_null(AuditEvents::Ip))
                .col(string_null(AuditEvents::UserAgent))
                .col(string(AuditEvents::Outcome))
                .col(text_null(AuditEvents::Details))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_events_occurred_at")
                .table(AuditEvents::Table)
                .col(AuditEvents::OccurredAt)
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum InstanceMeta {
    Table,
    Key,
    Value,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Slug,
    Name,
    Status,
    Branding,
    MfaRequired,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Services {
    Table,
    Id,
    OrgId,
    Slug,
    Name,
    ClientId,
    ClientSecretHash,
    Confidential,
    RedirectUris,
    PostLogoutRedirectUris,
    GrantTypes,
    AllowedScopes,
    Audience,
    AccessTokenTtlSecs,
    IdTokenTtlSecs,
    RefreshTokenTtlSecs,
    FirstParty,
    RequirePkce,
    SigningAlg,
    DeviceActivationUri,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    EmailNormalized,
    EmailVerified,
    PasswordHash,
    Name,
    Status,
    LastLoginMethod,
    LastLoginAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    Id,
    OrgId,
    UserId,
    Roles,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BrowserSessions {
    Table,
    Id,
    TokenHash,
    UserId,
    AuthTime,
    Amr,
    Ip,
    UserAgent,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum OneTimeTokens {
    Table,
    Id,
    TokenHash,
    Purpose,
    UserId,
    Email,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum SigningKeys {
    Table,
    Kid,
    Alg,
    Status,
    PrivateKeySealed,
    PublicJwk,
    CreatedAt,
    ActivatesAt,
    RetiredAt,
    PublishUntil,
}

#[derive(DeriveIden)]
enum MailOutbox {
    Table,
    Id,
    Recipient,
    Subject,
    BodyText,
    BodyHtml,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OccurredAt,
    Actor,
    Action,
    Target,
    OrgId,
    Ip,
    UserAgent,
    Outcome,
    Details,
}
