//! RFC 8693 token exchange, for service tokens only: a backend (or its caller) trades a
//! long-lived service token for a short-lived JWT access token that any consumer verifies
//! offline with the JWKS. The client authenticates as for every grant (a public client sends
//! its `client_id`) and must have the grant enabled; the JWT's `aud` is that client's, so a
//! token exchanged for one service is not accepted by another. An organization's service
//! token is exchanged only by that organization's services.
use chrono::Utc;
use uuid::Uuid;

use super::{GrantError, Presented, TokenRequest, parse_scope};
use crate::admin::service_tokens::{self, Refusal};
use crate::domain::RequestMeta;
use crate::oidc::clients::Client;
use crate::oidc::scope::ScopeSet;
use crate::oidc::tokens::{ServiceAccessClaims, TokenResponse};
use crate::state::AppState;

/// `subject_token_type` of a Gatehouse service token.
pub const SERVICE_TOKEN_TYPE: &str = "urn:gatehouse:params:oauth:token-type:service-token";
/// What is issued (RFC 8693 §3).
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
const JWT_TYPE: &str = "urn:ietf:params:oauth:token-type:jwt";

pub async fn exchange(
    state: &AppState,
    client: &Client,
    request: TokenRequest,
    meta: &RequestMeta,
) -> Result<TokenResponse, GrantError> {
    let subject = request
        .subject_token
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or(GrantError::Missing("subject_token"))?;
    let kind = request
        .subject_token_type
        .as_deref()
        .ok_or(GrantError::Missing("subject_token_type"))?;
    if kind != SERVICE_TOKEN_TYPE {
        return Err(GrantError::UnsupportedTokenType(kind.to_owned()));
    }
    if let Some(requested) = request.requested_token_type.as_deref()
        && requested != ACCESS_TOKEN_TYPE
        && requested != JWT_TYPE
    {
        return Err(GrantError::UnsupportedTokenType(requested.to_owned()));
    }
    if request.actor_token.is_some() {
        return Err(GrantError::NotAllowed(
            "delegation (actor_token) is not supported".into(),
        ));
    }
    let verified = match service_tokens::verify(state, subject, meta).await? {
        Ok(verified) => verified,
        Err(Refusal::Expired) => return Err(GrantError::Expired(Presented::ServiceToken)),
        Err(Refusal::Revoked) => return Err(GrantError::TokenRevoked(Presented::ServiceToken)),
        Err(Refusal::Malformed | Refusal::Unknown) => {
            return Err(GrantError::Unknown(Presented::ServiceToken));
        }
    };
    let token = &verified.token;
    if token.org_id.is_some_and(|org| org != client.org.id) {
        return Err(GrantError::NotAllowed(
            "this service token belongs to another organization".into(),
        ));
    }
    let held = ScopeSet::from_list(&verified.scopes());
    let scope = match request.scope.as_deref().map(parse_scope).transpose()? {
        Some(requested) if !requested.is_subset_of(&held) => {
            return Err(GrantError::Scope(
                "the requested scope is not held by the service token",
            ));
        }
        Some(requested) => requested,
        None => held,
    };

    let now = Utc::now();
    // Never outlives the presented secret.
    let mut lifetime = i64::from(client.service.access_token_ttl_secs);
    if let Some(until) = verified.valid_until {
        lifetime = lifetime.min((until - now).num_seconds()).max(1);
    }
    let claims = ServiceAccessClaims {
        iss: state.settings.public_url().to_owned(),
        sub: token.id.clone(),
        aud: client.audience().to_owned(),
        exp: now.timestamp() + lifetime,
        iat: now.timestamp(),
        jti: Uuid::new_v4().to_string(),
        scope: scope.to_string(),
        workspace_ids: token.workspaces_list(),
        token_use: "service".to_owned(),
        client_id: client.client_id().to_owned(),
    };
    let access_token = state
        .keys
        .sign(&claims, &client.service.signing_alg, Some("at+jwt"))
        .map_err(crate::error::AppError::Unexpected)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: lifetime,
        scope: scope.to_string(),
        refresh_token: None,
        id_token: None,
        issued_token_type: Some(ACCESS_TOKEN_TYPE),
    })
}
