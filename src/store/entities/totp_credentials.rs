use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "totp_credentials")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// The raw secret sealed with the master key (AAD = user id).
    pub secret_sealed: String,
    pub last_used_step: Option<i64>,
    pub created_at: DateTimeUtc,
    pub enabled_at: Option<DateTimeUtc>,
    /// While pending: the sign-in (`session:<id>` or `ticket:<id>`) that started the enrolment.
    pub pending_owner: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
