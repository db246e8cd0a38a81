use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr,
};
use uuid::Uuid;

pub use super::entities::authorization_codes::Model as AuthorizationCode;
use super::entities::authorization_codes::{self, Column, Entity as Codes};

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    code: AuthorizationCode,
) -> Result<AuthorizationCode, DbErr> {
    authorization_codes::ActiveModel::from(code)
        .insert(db)
        .await
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    code_hash: &str,
) -> Result<Option<AuthorizationCode>, DbErr> {
    Codes::find()
        .filter(Column::CodeHash.eq(code_hash))
        .one(db)
        .await
}

/// Single use: `true` only for the one caller that marks the unexpired code used.
pub async fn consume<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Codes::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Remembers the access token issued from a code, so a replay of the code can revoke it.
pub async fn record_access_token<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    jti: &str,
    expires_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    Codes::update_many()
        .col_expr(Column::AccessTokenJti, Expr::value(jti))
        .col_expr(Column::AccessTokenExpiresAt, Expr::value(expires_at))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}
