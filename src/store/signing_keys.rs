use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryOrder,
};

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
