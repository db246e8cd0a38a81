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

/// (org id, roles) of every organization the user belongs to.
pub async fn of_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> Result<Vec<(Uuid, Vec<String>)>, DbErr> {
    Ok(Memberships::find()
        .filter(Column::UserId.eq(user_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.org_id, super::from_json_list(&m.roles)))
        .collect())
}

/// (user id, roles) of every member of the organization.
pub async fn of_org<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
) -> Result<Vec<(Uuid, Vec<String>)>, DbErr> {
    use sea_orm::QueryOrder;
    Ok(Memberships::find()
        .filter(Column::OrgId.eq(org_id))
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.user_id, super::from_json_list(&m.roles)))
        .collect())
}

/// Removes a membership; `false` when there was none.
pub async fn delete<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    let result = Memberships::delete_many()
        .filter(Column::OrgId.eq(org_id))
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}
