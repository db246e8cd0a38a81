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
