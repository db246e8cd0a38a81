use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder, sea_query::Expr,
};

pub use super::entities::signing_keys::KeyStatus;
pub use super::entities::signing_keys::Model as SigningKey;
use super::entities::signing_keys::{self, Entity as SigningKeys};

pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<SigningKey>, DbErr> {
    SigningKeys::find()
        .order_by_asc(signing_keys::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn insert<C: ConnectionTrait>(db: &C, key: SigningKey) -> Result<SigningKey, DbErr> {
    signing_keys::ActiveModel {
        kid: Set(key.kid),
        alg: Set(key.alg),
        status: Set(key.status),
        private_key_sealed: Set(key.private_key_sealed),
        public_jwk: Set(key.public_jwk),
        created_at: Set(key.created_at),
        activates_at: Set(key.activates_at),
        retired_at: Set(key.retired_at),
        publish_until: Set(key.publish_until),
    }
    .insert(db)
    .await
}

pub async fn update<C: ConnectionTrait>(db: &C, key: &SigningKey) -> Result<(), DbErr> {
    signing_keys::ActiveModel::from(key.clone())
        .reset_all()
        .update(db)
        .await?;
    Ok(())
}

/// Moves a key from one status to another; `false` when another instance did it first.
pub async fn set_status<C: ConnectionTrait>(
    db: &C,
    kid: &str,
    from: KeyStatus,
    to: KeyStatus,
    publish_until: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<bool, DbErr> {
    let now = super::now();
    let mut update = SigningKeys::update_many()
        .col_expr(signing_keys::Column::Status, Expr::value(to))
        .filter(signing_keys::Column::Kid.eq(kid))
        .filter(signing_keys::Column::Status.eq(from));
    if to == KeyStatus::Retired {
        update = update
            .col_expr(signing_keys::Column::RetiredAt, Expr::value(now))
            .col_expr(
                signing_keys::Column::PublishUntil,
                Expr::value(publish_until),
            );
    }
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Stops publishing a retired key at `until` (now: a compromised key).
pub async fn set_publish_until<C: ConnectionTrait>(
    db: &C,
    kid: &str,
    until: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    SigningKeys::update_many()
        .col_expr(signing_keys::Column::PublishUntil, Expr::value(until))
        .filter(signing_keys::Column::Kid.eq(kid))
        .filter(signing_keys::Column::Status.eq(KeyStatus::Retired))
        .exec(db)
        .await?;
    Ok(())
}
