use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oidc_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    /// Sealed with the master key, the slug as additional data.
    pub client_secret_sealed: String,
    /// JSON array of extra scopes (`openid email profile` are always asked).
    pub scopes: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Lists stored as JSON text (one column type on both backends), decoded here only.
impl Model {
    /// Extra scopes asked of the provider.
    pub fn scopes_list(&self) -> Vec<String> {
        crate::store::from_json_list(&self.scopes)
    }
}
