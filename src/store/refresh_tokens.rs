use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query, UpdateStatement};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend,
    DbErr, EntityTrait, Iterable, QueryFilter, QuerySelect, QueryTrait, Statement,
};
use uuid::Uuid;

pub use super::entities::refresh_tokens::Model as RefreshToken;
use super::entities::refresh_tokens::{self, Column, Entity as RefreshTokens};

pub async fn insert<C: ConnectionTrait>(
    db: &C,
    token: RefreshToken,
) -> Result<RefreshToken, DbErr> {
    refresh_tokens::ActiveModel::from(token).insert(db).await
}

pub async fn find<C: ConnectionTrait>(
    db: &C,
    token_hash: &str,
) -> Result<Option<RefreshToken>, DbErr> {
    RefreshTokens::find()
        .filter(Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// Rotation: marks the token used only if it is live; `false` means replay, expiry or revocation.
pub async fn consume<C: ConnectionTrait>(
    db: &C,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = db.execute(&consume_statement(id, now)).await?;
    Ok(result.rows_affected() == 1)
}

fn consume_statement(id: Uuid, now: DateTime<Utc>) -> UpdateStatement {
    RefreshTokens::update_many()
        .col_expr(Column::UsedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::UsedAt.is_null())
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(now))
        .into_query()
}

/// A rotation in one step: uses up the token `old` (as [`consume`]) and stores `new` only if
/// that worked; `false` means replay, expiry or revocation. `writer` is `state.writer`.
///
/// On SQLite the whole transaction is one batch sent to the writer connection's thread: one
/// round trip inside the write turn that every writer waits for, instead of four (`BEGIN`,
/// `UPDATE`, `INSERT`, `COMMIT`), which is what bounded the refresh grant's rate. The insert
/// is conditional on the update (`changes()`), and its `RETURNING` tells whether it happened.
/// Elsewhere it is a plain transaction.
pub async fn rotate(
    writer: &DatabaseConnection,
    old: Uuid,
    now: DateTime<Utc>,
    new: RefreshToken,
) -> Result<bool, DbErr> {
    if writer.get_database_backend() != DbBackend::Sqlite {
        let txn = super::begin(writer).await?;
        if !consume(&txn, old, now).await? {
            txn.rollback().await?;
            return Ok(false);
        }
        insert(&txn, new).await?;
        txn.commit().await?;
        return Ok(true);
    }
    let consume = consume_statement(old, now);
    let new = refresh_tokens::ActiveModel::from(new);
    let (columns, values): (Vec<Column>, Vec<Expr>) = Column::iter()
        .filter_map(|column| new.get(column).into_value().map(|v| (column, Expr::val(v))))
        .unzip();
    let mut select = Query::select();
    select.exprs(values).and_where(Expr::cust("changes() = 1"));
    let insert = Query::insert()
        .into_table(RefreshTokens)
        .columns(columns)
        .select_from(select)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .returning_col(Column::Id)
        .to_owned();
    let (consume, insert) = (
        DbBackend::Sqlite.build(&consume),
        DbBackend::Sqlite.build(&insert),
    );
    let mut values = consume.values.map(|v| v.0).unwrap_or_default();
    values.extend(insert.values.map(|v| v.0).unwrap_or_default());
    let batch = Statement::from_sql_and_values(
        DbBackend::Sqlite,
        format!("BEGIN IMMEDIATE; {}; {}; COMMIT", consume.sql, insert.sql),
        values,
    );
    let _turn = super::write_turn(writer).await?;
    // All rows, not one: a fetch that stops at the first row would leave the COMMIT unrun.
    match writer.query_all_raw(batch).await {
        Ok(inserted) => Ok(!inserted.is_empty()),
        Err(e) => {
            // A failed statement leaves the transaction open on the writer connection, the
            // only one of its pool, which the write turn keeps for us.
            let _ = writer.execute_unprepared("ROLLBACK").await;
            Err(e)
        }
    }
}

/// Which families to revoke.
pub enum Families {
    Family(Uuid),
    Grant(Uuid),
    /// Session-bound families (issued without `offline_access`) of a browser session.
    Session(Uuid),
    User(Uuid),
    UserService(Uuid, Uuid),
}

/// Revokes whole families and returns the access tokens (jti, expiry) they issued that may still
/// be live, for the caller to deny-list.
pub async fn revoke<C: ConnectionTrait>(
    db: &C,
    which: Families,
) -> Result<Vec<(String, DateTime<Utc>)>, DbErr> {
    let now = super::now();
    let family_filter = match which {
        Families::Family(id) => Condition::all().add(Column::FamilyId.eq(id)),
        Families::Grant(id) => Condition::all().add(Column::GrantId.eq(id)),
        Families::Session(id) => Condition::all().add(Column::SessionId.eq(id)),
        Families::User(id) => Condition::all().add(Column::UserId.eq(id)),
        Families::UserService(user, service) => Condition::all()
            .add(Column::UserId.eq(user))
            .add(Column::ServiceId.eq(service)),
    };
    let families: Vec<Uuid> = RefreshTokens::find()
        .select_only()
        .column(Column::FamilyId)
        .filter(family_filter)
        .distinct()
        .into_tuple()
        .all(db)
        .await?;
    if families.is_empty() {
        return Ok(Vec::new());
    }
    let issued: Vec<(Option<String>, Option<DateTime<Utc>>)> = RefreshTokens::find()
        .select_only()
        .column(Column::AccessTokenJti)
        .column(Column::AccessTokenExpiresAt)
        .filter(Column::FamilyId.is_in(families.clone()))
        .filter(Column::AccessTokenExpiresAt.gt(now))
        .into_tuple()
        .all(db)
        .await?;
    RefreshTokens::update_many()
        .col_expr(Column::RevokedAt, Expr::value(now))
        .filter(Column::FamilyId.is_in(families))
        .filter(Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(issued
        .into_iter()
        .filter_map(|(jti, exp)| Some((jti?, exp?)))
        .collect())
}

/// Families issued without `offline_access` are bound to the browser session.
pub fn session_bound(scope: &str) -> bool {
    !scope.split(' ').any(|s| s == "offline_access")
}

/// The family whose rotation issued the access token `jti`.
pub async fn family_of_access_token<C: ConnectionTrait>(
    db: &C,
    jti: &str,
) -> Result<Option<Uuid>, DbErr> {
    RefreshTokens::find()
        .select_only()
        .column(Column::FamilyId)
        .filter(Column::AccessTokenJti.eq(jti))
        .into_tuple()
        .one(db)
        .await
}
