use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "federation_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub state_hash: String,
    /// `signin`, `admin`, `link` (a signed-in user adding a provider) or `pending_link` (an
    /// upstream identity waiting for the owner of the matching account).
    pub kind: String,
    pub provider: String,
    pub org_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    /// JSON of the upstream identity, for `pending_link`.
    pub identity: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub used_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
