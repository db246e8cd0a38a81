use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entities::users::AccountStatus;

pub use super::entities::users::Model as User;
use super::entities::users::{self, Entity as Users};

pub struct NewUser<'a> {
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub email_verified: bool,
    pub password_hash: Option<String>,
}

pub async fn insert<C: ConnectionTrait>(db: &C, new: NewUser<'_>) -> Result<User, DbErr> {
    let now = super::now();
    users::ActiveModel {
        id: Set(Uuid::new_v4()),
        email: Set(new.email.to_owned()),
        email_normalized: Set(new.email_normalized.to_owned()),
        email_verified: Set(new.email_verified),
        password_hash: Set(new.password_hash),
        name: Set(None),
        status: Set(AccountStatus::Active),
        last_login_method: Set(None),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        is_platform_owner: Set(false),
        locale: Set(None),
    }
    .insert(db)
    .await
}

pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email_normalized: &str,
) -> Result<Option<User>, DbErr> {
    Users::find()
        .filter(users::Column::EmailNormalized.eq(email_normalized))
        .one(db)
        .await
}

pub async fn find_by_id<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<User>, DbErr> {
    Users::find_by_id(id).one(db).await
}

/// The account, only while it is active (the one "may this user still act" check).
pub async fn find_active<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<User>, DbErr> {
    Users::find_by_id(id)
        .filter(users::Column::Status.eq(AccountStatus::Active))
        .one(db)
        .await
}

pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<User>, DbErr> {
    Users::find()
        .order_by_asc(users::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn update_email_verified<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<(), DbErr> {
    users::ActiveModel {
        id: Set(id),
        email_verified: Set(true),
        updated_at: Set(super::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Sets the password hash; `None` removes the password.
pub async fn update_password_hash<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    hash: Option<String>,
) -> Result<(), DbErr> {
    users::ActiveModel {
        id: Set(id),
        password_hash: Set(hash),
        updated_at: Set(super::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

pub async fn update_last_login<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    method: &str,
) -> Result<(), DbErr> {
    users::ActiveModel {
        id: Set(id),
        last_login_method: Set(Some(method.to_owned())),
        last_login_at: Set(Some(super::now())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// One round trip for the bearer hot path: the active user, only if the token's jti is not
/// deny-listed and, for a session-bound token, its browser session is still live at `now`.
pub async fn find_active_unless_revoked<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    jti: &str,
    session: Option<(Uuid, chrono::DateTime<chrono::Utc>)>,
) -> Result<Option<User>, DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait, Query};

    use super::entities::{browser_sessions, revoked_tokens};
    let revoked = Query::select()
        .expr(Expr::val(1))
        .from(revoked_tokens::Entity)
        .and_where(Expr::col((revoked_tokens::Entity, revoked_tokens::Column::Jti)).eq(jti))
        .to_owned();
    let mut query = Users::find_by_id(id)
        .filter(users::Column::Status.eq(AccountStatus::Active))
        .filter(Expr::exists(revoked).not());
    if let Some((session_id, now)) = session {
        let live = Query::select()
            .expr(Expr::val(1))
            .from(browser_sessions::Entity)
            .and_where(
                Expr::col((browser_sessions::Entity, browser_sessions::Column::Id)).eq(session_id),
            )
            .and_where(
                Expr::col((
                    browser_sessions::Entity,
                    browser_sessions::Column::RevokedAt,
                ))
                .is_null(),
            )
            .and_where(
                Expr::col((
                    browser_sessions::Entity,
                    browser_sessions::Column::ExpiresAt,
                ))
                .gt(now),
            )
            .to_owned();
        query = query.filter(Expr::exists(live));
    }
    query.one(db).await
}

/// Grants or revokes platform ownership (CLI only).
pub async fn set_platform_owner<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    owner: bool,
) -> Result<(), DbErr> {
    users::ActiveModel {
        id: Set(id),
        is_platform_owner: Set(owner),
        updated_at: Set(super::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// One page of users, newest last: those whose address contains `search` (already
/// normalized), members of `org_id` when given. Fetches one more row than `limit` so the caller
/// knows whether another page follows.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    search: Option<&str>,
    org_id: Option<Uuid>,
    offset: u64,
    limit: u64,
) -> Result<Vec<User>, DbErr> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::ExprTrait;

    use super::entities::memberships;
    let mut query = Users::find();
    if let Some(search) = search {
        // LIKE wildcards in the search text are matched literally.
        let escaped = search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        query = query.filter(
            sea_orm::sea_query::Expr::col(users::Column::EmailNormalized)
                .like(sea_orm::sea_query::LikeExpr::new(format!("%{escaped}%")).escape('\\')),
        );
    }
    if let Some(org_id) = org_id {
        let members: Vec<Uuid> = memberships::Entity::find()
            .select_only()
            .column(memberships::Column::UserId)
            .filter(memberships::Column::OrgId.eq(org_id))
            .into_tuple()
            .all(db)
            .await?;
        query = query.filter(users::Column::Id.is_in(members));
    }
    query
        .order_by_asc(users::Column::CreatedAt)
        .order_by_asc(users::Column::Id)
        .offset(offset)
        .limit(limit + 1)
        .all(db)
        .await
}

pub async fn set_status<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    status: AccountStatus,
) -> Result<(), DbErr> {
    users::ActiveModel {
        id: Set(id),
        status: Set(status),
        updated_at: Set(super::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Saves the language chosen for the hosted pages and mail; `None` follows the browser.
pub async fn update_locale<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    locale: Option<&str>,
) -> Result<(), DbErr> {
    users::ActiveModel {
        id: Set(id),
        locale: Set(locale.map(str::to_owned)),
        updated_at: Set(super::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
