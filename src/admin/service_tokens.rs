//! Service tokens: long-lived, scoped credentials for machines (CLI, CI, backends). Created,
//! listed, rotated with an overlap and revoked through the admin layer by any [`Actor`]; a
//! token is checked by [`verify`] (admin API, introspection, token exchange). Format and regex
//! in [`format`]; the guide is docs/service-tokens.md.
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{DbErr, SqlErr};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Actor, Reach, Scope, TokenActor};
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::{AppError, ErrorCode};
use crate::keys::{constant_time_eq, hash_token};
use crate::state::AppState;
use crate::store::service_tokens::{self as store, NewServiceToken, Rotation, ServiceToken};
use crate::store::{self as db, organizations};

pub mod format;

/// The longest lifetime a token may be given: five years.
pub const MAX_EXPIRES_IN: i64 = 5 * 365 * 24 * 3600;
/// The default and the bounds of a rotation's overlap.
pub const DEFAULT_OVERLAP: i64 = 300;
pub const MAX_OVERLAP: i64 = 7 * 24 * 3600;
pub const MAX_WORKSPACES: usize = 100;
const MAX_REASON_LEN: usize = 500;
/// `last_used_at` is written at most this often per token.
const TOUCH_EVERY: TimeDelta = TimeDelta::minutes(1);

/// What `create` takes (CLI flags or the API's JSON body).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// The public id; generated (`st-…`) when absent.
    #[serde(default)]
    pub id: Option<String>,
    /// The organization's slug; absent for a platform-wide token.
    #[serde(default)]
    pub org: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub workspaces: Vec<String>,
    /// Seconds from now; absent for a token that does not expire.
    #[serde(default)]
    pub expires_in: Option<i64>,
}

/// What `rotate` takes.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateToken {
    /// Seconds the old secret keeps working (default 300, at most 7 days, 0 ends it now).
    #[serde(default)]
    pub overlap: Option<i64>,
    /// A new lifetime from now; absent keeps the current expiry.
    #[serde(default)]
    pub expires_in: Option<i64>,
}

/// What `revoke` takes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeToken {
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenStatus {
    Active,
    Expired,
    Revoked,
}

/// A token as `show` and `list` present it (never its secret or hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: String,
    pub org_id: Option<Uuid>,
    pub scopes: Vec<String>,
    pub workspaces: Vec<String>,
    pub status: TokenStatus,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub rotated_at: Option<DateTime<Utc>>,
    /// Until when the secret replaced by the last rotation still works.
    pub previous_valid_until: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub last_used_ip: Option<String>,
}

impl TokenView {
    pub fn of(row: &ServiceToken, now: DateTime<Utc>) -> Self {
        Self {
            id: row.id.clone(),
            org_id: row.org_id,
            scopes: row.scopes_list(),
            workspaces: row.workspaces_list(),
            status: status(row, now),
            created_at: row.created_at,
            created_by: row.created_by.clone(),
            expires_at: row.expires_at,
            rotated_at: row.rotated_at,
            previous_valid_until: row.previous_valid_until.filter(|t| *t > now),
            revoked_at: row.revoked_at,
            revoked_reason: row.revoked_reason.clone(),
            last_used_at: row.last_used_at,
            last_used_ip: row.last_used_ip.clone(),
        }
    }
}

/// A token with its secret: the answer of `create` and `rotate`, the only time it is shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    #[serde(flatten)]
    pub token: TokenView,
    pub secret: String,
}

fn status(row: &ServiceToken, now: DateTime<Utc>) -> TokenStatus {
    if row.revoked_at.is_some() {
        TokenStatus::Revoked
    } else if row.expires_at.is_some_and(|t| t <= now) {
        TokenStatus::Expired
    } else {
        TokenStatus::Active
    }
}

fn reach_of(row: &ServiceToken) -> Reach {
    row.org_id.map_or(Reach::Platform, Reach::Org)
}

fn lifetime(expires_in: i64, now: DateTime<Utc>) -> Result<DateTime<Utc>, AppError> {
    if !(1..=MAX_EXPIRES_IN).contains(&expires_in) {
        return Err(AppError::invalid(format!(
            "expires_in must be between 1 and {MAX_EXPIRES_IN} seconds (5 years), not {expires_in}"
        )));
    }
    Ok(now + TimeDelta::seconds(expires_in))
}

