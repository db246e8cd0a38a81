use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, Order, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

pub use super::entities::mail_outbox::MailStatus;
pub use super::entities::mail_outbox::Model as OutboxMessage;
use super::entities::mail_outbox::{self, Column, Entity as Outbox};

/// A message to queue; the bodies arrive sealed (see `mail::sealed`).
pub struct NewMessage<'a> {
    pub id: Uuid,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: String,
    pub body_html: String,
    pub from_name: Option<String>,
    /// The organization the message speaks for (its own mail server, when it has one).
    pub org_id: Option<Uuid>,
}

/// Queues a message.
pub async fn insert<C: ConnectionTrait>(
    db: &C,
    message: NewMessage<'_>,
) -> Result<OutboxMessage, DbErr> {
    let NewMessage {
        id,
        recipient,
        subject,
        body_text,
        body_html,
        from_name,
        org_id,
    } = message;
    let now = super::now();
    mail_outbox::ActiveModel {
        id: Set(id),
        recipient: Set(recipient.to_owned()),
        subject: Set(subject.to_owned()),
        body_text: Set(body_text),
        body_html: Set(body_html),
        status: Set(MailStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        locked_until: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        sent_at: Set(None),
        from_name: Set(from_name),
        org_id: Set(org_id),
    }
    .insert(db)
    .await
}

/// Leases up to `limit` due messages to this worker, so several instances sharing one database
/// never send a message twice at once. On PostgreSQL one `UPDATE … WHERE id IN (SELECT … FOR
/// UPDATE SKIP LOCKED) RETURNING *`: concurrent workers skip each other's rows instead of
/// waiting or racing. On SQLite (one writer) a conditional UPDATE per row.
pub async fn claim_due<C: ConnectionTrait>(
    db: &C,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<OutboxMessage>, DbErr> {
    let free = Condition::any()
        .add(Column::LockedUntil.is_null())
        .add(Column::LockedUntil.lt(now));
    if db.get_database_backend() == DbBackend::Postgres {
        let due = Query::select()
            .column(Column::Id)
            .from(Outbox)
            .and_where(Column::Status.eq(MailStatus::Pending))
            .and_where(Column::NextAttemptAt.lte(now))
            .cond_where(free)
            .order_by(Column::NextAttemptAt, Order::Asc)
            .limit(limit)
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .to_owned();
        return Outbox::update_many()
            .col_expr(Column::LockedUntil, Expr::value(now + lease))
            .filter(Column::Id.in_subquery(due))
            .exec_with_returning(db)
            .await;
    }
    let candidates = Outbox::find()
        .filter(Column::Status.eq(MailStatus::Pending))
        .filter(Column::NextAttemptAt.lte(now))
        .filter(free.clone())
        .order_by_asc(Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for message in candidates {
        let result = Outbox::update_many()
            .col_expr(Column::LockedUntil, Expr::value(now + lease))
            .filter(Column::Id.eq(message.id))
            .filter(Column::Status.eq(MailStatus::Pending))
            .filter(free.clone())
            .exec(db)
            .await?;
        if result.rows_affected == 1 {
            claimed.push(message);
        }
    }
    Ok(claimed)
}

/// Gives leased messages back to the queue (a worker stopping before it sent them): any
/// instance may claim them at once instead of after the lease.
pub async fn release<C: ConnectionTrait>(db: &C, ids: &[Uuid]) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(Outbox::update_many()
        .col_expr(
            Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(Column::Id.is_in(ids.iter().copied()))
        .filter(Column::Status.eq(MailStatus::Pending))
        .exec(db)
        .await?
        .rows_affected)
}

/// Marks a message delivered and drops its body: a delivered link has no business staying in
/// the database.
pub async fn mark_sent<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<(), DbErr> {
    mail_outbox::ActiveModel {
        id: Set(id),
        status: Set(MailStatus::Sent),
        body_text: Set(String::new()),
        body_html: Set(String::new()),
        sent_at: Set(Some(super::now())),
        locked_until: Set(None),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Records a failed attempt; the message is retried at `retry_at`, or given up (and its body
/// dropped) when `None`.
pub async fn mark_failed<C: ConnectionTrait>(
    db: &C,
    message: &OutboxMessage,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let status = if retry_at.is_some() {
        MailStatus::Pending
    } else {
        MailStatus::Failed
    };
    let body = |kept: &String| match retry_at {
        Some(_) => Set(kept.clone()),
        None => Set(String::new()),
    };
    mail_outbox::ActiveModel {
        id: Set(message.id),
        status: Set(status),
        body_text: body(&message.body_text),
        body_html: body(&message.body_html),
        attempts: Set(message.attempts + 1),
        next_attempt_at: Set(retry_at.unwrap_or(message.next_attempt_at)),
        locked_until: Set(None),
        last_error: Set(Some(error.chars().take(500).collect())),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Messages waiting to be sent (the mail queue depth).
pub async fn count_pending<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    Outbox::find()
        .filter(Column::Status.eq(MailStatus::Pending))
        .count(db)
        .await
}
