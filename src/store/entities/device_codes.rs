use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_codes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub device_code_hash: String,
    /// Normalized: 8 letters, no dash.
    #[sea_orm(unique)]
    pub user_code: String,
    pub service_id: Uuid,
    pub scope: String,
    pub status: DeviceStatus,
    pub user_id: Option<Uuid>,
    pub session_id: Option<Uuid>,
    pub auth_time: Option<DateTimeUtc>,
    /// JSON array of the approving session's methods.
    pub amr: Option<String>,
    pub interval_secs: i32,
    pub last_polled_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

/// Where a device authorization stands. `Expired` is written once, by whoever first sees the
/// code past `expires_at`, so the expiry is audited once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DeviceStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "denied")]
    Denied,
    #[sea_orm(string_value = "consumed")]
    Consumed,
    #[sea_orm(string_value = "expired")]
    Expired,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The approving session's methods (none before approval).
    pub fn amr_list(&self) -> Vec<String> {
        self.amr
            .as_deref()
            .map(crate::store::from_json_list)
            .unwrap_or_default()
    }
}