fn valid_workspace(w: &str) -> bool {
    (1..=64).contains(&w.len())
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Refuses scopes the actor does not hold on `reach`, and scopes a token of that reach could
/// never use (signing keys on an organization's token): a token never exceeds its creator.
fn check_grantable(actor: &Actor, reach: Reach, scopes: &[Scope]) -> Result<(), AppError> {
    let held = actor.scopes_on(reach);
    for scope in scopes {
        let usable = Actor::ServiceToken(TokenActor {
            id: String::new(),
            org_id: match reach {
                Reach::Org(org) => Some(org),
                Reach::Platform => None,
            },
            scopes: vec![*scope],
        })
        .may(*scope, reach);
        if !usable {
            return Err(AppError::invalid(format!(
                "{scope} cannot be given to an organization's token"
            )));
        }
        if !held.contains(scope) {
            return Err(AppError::Forbidden {
                code: ErrorCode::Forbidden,
                message: format!(
                    "a token cannot hold more rights than its creator: you do not hold {scope} here"
                )
                .into(),
            });
        }
    }
    Ok(())
}

fn stored_scopes(row: &ServiceToken) -> Vec<Scope> {
    row.scopes_list()
        .iter()
        .filter_map(|s| Scope::parse(s))
        .collect()
}

fn target(id: &str) -> String {
    format!("service_token:{id}")
}

fn not_found() -> AppError {
    AppError::NotFound("Service token not found")
}

/// `POST /api/admin/tokens`, `gatehouse token create`.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    input: NewToken,
    meta: &RequestMeta,
) -> Result<IssuedToken, AppError> {
    let org = match input.org.as_deref() {
        Some(slug) => Some(
            organizations::find_by_slug(&state.db, slug)
                .await?
                .ok_or_else(|| AppError::invalid(format!("no organization {slug:?}")))?,
        ),
        None => None,
    };
    let reach = org.as_ref().map_or(Reach::Platform, |o| Reach::Org(o.id));
    actor.require(Scope::TokensWrite, reach)?;

    let id = match input.id {
        Some(id) if !format::valid_id(&id) => {
            return Err(AppError::invalid(
                "a token id is 1 to 64 letters, digits and '-', and not a UUID",
            ));
        }
        Some(id) => id,
        None => format!("st-{}", format::random_base62(16)),
    };
    let scopes = Scope::parse_list(input.scopes.iter().map(String::as_str))?;
    check_grantable(actor, reach, &scopes)?;
    let mut workspaces = input.workspaces;
    if let Some(bad) = workspaces.iter().find(|w| !valid_workspace(w)) {
        return Err(AppError::invalid(format!(
            "invalid workspace {bad:?}: use 1 to 64 letters, digits, '-' and '_'"
        )));
    }
    workspaces.sort();
    workspaces.dedup();
    if workspaces.len() > MAX_WORKSPACES {
        return Err(AppError::invalid(format!(
            "at most {MAX_WORKSPACES} workspaces"
        )));
    }
    let now = db::now();
    let expires_at = input.expires_in.map(|s| lifetime(s, now)).transpose()?;

    let secret = format::issue(&id);
    let scope_names: Vec<String> = scopes.iter().map(|s| s.as_str().to_owned()).collect();
    let txn = db::begin(&state.writer).await?;
    let row = store::insert(
        &txn,
        NewServiceToken {
            id: &id,
            org_id: org.as_ref().map(|o| o.id),
            scopes: &scope_names,
            workspaces: &workspaces,
            secret_hash: hash_token(&secret),
            expires_at,
            created_by: actor.audit_ref(),
        },
    )
    .await
    .map_err(|e| conflict_or(e, &id))?;
    audit::record(
        &txn,
        AuditEvent::new("service_token.created", Outcome::Success, meta)
            .by(actor, target(&id), row.org_id)
            .details(serde_json::json!({
                "scopes": scope_names,
                "workspaces": workspaces,
                "expires_at": expires_at,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(IssuedToken {
        token: TokenView::of(&row, now),
        secret,
    })
}

fn conflict_or(e: DbErr, id: &str) -> AppError {
    if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        AppError::Conflict(format!("a service token with id {id:?} already exists").into())
    } else {
        e.into()
    }
}

/// Whether the actor may read tokens anywhere (else listing is refused rather than empty).
fn reads_somewhere(actor: &Actor) -> bool {
    match actor {
        Actor::Cli => true,
        Actor::Bootstrap { scopes } => scopes.contains(&Scope::TokensRead),
        Actor::User(user) => user.is_platform_owner || !user.admin_of.is_empty(),
        Actor::ServiceToken(token) => token.scopes.contains(&Scope::TokensRead),
    }
}

/// `GET /api/admin/tokens`, `gatehouse token list`: the tokens the actor may read, optionally
/// of one organization.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    org: Option<&str>,
) -> Result<Vec<TokenView>, AppError> {
    let org_id = match org {
        Some(slug) => {
            let org = organizations::find_by_slug(&state.db, slug)
                .await?
                .ok_or_else(|| AppError::invalid(format!("no organization {slug:?}")))?;
            actor.require(Scope::TokensRead, Reach::Org(org.id))?;
            Some(org.id)
        }
        None if reads_somewhere(actor) => None,
        None => actor
            .require(Scope::TokensRead, Reach::Platform)
            .map(|_| None)?,
    };
    let now = db::now();
    Ok(store::list(&state.db, org_id)
        .await?
        .iter()
        .filter(|row| actor.may(Scope::TokensRead, reach_of(row)))
        .map(|row| TokenView::of(row, now))
        .collect())
}

/// `GET /api/admin/tokens/{id}`, `gatehouse token show`.
pub async fn show(state: &AppState, actor: &Actor, id: &str) -> Result<TokenView, AppError> {
    let row = store::find(&state.db, id).await?.ok_or_else(not_found)?;
    actor.require(Scope::TokensRead, reach_of(&row))?;
    Ok(TokenView::of(&row, db::now()))
}

/// `POST /api/admin/tokens/{id}/rotate`, `gatehouse token rotate`: a new secret; the old one
/// keeps working for the overlap. The rotator must hold every scope of the token, since it
/// receives a working secret.
pub async fn rotate(
    state: &AppState,
    actor: &Actor,
    id: &str,
    input: RotateToken,
    meta: &RequestMeta,
) -> Result<IssuedToken, AppError> {
    let row = store::find(&state.db, id).await?.ok_or_else(not_found)?;
    let reach = reach_of(&row);
    actor.require(Scope::TokensWrite, reach)?;
    check_grantable(actor, reach, &stored_scopes(&row))?;
    let overlap = input.overlap.unwrap_or(DEFAULT_OVERLAP);
    if !(0..=MAX_OVERLAP).contains(&overlap) {
        return Err(AppError::invalid(format!(
            "overlap must be between 0 and {MAX_OVERLAP} seconds (7 days), not {overlap}"
        )));
    }
    let now = db::now();
    let expires_at = input.expires_in.map(|s| lifetime(s, now)).transpose()?;
    match status(&row, now) {
        TokenStatus::Revoked => {
            return Err(AppError::invalid(
                "this token is revoked; create a new one instead",
            ));
        }
        TokenStatus::Expired => {
            return Err(AppError::invalid(
                "this token has expired; create a new one instead",
            ));
        }
        TokenStatus::Active => {}
    }
    let previous_valid_until = (overlap > 0).then(|| now + TimeDelta::seconds(overlap));
    let secret = format::issue(id);
    let txn = db::begin(&state.writer).await?;
    let rotated = store::rotate(
        &txn,
        id,
        Rotation {
            new_hash: hash_token(&secret),
            previous_valid_until,
            expires_at,
        },
        now,
    )
    .await?;
    if !rotated {
        // Revoked or expired since it was read.
        return Err(AppError::invalid(
            "this token is no longer active; create a new one instead",
        ));
    }
    audit::record(
        &txn,
        AuditEvent::new("service_token.rotated", Outcome::Success, meta)
            .by(actor, target(id), row.org_id)
            .details(serde_json::json!({
                "overlap_seconds": overlap,
                "previous_valid_until": previous_valid_until,
                "expires_at": expires_at.or(row.expires_at),
            })),
    )
    .await?;
    let row = store::find(&txn, id).await?.ok_or_else(not_found)?;
    txn.commit().await?;
    Ok(IssuedToken {
        token: TokenView::of(&row, now),
        secret,
    })
}

/// `POST /api/admin/tokens/{id}/revoke`, `gatehouse token revoke`: immediate, once.
pub async fn revoke(
    state: &AppState,
    actor: &Actor,
    id: &str,
    input: RevokeToken,
    meta: &RequestMeta,
) -> Result<TokenView, AppError> {
    let reason = input.reason.trim();
    if reason.is_empty() || reason.len() > MAX_REASON_LEN {
        return Err(AppError::invalid(format!(
            "a reason (1 to {MAX_REASON_LEN} characters) is required"
        )));
    }
    let row = store::find(&state.db, id).await?.ok_or_else(not_found)?;
    actor.require(Scope::TokensWrite, reach_of(&row))?;
    let now = db::now();
    let txn = db::begin(&state.writer).await?;
    if !store::revoke(&txn, id, reason, now).await? {
        return Err(AppError::Conflict("this token is already revoked".into()));
    }
    audit::record(
        &txn,
        AuditEvent::new("service_token.revoked", Outcome::Success, meta)
            .by(actor, target(id), row.org_id)
            .details(serde_json::json!({ "reason": reason })),
    )
    .await?;
    let row = store::find(&txn, id).await?.ok_or_else(not_found)?;
    txn.commit().await?;
    Ok(TokenView::of(&row, now))
}

/// The token named `id` if it is neither revoked nor expired (for what was issued from it,
/// such as an exchanged JWT).
pub async fn live(state: &AppState, id: &str) -> Result<Option<ServiceToken>, AppError> {
    let now = db::now();
    Ok(store::find(&state.db, id)
        .await?
        .filter(|row| status(row, now) == TokenStatus::Active))
}

/// Why a presented token was refused. Only `Expired` is told apart to the caller
/// (`TOKEN_EXPIRED`); the audit row has the precise reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not the format, or a wrong checksum: refused without a lookup.
    Malformed,
    /// No token with this id, or a secret that is neither the current nor the previous one.
    Unknown,
    /// Past `expires_at`, or the previous secret after its overlap.
    Expired,
    Revoked,
}

impl Refusal {
    fn as_str(self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed",
            Refusal::Unknown => "unknown",
            Refusal::Expired => "expired",
            Refusal::Revoked => "revoked",
        }
    }
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Expired => AppError::Unauthorized {
                code: ErrorCode::TokenExpired,
                message: "Service token expired".into(),
            },
            _ => AppError::Unauthorized {
                code: ErrorCode::Unauthorized,
                message: "Invalid service token".into(),
            },
        }
    }
}

