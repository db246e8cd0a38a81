use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

pub use super::entities::passkeys::Model as StoredPasskey;
use super::entities::passkeys::{self, Column, Entity as Passkeys};

pub struct NewPasskey<'a> {
    pub user_id: Uuid,
    pub name: &'a str,
    pub credential_id: &'a str,
    pub passkey: String,
    pub counter: i64,
}

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    new: NewPasskey<'_>,
) -> Result<StoredPasskey, DbErr> {
    passkeys::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(new.user_id),
        name: Set(new.name.to_owned()),
        credential_id: Set(new.credential_id.to_owned()),
        passkey: Set(new.passkey),
        counter: Set(new.counter),
        created_at: Set(super::now()),
        last_used_at: Set(None),
    }
    .insert(db)
    .await
}

pub async fn list_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
) -> Result<Vec<StoredPasskey>, DbErr> {
    Passkeys::find()
        .filter(Column::UserId.eq(user_id))
        .order_by_asc(Column::CreatedAt)
        .all(db)
        .await
}

pub async fn count_for_user<C: ConnectionTrait>(db: &C, user_id: Uuid) -> Result<u64, DbErr> {
    Passkeys::find()
        .filter(Column::UserId.eq(user_id))
        .count(db)
        .await
}

/// The distinct lengths (in base64url characters) of the credential ids stored here: what the
/// deployment's authenticators produce, for decoys that look like them.
pub async fn credential_id_lengths<C: ConnectionTrait>(db: &C) -> Result<Vec<i64>, DbErr> {
    use sea_orm::QuerySelect;
    Passkeys::find()
        .select_only()
        .column_as(
            Expr::cust("CAST(LENGTH(credential_id) AS BIGINT)"),
            "length",
        )
        .distinct()
        .into_tuple::<i64>()
        .all(db)
        .await
}

pub async fn find_by_credential_id<C: ConnectionTrait>(
    db: &C,
    credential_id: &str,
) -> Result<Option<StoredPasskey>, DbErr> {
    Passkeys::find()
        .filter(Column::CredentialId.eq(credential_id))
        .one(db)
        .await
}

pub async fn find_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    id: Uuid,
) -> Result<Option<StoredPasskey>, DbErr> {
    Passkeys::find_by_id(id)
        .filter(Column::UserId.eq(user_id))
        .one(db)
        .await
}

/// Records a successful use. The counter only moves forward (or stays 0 for authenticators
/// without one), checked in the same UPDATE; `false` means it went backwards.
pub async fn record_use<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    passkey: String,
    counter: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let moves_forward = if counter == 0 {
        Condition::all().add(Column::Counter.eq(0))
    } else {
        Condition::all().add(Column::Counter.lt(counter))
    };
    let result = Passkeys::update_many()
        .col_expr(Column::Passkey, Expr::value(passkey))
        .col_expr(Column::Counter, Expr::value(counter))
        .col_expr(Column::LastUsedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(moves_forward)
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn rename<C: ConnectionTrait>(
    db: &C,
    user_id: Uuid,
    id: Uuid,
    name: &str,
) -> Result<bool, DbErr> {
    let result = Passkeys::update_many()
        .col_expr(Column::Name, Expr::value(name))
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn delete<C: ConnectionTrait>(db: &C, user_id: Uuid, id: Uuid) -> Result<bool, DbErr> {
    let result = Passkeys::delete_many()
        .filter(Column::Id.eq(id))
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
