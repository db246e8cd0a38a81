use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub ticket_hash: String,
    pub user_id: Uuid,
    /// `mfa` (second factor due), `email_code` (risk step-up by a mailed code) or `enrol`
    /// (policy requires setting one up first).
    pub purpose: String,
    /// JSON array: methods already used.
    pub amr: String,
    pub next_path: Option<String>,
    /// Set for JSON API tickets: the first-party client the tokens are for.
    pub client_id: Option<String>,
    pub failed_attempts: i32,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
    /// `email_code` tickets: the peppered SHA-256 of the code mailed for this sign-in.
    pub code_hash: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// Lists stored as JSON text (one column type on both backends), decoded here only.
impl Model {
    /// The methods of the first factor so far.
    pub fn amr_list(&self) -> Vec<String> {
        crate::store::from_json_list(&self.amr)
    }
}
