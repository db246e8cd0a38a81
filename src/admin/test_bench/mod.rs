//! The console's live test bench: the console acts as a relying party of a service, runs an
//! authorization code + PKCE sign-in against it and shows what the service would receive.
//!
//! Opt-in per service: enabling adds the bench redirect URI through [`services::update`]
//! (audited as any redirect change). A "Try sign-in" creates `state`, `nonce` and a PKCE
//! verifier kept server-side, bound to the admin's browser session and usable once; the
//! callback redeems the code in-process through [`crate::oidc::grants::test_bench`].
mod report;

pub use report::{BenchReport, ClaimRow};

use chrono::Duration;
use uuid::Uuid;

use super::Actor;
use super::services::{self, ServiceUpdate, ServiceView};
use crate::domain::RequestMeta;
use crate::error::AppError;
use crate::keys::{hash_token, random_token};
use crate::oidc::grants::{GrantType, test_bench as bench_grant};
use crate::oidc::scope::USER_SCOPES;
use crate::state::AppState;
use crate::store::test_bench_states::{self, TestBenchState};

/// How long a started bench sign-in may take.
const ATTEMPT_MINUTES: i64 = 10;

/// The bench redirect URI of this deployment.
pub fn redirect_uri(state: &AppState) -> String {
    bench_grant::redirect_uri(state.settings.public_url())
}

/// Whether the bench can run against `service` at all (it signs in with the code flow).
pub fn supported(service: &ServiceView) -> bool {
    service
        .grant_types
        .iter()
        .any(|g| g == GrantType::AuthorizationCode.as_str())
}

pub fn enabled(state: &AppState, service: &ServiceView) -> bool {
    let uri = redirect_uri(state);
    service.redirect_uris.contains(&uri)
}

/// Adds (or with `on == false` removes) the bench redirect URI on the service.
pub async fn set_enabled(
    state: &AppState,
    actor: &Actor,
    meta: &RequestMeta,
    client_id: &str,
    on: bool,
) -> Result<ServiceView, AppError> {
    let service = services::get(state, actor, client_id).await?;
    if on && !supported(&service) {
        return Err(AppError::invalid(
            "The test bench signs in with the authorization code flow, which this service does not use.",
        ));
    }
    let uri = redirect_uri(state);
    let mut uris: Vec<String> = service
        .redirect_uris
        .iter()
        .filter(|r| **r != uri)
        .cloned()
        .collect();
    if on {
        uris.push(uri);
    } else if uris.is_empty() {
        return Err(AppError::invalid(
            "The test bench URI is this service's only redirect URI; add another before turning the bench off.",
        ));
    }
    let update = ServiceUpdate {
        redirect_uris: Some(uris),
        ..Default::default()
    };
    services::update(state, actor, meta, client_id, update).await
}

/// A new bench sign-in for the admin's browser session: the `/authorize` URL to open.
pub async fn start(
    state: &AppState,
    actor: &Actor,
    session_id: Uuid,
    user_id: Uuid,
    client_id: &str,
) -> Result<String, AppError> {
    let service = services::get(state, actor, client_id).await?;
    if !enabled(state, &service) {
        return Err(AppError::invalid(
            "Enable the test bench for this service first.",
        ));
    }
    let state_token = random_token();
    let nonce = random_token();
    let verifier = random_token();
    let challenge = crate::oidc::pkce::challenge_of(&verifier);
    let scopes: Vec<&str> = USER_SCOPES
        .into_iter()
        .filter(|s| service.allowed_scopes.iter().any(|a| a == s))
        .collect();
    let url = authorize_url(
        state,
        &service.client_id,
        &scopes.join(" "),
        &state_token,
        &nonce,
        &challenge,
    );
    let now = crate::store::now();
    let id = Uuid::new_v4();
    test_bench_states::insert(
        &state.db,
        TestBenchState {
            id,
            state_hash: hash_token(&state_token),
            session_id,
            user_id,
            client_id: service.client_id.clone(),
            nonce,
            code_verifier_sealed: state.master.seal(verifier.as_bytes(), id.as_bytes()),
            authorize_url: url.clone(),
            created_at: now,
            expires_at: now + Duration::minutes(ATTEMPT_MINUTES),
            used_at: None,
        },
    )
    .await?;
    Ok(url)
}

