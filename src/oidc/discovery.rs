use serde_json::json;

use crate::config::Settings;
use crate::keys::PublishedDocument;

/// The discovery document, built once at startup. It advertises only what is implemented.
pub fn document(settings: &Settings) -> PublishedDocument {
    let issuer = settings.public_url();
    let body = json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "sub", "aud", "exp", "iat", "email", "email_verified"],
    });
    PublishedDocument::new(serde_json::to_vec(&body).unwrap_or_default())
}
