//! RFC 8628 device authorization grant: a real client (the `openidconnect` crate) polls while the
//! person approves in the hosted pages; the protocol's error answers; the seed-004 JSON endpoints.
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use gatehouse::store::device_codes::{self, DeviceCode, DeviceStatus};
use gatehouse::store::entities::device_codes::{Column, Entity as DeviceCodes};
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod,
    CoreDeviceAuthorizationResponse, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, ClientId, ClientSecret, DeviceAuthorizationUrl, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, ProviderMetadata, Scope,
    TokenResponse,
};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, ServiceOptions, TestApp, TestService, csrf_of, spawn_app, spawn_app_with,
    unique_email,
};

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[derive(Clone, Debug, serde::Deserialize, serde::Serialize)]
struct DeviceEndpoint {
    device_authorization_endpoint: DeviceAuthorizationUrl,
}
impl AdditionalProviderMetadata for DeviceEndpoint {}

type DeviceProviderMetadata = ProviderMetadata<
    DeviceEndpoint,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type DeviceClient = CoreClient<
    EndpointSet,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// A CLI built on `openidconnect`: discovery finds the device authorization endpoint.
async fn cli_client(
    app: &TestApp,
    service: &TestService,
) -> (DeviceClient, openidconnect::reqwest::Client) {
    let http = crate::helpers::rp::rp_http_client();
    let metadata =
        DeviceProviderMetadata::discover_async(IssuerUrl::new(app.address.clone()).unwrap(), &http)
            .await
            .expect("discovery advertises the device authorization endpoint");
    let endpoint = metadata
        .additional_metadata()
        .device_authorization_endpoint
        .clone();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(service.client_id.clone()),
        service.secret.clone().map(ClientSecret::new),
    )
    .set_device_authorization_url(endpoint);
    (client, http)
}

/// A service allowed the device grant (and refresh tokens).
async fn device_service(app: &TestApp, public: bool, activation: Option<String>) -> TestService {
    app.create_service(ServiceOptions {
        public,
        grant_types: vec![DEVICE_GRANT, "refresh_token"],
        redirect_uris: vec![],
        device_activation_uri: activation,
        ..ServiceOptions::default()
    })
    .await
}

/// A form POST with the service's client authentication (Basic, or `client_id` when public).
async fn client_post(
    app: &TestApp,
    path: &str,
    service: &TestService,
    form: &[(&str, &str)],
) -> (StatusCode, HeaderMap, Value) {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut request = app.client.post(app.url(path));
    match &service.secret {
        Some(secret) => request = request.basic_auth(&service.client_id, Some(secret)),
        None => form.push(("client_id", &service.client_id)),
    }
    let response = request.form(&form).send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.json().await.unwrap())
}

