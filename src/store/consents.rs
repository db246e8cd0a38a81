use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    sea_query::OnConflict,
};
use uuid::Uuid;

pub use super::entities::consents::Model as Consent;
use super::entities::consents::{self, Column, Entity as Consents};

pub async fn find<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    service_id: Uuid,
) -> Result<Option<Consent>, DbErr> {
    Consents::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::ServiceId.eq(service_id))
        .one(db)
        .await
}

/// Records the granted scopes (replacing an earlier decision).
pub async fn upsert<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    service_id: Uuid,
    scopes: &[String],
) -> Result<(), DbErr> {
    let now = super::now();
    Consents::insert(consents::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        service_id: Set(service_id),
        scopes: Set(super::to_json_list(scopes)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([Column::UserId, Column::ServiceId])
            .update_columns([Column::Scopes, Column::UpdatedAt])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

pub async fn list_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> Result<Vec<Consent>, DbErr> {
    Consents::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await
}

pub async fn delete<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    consent_id: Uuid,
) -> Result<bool, DbErr> {
    let result = Consents::delete_many()
        .filter(Column::Id.eq(consent_id))
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
