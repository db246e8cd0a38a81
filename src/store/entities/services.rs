use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub org_id: Uuid,
    pub slug: String,
    pub name: String,
    #[sea_orm(unique)]
    pub client_id: String,
    pub client_secret_hash: Option<String>,
    pub confidential: bool,
    /// JSON array of strings.
    pub redirect_uris: String,
    pub post_logout_redirect_uris: String,
    pub grant_types: String,
    pub allowed_scopes: String,
    pub audience: Option<String>,
    pub access_token_ttl_secs: i32,
    pub id_token_ttl_secs: i32,
    pub refresh_token_ttl_secs: i32,
    pub first_party: bool,
    pub require_pkce: bool,
    pub signing_alg: String,
    pub device_activation_uri: Option<String>,
    /// Opt-in: the JSON API (`POST /api/auth/login`) may sign users in with a password.
    pub allow_password_api: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
