use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

pub use super::entities::webauthn_ceremonies::Model as Ceremony;
use super::entities::webauthn_ceremonies::{self, Column, Entity as Ceremonies};

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    user_id: Option<Uuid>,
    state: String,
    expires_at: DateTime<Utc>,
) -> Result<Ceremony, DbErr> {
    webauthn_ceremonies::ActiveModel {
        id: Set(Uuid::new_v4()),
        kind: Set(kind.to_owned()),
        user_id: Set(user_id),
        state: Set(state),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(db)
    .await
}

pub async fn find<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<Ceremony>, DbErr> {
    Ceremonies::find_by_id(id).one(db).await
}

/// Uses a ceremony up, once: `false` when it was already used or has expired meanwhile.
pub async fn consume<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = Ceremonies::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Housekeeping: drops ceremonies that expired before `before`.
pub async fn delete_expired<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Ok(Ceremonies::delete_many()
        .filter(Column::ExpiresAt.lt(before))
        .exec(db)
        .await?
        .rows_affected)
}
