//! Helpers for the OIDC tests: a code or tokens for a signed-in user, raw token requests.
use openidconnect::core::CoreTokenResponse;
use reqwest::StatusCode;
use serde_json::Value;

use super::rp::{AuthRequest, RelyingParty, callback_params};
use super::{ServiceOptions, TestApp, TestService, unique_email};

/// A signed-in user, a confidential service and the code the browser brought back.
pub(crate) async fn code_for(
    app: &TestApp,
    options: ServiceOptions,
    scopes: &[&str],
) -> (TestService, RelyingParty, AuthRequest, String) {
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app
        .create_service(ServiceOptions {
            first_party: true,
            ..options
        })
        .await;
    let rp = app.rp(&service).await;
    let request = rp.authorize(scopes);
    let code = callback_params(
        &app.authorize_in_browser(&request.url, &email, "approve")
            .await,
    )["code"]
        .clone();
    (service, rp, request, code)
}

pub(crate) async fn tokens_for(
    app: &TestApp,
    scopes: &[&str],
) -> (TestService, RelyingParty, CoreTokenResponse) {
    let (service, rp, request, code) = code_for(app, ServiceOptions::default(), scopes).await;
    let tokens = rp.exchange(&code, request.verifier).await;
    (service, rp, tokens)
}

pub(crate) async fn token_request(
    app: &TestApp,
    service: &TestService,
    form: &[(&str, &str)],
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = app
        .client
        .post(app.url("/token"))
        .basic_auth(&service.client_id, service.secret.as_deref())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (status, headers, response.json().await.unwrap())
}

/// What a resource server does with a JWT: verify it with nothing but the published JWKS
/// (signature by `kid`, `iss`, `aud`, `exp`); its claims.
pub(crate) async fn verified_claims(app: &TestApp, token: &str, audience: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let key =
        jsonwebtoken::DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap())
            .unwrap();
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[app.address.as_str()]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap()
        .claims
}
