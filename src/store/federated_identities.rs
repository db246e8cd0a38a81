//! Upstream identities linked to local accounts.
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

pub use super::entities::federated_identities::Model as FederatedIdentity;
use super::entities::federated_identities::{self, Column, Entity as Identities};

pub struct NewIdentity<'a> {
    pub user_id: Uuid,
    pub provider: &'a str,
    pub issuer: &'a str,
    pub subject: &'a str,
    pub email: Option<&'a str>,
    pub email_verified: bool,
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewIdentity<'_>,
) -> Result<FederatedIdentity, DbErr> {
    let now = super::now();
    federated_identities::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(new.user_id),
        provider: Set(new.provider.to_owned()),
        issuer: Set(new.issuer.to_owned()),
        subject: Set(new.subject.to_owned()),
        email: Set(new.email.map(str::to_owned)),
        email_verified: Set(new.email_verified),
        created_at: Set(now),
        last_used_at: Set(Some(now)),
    }
    .insert(db)
    .await
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    provider: &str,
    issuer: &str,
    subject: &str,
) -> Result<Option<FederatedIdentity>, DbErr> {
    Identities::find()
        .filter(Column::Provider.eq(provider))
        .filter(Column::Issuer.eq(issuer))
        .filter(Column::Subject.eq(subject))
        .one(db)
        .await
}

pub async fn list_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> Result<Vec<FederatedIdentity>, DbErr> {
    Identities::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await
}

pub async fn count_for_user<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<u64, DbErr> {
    Identities::find()
        .filter(Column::UserId.eq(user_id))
        .count(db)
        .await
}

/// Records a sign-in: when, and the email the provider reports now.
pub async fn touch<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    email: Option<&str>,
    email_verified: bool,
) -> Result<(), DbErr> {
    Identities::update_many()
        .col_expr(Column::LastUsedAt, Expr::value(super::now()))
        .col_expr(Column::Email, Expr::value(email.map(str::to_owned)))
        .col_expr(Column::EmailVerified, Expr::value(email_verified))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes one identity of a user; `false` when there was none.
pub async fn delete<C: ConnectionTrait>(db: &C, user_id: Uuid, id: Uuid) -> Result<bool, DbErr> {
    let result = Identities::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
