//! Trusted devices: one row per browser a user completed a sign-in with.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

pub use super::entities::trusted_devices::Model as TrustedDevice;
use super::entities::trusted_devices::{self, Column, Entity as Devices};

pub struct NewDevice<'a> {
    pub user_id: Uuid,
    pub token_hash: String,
    pub browser: &'a str,
    pub ip: Option<String>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewDevice<'_>,
) -> Result<TrustedDevice, DbErr> {
    let now = super::now();
    trusted_devices::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(new.user_id),
        token_hash: Set(new.token_hash),
        browser: Set(new.browser.to_owned()),
        last_ip: Set(new.ip),
        first_seen_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
    }
    .insert(db)
    .await
}

/// The live device of this user with this token hash: another user's, a revoked or an expired
/// token finds nothing.
pub async fn find_live<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<TrustedDevice>, DbErr> {
    Devices::find()
        .filter(Column::TokenHash.eq(token_hash))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

pub async fn touch<C: ConnectionTrait>(db: &C, id: Uuid, ip: Option<String>) -> Result<(), DbErr> {
    Devices::update_many()
        .col_expr(Column::LastSeenAt, Expr::value(super::now()))
        .col_expr(Column::LastIp, Expr::value(ip))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The user's live devices, most recently used first.
pub async fn list_live<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Vec<TrustedDevice>, DbErr> {
    Devices::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .order_by_desc(Column::LastSeenAt)
        .all(db)
        .await
}

/// Revokes one of the user's devices; `false` when it is not theirs or already revoked.
pub async fn revoke<C: ConnectionTrait>(db: &C, user_id: Uuid, id: Uuid) -> Result<bool, DbErr> {
    let result = Devices::update_many()
        .col_expr(Column::RevokedAt, Expr::value(super::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn revoke_all_for_user<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<u64, DbErr> {
    let result = Devices::update_many()
        .col_expr(Column::RevokedAt, Expr::value(super::now()))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Housekeeping: rows that expired or were revoked before `before`.
pub async fn delete_ended<C: ConnectionTrait>(db: &C, before: DateTime<Utc>) -> Result<u64, DbErr> {
    use sea_orm::sea_query::Condition;
    let result = Devices::delete_many()
        .filter(
            Condition::any()
                .add(Column::ExpiresAt.lt(before))
                .add(Column::RevokedAt.lt(before)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
