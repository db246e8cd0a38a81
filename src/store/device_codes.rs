//! RFC 8628 device authorizations. Every state change is one conditional `UPDATE` whose
//! `rows_affected` says whether this caller won.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr, sea_query::ExprTrait,
};
use uuid::Uuid;

pub use super::entities::device_codes::DeviceStatus;
pub use super::entities::device_codes::Model as DeviceCode;
use super::entities::device_codes::{self, Column, Entity as DeviceCodes};

pub async fn insert<C: ConnectionTrait>(db: &C, code: DeviceCode) -> Result<DeviceCode, DbErr> {
    device_codes::ActiveModel::from(code).insert(db).await
}

pub async fn find_by_hash<C: ConnectionTrait>(
    db: &C,
    device_code_hash: &str,
) -> Result<Option<DeviceCode>, DbErr> {
    DeviceCodes::find()
        .filter(Column::DeviceCodeHash.eq(device_code_hash))
        .one(db)
        .await
}

/// `user_code` normalized (8 letters, no dash).
pub async fn find_by_user_code<C: ConnectionTrait>(
    db: &C,
    user_code: &str,
) -> Result<Option<DeviceCode>, DbErr> {
    DeviceCodes::find()
        .filter(Column::UserCode.eq(user_code))
        .one(db)
        .await
}

/// Records a poll of a pending code, compare-and-swap on the previous poll time: `false` when a
/// concurrent poll got there first (the caller answers `slow_down`).
pub async fn record_poll<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    previous: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = DeviceCodes::update_many()
        .col_expr(Column::LastPolledAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(DeviceStatus::Pending));
    update = match previous {
        Some(previous) => update.filter(Column::LastPolledAt.eq(previous)),
        None => update.filter(Column::LastPolledAt.is_null()),
    };
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// RFC 8628 §3.5 `slow_down`: the interval grows by `step_secs` for this and every later poll.
pub async fn slow_down<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    step_secs: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    DeviceCodes::update_many()
        .col_expr(
            Column::IntervalSecs,
            Expr::col(Column::IntervalSecs).add(step_secs),
        )
        .col_expr(Column::LastPolledAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The signed-in user who approved a code.
pub struct Approval {
    pub user_id: Uuid,
    pub session_id: Uuid,
    pub auth_time: DateTime<Utc>,
    /// JSON array.
    pub amr: String,
}

/// pending → approved, once, before expiry.
pub async fn approve<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    approval: Approval,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = DeviceCodes::update_many()
        .col_expr(Column::Status, Expr::value(DeviceStatus::Approved))
        .col_expr(Column::UserId, Expr::value(approval.user_id))
        .col_expr(Column::SessionId, Expr::value(approval.session_id))
        .col_expr(Column::AuthTime, Expr::value(approval.auth_time))
        .col_expr(Column::Amr, Expr::value(approval.amr))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(DeviceStatus::Pending))
        .filter(Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// pending → denied, once, before expiry; the denying user is kept for the record.
pub async fn deny<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = DeviceCodes::update_many()
        .col_expr(Column::Status, Expr::value(DeviceStatus::Denied))
        .col_expr(Column::UserId, Expr::value(user_id))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(DeviceStatus::Pending))
        .filter(Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Single use: approved → consumed; `true` only for the one caller that wins, before expiry.
pub async fn consume<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = DeviceCodes::update_many()
        .col_expr(Column::Status, Expr::value(DeviceStatus::Consumed))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(DeviceStatus::Approved))
        .filter(Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// pending/approved → expired; `true` for the one caller that records the expiry.
pub async fn expire<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<bool, DbErr> {
    let result = DeviceCodes::update_many()
        .col_expr(Column::Status, Expr::value(DeviceStatus::Expired))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in([DeviceStatus::Pending, DeviceStatus::Approved]))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Deletes codes that expired before `before`, freeing their user codes.
pub async fn delete_expired<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = DeviceCodes::delete_many()
        .filter(Column::ExpiresAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
