//! The first-run setup link: the SHA-256 of its token in `instance_meta`, one row at most.
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

use super::entities::instance_meta::{self, Entity as Meta};
use super::entities::users::{self, Entity as Users};

const KEY: &str = "setup_link_token_hash";

/// Makes `token_hash` the only valid setup token (a link printed earlier stops working).
pub async fn replace<C: ConnectionTrait>(db: &C, token_hash: &str) -> Result<(), DbErr> {
    Meta::insert(instance_meta::ActiveModel {
        key: Set(KEY.to_owned()),
        value: Set(token_hash.to_owned()),
    })
    .on_conflict(
        OnConflict::column(instance_meta::Column::Key)
            .update_column(instance_meta::Column::Value)
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

/// Whether `token_hash` is the current setup token (does not use it up).
pub async fn is_current<C: ConnectionTrait>(db: &C, token_hash: &str) -> Result<bool, DbErr> {
    Ok(Meta::find_by_id(KEY.to_owned())
        .filter(instance_meta::Column::Value.eq(token_hash))
        .count(db)
        .await?
        == 1)
}

/// Uses up the setup token if it is `token_hash`: one conditional delete, whose row count
/// decides between two concurrent submissions of the same link.
pub async fn claim<C: ConnectionTrait>(db: &C, token_hash: &str) -> Result<bool, DbErr> {
    let deleted = Meta::delete_many()
        .filter(instance_meta::Column::Key.eq(KEY))
        .filter(instance_meta::Column::Value.eq(token_hash))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected == 1)
}

/// Forgets any setup token (an owner exists).
pub async fn clear<C: ConnectionTrait>(db: &C) -> Result<(), DbErr> {
    Meta::delete_by_id(KEY.to_owned()).exec(db).await?;
    Ok(())
}

/// Whether any account is a platform owner.
pub async fn owner_exists<C: ConnectionTrait>(db: &C) -> Result<bool, DbErr> {
    Ok(Users::find()
        .filter(users::Column::IsPlatformOwner.eq(true))
        .count(db)
        .await?
        > 0)
}
