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
    /// JSON array of provider slugs the service offers; empty: all of its organization's.
    pub allowed_providers: String,
    /// Opt-in (first-party only): a provider sign-in started with `redirect_uri` ends with the
    /// tokens in that URI's query (the seed's direct form).
    pub token_redirect: bool,
    /// The secret before the last rotation, accepted until `previous_secret_expires_at`.
    pub previous_client_secret_hash: Option<String>,
    pub previous_secret_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Lists stored as JSON text (one column type on both backends), decoded here only.
impl Model {
    /// Registered redirect URIs.
    pub fn redirect_uris_list(&self) -> Vec<String> {
        crate::store::from_json_list(&self.redirect_uris)
    }
    /// Registered post-logout redirect URIs.
    pub fn post_logout_redirect_uris_list(&self) -> Vec<String> {
        crate::store::from_json_list(&self.post_logout_redirect_uris)
    }
    /// Allowed grant names.
    pub fn grant_types_list(&self) -> Vec<String> {
        crate::store::from_json_list(&self.grant_types)
    }
    /// Scopes the service may ask for.
    pub fn allowed_scopes_list(&self) -> Vec<String> {
        crate::store::from_json_list(&self.allowed_scopes)
    }
    /// Provider slugs the service offers (empty: every provider of its organization).
    pub fn allowed_providers_list(&self) -> Vec<String> {
        crate::store::from_json_list(&self.allowed_providers)
    }
    /// Does the service offer the provider `slug`?
    pub fn offers_provider(&self, slug: &str) -> bool {
        let allowed = self.allowed_providers_list();
        allowed.is_empty() || allowed.iter().any(|p| p == slug)
    }
}
