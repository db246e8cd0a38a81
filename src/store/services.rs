use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use uuid::Uuid;

pub use super::entities::services::Model as Service;
use super::entities::services::{self, Entity as Services};
use super::to_json_list;

pub struct NewService<'a> {
    pub org_id: Uuid,
    pub slug: &'a str,
    pub name: &'a str,
    pub client_id: &'a str,
    pub client_secret_hash: Option<String>,
    pub confidential: bool,
    pub redirect_uris: &'a [String],
    pub post_logout_redirect_uris: &'a [String],
    pub grant_types: &'a [String],
    pub allowed_scopes: &'a [String],
    pub first_party: bool,
    pub device_activation_uri: Option<String>,
    pub signing_alg: &'a str,
    pub allow_password_api: bool,
}

pub async fn insert<C: ConnectionTrait>(db: &C, new: NewService<'_>) -> Result<Service, DbErr> {
    let now = super::now();
    services::ActiveModel {
        id: Set(Uuid::new_v4()),
        org_id: Set(new.org_id),
        slug: Set(new.slug.to_owned()),
        name: Set(new.name.to_owned()),
        client_id: Set(new.client_id.to_owned()),
        client_secret_hash: Set(new.client_secret_hash),
        confidential: Set(new.confidential),
        redirect_uris: Set(to_json_list(new.redirect_uris)),
        post_logout_redirect_uris: Set(to_json_list(new.post_logout_redirect_uris)),
        grant_types: Set(to_json_list(new.grant_types)),
        allowed_scopes: Set(to_json_list(new.allowed_scopes)),
        audience: Set(None),
        access_token_ttl_secs: Set(15 * 60),
        id_token_ttl_secs: Set(15 * 60),
        refresh_token_ttl_secs: Set(30 * 24 * 3600),
        first_party: Set(new.first_party),
        // PKCE is always required for public clients; confidential ones opt in.
        require_pkce: Set(!new.confidential),
        signing_alg: Set(new.signing_alg.to_owned()),
        device_activation_uri: Set(new.device_activation_uri),
        allow_password_api: Set(new.allow_password_api),
        allowed_providers: Set("[]".to_owned()),
        token_redirect: Set(false),
        previous_client_secret_hash: Set(None),
        previous_secret_expires_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await
}

pub async fn find_by_client_id<C: ConnectionTrait>(
    db: &C,
    client_id: &str,
) -> Result<Option<Service>, DbErr> {
    Services::find()
        .filter(services::Column::ClientId.eq(client_id))
        .one(db)
        .await
}

pub async fn find_by_id<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<Option<Service>, DbErr> {
    Services::find_by_id(id).one(db).await
}

pub async fn list<C: ConnectionTrait>(db: &C, org_id: Option<Uuid>) -> Result<Vec<Service>, DbErr> {
    let mut query = Services::find();
    if let Some(org_id) = org_id {
        query = query.filter(services::Column::OrgId.eq(org_id));
    }
    query.order_by_asc(services::Column::Slug).all(db).await
}

pub async fn set_allow_password_api<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    on: bool,
) -> Result<(), DbErr> {
    Services::update_many()
        .col_expr(
            services::Column::AllowPasswordApi,
            sea_orm::sea_query::Expr::value(on),
        )
        .col_expr(
            services::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(super::now()),
        )
        .filter(services::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The service's federation settings: which providers it offers and whether a provider sign-in
/// may end with tokens in its redirect URI.
pub async fn set_federation<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    allowed_providers: &[String],
    token_redirect: bool,
) -> Result<(), DbErr> {
    use sea_orm::sea_query::Expr;
    Services::update_many()
        .col_expr(
            services::Column::AllowedProviders,
            Expr::value(to_json_list(allowed_providers)),
        )
        .col_expr(services::Column::TokenRedirect, Expr::value(token_redirect))
        .col_expr(services::Column::UpdatedAt, Expr::value(super::now()))
        .filter(services::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// What an admin update changes; `None` leaves a column as it is.
#[derive(Default)]
pub struct ServiceChanges {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub grant_types: Option<Vec<String>>,
    pub allowed_scopes: Option<Vec<String>>,
    pub first_party: Option<bool>,
    pub signing_alg: Option<String>,
    pub allow_password_api: Option<bool>,
}

pub async fn update<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    changes: ServiceChanges,
) -> Result<Service, DbErr> {
    let mut row = services::ActiveModel {
        id: Set(id),
        updated_at: Set(super::now()),
        ..Default::default()
    };
    if let Some(name) = changes.name {
        row.name = Set(name);
    }
    if let Some(uris) = changes.redirect_uris {
        row.redirect_uris = Set(to_json_list(&uris));
    }
    if let Some(uris) = changes.post_logout_redirect_uris {
        row.post_logout_redirect_uris = Set(to_json_list(&uris));
    }
    if let Some(grants) = changes.grant_types {
        row.grant_types = Set(to_json_list(&grants));
    }
    if let Some(scopes) = changes.allowed_scopes {
        row.allowed_scopes = Set(to_json_list(&scopes));
    }
    if let Some(first_party) = changes.first_party {
        row.first_party = Set(first_party);
    }
    if let Some(alg) = changes.signing_alg {
        row.signing_alg = Set(alg);
    }
    if let Some(on) = changes.allow_password_api {
        row.allow_password_api = Set(on);
    }
    row.update(db).await
}

/// Replaces the client secret; the previous hash keeps working until `previous_expires_at`.
pub async fn rotate_secret<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    new_hash: String,
    previous_hash: Option<String>,
    previous_expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), DbErr> {
    services::ActiveModel {
        id: Set(id),
        client_secret_hash: Set(Some(new_hash)),
        previous_client_secret_hash: Set(previous_hash),
        previous_secret_expires_at: Set(previous_expires_at),
        updated_at: Set(super::now()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Deletes a service; its codes, refresh tokens, consents and device codes go with it
/// (`ON DELETE CASCADE`).
pub async fn delete<C: ConnectionTrait>(db: &C, id: Uuid) -> Result<(), DbErr> {
    Services::delete_by_id(id).exec(db).await?;
    Ok(())
}