fn authorize_url(
    state: &AppState,
    client_id: &str,
    scope: &str,
    state_token: &str,
    nonce: &str,
    challenge: &str,
) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", &redirect_uri(state))
        .append_pair("scope", scope)
        .append_pair("state", state_token)
        .append_pair("nonce", nonce)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("{}/authorize?{query}", state.settings.public_url())
}

/// What the authorization server sent back to the bench redirect URI.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Callback {
    pub state: Option<String>,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Why a bench sign-in produced no tokens, in words for the admin.
#[derive(Debug)]
pub enum BenchFailure {
    /// No live attempt of this browser session has this `state`: forged, reused or expired.
    UnknownState,
    /// The authorization endpoint answered with an error (RFC 6749 §4.1.2.1).
    Authorization {
        client_id: String,
        authorize_url: String,
        code: String,
        description: Option<String>,
    },
    /// The code could not be redeemed.
    Exchange {
        client_id: String,
        authorize_url: String,
        code: String,
        description: String,
    },
}

/// Finishes the bench sign-in of `session_id`: the state is used up whatever happens next.
pub async fn finish(
    state: &AppState,
    session_id: Uuid,
    callback: Callback,
    meta: &RequestMeta,
) -> Result<Result<BenchReport, BenchFailure>, AppError> {
    let Some(raw_state) = callback.state.as_deref().filter(|s| !s.is_empty()) else {
        return Ok(Err(BenchFailure::UnknownState));
    };
    let now = crate::store::now();
    let Some(attempt) =
        test_bench_states::consume(&state.db, &hash_token(raw_state), session_id, now).await?
    else {
        return Ok(Err(BenchFailure::UnknownState));
    };
    if let Some(code) = callback.error {
        return Ok(Err(BenchFailure::Authorization {
            client_id: attempt.client_id,
            authorize_url: attempt.authorize_url,
            code,
            description: callback.error_description,
        }));
    }
    let Some(code) = callback.code.filter(|c| !c.is_empty()) else {
        return Ok(Err(BenchFailure::Authorization {
            client_id: attempt.client_id,
            authorize_url: attempt.authorize_url,
            code: "invalid_request".into(),
            description: Some("the callback carried neither a code nor an error".into()),
        }));
    };
    let verifier = state
        .master
        .open(&attempt.code_verifier_sealed, attempt.id.as_bytes())
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("bench verifier: {e}")))?;
    let verifier = String::from_utf8(verifier)
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("bench verifier: {e}")))?;
    match bench_grant::exchange(state, &attempt.client_id, &code, &verifier, meta).await {
        Ok(tokens) => Ok(Ok(report::build(state, &attempt, tokens).await?)),
        Err(e) => {
            let oauth = crate::oidc::error::OAuthError::from(e);
            Ok(Err(BenchFailure::Exchange {
                client_id: attempt.client_id,
                authorize_url: attempt.authorize_url,
                code: oauth.code.as_str().to_owned(),
                description: oauth.description.into_owned(),
            }))
        }
    }
}

/// The protocol error `code` in plain words.
pub fn explain_error(code: &str) -> &'static str {
    match code {
        "access_denied" => {
            "The sign-in was refused: the person declined consent, or is not allowed to use this service (for example, its organization is suspended or the account is disabled)."
        }
        "login_required" => "The service asked for no sign-in page, but nobody was signed in.",
        "consent_required" => {
            "The service asked for no consent page, but the person has not yet approved this service."
        }
        "interaction_required" => "Signing in needed a page the request did not allow.",
        "invalid_scope" => "The service asked for a scope it is not allowed to request.",
        "unauthorized_client" => "The service may not use this kind of sign-in.",
        "invalid_request" => "The request was malformed or incomplete.",
        "invalid_grant" => {
            "The authorization code could not be redeemed (expired, already used, or issued for something else)."
        }
        "server_error" | "temporarily_unavailable" => {
            "Gatehouse could not complete the sign-in right now; try again in a moment."
        }
        _ => "The sign-in did not complete.",
    }
}
