use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    sea_query::Expr, sea_query::ExprTrait,
};
use uuid::Uuid;

pub use super::entities::login_tickets::Model as LoginTicket;
use super::entities::login_tickets::{self, Column, Entity as Tickets};

pub async fn insert<C: ConnectionTrait>(db: &C, ticket: LoginTicket) -> Result<LoginTicket, DbErr> {
    login_tickets::ActiveModel::from(ticket).insert(db).await
}

/// A live ticket: unused and unexpired.
pub async fn find_live<C: ConnectionTrait>(
    db: &C,
    ticket_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<LoginTicket>, DbErr> {
    Tickets::find()
        .filter(Column::TicketHash.eq(ticket_hash))
        .filter(Column::UsedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

/// Ends a ticket once; `false` when it was already used.
pub async fn consume<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<bool, DbErr> {
    let result = Tickets::update_many()
        .col_expr(Column::UsedAt, Expr::value(super::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends every unused ticket of a user (a password reset: a sign-in half done with the old
/// password must not finish).
pub async fn consume_all_for_user<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<u64, DbErr> {
    let result = Tickets::update_many()
        .col_expr(Column::UsedAt, Expr::value(super::now()))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Claims one of the ticket's `max` code attempts before the code is checked, in one
/// conditional `UPDATE`: parallel requests cannot read a stale count, so at most `max` codes
/// are ever checked per ticket. `false` when none is left or the ticket ended. A right code
/// ends the ticket, so what the column keeps on a live ticket are the failures.
pub async fn claim_attempt<C: ConnectionTrait>(db: &C, id: Uuid, max: i32) -> Result<bool, DbErr> {
    let result = Tickets::update_many()
        .col_expr(
            Column::FailedAttempts,
            Expr::col(Column::FailedAttempts).add(1),
        )
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .filter(Column::FailedAttempts.lt(max))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends the ticket once its attempts are used up; `true` when this call ended it.
pub async fn end_if_exhausted<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    max: i32,
) -> Result<bool, DbErr> {
    let result = Tickets::update_many()
        .col_expr(Column::UsedAt, Expr::value(super::now()))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .filter(Column::FailedAttempts.gte(max))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
