//! GitHub (OAuth 2 only, no OIDC): authorize, the token endpoint (JSON on request, errors
//! inside a 200), then `/user` and `/user/emails`. The subject is the numeric `id`, never the
//! renamable `login`; the email is the entry that is `primary` and `verified`.
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::UpstreamIdentity;
use super::flow::Failure;
use super::providers::ProviderConfig;
use crate::error::AppError;
use crate::state::AppState;

pub fn authorize_url(
    provider: &ProviderConfig,
    redirect_uri: &str,
    state: &str,
    code_challenge: &str,
) -> Result<String, AppError> {
    let mut url = url::Url::parse(&format!("{}/login/oauth/authorize", provider.base_url))
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!("github base_url: {e}")))?;
    url.query_pairs_mut()
        .append_pair("client_id", &provider.client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "read:user user:email")
        .append_pair("state", state)
        .append_pair("code_challenge", code_challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("allow_signup", "true");
    Ok(url.to_string())
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct GithubUser {
    id: u64,
    name: Option<String>,
}

#[derive(Deserialize)]
struct GithubEmail {
    email: String,
    primary: bool,
    verified: bool,
}

fn json<T: serde::de::DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(body).map_err(|_| Failure::BadAnswer(format!("{what} is not JSON")))
}

pub async fn identity(
    state: &AppState,
    provider: &ProviderConfig,
    code: &str,
    redirect_uri: &str,
    pkce_verifier: &str,
) -> Result<UpstreamIdentity, Failure> {
    let http = state_http(state)?;
    let (status, body) = http
        .post_form(
            &format!("{}/login/oauth/access_token", provider.base_url),
            &[
                ("client_id", provider.client_id.as_str()),
                ("client_secret", provider.client_secret.expose_secret()),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", pkce_verifier),
            ],
            None,
        )
        .await?;
    if !status.is_success() {
        return Err(Failure::TokenError);
    }
    let answer: TokenAnswer = json("token answer", &body)?;
    // GitHub reports `bad_verification_code` and friends with status 200.
    let Some(token) = answer.access_token.filter(|_| answer.error.is_none()) else {
        return Err(Failure::TokenError);
    };
    let (status, body) = http
        .get_json(&format!("{}/user", provider.api_base_url), &token)
        .await?;
    if !status.is_success() {
        return Err(Failure::BadAnswer(format!("/user answered {status}")));
    }
    let user: GithubUser = json("/user", &body)?;
    let (status, body) = http
        .get_json(&format!("{}/user/emails", provider.api_base_url), &token)
        .await?;
    if !status.is_success() {
        return Err(Failure::BadAnswer(format!(
            "/user/emails answered {status}"
        )));
    }
    let emails: Vec<GithubEmail> = json("/user/emails", &body)?;
    let primary = emails.into_iter().find(|e| e.primary && e.verified);
    Ok(UpstreamIdentity {
        provider: provider.slug.clone(),
        issuer: provider.base_url.clone(),
        subject: user.id.to_string(),
        email_verified: primary.is_some(),
        email: primary.map(|e| e.email),
        name: user.name,
    })
}

pub fn state_http(state: &AppState) -> Result<super::http::Upstream, Failure> {
    super::http::Upstream::new(std::time::Duration::from_secs(
        state.settings.providers.timeout_secs,
    ))
    .map_err(|e| Failure::BadAnswer(format!("client: {e}")))
}
