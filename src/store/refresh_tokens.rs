use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

pub use super::entities::refresh_tokens::Model as RefreshToken;
use super::entities::refresh_tokens::{self, Column, Entity as RefreshTokens};

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    token: RefreshToken,
) -> Result<RefreshToken, DbErr> {
    refresh_tokens::ActiveModel::from(token).insert(db).await
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
) -> Result<Option<RefreshToken>, DbErr> {
    RefreshTokens::find()
        .filter(Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// Rotation: marks the token used only if it is live; `false` means replay, expiry or revocation.
pub async fn consume<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = RefreshTokens::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Which families to revoke.
pub enum Families {
    Family(Uuid),
    Grant(Uuid),
    /// Session-bound families (issued without `offline_access`) of a browser session.
    Session(Uuid),
    User(Uuid),
    UserService(Uuid, Uuid),
}

/// Revokes whole families and returns the access tokens (jti, expiry) they issued that may still
/// be live, for the caller to deny-list.
pub async fn revoke<C: ConnectionTrait>(
    db: &C,
    which: Families,
) -> Result<Vec<(String, DateTime<Utc>)>, DbErr> {
    let now = super::now();
    let family_filter = match which {
        Families::Family(id) => Condition::all().add(Column::FamilyId.eq(id)),
        Families::Grant(id) => Condition::all().add(Column::GrantId.eq(id)),
        Families::Session(id) => Condition::all().add(Column::SessionId.eq(id)),
        Families::User(id) => Condition::all().add(Column::UserId.eq(id)),
        Families::UserService(user, service) => Condition::all()
            .add(Column::UserId.eq(user))
            .add(Column::ServiceId.eq(service)),
    };
    let families: Vec<Uuid> = RefreshTokens::find()
        .select_only()
        .column(Column::FamilyId)
        .filter(family_filter)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    if families.is_empty() {
        return Ok(Vec::new());
    }
    let issued: Vec<(Option<String>, Option<DateTime<Utc>>)> = RefreshTokens::find()
        .select_only()
        .column(Column::AccessTokenJti)
        .column(Column::AccessTokenExpiresAt)
        .filter(Column::FamilyId.is_in(families.clone()))
        .filter(Column::AccessTokenExpiresAt.gt(now))
        .into_tuple()
        .all(db)
        .await?;
    RefreshTokens::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::FamilyId.is_in(families))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(issued
        .into_iter()
        .filter_map(|(jti, exp)| Some((jti?, exp?)))
        .collect())
}

/// Families issued without `offline_access` are bound to the browser session.
pub fn session_bound(scope: &str) -> bool {
    !scope.split(' ').any(|s| s == "offline_access")
}

/// The family whose rotation issued the access token `jti`.
pub async fn family_of_access_token<C: ConnectionTrait>(
    db: &C,
    jti: &str,
) -> Result<Option<Uuid>, DbErr> {
    RefreshTokens::find()
        .select_only()
        .column(Column::FamilyId)
        .filter(Column::AccessTokenJti.eq(jti))
        .into_tuple()
        .one(db)
        .await
}
