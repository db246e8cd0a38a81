use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub use super::entities::organizations::Model as Organization;
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
        status: Set("active".into()),
        branding: Set(None),
        mfa_required: Set(false),
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
