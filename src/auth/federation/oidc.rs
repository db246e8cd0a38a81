//! OpenID Connect providers (Google, Microsoft, generic): discovery, the authorization URL
//! with PKCE S256 and a nonce, the code exchange, and the ID token checked with the
//! `openidconnect` crate (signature against the provider's keys, an asymmetric `alg` the
//! provider announces, `iss`, `aud`, `exp`, `nonce`).
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreGenderClaim, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{AdditionalClaims, ClientId, IdToken, IdTokenVerifier, IssuerUrl, Nonce};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::UpstreamIdentity;
use super::flow::Failure;
use super::github::state_http;
use super::http::Upstream;
use super::providers::{ProviderConfig, ProviderKind};
use crate::error::AppError;
use crate::state::AppState;

/// Claims beyond OIDC Core that decide who signed in: Microsoft's tenant and object ids and
/// its domain-verified flag, Google's Workspace domain.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(default)]
    pub tid: Option<String>,
    #[serde(default)]
    pub oid: Option<String>,
    #[serde(default)]
    pub xms_edov: Option<serde_json::Value>,
    #[serde(default)]
    pub hd: Option<String>,
}

impl AdditionalClaims for ExtraClaims {}

type UpstreamIdToken = IdToken<
    ExtraClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// Microsoft's multi-tenant discovery names this placeholder in its issuer.
const TENANT_PLACEHOLDER: &str = "{tenantid}";

async fn discover(
    http: &Upstream,
    provider: &ProviderConfig,
) -> Result<CoreProviderMetadata, Failure> {
    let url = format!("{}/.well-known/openid-configuration", provider.issuer);
    let (status, body) = get(http, &url).await?;
    if !status.is_success() {
        return Err(Failure::BadAnswer(format!("discovery answered {status}")));
    }
    let metadata: CoreProviderMetadata =
        serde_json::from_slice(&body).map_err(|e| Failure::BadAnswer(format!("discovery: {e}")))?;
    // OIDC Discovery §4.3: the document must name the issuer it was fetched from. Microsoft's
    // multi-tenant authorities name `{tenantid}` instead; the tenant is checked per token.
    let announced = metadata.issuer().as_str().trim_end_matches('/');
    let expected_ok = announced == provider.issuer
        || (provider.kind == ProviderKind::Microsoft && announced.contains(TENANT_PLACEHOLDER));
    if !expected_ok {
        return Err(Failure::BadAnswer("discovery names another issuer".into()));
    }
    Ok(metadata)
}

async fn get(
    http: &Upstream,
    url: &str,
) -> Result<(openidconnect::http::StatusCode, Vec<u8>), Failure> {
    let request = openidconnect::http::Request::builder()
        .method(openidconnect::http::Method::GET)
        .uri(url)
        .header(openidconnect::http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| Failure::BadAnswer(format!("request: {e}")))?;
    let response = http.call(request).await?;
    Ok((response.status(), response.into_body()))
}

fn as_page_error(failure: Failure, provider: &ProviderConfig) -> AppError {
    tracing::info!(provider = %provider.slug, reason = failure.reason(), "upstream discovery failed");
    failure.error(&provider.name)
}

pub async fn authorize_url(
    state: &AppState,
    provider: &ProviderConfig,
    redirect_uri: &str,
    csrf: &str,
    nonce: &str,
    code_challenge: &str,
) -> Result<String, AppError> {
    let http = state_http(state).map_err(|f| as_page_error(f, provider))?;
    let metadata = discover(&http, provider)
        .await
        .map_err(|f| as_page_error(f, provider))?;
    let mut url = metadata.authorization_endpoint().url().clone();
    let mut scope = String::from("openid email profile");
    for extra in &provider.extra_scopes {
        scope.push(' ');
        scope.push_str(extra);
    }
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", "code")
            .append_pair("client_id", &provider.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", &scope)
            .append_pair("state", csrf)
            .append_pair("nonce", nonce)
            .append_pair("code_challenge", code_challenge)
            .append_pair("code_challenge_method", "S256");
        if let Some(hd) = &provider.hosted_domain {
            query.append_pair("hd", hd);
        }
    }
    Ok(url.to_string())
}

#[derive(Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
    error: Option<String>,
}

/// The not-yet-verified payload of a JWT, only to learn the Microsoft tenant whose issuer
/// the token must then be verified against.
fn unverified_tid(raw: &str) -> Option<String> {
    let payload = raw.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: ExtraClaims = serde_json::from_slice(&bytes).ok()?;
    claims.tid
}

fn is_uuid(value: &str) -> bool {
    uuid::Uuid::parse_str(value)
        .is_ok_and(|u| u.hyphenated().to_string() == value.to_ascii_lowercase())
}

