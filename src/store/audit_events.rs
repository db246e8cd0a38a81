use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

pub use super::entities::audit_events::ActiveModel as NewAuditEvent;
pub use super::entities::audit_events::Model as AuditEvent;
use super::entities::audit_events::{Column, Entity as AuditEvents};

pub async fn insert<C: ConnectionTrait>(db: &C, event: NewAuditEvent) -> Result<(), DbErr> {
    event.insert(db).await?;
    Ok(())
}

pub async fn list_for_action<C: ConnectionTrait>(
    db: &C,
    action: &str,
) -> Result<Vec<AuditEvent>, DbErr> {
    AuditEvents::find()
        .filter(Column::Action.eq(action))
        .order_by_asc(Column::OccurredAt)
        .all(db)
        .await
}

pub async fn list_recent<C: ConnectionTrait>(db: &C, limit: u64) -> Result<Vec<AuditEvent>, DbErr> {
    use sea_orm::QuerySelect;
    AuditEvents::find()
        .order_by_desc(Column::OccurredAt)
        .limit(limit)
        .all(db)
        .await
}

/// Filters of an audit search; each `Some` must match exactly.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub target: Option<String>,
    pub action: Option<String>,
    pub org_id: Option<uuid::Uuid>,
    pub outcome: Option<String>,
    /// `occurred_at >= since`
    pub since: Option<chrono::DateTime<chrono::Utc>>,
    /// `occurred_at < until`
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// Newest first, `limit` rows strictly after the `after` position (keyset paging on
/// `(occurred_at, id)`, stable while new events are written).
pub async fn search<C: ConnectionTrait>(
    db: &C,
    filter: &AuditFilter,
    after: Option<(chrono::DateTime<chrono::Utc>, uuid::Uuid)>,
    limit: u64,
) -> Result<Vec<AuditEvent>, DbErr> {
    use sea_orm::sea_query::{Condition, Expr};
    use sea_orm::{QuerySelect, sea_query::ExprTrait};
    let mut query = AuditEvents::find();
    for (column, value) in [
        (Column::Actor, &filter.actor),
        (Column::Target, &filter.target),
        (Column::Action, &filter.action),
        (Column::Outcome, &filter.outcome),
    ] {
        if let Some(value) = value {
            query = query.filter(column.eq(value.clone()));
        }
    }
    if let Some(org) = filter.org_id {
        query = query.filter(Column::OrgId.eq(org));
    }
    if let Some(since) = filter.since {
        query = query.filter(Column::OccurredAt.gte(since));
    }
    if let Some(until) = filter.until {
        query = query.filter(Column::OccurredAt.lt(until));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            Condition::any()
                .add(Column::OccurredAt.lt(at))
                .add(Expr::col(Column::OccurredAt).eq(at).and(Column::Id.lt(id))),
        );
    }
    query
        .order_by_desc(Column::OccurredAt)
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await
}
