//! Service tokens (`admin::service_tokens`). Rotation, revocation and the last-use stamp are
//! each one conditional `UPDATE`: `rows_affected` says whether the change applied.
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, IntoCondition};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub use super::entities::service_tokens::Model as ServiceToken;
use super::entities::service_tokens::{self, Column, Entity as ServiceTokens};
use super::to_json_list;

pub struct NewServiceToken<'a> {
    pub id: &'a str,
    pub org_id: Option<Uuid>,
    pub scopes: &'a [String],
    pub workspaces: &'a [String],
    pub secret_hash: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_by: String,
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewServiceToken<'_>,
) -> Result<ServiceToken, DbErr> {
    service_tokens::ActiveModel {
        id: Set(new.id.to_owned()),
        org_id: Set(new.org_id),
        scopes: Set(to_json_list(new.scopes)),
        workspaces: Set(to_json_list(new.workspaces)),
        secret_hash: Set(new.secret_hash),
        previous_secret_hash: Set(None),
        previous_valid_until: Set(None),
        expires_at: Set(new.expires_at),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        created_by: Set(new.created_by),
        created_at: Set(super::now()),
        rotated_at: Set(None),
        last_used_at: Set(None),
        last_used_ip: Set(None),
    }
    .insert(db)
    .await
}

pub async fn find<C: ConnectionTrait>(db: &C, id: &str) -> Result<Option<ServiceToken>, DbErr> {
    ServiceTokens::find_by_id(id.to_owned()).one(db).await
}

/// Every token, or those of one organization, oldest first.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    org_id: Option<Uuid>,
) -> Result<Vec<ServiceToken>, DbErr> {
    let mut query = ServiceTokens::find().order_by_asc(Column::CreatedAt);
    if let Some(org) = org_id {
        query = query.filter(Column::OrgId.eq(org));
    }
    query.all(db).await
}

/// Neither revoked nor expired at `now`.
fn live(now: DateTime<Utc>) -> Condition {
    Condition::all().add(Column::RevokedAt.is_null()).add(
        Condition::any()
            .add(Column::ExpiresAt.is_null())
            .add(Column::ExpiresAt.gt(now)),
    )
}

pub struct Rotation {
    pub new_hash: String,
    /// `None`: the old secret stops working at once.
    pub previous_valid_until: Option<DateTime<Utc>>,
    /// `Some`: the token's new expiry (`Some(None)` never happens: rotation keeps or sets one).
    pub expires_at: Option<DateTime<Utc>>,
}

/// Replaces the secret of a live token; the old hash stays valid until the overlap ends.
/// `false` when the token is unknown, revoked or expired.
pub async fn rotate<C: ConnectionTrait>(
    db: &C,
    id: &str,
    rotation: Rotation,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let previous = match rotation.previous_valid_until {
        Some(_) => Expr::col(Column::SecretHash),
        None => Expr::value(Option::<String>::None),
    };
    let mut update = ServiceTokens::update_many()
        .col_expr(Column::PreviousSecretHash, previous)
        .col_expr(Column::SecretHash, Expr::value(rotation.new_hash))
        .col_expr(
            Column::PreviousValidUntil,
            Expr::value(rotation.previous_valid_until),
        )
        .col_expr(Column::RotatedAt, Expr::value(now));
    if let Some(expires_at) = rotation.expires_at {
        update = update.col_expr(Column::ExpiresAt, Expr::value(expires_at));
    }
    let result = update
        .filter(Column::Id.eq(id))
        .filter(live(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Revokes a token once; `false` when it is unknown or already revoked.
pub async fn revoke<C: ConnectionTrait>(
    db: &C,
    id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = ServiceTokens::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .col_expr(Column::RevokedReason, Expr::value(reason))
        .col_expr(
            Column::PreviousValidUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            Column::PreviousSecretHash,
            Expr::value(Option::<String>::None),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Stamps the last use, at most once per `every`: the condition is in the `UPDATE`, so a busy
/// token costs one write a minute whatever the number of instances or requests.
pub async fn touch<C: ConnectionTrait>(
    db: &C,
    id: &str,
    ip: Option<String>,
    now: DateTime<Utc>,
    every: chrono::TimeDelta,
) -> Result<bool, DbErr> {
    let due = Condition::any()
        .add(Column::LastUsedAt.is_null())
        .add(Column::LastUsedAt.lte(now - every))
        .into_condition();
    let result = ServiceTokens::update_many()
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .col_expr(Column::LastUsedIp, Expr::value(ip))
        .filter(Column::Id.eq(id))
        .filter(due)
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
