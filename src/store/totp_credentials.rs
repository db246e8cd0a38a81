use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr, sea_query::ExprTrait, sea_query::OnConflict,
};
use uuid::Uuid;

pub use super::entities::totp_credentials::Model as TotpCredential;
use super::entities::totp_credentials::{self, Column, Entity as Totp};

pub async fn find<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> Result<Option<TotpCredential>, DbErr> {
    Totp::find_by_id(user_id).one(db).await
}

/// Starts (or restarts) an enrolment with a new secret owned by `owner`; replaces only a
/// not-yet-enabled one.
pub async fn upsert_pending<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    secret_sealed: String,
    owner: String,
) -> Result<(), DbErr> {
    Totp::insert(totp_credentials::ActiveModel {
        user_id: Set(user_id),
        secret_sealed: Set(secret_sealed),
        last_used_step: Set(None),
        created_at: Set(super::now()),
        enabled_at: Set(None),
        pending_owner: Set(Some(owner)),
    })
    .on_conflict(
        OnConflict::column(Column::UserId)
            .update_columns([
                Column::SecretSealed,
                Column::LastUsedStep,
                Column::CreatedAt,
                Column::PendingOwner,
            ])
            .action_and_where(Expr::col((totp_credentials::Entity, Column::EnabledAt)).is_null())
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Replay guard: records `step` only if it is newer than the last accepted one, in one
/// conditional UPDATE; `false` means the code (or an older one) was already used.
pub async fn accept_step<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    step: i64,
) -> Result<bool, DbErr> {
    let update = Totp::update_many()
        .col_expr(Column::LastUsedStep, Expr::value(step))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::EnabledAt.is_not_null())
        .filter(newer_step(step));
    Ok(update.exec(db).await?.rows_affected == 1)
}

/// Enables the pending secret whose first code was checked, only if it is still the one
/// stored (a new enrolment started in between replaced it) and still pending.
pub async fn enable_pending<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    secret_sealed: &str,
    step: i64,
) -> Result<bool, DbErr> {
    let update = Totp::update_many()
        .col_expr(Column::LastUsedStep, Expr::value(step))
        .col_expr(Column::EnabledAt, Expr::value(super::now()))
        .col_expr(Column::PendingOwner, Expr::value(Option::<String>::None))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::SecretSealed.eq(secret_sealed))
        .filter(Column::EnabledAt.is_null())
        .filter(newer_step(step));
    Ok(update.exec(db).await?.rows_affected == 1)
}

fn newer_step(step: i64) -> Condition {
    Condition::any()
        .add(Column::LastUsedStep.is_null())
        .add(Column::LastUsedStep.lt(step))
}

pub async fn delete<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<bool, DbErr> {
    Ok(Totp::delete_by_id(user_id).exec(db).await?.rows_affected == 1)
}

pub async fn is_enabled<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<bool, DbErr> {
    Ok(find(db, user_id)
        .await?
        .is_some_and(|t| t.enabled_at.is_some()))
}
