use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

pub use super::entities::authorization_requests::Model as AuthorizationRequestRow;
use super::entities::authorization_requests::{self, Column, Entity as Requests};

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    handle_hash: String,
    service_id: Uuid,
    params: String,
    expires_at: DateTime<Utc>,
) -> Result<AuthorizationRequestRow, DbErr> {
    authorization_requests::ActiveModel {
        id: Set(Uuid::new_v4()),
        handle_hash: Set(handle_hash),
        service_id: Set(service_id),
        params: Set(params),
        created_at: Set(super::now()),
        expires_at: Set(expires_at),
        completed_at: Set(None),
    }
    .insert(db)
    .await
}

/// A pending request that is neither completed nor expired.
pub async fn find_pending<C: ConnectionTrait>(
    db: &C,
    handle_hash: &str,
) -> Result<Option<AuthorizationRequestRow>, DbErr> {
    Requests::find()
        .filter(Column::HandleHash.eq(handle_hash))
        .filter(Column::CompletedAt.is_null())
        .filter(Column::ExpiresAt.gt(super::now()))
        .one(db)
        .await
}

/// Marks a request finished; `false` when another tab finished it first.
pub async fn complete<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<bool, DbErr> {
    let result = Requests::update_many()
        .col_expr(Column::CompletedAt, Expr::value(super::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::CompletedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
