use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "federated_identities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    /// `github`, `google`, `microsoft` or a generic provider's slug.
    pub provider: String,
    /// The upstream issuer (for Microsoft the tenant's issuer, for GitHub its base URL).
    pub issuer: String,
    pub subject: String,
    /// The email the provider reported at the last sign-in, and whether it vouched for it.
    pub email: Option<String>,
    pub email_verified: bool,
    pub created_at: DateTimeUtc,
    pub last_used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
