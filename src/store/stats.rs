//! Counting queries of the console overview. "People of these organizations" filters count
//! only rows of users who are members of the given organizations (an org admin's view);
//! `None` counts everyone (a platform owner's).
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Func, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use super::entities::{browser_sessions, memberships, services, sign_in_attempts, users};

/// Sign-in attempts of one hour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HourCount {
    pub succeeded: u64,
    pub failed: u64,
}

/// The users who are members of `orgs`, as a subquery.
fn members_of(orgs: &[Uuid]) -> SelectStatement {
    Query::select()
        .column(memberships::Column::UserId)
        .from(memberships::Entity)
        .and_where(memberships::Column::OrgId.is_in(orgs.iter().copied()))
        .to_owned()
}

/// Successful and failed sign-ins in each of `hours` hours from `start`, in one query of
/// `COUNT(CASE …)` columns (the same SQL on SQLite and PostgreSQL). Failures of addresses
/// without an account count only platform-wide (they belong to no organization).
pub async fn sign_ins_per_hour<C: ConnectionTrait>(
    db: &C,
    start: DateTime<Utc>,
    hours: u32,
    orgs: Option<&[Uuid]>,
) -> Result<Vec<HourCount>, DbErr> {
    use sign_in_attempts::Column;
    let mut query = Query::select();
    query.from(sign_in_attempts::Entity);
    for hour in 0..hours {
        let from = start + chrono::Duration::hours(i64::from(hour));
        let to = from + chrono::Duration::hours(1);
        for (succeeded, name) in [(true, "s"), (false, "f")] {
            let when = Condition::all()
                .add(Column::OccurredAt.gte(from))
                .add(Column::OccurredAt.lt(to))
                .add(Column::Succeeded.eq(succeeded));
            let case = Expr::case(when, Expr::val(1)).finally(Expr::null());
            query.expr_as(Func::count(case), Alias::new(format!("{name}{hour}")));
        }
    }
    query.and_where(Column::OccurredAt.gte(start));
    if let Some(orgs) = orgs {
        query.and_where(Column::UserId.in_subquery(members_of(orgs)));
    }
    let Some(row) = db.query_one(&query).await? else {
        return Ok(vec![HourCount::default(); hours as usize]);
    };
    let count = |name: String| -> Result<u64, DbErr> {
        Ok(u64::try_from(row.try_get::<i64>("", &name)?).unwrap_or(0))
    };
    (0..hours)
        .map(|hour| {
            Ok(HourCount {
                succeeded: count(format!("s{hour}"))?,
                failed: count(format!("f{hour}"))?,
            })
        })
        .collect()
}

/// Browser sessions neither revoked nor expired.
pub async fn active_sessions<C: ConnectionTrait>(
    db: &C,
    orgs: Option<&[Uuid]>,
) -> Result<u64, DbErr> {
    use browser_sessions::Column;
    let mut query = browser_sessions::Entity::find()
        .filter(Column::RevokedAt.is_null())
        .filter(Column::ExpiresAt.gt(super::now()));
    if let Some(orgs) = orgs {
        query = query.filter(Column::UserId.in_subquery(members_of(orgs)));
    }
    query.count(db).await
}

/// Services other than the built-in one (`except_client_id`), of `orgs` when given.
pub async fn services_besides<C: ConnectionTrait>(
    db: &C,
    except_client_id: &str,
    orgs: Option<&[Uuid]>,
) -> Result<u64, DbErr> {
    use services::Column;
    let mut query = services::Entity::find().filter(Column::ClientId.ne(except_client_id));
    if let Some(orgs) = orgs {
        query = query.filter(Column::OrgId.is_in(orgs.iter().copied()));
    }
    query.count(db).await
}

/// (org id, email, roles) of every member of `orgs` who holds one of `roles`, by email.
pub async fn people_with_roles<C: ConnectionTrait>(
    db: &C,
    orgs: &[Uuid],
    roles: &[&str],
) -> Result<Vec<(Uuid, String, Vec<String>)>, DbErr> {
    use sea_orm::QueryOrder;
    let rows = memberships::Entity::find()
        .filter(memberships::Column::OrgId.is_in(orgs.iter().copied()))
        .all(db)
        .await?;
    let rows: Vec<(Uuid, Uuid, Vec<String>)> = rows
        .into_iter()
        .map(|m| (m.org_id, m.user_id, super::from_json_list(&m.roles)))
        .filter(|(_, _, held)| held.iter().any(|r| roles.contains(&r.as_str())))
        .collect();
    let people = users::Entity::find()
        .filter(users::Column::Id.is_in(rows.iter().map(|(_, user, _)| *user)))
        .order_by_asc(users::Column::EmailNormalized)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for person in people {
        for (org, _, held) in rows.iter().filter(|(_, user, _)| *user == person.id) {
            out.push((*org, person.email.clone(), held.clone()));
        }
    }
    Ok(out)
}
