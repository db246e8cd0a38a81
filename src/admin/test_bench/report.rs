//! What the bench shows after a sign-in: the ID token decoded and verified against our keys,
//! the access token's claims, the userinfo answer, and whether a refresh token came with them.
//! The tokens themselves are revoked once read, so the bench leaves no live credentials.
use jsonwebtoken::Validation;
use serde_json::Value;

use crate::error::AppError;
use crate::keys::hash_token;
use crate::oidc::tokens::TokenResponse;
use crate::state::AppState;
use crate::store::refresh_tokens::{self, Families};
use crate::store::test_bench_states::TestBenchState;

/// One claim, its value as JSON text and what it means.
#[derive(Debug)]
pub struct ClaimRow {
    pub name: String,
    pub value: String,
    pub meaning: &'static str,
}

#[derive(Debug)]
pub struct BenchReport {
    pub client_id: String,
    pub authorize_url: String,
    pub scope: String,
    pub expires_in: i64,
    /// The ID token's JOSE header, pretty JSON.
    pub id_token_header: String,
    /// `None` when the response carried no ID token (no `openid` scope).
    pub id_token_claims: Option<Vec<ClaimRow>>,
    /// The signature verified against a key of our JWKS, with issuer and audience checked.
    pub signature_verified: bool,
    pub nonce_matches: bool,
    pub access_token_claims: String,
    pub userinfo: String,
    pub refresh_token_issued: bool,
    /// `sub` and `aud` of the ID token, for a quick look.
    pub sub: String,
    pub aud: String,
}

pub(super) async fn build(
    state: &AppState,
    attempt: &TestBenchState,
    tokens: TokenResponse,
) -> Result<BenchReport, AppError> {
    let issuer = state.settings.public_url();
    let (header, claims, verified) = match tokens.id_token.as_deref() {
        Some(id_token) => {
            let header = jsonwebtoken::decode_header(id_token)
                .ok()
                .and_then(|h| serde_json::to_string_pretty(&h).ok())
                .unwrap_or_default();
            let mut validation = Validation::default();
            validation.set_audience(&[&attempt.client_id]);
            validation.set_issuer(&[issuer]);
            let verified = state.keys.verify::<Value>(id_token, validation);
            let claims = match &verified {
                Some(data) => Some(data.claims.clone()),
                None => unverified_claims(id_token),
            };
            (header, claims, verified.is_some())
        }
        None => (String::new(), None, false),
    };
    let text = |c: &Option<Value>, name: &str| {
        c.as_ref()
            .and_then(|c| c.get(name))
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .unwrap_or_default()
    };
    let nonce_matches = text(&claims, "nonce") == attempt.nonce;
    let (sub, aud) = (text(&claims, "sub"), text(&claims, "aud"));
    let access_claims = crate::oidc::resource::verify_access_token(state, &tokens.access_token);
    let userinfo = match crate::oidc::resource::userinfo(state, &tokens.access_token).await {
        Ok(body) => pretty(&body),
        Err(e) => format!("{}: {}", e.code.as_str(), e.description),
    };
    revoke(state, &tokens, access_claims.as_ref()).await?;
    Ok(BenchReport {
        client_id: attempt.client_id.clone(),
        authorize_url: attempt.authorize_url.clone(),
        scope: tokens.scope,
        expires_in: tokens.expires_in,
        id_token_header: header,
        id_token_claims: claims.as_ref().map(claim_rows),
        signature_verified: verified,
        nonce_matches,
        access_token_claims: access_claims
            .and_then(|c| serde_json::to_value(c).ok())
            .map(|v| pretty(&v))
            .unwrap_or_else(|| "The access token did not verify.".to_owned()),
        userinfo,
        refresh_token_issued: tokens.refresh_token.is_some(),
        sub,
        aud,
    })
}

/// The claims of a token whose signature did not verify, shown so the admin sees why.
fn unverified_claims(token: &str) -> Option<Value> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

async fn revoke(
    state: &AppState,
    tokens: &TokenResponse,
    access: Option<&crate::oidc::tokens::AccessClaims>,
) -> Result<(), AppError> {
    let txn = crate::store::begin(&state.writer).await?;
    let family = match tokens.refresh_token.as_deref() {
        Some(raw) => refresh_tokens::find(&txn, &hash_token(raw))
            .await?
            .map(|row| Families::Family(row.family_id)),
        None => None,
    };
    let access: Vec<_> = access
        .map(crate::oidc::revocation::access_token)
        .into_iter()
        .collect();
    crate::oidc::revocation::revoke(state, &txn, family, &access).await?;
    txn.commit().await?;
    Ok(())
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn claim_rows(claims: &Value) -> Vec<ClaimRow> {
    let Some(map) = claims.as_object() else {
        return Vec::new();
    };
    map.iter()
        .map(|(name, value)| ClaimRow {
            name: name.clone(),
            value: with_time(name, value),
            meaning: meaning(name),
        })
        .collect()
}

/// Timestamps get their UTC date next to the number.
fn with_time(name: &str, value: &Value) -> String {
    let raw = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned);
    match (name, value.as_i64()) {
        ("exp" | "iat" | "auth_time" | "nbf", Some(secs)) => {
            match chrono::DateTime::from_timestamp(secs, 0) {
                Some(at) => format!("{raw} ({})", at.format("%Y-%m-%d %H:%M:%S UTC")),
                None => raw,
            }
        }
        _ => raw,
    }
}

/// OpenID Connect Core §2 and §5.1, RFC 8176 (amr), RFC 9068 (access tokens).
fn meaning(claim: &str) -> &'static str {
    match claim {
        "iss" => "Issuer: who made the token. Your app must check it equals the issuer it trusts.",
        "sub" => "Subject: the person's stable, unique id. Use it (not the email) as the user key.",
        "aud" => "Audience: the client id the token is for. Your app must check it is its own.",
        "exp" => "Expiry: reject the token after this time.",
        "iat" => "Issued at: when the token was made.",
        "auth_time" => "When the person last actually signed in (not when this token was made).",
        "nonce" => "The value your app sent in the request; check it matches to stop replays.",
        "amr" => "How the person signed in (pwd: password, mfa: second factor, hwk: passkey, ...).",
        "azp" => "Authorized party: the client the token was issued to.",
        "sid" => "Sign-in session id, used by logout.",
        "at_hash" => "Hash of the access token, binding it to this ID token.",
        "email" => "The person's email address (scope email).",
        "email_verified" => "Whether Gatehouse has verified that address.",
        "name" => "The person's display name (scope profile).",
        "idp" => "The upstream identity provider used to sign in, if any.",
        "acr" => "Authentication context class reference.",
        _ => "A Gatehouse claim (see docs/relying-apps.md).",
    }
}
