use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "service_tokens")]
pub struct Model {
    /// The public id: the part of the token that names it (not secret).
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// `None`: a platform-wide token.
    pub org_id: Option<Uuid>,
    /// JSON array of scope names.
    pub scopes: String,
    /// JSON array of workspace ids.
    pub workspaces: String,
    /// SHA-256 (base64url) of the whole token.
    pub secret_hash: String,
    /// The secret replaced by the last rotation, valid until `previous_valid_until`.
    pub previous_secret_hash: Option<String>,
    pub previous_valid_until: Option<DateTimeUtc>,
    pub expires_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_reason: Option<String>,
    /// The audit reference of the actor that created it (`cli`, `user:<id>`, …).
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub rotated_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub last_used_ip: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Lists stored as JSON text, decoded here only.
impl Model {
    pub fn scopes_list(&self) -> Vec<String> {
        crate::store::from_json_list(&self.scopes)
    }
    pub fn workspaces_list(&self) -> Vec<String> {
        crate::store::from_json_list(&self.workspaces)
    }
}
