use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    pub status: super::users::AccountStatus,
    pub branding: Option<String>,
    pub mfa_required: bool,
    /// Set by platform owners; carried in its users' tokens as `plan`.
    pub plan: Option<String>,
    /// JSON array of feature names (`features` claim).
    pub features: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn is_active(&self) -> bool {
        self.status == super::users::AccountStatus::Active
    }
}
