//! Bad input at the authorization endpoint: an error page when client_id or redirect_uri cannot
//! be trusted (never a redirect), RFC 6749 §4.1.2.1 errors otherwise.
use reqwest::StatusCode;

use crate::helpers::rp::callback_params;
use crate::helpers::{CALLBACK, ServiceOptions, TestApp, spawn_app};

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn query(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

async fn authorize(app: &TestApp, pairs: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/authorize?{}", query(pairs))))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn untrusted_client_or_redirect_uri_shows_an_error_page_and_never_redirects() {
    let app = spawn_app().await;
    let service = app.create_service(ServiceOptions::default()).await;
    let id = service.client_id.as_str();
    let base = [
        ("response_type", "code"),
        ("scope", "openid"),
        ("state", "s"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];

    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("missing client_id", vec![("redirect_uri", CALLBACK)]),
        (
            "unknown client_id",
            vec![("client_id", "nope"), ("redirect_uri", CALLBACK)],
        ),
        (
            "duplicated client_id",
            vec![
                ("client_id", id),
                ("client_id", id),
                ("redirect_uri", CALLBACK),
            ],
        ),
        ("missing redirect_uri", vec![("client_id", id)]),
        (
            "unregistered redirect_uri",
            vec![
                ("client_id", id),
                ("redirect_uri", "http://127.0.0.1:9/other"),
            ],
        ),
        (
            "redirect_uri with a fragment",
            vec![
                ("client_id", id),
                ("redirect_uri", "http://127.0.0.1:9/callback#x"),
            ],
        ),
        (
            "redirect_uri with extra query",
            vec![
                ("client_id", id),
                ("redirect_uri", "http://127.0.0.1:9/callback?extra=1"),
            ],
        ),
        (
            "redirect_uri with other case",
            vec![
                ("client_id", id),
                ("redirect_uri", "http://127.0.0.1:9/Callback"),
            ],
        ),
        (
            "loopback host name instead of the IP (another port)",
            vec![
                ("client_id", id),
                ("redirect_uri", "http://localhost:53123/callback"),
            ],
        ),
        (
            "loopback IP with another port and another path",
            vec![
                ("client_id", id),
                ("redirect_uri", "http://127.0.0.1:53123/other"),
            ],
        ),
        (
            "loopback IP with another port, not in normal form",
            vec![
                ("client_id", id),
                ("redirect_uri", "http://127.0.0.1:53123/x/../callback"),
            ],
        ),
        (
            "redirect_uri with trailing slash",
            vec![
                ("client_id", id),
                ("redirect_uri", "http://127.0.0.1:9/callback/"),
            ],
        ),
        (
            "duplicated redirect_uri",
            vec![
                ("client_id", id),
                ("redirect_uri", CALLBACK),
                ("redirect_uri", CALLBACK),
            ],
        ),
    ];
    for (name, mut pairs) in cases {
        pairs.extend_from_slice(&base);
        let response = authorize(&app, &pairs).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}");
        assert!(
            response.headers().get("location").is_none(),
            "{name} must not redirect"
        );
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("We cannot continue to the app"),
            "{name} shows the error page"
        );
    }
}

#[tokio::test]
async fn a_public_clients_loopback_redirect_uri_may_use_any_port() {
    // RFC 8252 §7.3: a native app registers http://127.0.0.1/… and listens on a port it picks.
    let app = spawn_app().await;
    let service = app
        .create_service(ServiceOptions {
            public: true,
            ..ServiceOptions::default()
        })
        .await;
    let response = authorize(
        &app,
        &[
            ("client_id", &service.client_id),
            ("redirect_uri", "http://127.0.0.1:53123/callback"),
            ("response_type", "token"),
            ("scope", "openid"),
            ("state", "s"),
        ],
    )
    .await;
    let location = response.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("http://127.0.0.1:53123/callback?"),
        "{location}"
    );
    assert_eq!(
        callback_params(location)["error"],
        "unsupported_response_type"
    );
}

