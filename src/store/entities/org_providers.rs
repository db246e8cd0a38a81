use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub provider: String,
    /// `false`: the organization does not offer this provider at all.
    pub enabled: bool,
    pub client_id: Option<String>,
    /// Sealed with the master key, bound to (org id, provider).
    pub client_secret_sealed: Option<String>,
    pub base_url: Option<String>,
    pub api_base_url: Option<String>,
    pub issuer: Option<String>,
    pub tenant: Option<String>,
    /// Link an upstream identity to the one local account with the same verified email.
    pub auto_link: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
