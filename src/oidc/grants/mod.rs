//! The token endpoint (RFC 6749 §3.2): client authentication and dispatch to one module per
//! grant. Tokens are minted in `oidc::issue`, revoked in `oidc::revocation`.
pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
mod error;
pub mod refresh_token;
pub mod test_bench;
pub mod token_exchange;

pub use error::{GrantError, Pkce, Presented};

use super::clients::ClientCredentials;
use super::error::OAuthError;
use super::scope::ScopeSet;
use super::tokens::TokenResponse;
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::state::AppState;

/// The grant types Gatehouse implements, by their registered names (RFC 6749 §4, RFC 8628
/// §3.4). Services store these names; they are compared exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    DeviceCode,
    /// RFC 8693, for service tokens (`token_exchange`).
    TokenExchange,
}

impl GrantType {
    pub const ALL: [GrantType; 5] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::DeviceCode,
        Self::TokenExchange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            Self::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == name)
    }
}

impl std::fmt::Display for GrantType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub device_code: Option<String>,
    /// RFC 8693 §2.1.
    pub subject_token: Option<String>,
    pub subject_token_type: Option<String>,
    pub requested_token_type: Option<String>,
    pub actor_token: Option<String>,
}

#[tracing::instrument(skip_all, fields(client_id = %credentials.client_id, grant_type = request.grant_type.as_deref().unwrap_or("")), err(level = "debug"))]
pub async fn token(
    state: &AppState,
    credentials: ClientCredentials,
    request: TokenRequest,
    meta: &RequestMeta,
) -> Result<TokenResponse, OAuthError> {
    let client = state.clients.authenticate(&state.db, &credentials).await?;
    Ok(dispatch(state, &client, request, meta).await?)
}

impl From<GrantType> for crate::metrics::IssuedGrant {
    fn from(grant: GrantType) -> Self {
        match grant {
            GrantType::AuthorizationCode => Self::AuthorizationCode,
            GrantType::RefreshToken => Self::RefreshToken,
            GrantType::ClientCredentials => Self::ClientCredentials,
            GrantType::DeviceCode => Self::DeviceCode,
            GrantType::TokenExchange => Self::TokenExchange,
        }
    }
}

async fn dispatch(
    state: &AppState,
    client: &super::clients::Client,
    request: TokenRequest,
    meta: &RequestMeta,
) -> Result<TokenResponse, GrantError> {
    let name = request
        .grant_type
        .as_deref()
        .ok_or(GrantError::Missing("grant_type"))?;
    let grant =
        GrantType::parse(name).ok_or_else(|| GrantError::UnsupportedGrantType(name.to_owned()))?;
    if !client.allows_grant(grant) {
        return Err(GrantError::NotAllowed(
            format!("this client may not use {grant}").into(),
        ));
    }
    // Before any transaction: the first use of an algorithm writes its new key.
    state
        .keys
        .ensure_active(&state.db, &client.service.signing_alg)
        .await
        .map_err(AppError::Unexpected)?;
    let issued = match grant {
        GrantType::AuthorizationCode => {
            authorization_code::exchange(state, client, request, meta).await
        }
        GrantType::RefreshToken => {
            let raw = request
                .refresh_token
                .as_deref()
                .ok_or(GrantError::Missing("refresh_token"))?;
            let scope = request.scope.as_deref().map(parse_scope).transpose()?;
            refresh_token::exchange(state, client, raw, scope, meta).await
        }
        GrantType::DeviceCode => {
            let device_code = request
                .device_code
                .as_deref()
                .ok_or(GrantError::Missing("device_code"))?;
            device_code::exchange(state, client, device_code, meta).await
        }
        GrantType::ClientCredentials => client_credentials::exchange(state, client, request),
        GrantType::TokenExchange => token_exchange::exchange(state, client, request, meta).await,
    }?;
    state.metrics.token_issued(grant.into());
    Ok(issued)
}

fn parse_scope(raw: &str) -> Result<ScopeSet, GrantError> {
    ScopeSet::parse(raw).ok_or(GrantError::Scope("scope has invalid characters"))
}