/// A presented token that may be used now.
#[derive(Debug)]
pub struct Verified {
    pub token: ServiceToken,
    /// When the presented secret stops working: the token's expiry, or the end of the overlap
    /// for the secret a rotation replaced. `None`: no expiry.
    pub valid_until: Option<DateTime<Utc>>,
}

impl Verified {
    pub fn scopes(&self) -> Vec<String> {
        self.token.scopes_list()
    }
}

/// Checks a presented service token (constant-time hash comparison), stamps its last use and,
/// for a refusal, writes a (rate-limited) audit row. `Err` is a database failure.
pub async fn verify(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
) -> Result<Result<Verified, Refusal>, AppError> {
    let Some(id) = format::parse(raw) else {
        audit_refusal(state, None, Refusal::Malformed, meta).await;
        return Ok(Err(Refusal::Malformed));
    };
    let now = db::now();
    let row = store::find(&state.db, id).await?;
    let outcome = match &row {
        None => Err(Refusal::Unknown),
        Some(row) => check(row, &hash_token(raw), now),
    };
    match outcome {
        Ok(valid_until) => {
            let token = row.ok_or_else(not_found)?;
            store::touch(&state.db, &token.id, meta.ip_string(), now, TOUCH_EVERY).await?;
            Ok(Ok(Verified { token, valid_until }))
        }
        Err(refusal) => {
            audit_refusal(state, Some(id), refusal, meta).await;
            Ok(Err(refusal))
        }
    }
}