/// Asymmetric algorithms the provider announces; never `none` or a shared-secret HMAC.
fn allowed_algs(metadata: &CoreProviderMetadata) -> Vec<CoreJwsSigningAlgorithm> {
    use CoreJwsSigningAlgorithm as A;
    let asymmetric = [
        A::RsaSsaPkcs1V15Sha256,
        A::RsaSsaPkcs1V15Sha384,
        A::RsaSsaPkcs1V15Sha512,
        A::RsaSsaPssSha256,
        A::RsaSsaPssSha384,
        A::RsaSsaPssSha512,
        A::EcdsaP256Sha256,
        A::EcdsaP384Sha384,
        A::EdDsa,
    ];
    metadata
        .id_token_signing_alg_values_supported()
        .iter()
        .filter(|alg| asymmetric.contains(alg))
        .cloned()
        .collect()
}

pub async fn identity(
    state: &AppState,
    provider: &ProviderConfig,
    code: &str,
    redirect_uri: &str,
    pkce_verifier: &str,
    nonce: &str,
) -> Result<UpstreamIdentity, Failure> {
    let http = state_http(state)?;
    let metadata = discover(&http, provider).await?;
    let token_url = metadata
        .token_endpoint()
        .ok_or_else(|| Failure::BadAnswer("no token endpoint".into()))?
        .url()
        .to_string();
    let (status, body) = http
        .post_form(
            &token_url,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", pkce_verifier),
            ],
            Some((&provider.client_id, provider.client_secret.expose_secret())),
        )
        .await?;
    let answer: TokenAnswer = serde_json::from_slice(&body)
        .map_err(|_| Failure::BadAnswer("token answer is not JSON".into()))?;
    if !status.is_success() || answer.error.is_some() {
        return Err(Failure::TokenError);
    }
    let raw = answer
        .id_token
        .ok_or_else(|| Failure::BadAnswer("no id_token".into()))?;
    let (jwks_status, jwks_body) = get(&http, metadata.jwks_uri().url().as_str()).await?;
    if !jwks_status.is_success() {
        return Err(Failure::BadAnswer(format!("keys answered {jwks_status}")));
    }
    let keys: CoreJsonWebKeySet =
        serde_json::from_slice(&jwks_body).map_err(|e| Failure::BadAnswer(format!("keys: {e}")))?;

    let announced = metadata.issuer().as_str().trim_end_matches('/').to_owned();
    let mut issuer = provider.issuer.clone();
    let mut tenant = None;
    if provider.kind == ProviderKind::Microsoft && announced.contains(TENANT_PLACEHOLDER) {
        // Multi-tenant: the token's own `tid` picks the issuer; it must be a UUID (it is put
        // into a URL) and, with an allow-list, one of the allowed tenants.
        let tid = unverified_tid(&raw)
            .filter(|t| is_uuid(t))
            .ok_or_else(|| Failure::IdToken("tid is missing or not a UUID".into()))?;
        if !provider.allowed_tenants.is_empty()
            && !provider
                .allowed_tenants
                .iter()
                .any(|t| t.eq_ignore_ascii_case(&tid))
        {
            return Err(Failure::Refused(format!(
                "Your Microsoft organization is not allowed to sign in to {}.",
                state.settings.public_url()
            )));
        }
        issuer = announced.replace(TENANT_PLACEHOLDER, &tid);
        tenant = Some(tid);
    }
    let issuer_url =
        IssuerUrl::new(issuer.clone()).map_err(|e| Failure::BadAnswer(format!("issuer: {e}")))?;
    let verifier = IdTokenVerifier::new_public_client(
        ClientId::new(provider.client_id.clone()),
        issuer_url,
        keys,
    )
    .set_allowed_algs(allowed_algs(&metadata));
    let token: UpstreamIdToken = raw
        .parse()
        .map_err(|e| Failure::IdToken(format!("malformed: {e}")))?;
    let claims = token
        .claims(&verifier, &Nonce::new(nonce.to_owned()))
        .map_err(|e| Failure::IdToken(e.to_string()))?;
    let extra = claims.additional_claims();
    let email = claims.email().map(|e| e.as_str().to_owned());
    let (subject, email_verified) = match provider.kind {
        ProviderKind::Microsoft => {
            // Key on (tid, oid): `sub` is per application and `email` is mutable. The email
            // counts as verified only with `xms_edov` true; a missing claim is unverified.
            let tid = tenant
                .or_else(|| extra.tid.clone())
                .ok_or_else(|| Failure::IdToken("no tid".into()))?;
            let oid = extra
                .oid
                .clone()
                .ok_or_else(|| Failure::IdToken("no oid".into()))?;
            let edov = matches!(&extra.xms_edov, Some(serde_json::Value::Bool(true)))
                || matches!(&extra.xms_edov, Some(serde_json::Value::String(s)) if s == "true" || s == "1");
            (format!("{tid}:{oid}"), edov)
        }
        _ => {
            if let Some(required) = &provider.hosted_domain
                && extra.hd.as_deref() != Some(required.as_str())
            {
                return Err(Failure::Refused(format!(
                    "Only {required} accounts can sign in with Google here."
                )));
            }
            (
                claims.subject().as_str().to_owned(),
                claims.email_verified().unwrap_or(false),
            )
        }
    };
    Ok(UpstreamIdentity {
        provider: provider.slug.clone(),
        issuer,
        subject,
        email,
        email_verified,
        name: claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned()),
    })
}
