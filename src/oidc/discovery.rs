use serde_json::json;

use crate::config::Settings;
use crate::keys::PublishedDocument;

/// The discovery document (OIDC Discovery 1.0 §3), built once at startup. It advertises exactly
/// what is implemented.
pub fn document(settings: &Settings) -> PublishedDocument {
    let issuer = settings.public_url();
    let body = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{issuer}/revoke"),
        "introspection_endpoint": format!("{issuer}/introspect"),
        "end_session_endpoint": format!("{issuer}/end-session"),
        "device_authorization_endpoint": format!("{issuer}/device_authorization"),
        "scopes_supported": crate::oidc::scope::USER_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query", "form_post"],
        "grant_types_supported": crate::oidc::grants::GrantType::ALL.map(|g| g.as_str()),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": crate::keys::SUPPORTED_ALGS,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "amr", "azp", "sid", "at_hash",
            "email", "email_verified", "name"
        ],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    });
    PublishedDocument::new(serde_json::to_vec(&body).unwrap_or_default())
}
