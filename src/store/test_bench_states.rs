//! The console test bench's pending sign-ins: single use, short-lived, bound to a session.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr,
};
use uuid::Uuid;

pub use super::entities::test_bench_states::Model as TestBenchState;
use super::entities::test_bench_states::{self, Column, Entity as States};

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    row: TestBenchState,
) -> Result<TestBenchState, DbErr> {
    test_bench_states::ActiveModel::from(row).insert(db).await
}

/// Uses up the live attempt of `state_hash` started by `session_id`, in one conditional
/// `UPDATE`: a state works once, and only in the browser session that created it.
pub async fn consume<C: ConnectionTrait>(
    db: &C,
    state_hash: &str,
    session_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<TestBenchState>, DbErr> {
    let result = States::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::StateHash.eq(state_hash))
        .filter(Column::SessionId.eq(session_id))
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

/// Housekeeping: rows past their expiry are of no use.
pub async fn delete_expired<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let result = States::delete_many()
        .filter(Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
