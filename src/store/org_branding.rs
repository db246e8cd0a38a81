//! An organization's branding (`org_branding`) and uploaded logo (`org_logos`).
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect,
    sea_query::OnConflict,
};
use uuid::Uuid;

pub use super::entities::org_branding::Model as OrgBranding;
use super::entities::org_branding::{self, Column, Entity as Brandings};
pub use super::entities::org_logos::Model as OrgLogo;
use super::entities::org_logos::{self, Entity as Logos};

pub async fn find<C: ConnectionTrait>(db: &C, org_id: Uuid) -> Result<Option<OrgBranding>, DbErr> {
    Brandings::find_by_id(org_id).one(db).await
}

/// Creates or replaces the organization's branding row.
pub async fn upsert<C: ConnectionTrait>(db: &C, row: OrgBranding) -> Result<(), DbErr> {
    Brandings::insert(org_branding::ActiveModel {
        org_id: Set(row.org_id),
        display_name: Set(row.display_name),
        logo_url: Set(row.logo_url),
        accent: Set(row.accent),
        support_url: Set(row.support_url),
        privacy_url: Set(row.privacy_url),
        terms_url: Set(row.terms_url),
        updated_at: Set(super::now()),
    })
    .on_conflict(
        OnConflict::column(Column::OrgId)
            .update_columns([
                Column::DisplayName,
                Column::LogoUrl,
                Column::Accent,
                Column::SupportUrl,
                Column::PrivacyUrl,
                Column::TermsUrl,
                Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The digest of the organization's uploaded logo, without loading its bytes.
pub async fn logo_digest<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
) -> Result<Option<String>, DbErr> {
    Logos::find_by_id(org_id)
        .select_only()
        .column(org_logos::Column::Sha256)
        .into_tuple::<String>()
        .one(db)
        .await
}

pub async fn logo<C: ConnectionTrait>(db: &C, org_id: Uuid) -> Result<Option<OrgLogo>, DbErr> {
    Logos::find_by_id(org_id).one(db).await
}

pub async fn put_logo<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    content_type: &str,
    sha256: &str,
    bytes: Vec<u8>,
) -> Result<(), DbErr> {
    Logos::insert(org_logos::ActiveModel {
        org_id: Set(org_id),
        content_type: Set(content_type.to_owned()),
        sha256: Set(sha256.to_owned()),
        bytes: Set(bytes),
        updated_at: Set(super::now()),
    })
    .on_conflict(
        OnConflict::column(org_logos::Column::OrgId)
            .update_columns([
                org_logos::Column::ContentType,
                org_logos::Column::Sha256,
                org_logos::Column::Bytes,
                org_logos::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn delete_logo<C: ConnectionTrait>(db: &C, org_id: Uuid) -> Result<(), DbErr> {
    Logos::delete_many()
        .filter(org_logos::Column::OrgId.eq(org_id))
        .exec(db)
        .await?;
    Ok(())
}
