//! Which service a JSON sign-in gives tokens to, and whether it may have them. Every JSON
//! endpoint that issues a user's tokens for a `client_id` goes through [`authorize`]: password
//! and passkey sign-in, the magic-link and second-factor steps.
use std::sync::Arc;

use crate::error::{AppError, ErrorCode};
use crate::oidc::clients::{Client, ClientAuthError, ClientCredentials};
use crate::oidc::grants::GrantType;
use crate::state::AppState;

/// The deployment's built-in first-party service, used when a request names no client.
pub const BUILTIN_CLIENT_ID: &str = "gatehouse";

/// How the person proved who they are in this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Needs the service's opt-in (`allow_password_api`).
    Password,
    Passkey,
    MagicLink,
    /// The second step of a sign-in whose first step already passed these checks.
    SecondFactor,
}

/// Authenticates the calling service like the token endpoint does and checks that it may sign
/// users in through the JSON API with `method`. No credentials means the built-in public
/// service. Runs before the person's credentials are checked, so a refused service changes
/// nothing (no ceremony or ticket used up, no audit event).
pub async fn authorize(
    state: &AppState,
    credentials: Option<ClientCredentials>,
    method: Method,
) -> Result<Arc<Client>, AppError> {
    let credentials = credentials.unwrap_or_else(|| ClientCredentials {
        client_id: BUILTIN_CLIENT_ID.to_owned(),
        secret: None,
        basic: false,
    });
    // RFC 6749 §2.3.1: a confidential client authenticates on every request that issues it
    // tokens, with its secret (Basic or `client_secret`), compared in constant time.
    let client = state
        .clients
        .authenticate(&state.db, &credentials)
        .await
        .map_err(|e| match e {
            ClientAuthError::Failed(e) => AppError::from(e),
            ClientAuthError::Suspended { .. } => AppError::Forbidden {
                code: ErrorCode::OrganizationNotActive,
                message: "The organization is suspended".into(),
            },
            ClientAuthError::Invalid { .. } => AppError::Unauthorized {
                code: ErrorCode::Unauthorized,
                message: "Invalid client credentials: a confidential service must authenticate with its client_id and client_secret".into(),
            },
        })?;
    // RFC 9700 §2.4: the password-style API is for the deployment's own apps.
    if !client.service.first_party {
        return Err(forbidden(
            "This client must use the authorization code flow",
        ));
    }
    // The JSON sign-in gives what the code flow gives after an interactive sign-in; a service
    // registered only for client_credentials or the device flow never signs users in here.
    if !client.allows_grant(GrantType::AuthorizationCode)
        && !client.allows_grant(GrantType::RefreshToken)
    {
        return Err(forbidden(
            "This service is not allowed to sign users in (its grant types do not include authorization_code or refresh_token)",
        ));
    }
    if method == Method::Password && !client.service.allow_password_api {
        return Err(forbidden(
            "This service has not enabled password sign-in through the JSON API: use the authorization code flow",
        ));
    }
    Ok(client)
}

fn forbidden(message: &'static str) -> AppError {
    AppError::Forbidden {
        code: ErrorCode::Forbidden,
        message: message.into(),
    }
}
