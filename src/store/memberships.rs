use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::entities::memberships::{Column, Entity as Memberships};

/// The user's role slugs in an organization (empty when not a member).
pub async fn roles<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    org_id: Uuid,
) -> Result<Vec<String>, DbErr> {
    let membership = Memberships::find()
        .filter(Column::UserId.eq(user_id))
        .filter(Column::OrgId.eq(org_id))
        .one(db)
        .await?;
    Ok(membership
        .map(|m| super::from_json_list(&m.roles))
        .unwrap_or_default())
}

/// The organizations the user belongs to.
pub async fn org_ids_of<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<Vec<Uuid>, DbErr> {
    use sea_orm::QuerySelect;
    Memberships::find()
        .select_only()
        .column(Column::OrgId)
        .filter(Column::UserId.eq(user_id))
        .into_tuple()
        .all(db)
        .await
}

/// Adds a user to an organization with roles (or replaces the roles of an existing member).
pub async fn upsert<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    user_id: Uuid,
    roles: &[String],
) -> Result<(), DbErr> {
    use sea_orm::ActiveValue::Set;
    use sea_orm::sea_query::OnConflict;

    use super::entities::memberships;
    Memberships::insert(memberships::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        user_id: Set(user_id),
        roles: Set(super::to_json_list(roles)),
        created_at: Set(super::now()),
    })
    .on_conflict(
        OnConflict::columns([Column::OrgId, Column::UserId])
            .update_column(Column::Roles)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}
