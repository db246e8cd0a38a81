//! BYOO: an organization's own provider credentials (or a provider it turned off).
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::OnConflict,
};
use uuid::Uuid;

pub use super::entities::org_providers::Model as OrgProvider;
use super::entities::org_providers::{self, Column, Entity as OrgProviders};

pub struct OrgProviderSpec {
    pub org_id: Uuid,
    pub provider: String,
    pub enabled: bool,
    pub client_id: Option<String>,
    pub client_secret_sealed: Option<String>,
    pub base_url: Option<String>,
    pub api_base_url: Option<String>,
    pub issuer: Option<String>,
    pub tenant: Option<String>,
    pub auto_link: bool,
}

/// Creates or replaces the organization's settings for one provider.
pub async fn upsert<C: ConnectionTrait>(db: &C, spec: OrgProviderSpec) -> Result<(), DbErr> {
    let now = super::now();
    OrgProviders::insert(org_providers::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(spec.org_id),
        provider: Set(spec.provider),
        enabled: Set(spec.enabled),
        client_id: Set(spec.client_id),
        client_secret_sealed: Set(spec.client_secret_sealed),
        base_url: Set(spec.base_url),
        api_base_url: Set(spec.api_base_url),
        issuer: Set(spec.issuer),
        tenant: Set(spec.tenant),
        auto_link: Set(spec.auto_link),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([Column::OrgId, Column::Provider])
            .update_columns([
                Column::Enabled,
                Column::ClientId,
                Column::ClientSecretSealed,
                Column::BaseUrl,
                Column::ApiBaseUrl,
                Column::Issuer,
                Column::Tenant,
                Column::AutoLink,
                Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    provider: &str,
) -> Result<Option<OrgProvider>, DbErr> {
    OrgProviders::find()
        .filter(Column::OrgId.eq(org_id))
        .filter(Column::Provider.eq(provider))
        .one(db)
        .await
}

pub async fn list<C: ConnectionTrait>(db: &C, org_id: Uuid) -> Result<Vec<OrgProvider>, DbErr> {
    OrgProviders::find()
        .filter(Column::OrgId.eq(org_id))
        .order_by_asc(Column::Provider)
        .all(db)
        .await
}

pub async fn delete<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    provider: &str,
) -> Result<bool, DbErr> {
    let result = OrgProviders::delete_many()
        .filter(Column::OrgId.eq(org_id))
        .filter(Column::Provider.eq(provider))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
