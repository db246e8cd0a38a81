use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refresh_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub token_hash: String,
    pub family_id: Uuid,
    pub service_id: Uuid,
    pub user_id: Uuid,
    pub session_id: Option<Uuid>,
    /// The authorization code this family was issued from, if any.
    pub grant_id: Option<Uuid>,
    pub scope: String,
    pub auth_time: DateTimeUtc,
    pub amr: String,
    pub access_token_jti: Option<String>,
    pub access_token_expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// When the family's first token was issued: its absolute lifetime counts from here.
    pub family_created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Lists stored as JSON text (one column type on both backends), decoded here only.
impl Model {
    /// How the user signed in (RFC 8176 `amr` values).
    pub fn amr_list(&self) -> Vec<String> {
        crate::store::from_json_list(&self.amr)
    }
}
