//! Role definitions per organization (`org_roles`) and the member's roles and permissions a
//! user token carries.
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entities::memberships::{self, Entity as Memberships};
pub use super::entities::org_roles::Model as OrgRole;
use super::entities::org_roles::{self, Column, Entity as OrgRoles};

/// Defines `role` in the organization, or replaces its permissions.
pub async fn upsert<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    role: &str,
    permissions: &[String],
) -> Result<(), DbErr> {
    use sea_orm::sea_query::OnConflict;
    let now = super::now();
    OrgRoles::insert(org_roles::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(org_id),
        role: Set(role.to_owned()),
        permissions: Set(super::to_json_list(permissions)),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([Column::OrgId, Column::Role])
            .update_columns([Column::Permissions, Column::UpdatedAt])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

pub async fn list<C: ConnectionTrait>(db: &C, org_id: Uuid) -> Result<Vec<OrgRole>, DbErr> {
    OrgRoles::find()
        .filter(Column::OrgId.eq(org_id))
        .order_by_asc(Column::Role)
        .all(db)
        .await
}

/// `true` when the role existed.
pub async fn delete<C: ConnectionTrait>(db: &C, org_id: Uuid, role: &str) -> Result<bool, DbErr> {
    let result = OrgRoles::delete_many()
        .filter(Column::OrgId.eq(org_id))
        .filter(Column::Role.eq(role))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// A member's roles and the union of their permissions (sorted, without duplicates).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberAccess {
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

/// The user's roles in the organization and their permissions, in one query (the token
/// endpoint's hot path): the membership row joined with the organization's role definitions.
/// Empty when the user is not a member; a role without a definition grants no permission.
pub async fn member_access<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    org_id: Uuid,
) -> Result<MemberAccess, DbErr> {
    let stmt = Query::select()
        .column((Memberships, memberships::Column::Roles))
        .column((OrgRoles, Column::Role))
        .column((OrgRoles, Column::Permissions))
        .from(Memberships)
        .left_join(
            OrgRoles,
            Expr::col((OrgRoles, Column::OrgId)).equals((Memberships, memberships::Column::OrgId)),
        )
        .and_where(Expr::col((Memberships, memberships::Column::UserId)).eq(user_id))
        .and_where(Expr::col((Memberships, memberships::Column::OrgId)).eq(org_id))
        .to_owned();
    let rows = db.query_all(&stmt).await?;
    let Some(first) = rows.first() else {
        return Ok(MemberAccess::default());
    };
    let roles = super::from_json_list(&first.try_get::<String>("", "roles")?);
    let mut permissions = Vec::new();
    for row in &rows {
        let role: Option<String> = row.try_get("", "role")?;
        if role.is_some_and(|r| roles.contains(&r)) {
            let granted: Option<String> = row.try_get("", "permissions")?;
            permissions.extend(super::from_json_list(granted.as_deref().unwrap_or("[]")));
        }
    }
    permissions.sort();
    permissions.dedup();
    Ok(MemberAccess { roles, permissions })
}
