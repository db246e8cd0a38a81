use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // WebAuthn credentials: the webauthn-rs `Passkey` as JSON, its signature counter kept
        // in a column too so a regression can be refused with one conditional UPDATE.
        m.create_table(
            Table::create()
                .table(Passkeys::Table)
                .col(uuid(Passkeys::Id).primary_key())
                .col(uuid(Passkeys::UserId))
                .col(string(Passkeys::Name))
                .col(string_uniq(Passkeys::CredentialId))
                .col(text(Passkeys::Passkey))
                .col(big_integer(Passkeys::Counter).default(0))
                .col(timestamp_with_time_zone(Passkeys::CreatedAt))
                .col(timestamp_with_time_zone_null(Passkeys::LastUsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Passkeys::Table, Passkeys::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_passkeys_user")
                .table(Passkeys::Table)
                .col(Passkeys::UserId)
                .to_owned(),
        )
        .await?;

        // Registration and authentication ceremonies in progress: server-side state, five
        // minutes, single use.
        m.create_table(
            Table::create()
                .table(WebauthnCeremonies::Table)
                .col(uuid(WebauthnCeremonies::Id).primary_key())
                .col(string(WebauthnCeremonies::Kind))
                .col(uuid_null(WebauthnCeremonies::UserId))
                .col(text(WebauthnCeremonies::State))
                .col(timestamp_with_time_zone(WebauthnCeremonies::ExpiresAt))
                .col(timestamp_with_time_zone_null(WebauthnCeremonies::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(WebauthnCeremonies::Table, WebauthnCeremonies::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_webauthn_ceremonies_expires")
                .table(WebauthnCeremonies::Table)
                .col(WebauthnCeremonies::ExpiresAt)
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
enum Passkeys {
    Table,
    Id,
    UserId,
    Name,
    CredentialId,
    Passkey,
    Counter,
    CreatedAt,
    LastUsedAt,
}

#[derive(DeriveIden)]
enum WebauthnCeremonies {
    Table,
    Id,
    Kind,
    UserId,
    State,
    ExpiresAt,
    UsedAt,
}
