use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::entities::users::AccountStatus;

pub use super::entities::organizations::Model as Organization;
pub use super::entities::organizations::SignUpPolicy;
use super::entities::organizations::{self, Entity as Organizations};

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    slug: &str,
    name: &str,
) -> Result<Organization, DbErr> {
    let now = super::now();
    organizations::ActiveModel {
        id: Set(Uuid::new_v4()),
        slug: Set(slug.to_owned()),
        name: Set(name.to_owned()),
        status: Set(AccountStatus::Active),
        branding: Set(None),
        mfa_required: Set(false),
        plan: Set(None),
        features: Set("[]".to_owned()),
        sign_up_policy: Set(SignUpPolicy::Open),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find_by_slug<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> Result<Option<Organization>, DbErr> {
    Organizations::find()
        .filter(organizations::Column::Slug.eq(slug))
        .one(db)
        .await
}

pub async fn find_by_id<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
) -> Result<Option<Organization>, DbErr> {
    Organizations::find_by_id(id).one(db).await
}

pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<Organization>, DbErr> {
    Organizations::find()
        .order_by_asc(organizations::Column::Slug)
        .all(db)
        .await
}

/// `true` when the user belongs to an organization that requires MFA of its members.
pub async fn requires_mfa<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<bool, DbErr> {
    use sea_orm::PaginatorTrait;

    let org_ids = super::memberships::org_ids_of(db, user_id).await?;
    if org_ids.is_empty() {
        return Ok(false);
    }
    let count = Organizations::find()
        .filter(organizations::Column::Id.is_in(org_ids))
        .filter(organizations::Column::MfaRequired.eq(true))
        .count(db)
        .await?;
    Ok(count > 0)
}

pub async fn set_mfa_required<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    required: bool,
) -> Result<(), DbErr> {
    organizations::ActiveModel {
        id: sea_orm::ActiveValue::Set(id),
        mfa_required: sea_orm::ActiveValue::Set(required),
        updated_at: sea_orm::ActiveValue::Set(super::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Sets the organization's plan and features (their tokens' `plan` / `features` claims).
pub async fn set_plan<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    plan: Option<&str>,
    features: &[String],
) -> Result<(), DbErr> {
    organizations::ActiveModel {
        id: Set(id),
        plan: Set(plan.map(str::to_owned)),
        features: Set(super::to_json_list(features)),
        updated_at: Set(super::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Renames and/or changes the status of an organization; `None` leaves a field as it is.
pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    name: Option<&str>,
    status: Option<AccountStatus>,
) -> Result<Organization, DbErr> {
    let mut row = organizations::ActiveModel {
        id: Set(id),
        updated_at: Set(super::now()),
        ..Default::default()
    };
    if let Some(name) = name {
        row.name = Set(name.to_owned());
    }
    if let Some(status) = status {
        row.status = Set(status);
    }
    row.update(db).await
}

pub async fn set_sign_up_policy<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    policy: SignUpPolicy,
) -> Result<(), DbErr> {
    organizations::ActiveModel {
        id: Set(id),
        sign_up_policy: Set(policy),
        updated_at: Set(super::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Reads the organization with its row locked until the transaction ends (PostgreSQL; SQLite
/// has one writer at a time anyway): changes that check "is someone else still an owner?"
/// run one after the other.
pub async fn lock<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<Organization>, DbErr> {
    use sea_orm::QuerySelect;
    Organizations::find_by_id(id).lock_exclusive().one(db).await
}
