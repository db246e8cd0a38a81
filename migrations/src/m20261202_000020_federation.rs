use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // Identities at upstream providers linked to local accounts. The subject is unique per
        // (provider, issuer): GitHub's numeric id, an OIDC `sub`, Microsoft's `oid` under `tid`.
        m.create_table(
            Table::create()
                .table(FederatedIdentities::Table)
                .col(uuid(FederatedIdentities::Id).primary_key())
                .col(uuid(FederatedIdentities::UserId))
                .col(string(FederatedIdentities::Provider))
                .col(string(FederatedIdentities::Issuer))
                .col(string(FederatedIdentities::Subject))
                .col(string_null(FederatedIdentities::Email))
                .col(boolean(FederatedIdentities::EmailVerified).default(false))
                .col(timestamp_with_time_zone(FederatedIdentities::CreatedAt))
                .col(timestamp_with_time_zone_null(
                    FederatedIdentities::LastUsedAt,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(FederatedIdentities::Table, FederatedIdentities::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_federated_identities_subject")
                .table(FederatedIdentities::Table)
                .col(FederatedIdentities::Provider)
                .col(FederatedIdentities::Issuer)
                .col(FederatedIdentities::Subject)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_federated_identities_user")
                .table(FederatedIdentities::Table)
                .col(FederatedIdentities::UserId)
                .to_owned(),
        )
        .await?;

        // Generic OIDC providers of the platform (`gatehouse provider add`); the secret is
        // sealed with the master key, bound to the slug.
        m.create_table(
            Table::create()
                .table(OidcProviders::Table)
                .col(uuid(OidcProviders::Id).primary_key())
                .col(string_uniq(OidcProviders::Slug))
                .col(string(OidcProviders::Name))
                .col(string(OidcProviders::Issuer))
                .col(string(OidcProviders::ClientId))
                .col(text(OidcProviders::ClientSecretSealed))
                .col(text(OidcProviders::Scopes))
                .col(timestamp_with_time_zone(OidcProviders::CreatedAt))
                .to_owned(),
        )
        .await?;

        // BYOO: an organization's own credentials (or a disabled provider), winning over the
        // platform's. One row per (org, provider).
        m.create_table(
            Table::create()
                .table(OrgProviders::Table)
                .col(uuid(OrgProviders::Id).primary_key())
                .col(uuid(OrgProviders::OrgId))
                .col(string(OrgProviders::Provider))
                .col(boolean(OrgProviders::Enabled).default(true))
                .col(string_null(OrgProviders::ClientId))
                .col(text_null(OrgProviders::ClientSecretSealed))
                .col(string_null(OrgProviders::BaseUrl))
                .col(string_null(OrgProviders::ApiBaseUrl))
                .col(string_null(OrgProviders::Issuer))
                .col(string_null(OrgProviders::Tenant))
                .col(boolean(OrgProviders::AutoLink).default(false))
                .col(timestamp_with_time_zone(OrgProviders::CreatedAt))
                .col(timestamp_with_time_zone(OrgProviders::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OrgProviders::Table, OrgProviders::OrgId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_org_providers_org_provider")
                .table(OrgProviders::Table)
                .col(OrgProviders::OrgId)
                .col(OrgProviders::Provider)
                .unique()
                .to_owned(),
        )
        .await?;

        // Server-side half of an upstream sign-in: the state's hash, single use, 10 minutes.
        // The browser half (state, nonce, PKCE verifier) is in the encrypted session cookie.
        // A row of kind `link` holds an upstream identity waiting for the account owner to
        // sign in and confirm the link.
        m.create_table(
            Table::create()
                .table(FederationStates::Table)
                .col(uuid(FederationStates::Id).primary_key())
                .col(string_uniq(FederationStates::StateHash))
                .col(string(FederationStates::Kind))
                .col(string(FederationStates::Provider))
                .col(uuid_null(FederationStates::OrgId))
                .col(uuid_null(FederationStates::UserId))
                .col(text_null(FederationStates::Identity))
                .col(timestamp_with_time_zone(FederationStates::CreatedAt))
                .col(timestamp_with_time_zone(FederationStates::ExpiresAt))
                .col(timestamp_with_time_zone_null(FederationStates::UsedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_federation_states_expires")
                .table(FederationStates::Table)
                .col(FederationStates::ExpiresAt)
                .to_owned(),
        )
        .await?;

        // Platform owners may sign in to the admin console through a provider.
        m.alter_table(
            Table::alter()
                .table(Users::Table)
                .add_column(boolean(Users::IsPlatformOwner).default(false))
                .to_owned(),
        )
        .await
    }
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    IsPlatformOwner,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum FederatedIdentities {
    Table,
    Id,
    UserId,
    Provider,
    Issuer,
    Subject,
    Email,
    EmailVerified,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum OidcProviders {
    Table,
    Id,
    Slug,
    Name,
    Issuer,
    ClientId,
    ClientSecretSealed,
    Scopes,
    CreatedAt,
}

#[derive(DeriveIden)]
enum OrgProviders {
    Table,
    Id,
    OrgId,
    Provider,
    Enabled,
    ClientId,
    ClientSecretSealed,
    BaseUrl,
    ApiBaseUrl,
    Issuer,
    Tenant,
    AutoLink,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum FederationStates {
    Table,
    Id,
    StateHash,
    Kind,
    Provider,
    OrgId,
    UserId,
    Identity,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}
