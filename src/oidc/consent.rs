//! A user's consent to a third-party application (OIDC Core §3.1.2.4): granted on the consent
//! page, withdrawn on the account page (or later the console and admin API), always audited.
use sea_orm::DbErr;
use uuid::Uuid;

use super::clients::Client;
use super::revocation;
use super::scope::ScopeSet;
use crate::audit::{self, AuditEvent, Outcome};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::consents;
use crate::store::refresh_tokens::Families;

/// The scopes the user has already granted this service.
pub async fn granted(
    state: &AppState,
    user_id: Uuid,
    service_id: Uuid,
) -> Result<Option<ScopeSet>, DbErr> {
    Ok(consents::find(&state.db, user_id, service_id)
        .await?
        .map(|c| ScopeSet::from_list(&c.scopes_list())))
}

fn event<'a>(
    action: &'a str,
    user_id: Uuid,
    client: &Client,
    scope: &ScopeSet,
    meta: &'a RequestMeta,
) -> AuditEvent<'a> {
    AuditEvent::new(action, Outcome::Success, meta)
        .user(user_id)
        .details(serde_json::json!({ "client_id": client.client_id(), "scope": scope.to_string() }))
}

/// Records the user's consent to `scope` for `client` (replacing an earlier one).
pub async fn grant(
    state: &AppState,
    user_id: Uuid,
    client: &Client,
    scope: &ScopeSet,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let txn = crate::store::begin(&state.writer).await?;
    consents::upsert(&txn, user_id, client.service.id, scope.as_list()).await?;
    let record = event("consent.granted", user_id, client, scope, meta);
    audit::record(&txn, record).await?;
    txn.commit().await?;
    Ok(())
}

/// Audits that the user refused consent; nothing is stored.
pub async fn deny(
    state: &AppState,
    user_id: Uuid,
    client: &Client,
    scope: &ScopeSet,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let record = event("consent.denied", user_id, client, scope, meta);
    audit::record(&state.db, record).await?;
    Ok(())
}

/// Withdraws one of the user's consents; the application's refresh tokens for this user, and
/// the access tokens they issued, die with it. `false` when the user has no such consent.
pub async fn revoke(
    state: &AppState,
    user_id: Uuid,
    consent_id: Uuid,
    meta: &RequestMeta,
) -> Result<bool, AppError> {
    let owned = consents::list_for_user(&state.db, user_id)
        .await?
        .into_iter()
        .find(|c| c.id == consent_id);
    let Some(consent) = owned else {
        return Ok(false);
    };
    let txn = crate::store::begin(&state.writer).await?;
    consents::delete(&txn, user_id, consent.id).await?;
    let which = Families::UserService(user_id, consent.service_id);
    revocation::revoke(state, &txn, Some(which), &[]).await?;
    audit::record(
        &txn,
        AuditEvent::new("consent.revoked", Outcome::Success, meta)
            .user(user_id)
            .details(serde_json::json!({ "service_id": consent.service_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(true)
}