/// `POST /device_authorization`: the device code and the user code.
async fn start(app: &TestApp, service: &TestService) -> (String, String) {
    let (status, _, body) = client_post(
        app,
        "/device_authorization",
        service,
        &[("scope", "openid email")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (
        body["device_code"].as_str().unwrap().to_owned(),
        body["user_code"].as_str().unwrap().to_owned(),
    )
}

async fn poll(
    app: &TestApp,
    service: &TestService,
    device_code: &str,
) -> (StatusCode, HeaderMap, Value) {
    client_post(
        app,
        "/token",
        service,
        &[("grant_type", DEVICE_GRANT), ("device_code", device_code)],
    )
    .await
}

async fn row(app: &TestApp, user_code: &str) -> DeviceCode {
    device_codes::find_by_user_code(&app.db, &user_code.replace('-', ""))
        .await
        .unwrap()
        .expect("the code is stored")
}

/// Moves a code's clock: `expires_at` and `last_polled_at` into the past.
async fn set_times(app: &TestApp, user_code: &str, column: Column, seconds_ago: i64) {
    let past = gatehouse::store::now() - chrono::Duration::seconds(seconds_ago);
    DeviceCodes::update_many()
        .col_expr(column, Expr::value(past))
        .filter(Column::UserCode.eq(user_code.replace('-', "")))
        .exec(&app.db)
        .await
        .unwrap();
}

async fn audit_count(app: &TestApp, action: &str) -> usize {
    gatehouse::store::audit_events::list_for_action(&app.db, action)
        .await
        .unwrap()
        .len()
}

/// The person at the browser: enters the code on /device, signs in when sent to, and returns
/// the confirmation page.
async fn confirmation_page(person: &TestApp, typed_code: &str, email: &str) -> String {
    let entered = person
        .submit("/device", "/device", &[("user_code", typed_code)])
        .await;
    if entered.status() == StatusCode::OK {
        return entered.text().await.unwrap();
    }
    assert_eq!(entered.status(), StatusCode::SEE_OTHER);
    let location = entered.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/login?next=%2Fdevice%3Fuser_code%3D"),
        "{location}"
    );
    let login_page = person.get_html(&location).await;
    let next = crate::helpers::next_field_of(&login_page);
    let login = person.login_with_next(&login_page, email, PASSWORD).await;
    assert_eq!(
        login.headers()["location"],
        next.as_str(),
        "back to the device page"
    );
    person.get_html(&next).await
}

/// Approve or Deny on the confirmation page.
async fn decide(person: &TestApp, confirmation: &str, decision: &str) -> reqwest::Response {
    let user_code = regex::Regex::new(r#"name="user_code" value="([^"]+)""#)
        .unwrap()
        .captures(confirmation)
        .expect("the confirmation page carries the code")[1]
        .to_owned();
    person
        .client
        .post(person.url("/device/confirm"))
        .form(&[
            ("user_code", user_code.as_str()),
            ("decision", decision),
            ("csrf_token", &csrf_of(confirmation)),
        ])
        .send()
        .await
        .unwrap()
}

fn jwt_claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn a_cli_polls_with_openidconnect_while_the_person_approves_in_the_hosted_pages() {
    // Arrange: a person with an account and a public CLI service.
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = device_service(&app, true, None).await;
    let (cli, http) = cli_client(&app, &service).await;

    // Act 1: the CLI asks for codes.
    let details: CoreDeviceAuthorizationResponse = cli
        .exchange_device_code()
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .request_async(&http)
        .await
        .expect("device authorization");

    // Assert 1: RFC 8628 §3.2 answer.
    let user_code = details.user_code().secret().clone();
    assert!(
        regex::Regex::new("^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")
            .unwrap()
            .is_match(&user_code),
        "{user_code}"
    );
    assert_eq!(details.verification_uri().as_str(), app.url("/device"));
    assert_eq!(
        details.verification_uri_complete().unwrap().secret(),
        &app.url(&format!("/device?user_code={user_code}"))
    );
    assert_eq!(details.expires_in(), Duration::from_secs(900));
    assert_eq!(details.interval(), Duration::from_secs(5));
    let stored = row(&app, &user_code).await;
    assert_ne!(
        stored.device_code_hash,
        *details.device_code().secret(),
        "stored hashed"
    );

    // Act 2: the CLI polls while the person types the code (lower case, no dash) and approves.
    let polling = async {
        cli.exchange_device_access_token(&details)
            .unwrap()
            .request_async(&http, tokio::time::sleep, Some(Duration::from_secs(60)))
            .await
    };
    let approving = async {
        // The CLI has been told authorization_pending at least once before approval.
        while row(&app, &user_code).await.last_polled_at.is_none() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let typed = user_code.replace('-', "").to_lowercase();
        let confirmation = confirmation_page(&app, &typed, &email).await;
        assert!(confirmation.contains("Sign in to Acme Web on your device?"));
        assert!(confirmation.contains("Acme Corp"), "names the org");
        assert!(
            confirmation.contains("See your email address"),
            "lists the scopes"
        );
        assert!(confirmation.contains(&format!(r#"<code id="user-code">{user_code}</code>"#)));
        let approved = decide(&app, &confirmation, "approve").await;
        assert_eq!(approved.status(), StatusCode::OK);
        assert!(approved.text().await.unwrap().contains("Device connected"));
    };
    let (tokens, ()) = tokio::join!(polling, approving);

    // Assert 2: tokens for the person, verified against the JWKS.
    let tokens = tokens.expect("tokens after approval");
    let id_token = tokens.id_token().expect("an ID token for the openid scope");
    let claims = id_token
        .claims(&cli.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .expect("a valid ID token");
    assert_eq!(claims.email().unwrap().as_str(), email);
    assert!(
        tokens.refresh_token().is_some(),
        "offline_access was granted"
    );
    let access = jwt_claims(tokens.access_token().secret());
    assert_eq!(access["client_id"], service.client_id.as_str());
    assert_eq!(access["amr"], json!(["pwd"]));
    assert!(
        access.get("sid").is_none(),
        "not tied to the browser session"
    );
    assert_eq!(row(&app, &user_code).await.status, DeviceStatus::Consumed);
    for action in [
        "device.code_issued",
        "device.approved",
        "device.tokens_issued",
    ] {
        assert_eq!(audit_count(&app, action).await, 1, "{action}");
    }

    // Act 3 / Assert 3: the device code works once.
    let (status, headers, body) = poll(&app, &service, details.device_code().secret()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(headers["cache-control"], "no-store");
    let reused = app
        .submit("/device", "/device", &[("user_code", &user_code)])
        .await;
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
    assert!(
        reused
            .text()
            .await
            .unwrap()
            .contains("That code has already been used.")
    );
}

#[tokio::test]
async fn polling_early_answers_pending_then_slow_down_with_a_longer_interval() {
    // Arrange
    let app = spawn_app().await;
    let service = device_service(&app, false, None).await;
    let (device_code, user_code) = start(&app, &service).await;

    // Act / Assert: the first poll is pending.
    let (status, headers, body) = poll(&app, &service, &device_code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "authorization_pending");
    assert_eq!(headers["cache-control"], "no-store");

    // A poll within the interval slows the client down by 5 s, again and again.
    for expected_interval in [10, 15] {
        let (status, headers, body) = poll(&app, &service, &device_code).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "slow_down");
        assert_eq!(
            headers["retry-after"],
            expected_interval.to_string().as_str()
        );
        assert_eq!(row(&app, &user_code).await.interval_secs, expected_interval);
    }

    // Less than the current interval (15 s) slows down again; waiting it out is pending.
    set_times(&app, &user_code, Column::LastPolledAt, 12).await;
    assert_eq!(
        poll(&app, &service, &device_code).await.2["error"],
        "slow_down"
    );
    set_times(&app, &user_code, Column::LastPolledAt, 21).await;
    assert_eq!(
        poll(&app, &service, &device_code).await.2["error"],
        "authorization_pending"
    );
}

#[tokio::test]
async fn a_denied_request_answers_access_denied() {
    // Arrange
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = device_service(&app, true, None).await;
    let (device_code, user_code) = start(&app, &service).await;

    // Act
    let confirmation = confirmation_page(&app, &user_code, &email).await;
    let denied = decide(&app, &confirmation, "deny").await;

    // Assert
    assert_eq!(denied.status(), StatusCode::OK);
    assert!(denied.text().await.unwrap().contains("Request denied"));
    let (status, _, body) = poll(&app, &service, &device_code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "access_denied");
    assert_eq!(audit_count(&app, "device.denied").await, 1);
    let again = app
        .submit("/device", "/device", &[("user_code", &user_code)])
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("That request was denied.")
    );
}

#[tokio::test]
async fn an_expired_code_answers_expired_token_everywhere() {
    // Arrange
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = device_service(&app, true, None).await;
    let (device_code, user_code) = start(&app, &service).await;
    set_times(&app, &user_code, Column::ExpiresAt, 1).await;

    // Act / Assert: polling.
    for _ in 0..2 {
        let (status, _, body) = poll(&app, &service, &device_code).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "expired_token");
    }
    assert_eq!(
        audit_count(&app, "device.code_expired").await,
        1,
        "audited once"
    );

    // The verification page and the JSON verify endpoint.
    let entered = app
        .submit("/device", "/device", &[("user_code", &user_code)])
        .await;
    assert_eq!(entered.status(), StatusCode::BAD_REQUEST);
    assert!(
        entered
            .text()
            .await
            .unwrap()
            .contains("That code has expired.")
    );
    let verify = app
        .post_json("/auth/device/verify", json!({ "user_code": user_code }))
        .await;
    assert_eq!(verify.status(), StatusCode::BAD_REQUEST);
    let body: Value = verify.json().await.unwrap();
    assert_eq!(body["error"], "Device code expired");
    assert_eq!(body["error_code"], "DEVICE_CODE_EXPIRED");
}

#[tokio::test]
async fn an_approved_code_that_expired_before_polling_gives_no_tokens() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = device_service(&app, true, None).await;
    let (device_code, user_code) = start(&app, &service).await;
    let confirmation = confirmation_page(&app, &user_code, &email).await;
    assert_eq!(
        decide(&app, &confirmation, "approve").await.status(),
        StatusCode::OK
    );

    set_times(&app, &user_code, Column::ExpiresAt, 1).await;
    let (status, _, body) = poll(&app, &service, &device_code).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "expired_token");
    assert_eq!(audit_count(&app, "device.tokens_issued").await, 0);
}

#[tokio::test]
async fn a_device_code_is_refused_to_another_client_and_unknown_codes_are_invalid() {
    // Arrange: two device services; the code belongs to the first.
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = device_service(&app, true, None).await;
    let other = device_service(&app, false, None).await;
    let (device_code, user_code) = start(&app, &service).await;
    let confirmation = confirmation_page(&app, &user_code, &email).await;
    decide(&app, &confirmation, "approve").await;

    // Act
    let (status, _, stolen) = poll(&app, &other, &device_code).await;
    let (_, _, unknown) = poll(&app, &service, "not-a-device-code").await;
    let (_, _, missing) =
        client_post(&app, "/token", &service, &[("grant_type", DEVICE_GRANT)]).await;

    // Assert
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(stolen["error"], "invalid_grant");
    assert_eq!(unknown["error"], "invalid_grant");
    assert_eq!(missing["error"], "invalid_request");
    assert_eq!(
        poll(&app, &service, &device_code).await.0,
        StatusCode::OK,
        "still usable by its client"
    );
}

#[tokio::test]
async fn the_grant_type_is_exact_and_the_service_must_allow_it() {
    // Arrange
    let app = spawn_app().await;
    let service = device_service(&app, true, None).await;
    let web_only = app.create_service(ServiceOptions::default()).await;
    let (device_code, _) = start(&app, &service).await;

    // Act
    let (shouting, _, shouted) = client_post(
        &app,
        "/token",
        &service,
        &[
            ("grant_type", &DEVICE_GRANT.to_uppercase()),
            ("device_code", &device_code),
        ],
    )
    .await;
    let (_, _, not_allowed) = client_post(&app, "/device_authorization", &web_only, &[]).await;
    let (_, _, not_allowed_poll) = poll(&app, &web_only, &device_code).await;
    let wrong_secret = TestService {
        client_id: web_only.client_id.clone(),
        secret: Some("wrong".into()),
    };
    let (unauthenticated, headers, _) =
        client_post(&app, "/device_authorization", &wrong_secret, &[]).await;
    let (_, _, bad_scope) = client_post(
        &app,
        "/device_authorization",
        &service,
        &[("scope", "openid admin")],
    )
    .await;

    // Assert
    assert_eq!(shouting, StatusCode::BAD_REQUEST);
    assert_eq!(shouted["error"], "unsupported_grant_type");
    assert_eq!(not_allowed["error"], "unauthorized_client");
    assert_eq!(not_allowed_poll["error"], "unauthorized_client");
    assert_eq!(unauthenticated, StatusCode::UNAUTHORIZED);
    assert!(headers.contains_key("www-authenticate"));
    assert_eq!(bad_scope["error"], "invalid_scope");
}

#[tokio::test]
async fn wrong_codes_on_the_verification_page_get_a_clear_message() {
    let app = spawn_app().await;
    for typed in ["BCDF-GHJK", "hello", ""] {
        let response = app
            .submit("/device", "/device", &[("user_code", typed)])
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{typed:?}");
        let html = response.text().await.unwrap();
        assert!(html.contains("That code is not valid."), "{typed:?}");
        assert!(html.contains(r#"aria-invalid="true""#));
    }
    let from_link = app.get("/device?user_code=BCDF-GHJK").await;
    assert_eq!(from_link.status(), StatusCode::BAD_REQUEST);
    assert_eq!(app.get("/device").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn code_entry_is_rate_limited_per_ip() {
    // Arrange
    let app = spawn_app_with(|s| s.rate_limit.device_code_entry_per_ip_per_minute = 3).await;
    for _ in 0..3 {
        let response = app
            .submit("/device", "/device", &[("user_code", "BCDF-GHJK")])
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }

    // Act
    let page = app
        .submit("/device", "/device", &[("user_code", "BCDF-GHJK")])
        .await;
    let json = app
        .post_json("/auth/device/verify", json!({ "user_code": "BCDF-GHJK" }))
        .await;

    // Assert
    assert_eq!(page.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(page.headers().contains_key("retry-after"));
    assert_eq!(json.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = json.json().await.unwrap();
    assert_eq!(body["error_code"], "RATE_LIMIT_EXCEEDED");
}

#[tokio::test]
async fn device_authorization_requests_are_rate_limited_per_ip() {
    // Arrange: each request stores a code; two a minute from one IP.
    let app = spawn_app_with(|s| s.rate_limit.requests_per_ip_per_minute = 2).await;
    let service = device_service(&app, true, None).await;
    start(&app, &service).await;
    start(&app, &service).await;

    // Act
    let (status, headers, body) = client_post(&app, "/device_authorization", &service, &[]).await;

    // Assert: RFC 6749 error body, with when to come back.
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(headers.contains_key("retry-after"));
}

#[tokio::test]
async fn approval_needs_the_second_factor_when_the_user_has_one() {
    // Arrange: a user with TOTP, and a device waiting.
    let app = spawn_app().await;
    let (email, secret, _) = crate::helpers::mfa::enrolled_user(&app).await;
    let service = device_service(&app, true, None).await;
    let (device_code, user_code) = start(&app, &service).await;

    // A session opened with the password alone (from before TOTP) must sign in again.
    let user = gatehouse::store::users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    let token = gatehouse::auth::sessions::start(
        &app.state,
        &user,
        &["pwd".to_owned()],
        &gatehouse::domain::RequestMeta::default(),
    )
    .await
    .unwrap()
    .session;
    let jar = Arc::new(reqwest::cookie::Jar::default());
    jar.add_cookie_str(
        &format!("gh_session={token}; Path=/"),
        &app.address.parse().unwrap(),
    );
    let stale = reqwest::Client::builder()
        .cookie_provider(jar)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(std::time::Duration::from_secs(1))
        .build()
        .unwrap();
    let response = stale
        .get(app.url(&format!("/device?user_code={user_code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        format!("/login?next=%2Fdevice%3Fuser_code%3D{user_code}&again=1").as_str()
    );

    // Act: sign in with password and code, then approve.
    let entered = app
        .submit("/device", "/device", &[("user_code", &user_code)])
        .await;
    let login_path = entered.headers()["location"].to_str().unwrap().to_owned();
    let login_page = app.get_html(&login_path).await;
    let next = format!("/device?user_code={user_code}");
    let login = app.login_with_next(&login_page, &email, PASSWORD).await;
    assert_eq!(login.headers()["location"], "/login/mfa");
    let second = app
        .submit(
            "/login/mfa",
            "/login/mfa",
            &[("code", &crate::helpers::mfa::code(&secret, 1))],
        )
        .await;
    assert_eq!(second.headers()["location"], next.as_str());
    let confirmation = app.get_html(&next).await;
    assert_eq!(
        decide(&app, &confirmation, "approve").await.status(),
        StatusCode::OK
    );

    // Assert
    let (status, _, tokens) = poll(&app, &service, &device_code).await;
    assert_eq!(status, StatusCode::OK);
    let amr = jwt_claims(tokens["access_token"].as_str().unwrap())["amr"].clone();
    assert!(amr.as_array().unwrap().contains(&json!("mfa")), "{amr}");
}

#[tokio::test]
async fn the_json_device_endpoints_keep_the_seed_shapes_and_statuses() {
    // Arrange: a service with a device activation URI (required by the JSON endpoint).
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let activation = app.url("/device");
    let service = device_service(&app, true, Some(activation.clone())).await;
    let client = app
        .state
        .clients
        .get(&app.db, &service.client_id)
        .await
        .unwrap()
        .unwrap();
    let (org, slug) = (client.org.slug.clone(), client.service.slug.clone());
    let ask = json!({ "client_id": service.client_id, "org": org, "service": slug });

    // Act / Assert: codes.
    let response = app.post_json("/auth/device/code", ask.clone()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let codes: Value = response.json().await.unwrap();
    let (device_code, user_code) = (
        codes["device_code"].as_str().unwrap().to_owned(),
        codes["user_code"].as_str().unwrap().to_owned(),
    );
    assert_eq!(codes["verification_uri"], activation.as_str());
    assert_eq!(
        codes["verification_uri_complete"],
        format!("{activation}?user_code={user_code}").as_str()
    );
    assert_eq!(codes["expires_in"], 900);
    assert_eq!(codes["interval"], 5);

    // Verify: the context a front end shows.
    let verify = |code: String| app.post_json("/auth/device/verify", json!({ "user_code": code }));
    let context: Value = verify(user_code.to_lowercase()).await.json().await.unwrap();
    assert_eq!(
        context,
        json!({ "org_slug": org, "service_slug": slug, "available_providers": ["password"] })
    );
    let unknown = verify("BCDF-GHJK".into()).await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"],
        "Invalid user code"
    );

    // Polling: 401 while pending, 429 when too fast, 400 for a wrong grant type.
    let token = |grant_type: &str| {
        app.post_json(
            "/auth/token",
            json!({ "grant_type": grant_type, "client_id": service.client_id, "device_code": device_code }),
        )
    };
    let pending = token(DEVICE_GRANT).await;
    assert_eq!(pending.status(), StatusCode::UNAUTHORIZED);
    let body: Value = pending.json().await.unwrap();
    assert_eq!(body["error"], "Not authorized");
    assert_eq!(body["error_code"], "UNAUTHORIZED");
    assert!(body["timestamp"].is_string());
    let fast = token(DEVICE_GRANT).await;
    assert_eq!(fast.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(fast.headers()["retry-after"], "10");
    let wrong = token("device_code").await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "Invalid grant type"
    );

    // Approved: tokens once, then the seed's errors.
    let confirmation = confirmation_page(&app, &user_code, &email).await;
    decide(&app, &confirmation, "approve").await;
    let granted = token(DEVICE_GRANT).await;
    assert_eq!(granted.status(), StatusCode::OK);
    let tokens: Value = granted.json().await.unwrap();
    assert!(tokens["access_token"].is_string());
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].is_number());
    let again: Value = token(DEVICE_GRANT).await.json().await.unwrap();
    assert_eq!(again["error"], "Device code already used");
    let authorized: Value = verify(user_code.clone()).await.json().await.unwrap();
    assert_eq!(authorized["error"], "Device already authorized");

    // Expired codes.
    let codes: Value = app
        .post_json("/auth/device/code", ask.clone())
        .await
        .json()
        .await
        .unwrap();
    set_times(
        &app,
        codes["user_code"].as_str().unwrap(),
        Column::ExpiresAt,
        1,
    )
    .await;
    let expired = app
        .post_json(
            "/auth/token",
            json!({ "grant_type": DEVICE_GRANT, "client_id": service.client_id, "device_code": codes["device_code"] }),
        )
        .await;
    assert_eq!(expired.status(), StatusCode::BAD_REQUEST);
    let body: Value = expired.json().await.unwrap();
    assert_eq!(body["error"], "Device code expired");
    assert_eq!(body["error_code"], "DEVICE_CODE_EXPIRED");
}

#[tokio::test]
async fn the_json_device_code_endpoint_refuses_unconfigured_services() {
    let app = spawn_app().await;
    let service = device_service(&app, true, None).await;
    let client = app
        .state
        .clients
        .get(&app.db, &service.client_id)
        .await
        .unwrap()
        .unwrap();
    let ask = |org: &str| json!({ "client_id": service.client_id, "org": org, "service": client.service.slug });

    let unconfigured = app
        .post_json("/auth/device/code", ask(&client.org.slug))
        .await;
    let wrong_org = app.post_json("/auth/device/code", ask("elsewhere")).await;

    assert_eq!(unconfigured.status(), StatusCode::BAD_REQUEST);
    let body: Value = unconfigured.json().await.unwrap();
    assert_eq!(
        body["error"],
        "Device activation URI not configured for this service"
    );
    assert_eq!(body["error_code"], "BAD_REQUEST");
    assert_eq!(wrong_org.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong_org.json::<Value>().await.unwrap()["error"],
        "Invalid client_id"
    );
}

#[tokio::test]
async fn the_json_device_endpoints_take_a_confidential_services_secret_by_basic_or_body_only() {
    let app = spawn_app().await;
    let service = device_service(&app, false, Some("https://acme.example/activate".into())).await;
    let client = app
        .state
        .clients
        .get(&app.db, &service.client_id)
        .await
        .unwrap()
        .unwrap();
    let secret = service.secret.clone().unwrap();
    let ask = |extra: Value| {
        let mut body = json!({ "org": client.org.slug, "service": client.service.slug });
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let post = |basic: Option<(&str, &str)>, body: Value| {
        let mut request = app.client.post(app.url("/auth/device/code")).json(&body);
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret));
        }
        request.send()
    };
    let codes_before = DeviceCodes::find().count(&app.db).await.unwrap();

    let no_secret = post(None, ask(json!({ "client_id": service.client_id })))
        .await
        .unwrap();
    let wrong_basic = post(Some((&service.client_id, "wrong")), ask(json!({})))
        .await
        .unwrap();

    assert_eq!(no_secret.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        no_secret.json::<Value>().await.unwrap()["error"],
        "Invalid client_id"
    );
    assert_eq!(wrong_basic.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        DeviceCodes::find().count(&app.db).await.unwrap(),
        codes_before,
        "no device code was issued"
    );
    let basic = post(Some((&service.client_id, &secret)), ask(json!({})))
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);
    let codes: Value = basic.json().await.unwrap();
    assert!(codes["device_code"].is_string());
    let body = post(
        None,
        ask(json!({ "client_id": service.client_id, "client_secret": secret })),
    )
    .await
    .unwrap();
    assert_eq!(body.status(), StatusCode::OK);
    // Polling takes Basic too (still pending here).
    let poll = app
        .client
        .post(app.url("/auth/token"))
        .basic_auth(&service.client_id, Some(&secret))
        .json(&json!({ "grant_type": DEVICE_GRANT, "device_code": codes["device_code"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(poll.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        poll.json::<Value>().await.unwrap()["error"],
        "Not authorized"
    );
}

#[tokio::test]
async fn discovery_advertises_the_device_endpoint_and_grant() {
    let app = spawn_app().await;
    let document: Value = app
        .get("/.well-known/openid-configuration")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        document["device_authorization_endpoint"],
        app.url("/device_authorization").as_str()
    );
    assert!(
        document["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(DEVICE_GRANT))
    );
}

#[tokio::test]
async fn a_german_person_is_told_in_german_that_the_device_was_denied() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = device_service(&app, true, None).await;
    let (_, user_code) = start(&app, &service).await;
    let entry = app.get_html("/device?ui_locales=de").await;
    assert!(entry.contains(r#"<html lang="de">"#), "{entry}");

    let wrong = app
        .submit("/device", "/device", &[("user_code", "BCDF-GHJK")])
        .await;
    let wrong = wrong.text().await.unwrap();
    assert!(
        wrong.contains("Dieser Code ist ungültig. Prüfen Sie den Code auf Ihrem Gerät"),
        "{wrong}"
    );
    let confirmation = confirmation_page(&app, &user_code, &email).await;
    let denied = decide(&app, &confirmation, "deny").await;

    assert_eq!(denied.status(), StatusCode::OK);
    let html = denied.text().await.unwrap();
    assert!(html.contains("Anfrage abgelehnt"), "{html}");
    assert!(
        html.contains("Das Gerät hat keinen Zugriff auf Acme Web erhalten."),
        "{html}"
    );
}
