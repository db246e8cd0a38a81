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
