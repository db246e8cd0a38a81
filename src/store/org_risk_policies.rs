//! Per-organization risk policy.
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, sea_query::OnConflict,
};
use uuid::Uuid;

use super::entities::org_risk_policies::{self, Column, Entity as Policies};

pub async fn set_step_up_untrusted<C: ConnectionTrait>(
    db: &C,
    org_id: Uuid,
    on: bool,
) -> Result<(), DbErr> {
    Policies::insert(org_risk_policies::ActiveModel {
        org_id: Set(org_id),
        step_up_untrusted_devices: Set(on),
        updated_at: Set(super::now()),
    })
    .on_conflict(
        OnConflict::column(Column::OrgId)
            .update_columns([Column::StepUpUntrustedDevices, Column::UpdatedAt])
            .to_owned(),
    )
    .exec(db)
    .await?;
    Ok(())
}

pub async fn step_up_untrusted<C: ConnectionTrait>(db: &C, org_id: Uuid) -> Result<bool, DbErr> {
    Ok(Policies::find_by_id(org_id)
        .one(db)
        .await?
        .is_some_and(|p| p.step_up_untrusted_devices))
}

/// `true` when an organization of the user forces a second step on untrusted devices.
pub async fn forced_for_user<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<bool, DbErr> {
    let org_ids = super::memberships::org_ids_of(db, user_id).await?;
    if org_ids.is_empty() {
        return Ok(false);
    }
    let count = Policies::find()
        .filter(Column::OrgId.is_in(org_ids))
        .filter(Column::StepUpUntrustedDevices.eq(true))
        .count(db)
        .await?;
    Ok(count > 0)
}
