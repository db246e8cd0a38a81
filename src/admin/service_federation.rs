//! A service's federation settings: which sign-in providers it offers, and whether a provider
//! sign-in may end with tokens in its redirect URI (the seed's direct form).
use serde::Serialize;

use super::{Actor, Invalidation, Reach, Scope, commit_and_invalidate};
use crate::audit::{self, AuditEvent, Outcome};
use crate::auth::federation::providers;
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::{self, services};

pub struct ServiceFederation {
    pub client_id: String,
    /// Provider slugs; empty: every provider of the service's organization.
    pub allowed_providers: Vec<String>,
    pub token_redirect: bool,
}

#[derive(Serialize)]
pub struct ServiceFederationView {
    pub client_id: String,
    pub allowed_providers: Vec<String>,
    pub token_redirect: bool,
}

pub async fn set_service_federation(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    mut input: ServiceFederation,
) -> Result<ServiceFederationView, AppError> {
    let service = services::find_by_client_id(&state.db, &input.client_id)
        .await?
        .ok_or(AppError::NotFound("Service not found"))?;
    actor.require(Scope::ServicesWrite, Reach::Org(service.org_id))?;
    input.allowed_providers.sort();
    input.allowed_providers.dedup();
    for slug in &input.allowed_providers {
        if !providers::exists(state, slug).await? {
            return Err(AppError::invalid(format!(
                "{slug:?} is not a sign-in provider of this deployment"
            )));
        }
    }
    if input.token_redirect && !service.first_party {
        return Err(AppError::invalid(
            "only a first-party service may receive tokens in its redirect URI",
        ));
    }
    let txn = store::begin(&state.writer).await?;
    services::set_federation(
        &txn,
        service.id,
        &input.allowed_providers,
        input.token_redirect,
    )
    .await?;
    audit::record(
        &txn,
        AuditEvent::new("service.federation_updated", Outcome::Success, meta)
            .by(
                actor,
                format!("service:{}", service.id),
                Some(service.org_id),
            )
            .details(serde_json::json!({
                "allowed_providers": input.allowed_providers,
                "token_redirect": input.token_redirect,
            })),
    )
    .await?;
    let changed = Invalidation::Service(service.client_id.clone());
    commit_and_invalidate(state, txn, &changed).await?;
    Ok(ServiceFederationView {
        client_id: service.client_id,
        allowed_providers: input.allowed_providers,
        token_redirect: input.token_redirect,
    })
}
