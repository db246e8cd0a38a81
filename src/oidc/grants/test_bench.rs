//! The admin console's test bench redeems its own authorization codes in-process. The console
//! is a relying party that cannot authenticate as a confidential service (only the secret's
//! hash is stored), so instead of client authentication this path is authorised by what only
//! the bench can present: a code issued to the bench redirect URI, and the PKCE verifier of a
//! bench attempt the caller has already consumed. Everything else is the `/token` code path.
use super::{GrantError, GrantType, Pkce, TokenRequest, authorization_code};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::oidc::tokens::TokenResponse;
use crate::state::AppState;

/// Where the authorization server sends the bench's codes: `<issuer>/admin/test-bench/callback`.
pub fn redirect_uri(public_url: &str) -> String {
    format!("{public_url}/admin/test-bench/callback")
}

/// Exchanges `code` for `client_id` exactly as `/token` would, but only for a code issued to
/// the bench redirect URI with a PKCE challenge matching `code_verifier`.
pub async fn exchange(
    state: &AppState,
    client_id: &str,
    code: &str,
    code_verifier: &str,
    meta: &RequestMeta,
) -> Result<TokenResponse, GrantError> {
    if code_verifier.is_empty() {
        return Err(GrantError::Pkce(Pkce::VerifierMissing));
    }
    let client = state
        .clients
        .get(&state.db, client_id)
        .await?
        .ok_or(GrantError::Unknown(super::Presented::Code))?;
    let bench_uri = redirect_uri(state.settings.public_url());
    if !client.redirect_uris.contains(&bench_uri) {
        return Err(GrantError::NotAllowed(
            "the test bench is not enabled for this service".into(),
        ));
    }
    if !client.allows_grant(GrantType::AuthorizationCode) {
        return Err(GrantError::NotAllowed(
            "this client may not use authorization_code".into(),
        ));
    }
    if !client.is_active() {
        return Err(GrantError::NotAllowed(
            "the service's organization is suspended".into(),
        ));
    }
    state
        .keys
        .ensure_active(&state.db, &client.service.signing_alg)
        .await
        .map_err(AppError::Unexpected)?;
    // `authorization_code::exchange` checks that the code was issued to this redirect URI and
    // that the verifier matches its challenge (a code without a challenge is refused).
    let request = TokenRequest {
        grant_type: Some(GrantType::AuthorizationCode.as_str().to_owned()),
        code: Some(code.to_owned()),
        redirect_uri: Some(bench_uri),
        code_verifier: Some(code_verifier.to_owned()),
        ..Default::default()
    };
    authorization_code::exchange(state, &client, request, meta).await
}
