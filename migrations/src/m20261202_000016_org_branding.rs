use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // How an organization presents itself on its services' hosted pages and mail. One row
        // per organization; absent means the platform's branding.
        m.create_table(
            Table::create()
                .table(OrgBranding::Table)
                .col(uuid(OrgBranding::OrgId).primary_key())
                .col(string_null(OrgBranding::DisplayName))
                .col(string_null(OrgBranding::LogoUrl))
                .col(string_null(OrgBranding::Accent))
                .col(string_null(OrgBranding::SupportUrl))
                .col(string_null(OrgBranding::PrivacyUrl))
                .col(string_null(OrgBranding::TermsUrl))
                .col(timestamp_with_time_zone(OrgBranding::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OrgBranding::Table, OrgBranding::OrgId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // An uploaded logo, apart from the branding row so pages do not load its bytes; the
        // digest names its version in the page's URL.
        m.create_table(
            Table::create()
                .table(OrgLogos::Table)
                .col(uuid(OrgLogos::OrgId).primary_key())
                .col(string(OrgLogos::ContentType))
                .col(string(OrgLogos::Sha256))
                .col(blob(OrgLogos::Bytes))
                .col(timestamp_with_time_zone(OrgLogos::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OrgLogos::Table, OrgLogos::OrgId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum OrgBranding {
    Table,
    OrgId,
    DisplayName,
    LogoUrl,
    Accent,
    SupportUrl,
    PrivacyUrl,
    TermsUrl,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrgLogos {
    Table,
    OrgId,
    ContentType,
    Sha256,
    Bytes,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}
