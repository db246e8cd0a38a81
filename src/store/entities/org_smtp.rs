use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "org_smtp")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: Uuid,
    pub host: String,
    pub port: i32,
    /// `none`, `starttls` or `tls` (implicit TLS).
    pub tls_mode: String,
    pub username: Option<String>,
    /// Sealed with the master key, bound to the organization (`keys::MasterKey::seal`).
    pub password_sealed: Option<String>,
    pub from_address: String,
    pub from_name: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
