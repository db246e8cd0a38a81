use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use super::entities::backup_codes::{self, Column, Entity as BackupCodes};

/// Replaces a user's codes with a new set (the old ones stop working).
pub async fn replace<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    hashes: Vec<String>,
) -> Result<(), DbErr> {
    BackupCodes::delete_many()
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let now = super::now();
    let rows = hashes.into_iter().map(|hash| backup_codes::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        code_hash: Set(hash),
        created_at: Set(now),
        used_at: Set(None),
    });
    BackupCodes::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Uses a code once: one conditional UPDATE, so two concurrent uses cannot both succeed.
pub async fn consume<C: ConnectionTrait>(db: &C, user_id: Uuid, hash: &str) -> Result<bool, DbErr> {
    let result = BackupCodes::update_many()
        .col_expr(Column::UsedAt, Expr::value(super::now()))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::CodeHash.eq(hash))
        .filter(Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn count_unused<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<u64, DbErr> {
    BackupCodes::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::UsedAt.is_null())
        .count(db)
        .await
}

pub async fn delete_all<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<(), DbErr> {
    BackupCodes::delete_many()
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}
