//! The sign-in history the risk score reads (`auth::step_up`).
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::entities::sign_in_attempts::{self, Column, Entity as Attempts};

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    user_id: Option<Uuid>,
    account: String,
    network: String,
    succeeded: bool,
) -> Result<(), DbErr> {
    sign_in_attempts::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        account: Set(account),
        network: Set(network),
        succeeded: Set(succeeded),
        occurred_at: Set(super::now()),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Whether the user completed a sign-in since `since`, and whether one came from `network`.
pub async fn history<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    network: Option<&str>,
    since: DateTime<Utc>,
) -> Result<(bool, bool), DbErr> {
    let successes = || {
        Attempts::find()
            .filter(Column::UserId.eq(user_id))
            .filter(Column::Succeeded.eq(true))
            .filter(Column::OccurredAt.gt(since))
    };
    let any = successes().count(db).await? > 0;
    let from_network = match network {
        Some(network) if any => {
            successes()
                .filter(Column::Network.eq(network))
                .count(db)
                .await?
                > 0
        }
        _ => false,
    };
    Ok((any, from_network))
}

pub async fn failures_of_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    since: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Attempts::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::Succeeded.eq(false))
        .filter(Column::OccurredAt.gt(since))
        .count(db)
        .await
}

pub async fn failures_from<C: ConnectionTrait>(
    db: &C,
    network: &str,
    since: DateTime<Utc>,
) -> Result<u64, DbErr> {
    Attempts::find()
        .filter(Column::Network.eq(network))
        .filter(Column::Succeeded.eq(false))
        .filter(Column::OccurredAt.gt(since))
        .count(db)
        .await
}

/// Distinct accounts tried from `network` since `since`, counted up to `cap`.
pub async fn accounts_from<C: ConnectionTrait>(
    db: &C,
    network: &str,
    since: DateTime<Utc>,
    cap: u64,
) -> Result<u64, DbErr> {
    let accounts: Vec<String> = Attempts::find()
        .select_only()
        .column(Column::Account)
        .distinct()
        .filter(Column::Network.eq(network))
        .filter(Column::OccurredAt.gt(since))
        .limit(cap)
        .into_tuple()
        .all(db)
        .await?;
    Ok(accounts.len() as u64)
}

/// Housekeeping: history older than `before`.
pub async fn delete_before<C: ConnectionTrait>(
    db: &C,
    before: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = Attempts::delete_many()
        .filter(Column::OccurredAt.lt(before))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