/// `Ok(valid_until)` when the hash is the current secret, or the previous one within its
/// overlap, of a token neither revoked nor expired.
fn check(
    row: &ServiceToken,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Refusal> {
    let current = constant_time_eq(hash, &row.secret_hash);
    let previous = row
        .previous_secret_hash
        .as_deref()
        .is_some_and(|h| constant_time_eq(hash, h));
    if !current && !previous {
        return Err(Refusal::Unknown);
    }
    if row.revoked_at.is_some() {
        return Err(Refusal::Revoked);
    }
    if row.expires_at.is_some_and(|t| t <= now) {
        return Err(Refusal::Expired);
    }
    if current {
        return Ok(row.expires_at);
    }
    match row.previous_valid_until {
        Some(until) if until > now => Ok(Some(row.expires_at.map_or(until, |e| e.min(until)))),
        _ => Err(Refusal::Expired),
    }
}

/// A failed use is audited (who, from where) unless this client network already had its
/// share this minute; the rest are counted into the minute's `rate_limit.refused` row, so a
/// flood of bad tokens cannot fill the table.
async fn audit_refusal(state: &AppState, id: Option<&str>, refusal: Refusal, meta: &RequestMeta) {
    if !state.limits.allow_token_failure_audit(meta.ip).await {
        return;
    }
    let mut event = AuditEvent::new("service_token.used", Outcome::Failure, meta)
        .details(serde_json::json!({ "reason": refusal.as_str() }));
    event.target = id.map(target);
    if let Err(e) = audit::record(&state.db, event).await {
        tracing::warn!(error = %e, "could not audit a refused service token");
    }
}

/// The admin API's authentication by service token: `Ok(None)` when `raw` is not one (the
/// caller tries the other kinds), an actor for a valid one, 401 otherwise (`TOKEN_EXPIRED`
/// for an expired token or a previous secret past its overlap).
pub async fn authenticate(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
) -> Result<Option<Actor>, AppError> {
    if !format::looks_like(raw) {
        return Ok(None);
    }
    let row = verify(state, raw, meta).await??.token;
    Ok(Some(Actor::ServiceToken(TokenActor {
        scopes: stored_scopes(&row),
        org_id: row.org_id,
        id: row.id,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(now: DateTime<Utc>) -> ServiceToken {
        ServiceToken {
            id: "t".into(),
            org_id: None,
            scopes: "[]".into(),
            workspaces: "[]".into(),
            secret_hash: hash_token("new"),
            previous_secret_hash: Some(hash_token("old")),
            previous_valid_until: Some(now + TimeDelta::seconds(5)),
            expires_at: None,
            revoked_at: None,
            revoked_reason: None,
            created_by: "cli".into(),
            created_at: now,
            rotated_at: None,
            last_used_at: None,
            last_used_ip: None,
        }
    }

    #[test]
    fn the_previous_secret_works_until_the_overlap_ends() {
        let now = Utc::now();
        let token = row(now);
        assert_eq!(check(&token, &hash_token("new"), now), Ok(None));
        assert_eq!(
            check(&token, &hash_token("old"), now),
            Ok(token.previous_valid_until)
        );
        let later = now + TimeDelta::seconds(6);
        assert_eq!(
            check(&token, &hash_token("old"), later),
            Err(Refusal::Expired)
        );
        assert_eq!(check(&token, &hash_token("new"), later), Ok(None));
        assert_eq!(
            check(&token, &hash_token("other"), now),
            Err(Refusal::Unknown)
        );
    }

    #[test]
    fn revoked_and_expired_tokens_are_refused() {
        let now = Utc::now();
        let mut token = row(now);
        token.revoked_at = Some(now);
        assert_eq!(
            check(&token, &hash_token("new"), now),
            Err(Refusal::Revoked)
        );
        let mut token = row(now);
        token.expires_at = Some(now);
        assert_eq!(
            check(&token, &hash_token("new"), now),
            Err(Refusal::Expired)
        );
    }

    #[test]
    fn workspaces_are_checked() {
        assert!(valid_workspace("ws-analytics_2"));
        assert!(!valid_workspace(""));
        assert!(!valid_workspace("ws analytics"));
        assert!(!valid_workspace("ws/1"));
        assert!(!valid_workspace(&"w".repeat(65)));
    }
}
