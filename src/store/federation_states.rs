//! The server-side half of an upstream sign-in: single use, short-lived.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr,
};
use uuid::Uuid;

pub use super::entities::federation_states::Model as FederationState;
use super::entities::federation_states::{self, Column, Entity as States};

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    row: FederationState,
) -> Result<FederationState, DbErr> {
    federation_states::ActiveModel::from(row).insert(db).await
}

/// Uses up a live state of this kind and provider in one conditional `UPDATE`, so a state
/// works once even under concurrent callbacks. The row when it was live.
pub async fn consume<C: ConnectionTrait>(
    db: &C,
    state_hash: &str,
    kind: &str,
    provider: &str,
    now: DateTime<Utc>,
) -> Result<Option<FederationState>, DbErr> {
    let result = States::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::StateHash.eq(state_hash))
        .filter(Column::Kind.eq(kind))
        .filter(Column::Provider.eq(provider))
        .filter(Column::UsedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    States::find()
        .filter(Column::StateHash.eq(state_hash))
        .one(db)
        .await
}

/// A live row of `kind` without using it up (the link confirmation page shows it first).
pub async fn find_live<C: ConnectionTrait>(
    db: &C,
    state_hash: &str,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<Option<FederationState>, DbErr> {
    States::find()
        .filter(Column::StateHash.eq(state_hash))
        .filter(Column::Kind.eq(kind))
        .filter(Column::UsedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

/// Ends a row once; `false` when it was already used.
pub async fn mark_used<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<bool, DbErr> {
    let result = States::update_many()
        .col_expr(Column::UsedAt, Expr::value(super::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Housekeeping: rows past their expiry are of no use.
pub async fn delete_expired<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = States::delete_many()
        .filter(Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
