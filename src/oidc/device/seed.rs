//! The seed-004 JSON variants of the device flow: `POST /auth/device/code`,
//! `POST /auth/device/verify` and polling at `POST /auth/token`, with the seed's statuses.
use std::sync::Arc;

use serde::Serialize;

use super::{
    DeviceAuthorization, SIGN_IN_METHODS, UserCodeError, default_scope, find_pending, issue,
};
use crate::domain::RequestMeta;
use crate::error::{AppError, ErrorCode};
use crate::oidc::clients::{Client, ClientAuthError, ClientCredentials};
use crate::oidc::grants::{GrantType, device_code};
use crate::oidc::tokens::TokenResponse;
use crate::state::AppState;

impl From<UserCodeError> for AppError {
    /// The seed-004 JSON answers.
    fn from(e: UserCodeError) -> Self {
        match e {
            UserCodeError::Failed(e) => e,
            UserCodeError::Expired => AppError::Invalid {
                code: ErrorCode::DeviceCodeExpired,
                message: "Device code expired".into(),
            },
            UserCodeError::FreshSignInRequired => AppError::Unauthorized {
                code: ErrorCode::Unauthorized,
                message: e.to_string().into(),
            },
            other => AppError::invalid(other.to_string()),
        }
    }
}

/// Who asks at `POST /auth/device/code` (seed 004).
pub struct JsonClient {
    pub client_id: String,
    /// Confidential services must send their secret, as at the token endpoint.
    pub client_secret: Option<String>,
    pub org: String,
    pub service: String,
}

/// `POST /auth/device/code` (seed 004). Besides the device grant, the service must have a
/// device activation URI: the page its users are sent to, which becomes `verification_uri`.
#[tracing::instrument(skip_all, fields(client_id = %request.client_id), err(level = "debug"))]
pub async fn authorize_json(
    state: &AppState,
    request: JsonClient,
    meta: &RequestMeta,
) -> Result<DeviceAuthorization, AppError> {
    let client = json_client(state, request.client_id, request.client_secret).await?;
    if client.org.slug != request.org || client.service.slug != request.service {
        return Err(AppError::invalid("Invalid client_id"));
    }
    if !client.allows_grant(GrantType::DeviceCode) {
        return Err(AppError::invalid(
            "Device flow is not enabled for this service",
        ));
    }
    let Some(verification_uri) = client.service.device_activation_uri.clone() else {
        return Err(AppError::invalid(
            "Device activation URI not configured for this service",
        ));
    };
    let scope = default_scope(&client);
    issue(state, &client, &scope, verification_uri, meta).await
}

/// Client authentication for the JSON endpoints, with seed-004 errors.
async fn json_client(
    state: &AppState,
    client_id: String,
    secret: Option<String>,
) -> Result<Arc<Client>, AppError> {
    let credentials = ClientCredentials {
        client_id,
        secret: secret.filter(|s| !s.is_empty()),
        basic: false,
    };
    state
        .clients
        .authenticate(&state.db, &credentials)
        .await
        .map_err(|e| match e {
            ClientAuthError::Failed(e) => e.into(),
            ClientAuthError::Suspended { .. } => AppError::Forbidden {
                code: ErrorCode::OrganizationNotActive,
                message: "The organization is suspended".into(),
            },
            ClientAuthError::Invalid { .. } => AppError::invalid("Invalid client_id"),
        })
}

/// `POST /auth/device/verify` (seed 004): what a front end shows before sending the person to
/// sign in.
#[derive(Debug, Serialize)]
pub struct DeviceContext {
    pub org_slug: String,
    pub service_slug: String,
    pub available_providers: Vec<&'static str>,
}

pub async fn verify_json(
    state: &AppState,
    raw: &str,
    meta: &RequestMeta,
) -> Result<DeviceContext, AppError> {
    let pending = find_pending(state, raw, meta).await?;
    Ok(DeviceContext {
        org_slug: pending.client.org.slug.clone(),
        service_slug: pending.client.service.slug.clone(),
        available_providers: SIGN_IN_METHODS.to_vec(),
    })
}

/// Polling at `POST /auth/token` (seed 004).
pub struct JsonPoll {
    pub grant_type: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub device_code: String,
}

/// `POST /auth/token` (seed 004): the device grant with the seed's statuses: 401 "Not
/// authorized" while pending, 400 "Device code expired", 429 when polled too fast.
pub async fn poll_json(
    state: &AppState,
    request: JsonPoll,
    meta: &RequestMeta,
) -> Result<TokenResponse, AppError> {
    if request.grant_type != GrantType::DeviceCode.as_str() {
        return Err(AppError::invalid("Invalid grant type"));
    }
    let client = json_client(state, request.client_id, request.client_secret).await?;
    if !client.allows_grant(GrantType::DeviceCode) {
        return Err(AppError::invalid(
            "Device flow is not enabled for this service",
        ));
    }
    state
        .keys
        .ensure_active(&state.db, &client.service.signing_alg)
        .await?;
    let issued = device_code::exchange(state, &client, &request.device_code, meta).await?;
    state
        .metrics
        .token_issued(crate::metrics::IssuedGrant::DeviceCode);
    Ok(issued)
}
