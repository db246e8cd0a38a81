use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::entities::revoked_tokens::{self, Column, Entity as Revoked};

/// Deny-lists access tokens by jti until they expire.
pub async fn insert_many<C: ConnectionTrait>(
    db: &C,
    tokens: &[(String, DateTime<Utc>)],
) -> Result<(), DbErr> {
    if tokens.is_empty() {
        return Ok(());
    }
    let now = super::now();
    let rows = tokens.iter().map(|(jti, exp)| revoked_tokens::ActiveModel {
        jti: sea_orm::ActiveValue::Set(jti.clone()),
        expires_at: sea_orm::ActiveValue::Set(*exp),
        revoked_at: sea_orm::ActiveValue::Set(now),
    });
    Revoked::insert_many(rows)
        .on_conflict_do_nothing_on([Column::Jti])
        .exec(db)
        .await?;
    Ok(())
}

pub async fn is_revoked<C: ConnectionTrait>(db: &C, jti: &str) -> Result<bool, DbErr> {
    Ok(Revoked::find_by_id(jti.to_owned()).one(db).await?.is_some())
}

/// Every entry whose token has not expired yet: (jti, expiry).
pub async fn unexpired<C: ConnectionTrait>(db: &C) -> Result<Vec<(String, DateTime<Utc>)>, DbErr> {
    Ok(Revoked::find()
        .filter(Column::ExpiresAt.gte(super::now()))
        .all(db)
        .await?
        .into_iter()
        .map(|row| (row.jti, row.expires_at))
        .collect())
}

/// Forgets entries whose tokens have expired anyway.
pub async fn delete_expired<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    Ok(Revoked::delete_many()
        .filter(Column::ExpiresAt.lt(super::now()))
        .exec(db)
        .await?
        .rows_affected)
}