#[tokio::test]
async fn a_confidential_clients_loopback_redirect_uri_must_match_byte_for_byte() {
    // RFC 9700 §2.1: the any-port exception is for native (public) apps only; a web app
    // registered at http://127.0.0.1:9/callback gets its codes there and nowhere else.
    let app = spawn_app().await;
    let service = app.create_service(ServiceOptions::default()).await;
    let before = authorization_requests(&app).await;
    for redirect_uri in [
        "http://127.0.0.1:53123/callback",
        "http://127.0.0.1/callback",
        "http://127.0.0.1:80/callback",
    ] {
        let response = authorize(
            &app,
            &[
                ("client_id", &service.client_id),
                ("redirect_uri", redirect_uri),
                ("response_type", "code"),
                ("scope", "openid"),
                ("state", "s"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S256"),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{redirect_uri}");
        assert!(
            response.headers().get("location").is_none(),
            "{redirect_uri}"
        );
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("The redirect_uri is not registered for this application"),
            "{redirect_uri}"
        );
    }
    assert_eq!(
        authorization_requests(&app).await,
        before,
        "no request was stored"
    );

    // The registered URI itself still works.
    let response = authorize(
        &app,
        &[
            ("client_id", &service.client_id),
            ("redirect_uri", CALLBACK),
            ("response_type", "code"),
            ("scope", "openid"),
            ("state", "s"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

async fn authorization_requests(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    gatehouse::store::entities::authorization_requests::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn later_errors_redirect_with_error_state_and_iss() {
    let app = spawn_app().await;
    let confidential = app.create_service(ServiceOptions::default()).await;
    let public = app
        .create_service(ServiceOptions {
            public: true,
            ..ServiceOptions::default()
        })
        .await;
    let (c, p) = (confidential.client_id.as_str(), public.client_id.as_str());

    let cases: Vec<(&str, &str, Vec<(&str, &str)>)> = vec![
        (
            "unsupported_response_type",
            "implicit flow",
            vec![
                ("client_id", c),
                ("response_type", "token"),
                ("scope", "openid"),
            ],
        ),
        (
            "invalid_request",
            "missing response_type",
            vec![("client_id", c), ("scope", "openid")],
        ),
        (
            "invalid_scope",
            "no openid",
            vec![
                ("client_id", c),
                ("response_type", "code"),
                ("scope", "email"),
            ],
        ),
        (
            "invalid_scope",
            "unknown scope",
            vec![
                ("client_id", c),
                ("response_type", "code"),
                ("scope", "openid admin"),
            ],
        ),
        (
            "invalid_request",
            "plain PKCE",
            vec![
                ("client_id", c),
                ("response_type", "code"),
                ("scope", "openid"),
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "plain"),
            ],
        ),
        (
            "invalid_request",
            "challenge too short",
            vec![
                ("client_id", c),
                ("response_type", "code"),
                ("scope", "openid"),
                ("code_challenge", "abc"),
                ("code_challenge_method", "S256"),
            ],
        ),
        (
            "invalid_request",
            "public client without PKCE",
            vec![
                ("client_id", p),
                ("response_type", "code"),
                ("scope", "openid"),
            ],
        ),
        (
            "invalid_request",
            "duplicated scope",
            vec![
                ("client_id", c),
                ("response_type", "code"),
                ("scope", "openid"),
                ("scope", "openid"),
            ],
        ),
        (
            "invalid_request",
            "bad prompt",
            vec![
                ("client_id", c),
                ("response_type", "code"),
                ("scope", "openid"),
                ("prompt", "none login"),
            ],
        ),
        (
            "invalid_request",
            "bad max_age",
            vec![
                ("client_id", c),
                ("response_type", "code"),
                ("scope", "openid"),
                ("max_age", "-1"),
            ],
        ),
        (
            "invalid_request",
            "bad response_mode",
            vec![
                ("client_id", c),
                ("response_type", "code"),
                ("scope", "openid"),
                ("response_mode", "fragment"),
            ],
        ),
        (
            "invalid_request",
            "bad id_token_hint",
            vec![
                ("client_id", c),
                ("response_type", "code"),
                ("scope", "openid"),
                ("id_token_hint", "not.a.jwt"),
            ],
        ),
    ];
    let long_nonce = "n".repeat(5000);
    let mut all = cases;
    all.push((
        "invalid_request",
        "oversized nonce",
        vec![
            ("client_id", c),
            ("response_type", "code"),
            ("scope", "openid"),
            ("nonce", &long_nonce),
        ],
    ));
    for (error, name, mut pairs) in all {
        pairs.push(("redirect_uri", CALLBACK));
        pairs.push(("state", "xyz"));
        let response = authorize(&app, &pairs).await;
        assert_eq!(response.status(), StatusCode::FOUND, "{name}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(CALLBACK), "{name}: {location}");
        let params = callback_params(&location);
        assert_eq!(params["error"], error, "{name}: {params:?}");
        assert_eq!(params["state"], "xyz", "{name}");
        assert_eq!(params["iss"], app.address, "{name}");
        assert!(params.contains_key("error_description"), "{name}");
    }
}

#[tokio::test]
async fn a_malformed_query_string_gets_a_page_not_a_500() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/authorize?client_id=%zz&redirect_uri"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error());
}
