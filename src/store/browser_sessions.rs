use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

pub use super::entities::browser_sessions::Model as BrowserSession;
use super::entities::browser_sessions::{self, Entity as Sessions};

pub struct NewSession<'a> {
    pub token_hash: String,
    pub user_id: Uuid,
    pub amr: &'a [String],
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub expires_at: DateTime<Utc>,
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewSession<'_>,
) -> Result<BrowserSession, DbErr> {
    let now = super::now();
    browser_sessions::ActiveModel {
        id: Set(Uuid::new_v4()),
        token_hash: Set(new.token_hash),
        user_id: Set(new.user_id),
        auth_time: Set(now),
        amr: Set(super::to_json_list(new.amr)),
        ip: Set(new.ip),
        user_agent: Set(new.user_agent),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
    }
    .insert(db)
    .await
}

/// The live session for a cookie's token hash: not revoked and not expired.
pub async fn find_active<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<BrowserSession>, DbErr> {
    Sessions::find()
        .filter(browser_sessions::Column::TokenHash.eq(token_hash))
        .filter(browser_sessions::Column::RevokedAt.is_null())
        .filter(browser_sessions::Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

/// Whether a session is still live: not revoked and not expired.
pub async fn is_live<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    Ok(Sessions::find_by_id(id)
        .filter(browser_sessions::Column::RevokedAt.is_null())
        .filter(browser_sessions::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
        .is_some())
}

pub async fn revoke<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<(), DbErr> {
    Sessions::update_many()
        .col_expr(
            browser_sessions::Column::RevokedAt,
            Expr::value(super::now()),
        )
        .filter(browser_sessions::Column::Id.eq(id))
        .filter(browser_sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every live session of a user (password reset); returns how many.
pub async fn revoke_all_for_user<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<u64, DbErr> {
    let result = Sessions::update_many()
        .col_expr(
            browser_sessions::Column::RevokedAt,
            Expr::value(super::now()),
        )
        .filter(browser_sessions::Column::UserId.eq(user_id))
        .filter(browser_sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

pub async fn count_active_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    Sessions::find()
        .filter(browser_sessions::Column::UserId.eq(user_id))
        .filter(browser_sessions::Column::RevokedAt.is_null())
        .filter(browser_sessions::Column::ExpiresAt.gt(super::now()))
        .count(db)
        .await
}

/// A user's live sessions, most recently active first.
pub async fn list_active_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> Result<Vec<BrowserSession>, DbErr> {
    use sea_orm::QueryOrder;
    Sessions::find()
        .filter(browser_sessions::Column::UserId.eq(user_id))
        .filter(browser_sessions::Column::RevokedAt.is_null())
        .filter(browser_sessions::Column::ExpiresAt.gt(super::now()))
        .order_by_desc(browser_sessions::Column::LastSeenAt)
        .all(db)
        .await
}
