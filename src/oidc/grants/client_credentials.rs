//! The client credentials grant (RFC 6749 §4.4): an access token for the client itself.
use super::{GrantError, TokenRequest, parse_scope};
use crate::oidc::clients::Client;
use crate::oidc::scope::{ScopeSet, USER_SCOPES};
use crate::oidc::tokens::{Grant, TokenResponse, mint_access_token};
use crate::state::AppState;

pub fn exchange(
    state: &AppState,
    client: &Client,
    request: TokenRequest,
) -> Result<TokenResponse, GrantError> {
    if !client.service.confidential {
        return Err(GrantError::NotAllowed(
            "client_credentials needs a confidential client".into(),
        ));
    }
    // Scopes about the end user are meaningless for a machine client.
    let machine_scopes: Vec<String> = client
        .allowed_scopes
        .iter()
        .filter(|s| !USER_SCOPES.contains(s))
        .map(str::to_owned)
        .collect();
    let allowed = ScopeSet::from_list(&machine_scopes);
    let scope = match request.scope.as_deref().map(parse_scope).transpose()? {
        Some(requested) if !requested.is_subset_of(&allowed) => {
            return Err(GrantError::Scope(
                "the requested scope is not allowed for this client",
            ));
        }
        Some(requested) => requested,
        None => allowed,
    };
    let grant = Grant {
        client,
        user: None,
        scope: &scope,
        auth_time: None,
        amr: &[],
        sid: None,
        nonce: None,
        access: Default::default(),
    };
    let access = mint_access_token(&state.keys, state.settings.public_url(), &grant)
        .map_err(crate::error::AppError::Unexpected)?;
    Ok(TokenResponse {
        access_token: access.token,
        token_type: "Bearer",
        expires_in: access.expires_in,
        scope: scope.to_string(),
        refresh_token: None,
        id_token: None,
        issued_token_type: None,
    })
}
