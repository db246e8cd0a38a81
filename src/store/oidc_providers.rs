//! Generic OIDC providers of the platform (`gatehouse provider add`).
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub use super::entities::oidc_providers::Model as OidcProvider;
use super::entities::oidc_providers::{self, Column, Entity as Providers};

pub struct NewOidcProvider<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret_sealed: String,
    pub scopes: &'a [String],
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewOidcProvider<'_>,
) -> Result<OidcProvider, DbErr> {
    oidc_providers::ActiveModel {
        id: Set(Uuid::new_v4()),
        slug: Set(new.slug.to_owned()),
        name: Set(new.name.to_owned()),
        issuer: Set(new.issuer.to_owned()),
        client_id: Set(new.client_id.to_owned()),
        client_secret_sealed: Set(new.client_secret_sealed),
        scopes: Set(super::to_json_list(new.scopes)),
        created_at: Set(super::now()),
    }
    .insert(db)
    .await
}

pub async fn find_by_slug<C: ConnectionTrait>(
    db: &C,
    slug: &str,
) -> Result<Option<OidcProvider>, DbErr> {
    Providers::find()
        .filter(Column::Slug.eq(slug))
        .one(db)
        .await
}

pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<OidcProvider>, DbErr> {
    Providers::find().order_by_asc(Column::Slug).all(db).await
}

pub async fn delete<C: ConnectionTrait>(db: &C, slug: &str) -> Result<bool, DbErr> {
    let result = Providers::delete_many()
        .filter(Column::Slug.eq(slug))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
