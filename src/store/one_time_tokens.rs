use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

pub use super::entities::one_time_tokens::Model as OneTimeToken;
use super::entities::one_time_tokens::{self, Entity as Tokens};

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    purpose: &str,
    token_hash: String,
    user_id: Option<Uuid>,
    email: Option<String>,
    expires_at: DateTime<Utc>,
    password_hash: Option<String>,
) -> Result<OneTimeToken, DbErr> {
    one_time_tokens::ActiveModel {
        id: Set(Uuid::new_v4()),
        token_hash: Set(token_hash),
        purpose: Set(purpose.to_owned()),
        user_id: Set(user_id),
        email: Set(email),
        created_at: Set(super::now()),
        expires_at: Set(expires_at),
        used_at: Set(None),
        next_path: Set(None),
        password_hash: Set(password_hash),
    }
    .insert(db)
    .await
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    purpose: &str,
    token_hash: &str,
) -> Result<Option<OneTimeToken>, DbErr> {
    Tokens::find()
        .filter(one_time_tokens::Column::TokenHash.eq(token_hash))
        .filter(one_time_tokens::Column::Purpose.eq(purpose))
        .one(db)
        .await
}

/// The single-use primitive: marks the token used only if it is unused and unexpired, in one
/// conditional UPDATE, so two concurrent redemptions cannot both succeed.
pub async fn consume<C: ConnectionTrait>(
    db: &C,
    purpose: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<OneTimeToken>, DbErr> {
    let result = Tokens::update_many()
        .col_expr(one_time_tokens::Column::UsedAt, Expr::value(now))
        .filter(one_time_tokens::Column::TokenHash.eq(token_hash))
        .filter(one_time_tokens::Column::Purpose.eq(purpose))
        .filter(one_time_tokens::Column::UsedAt.is_null())
        .filter(one_time_tokens::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    if result.rows_affected != 1 {
        return Ok(None);
    }
    find(db, purpose, token_hash).await
}

/// Ends every outstanding emailed link of an account (verification, reset and magic links,
/// including sign-up links sent to its address before it had an id), so no link mailed before a
/// change of the account's credentials can be used after it.
pub async fn end_all_for_account<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    email_normalized: &str,
) -> Result<u64, DbErr> {
    use sea_orm::Condition;
    let result = Tokens::update_many()
        .col_expr(one_time_tokens::Column::UsedAt, Expr::value(super::now()))
        .filter(one_time_tokens::Column::UsedAt.is_null())
        .filter(
            Condition::any()
                .add(one_time_tokens::Column::UserId.eq(user_id))
                .add(
                    Condition::all()
                        .add(one_time_tokens::Column::UserId.is_null())
                        .add(one_time_tokens::Column::Email.eq(email_normalized)),
                ),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// The passwords carried by a user's live verification links: sign-ups of the same address
/// still waiting for their answer.
pub async fn pending_registration_passwords<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    verify_purpose: &str,
) -> Result<Vec<String>, DbErr> {
    Ok(Tokens::find()
        .filter(one_time_tokens::Column::UserId.eq(user_id))
        .filter(one_time_tokens::Column::Purpose.eq(verify_purpose))
        .filter(one_time_tokens::Column::UsedAt.is_null())
        .filter(one_time_tokens::Column::ExpiresAt.gt(super::now()))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|t| t.password_hash)
        .collect())
}

/// A magic link: the email is stored normalized, `next_path` is where sign-in resumes.
pub async fn insert_magic_link<C: ConnectionTrait>(
    db: &C,
    token_hash: String,
    user_id: Option<Uuid>,
    email_normalized: &str,
    next_path: Option<String>,
    expires_at: DateTime<Utc>,
) -> Result<OneTimeToken, DbErr> {
    one_time_tokens::ActiveModel {
        id: Set(Uuid::new_v4()),
        token_hash: Set(token_hash),
        purpose: Set("magic_link".into()),
        user_id: Set(user_id),
        email: Set(Some(email_normalized.to_owned())),
        created_at: Set(super::now()),
        expires_at: Set(expires_at),
        used_at: Set(None),
        next_path: Set(next_path),
        password_hash: Set(None),
    }
    .insert(db)
    .await
}

/// Ends every unused token of a purpose sent to an address (a newer link replaces older ones).
pub async fn invalidate_for_email<C: ConnectionTrait>(
    db: &C,
    email_normalized: &str,
    purpose: &str,
) -> Result<(), DbErr> {
    Tokens::update_many()
        .col_expr(one_time_tokens::Column::UsedAt, Expr::value(super::now()))
        .filter(one_time_tokens::Column::Email.eq(email_normalized))
        .filter(one_time_tokens::Column::Purpose.eq(purpose))
        .filter(one_time_tokens::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
