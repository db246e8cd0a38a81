//! Unauthenticated requests cannot grow the database without bound (issue 12 item 3): every
//! endpoint that writes a row for an anonymous caller is limited per client, a throttled
//! request writes nothing (refusals are audited once per window), stored parameters are
//! capped (the cleanup of expired rows is tested in `cleanup.rs`).
use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    CALLBACK, PASSWORD, ServiceOptions, TestApp, csrf_of, row_counts, spawn_app_with, unique_email,
};

pub(crate) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGUSfkw7cM";

pub(crate) fn authorize_path(client_id: &str) -> String {
    format!(
        "/authorize?response_type=code&client_id={client_id}&redirect_uri={}&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256",
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>()
    )
}

/// One request of the flood: `ip` is the client behind the trusted test proxy.
async fn send(app: &TestApp, ip: &str, endpoint: &Endpoint) -> StatusCode {
    let with_ip = |builder: reqwest::RequestBuilder| builder.header("x-forwarded-for", ip);
    let response = match endpoint {
        Endpoint::Get(path) => with_ip(app.client.get(app.url(path))).send().await,
        Endpoint::Json(path, body) => {
            with_ip(app.client.post(app.url(path)))
                .json(&body(unique_email()))
                .send()
                .await
        }
        Endpoint::Form(page, action, fields) => {
            let html = with_ip(app.client.get(app.url(page)))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let mut form: Vec<(String, String)> = fields(unique_email());
            form.push(("csrf_token".into(), csrf_of(&html)));
            with_ip(app.client.post(app.url(action)))
                .form(&form)
                .send()
                .await
        }
        Endpoint::ClientForm(path, client_id) => {
            with_ip(app.client.post(app.url(path)))
                .form(&[("client_id", client_id.as_str()), ("scope", "openid")])
                .send()
                .await
        }
    };
    response.unwrap().status()
}

enum Endpoint {
    Get(String),
    Json(&'static str, Box<dyn Fn(String) -> serde_json::Value>),
    Form(
        &'static str,
        &'static str,
        Box<dyn Fn(String) -> Vec<(String, String)>>,
    ),
    ClientForm(&'static str, String),
}

fn without_audit(counts: &BTreeMap<&'static str, i64>) -> BTreeMap<&'static str, i64> {
    counts
        .iter()
        .filter(|(table, _)| **table != "audit_events")
        .map(|(t, n)| (*t, *n))
        .collect()
}

#[tokio::test]
async fn flooding_each_anonymous_endpoint_writes_nothing_once_throttled() {
    let app = spawn_app_with(|s| {
        s.server.public_url = s.server.public_url.replace("127.0.0.1", "localhost");
        s.server.trusted_proxies = vec!["127.0.0.1/32".into()];
        s.rate_limit.requests_per_ip_per_minute = 2;
        s.rate_limit.authorize_per_ip_per_minute = 2;
        s.rate_limit.login_per_ip_per_minute = 2;
    })
    .await;
    let known = unique_email();
    app.verified_user(&known).await;
    let web = app
        .create_service(ServiceOptions {
            public: true,
            ..ServiceOptions::default()
        })
        .await;
    let device = app
        .create_service(ServiceOptions {
            public: true,
            grant_types: vec![DEVICE_GRANT],
            ..ServiceOptions::default()
        })
        .await;
    let k = known.clone();
    let endpoints: Vec<(&str, Endpoint)> = vec![
        ("authorize", Endpoint::Get(authorize_path(&web.client_id))),
        (
            "json register",
            Endpoint::Json(
                "/api/auth/register",
                Box::new(|e| json!({"email": e, "password": "securepassword123"})),
            ),
        ),
        (
            "register page",
            Endpoint::Form(
                "/register",
                "/register",
                Box::new(|e| vec![("email".into(), e), ("password".into(), PASSWORD.into())]),
            ),
        ),
        (
            "json forgot password",
            Endpoint::Json(
                "/api/auth/forgot-password",
                Box::new(move |_| json!({"email": k})),
            ),
        ),
        (
            "json magic link",
            Endpoint::Json(
                "/api/auth/magic-link/request",
                Box::new(|e| json!({"email": e})),
            ),
        ),
        (
            "resend verification",
            Endpoint::Form(
                "/login",
                "/verify-email/resend",
                Box::new(|e| vec![("email".into(), e)]),
            ),
        ),
        (
            "json passkey start",
            Endpoint::Json("/auth/passkeys/authenticate/start", Box::new(|_| json!({}))),
        ),
        (
            "page passkey start",
            Endpoint::Form(
                "/login",
                "/login/passkey/options",
                Box::new(|e| vec![("email".into(), e)]),
            ),
        ),
        (
            "device authorization",
            Endpoint::ClientForm("/device_authorization", device.client_id.clone()),
        ),
        (
            "sign-in page",
            Endpoint::Form(
                "/login",
                "/login",
                Box::new(|e| {
                    vec![
                        ("email".into(), e),
                        ("password".into(), "wrong-password".into()),
                    ]
                }),
            ),
        ),
        (
            "json sign-in",
            Endpoint::Json(
                "/api/auth/login",
                Box::new(|e| json!({"email": e, "password": "wrong-password"})),
            ),
        ),
    ];

    for (i, (name, endpoint)) in endpoints.iter().enumerate() {
        let ip = format!("198.51.100.{}", i + 1);
        for _ in 0..2 {
            let status = send(&app, &ip, endpoint).await;
            assert_ne!(
                status,
                StatusCode::TOO_MANY_REQUESTS,
                "{name}: within budget"
            );
        }
        let before = row_counts(&app.db).await;
        for _ in 0..8 {
            let status = send(&app, &ip, endpoint).await;
            assert_eq!(
                status,
                StatusCode::TOO_MANY_REQUESTS,
                "{name}: flood refused"
            );
        }
        let after = row_counts(&app.db).await;
        assert_eq!(
            without_audit(&after),
            without_audit(&before),
            "{name}: a refused request writes no row"
        );
        // At most the one aggregated audit row, should the minute tick fall into the flood.
        assert!(
            after["audit_events"] - before["audit_events"] <= 1,
            "{name}: throttled requests are not audited one row each"
        );
    }
}

#[tokio::test]
async fn refusals_are_audited_once_per_window_in_aggregate() {
    let app = spawn_app_with(|s| s.rate_limit.login_per_ip_per_minute = 1).await;
    app.login(&unique_email(), "wrong password").await;
    let before = row_counts(&app.db).await["audit_events"];
    for _ in 0..5 {
        let refused = app.login(&unique_email(), "wrong password").await;
        assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    assert_eq!(row_counts(&app.db).await["audit_events"], before);

    gatehouse::housekeeping::audit_refusals(&app.state, std::time::Duration::from_secs(60))
        .await
        .unwrap();

    let rows = gatehouse::store::audit_events::list_for_action(&app.db, "rate_limit.refused")
        .await
        .unwrap();
    assert!(!rows.is_empty() && rows.len() <= 2, "{rows:?}");
    let refused: i64 = rows
        .iter()
        .map(|row| {
            let details: serde_json::Value =
                serde_json::from_str(row.details.as_deref().unwrap_or("{}")).unwrap();
            details["refused"]["login_per_ip"].as_i64().unwrap_or(0)
        })
        .sum();
    assert_eq!(refused, 5);
    // Nothing new: no further row.
    gatehouse::housekeeping::audit_refusals(&app.state, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        gatehouse::store::audit_events::list_for_action(&app.db, "rate_limit.refused")
            .await
            .unwrap()
            .len(),
        rows.len()
    );
}

#[tokio::test]
async fn oversized_stored_authorization_parameters_are_refused_without_a_pending_row() {
    let app = spawn_app_with(|_| {}).await;
    let web = app
        .create_service(ServiceOptions {
            public: true,
            ..ServiceOptions::default()
        })
        .await;
    let before = row_counts(&app.db).await;
    for (name, value) in [("state", "s".repeat(1025)), ("nonce", "n".repeat(513))] {
        let response = app
            .get(&format!(
                "{}&{name}={value}",
                authorize_path(&web.client_id)
            ))
            .await;
        assert_eq!(response.status(), StatusCode::FOUND, "{name}");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(CALLBACK), "{location}");
        assert!(location.contains("error=invalid_request"), "{location}");
        assert!(
            location.contains(&format!("{name}+is+too+long")),
            "{location}"
        );
    }
    assert_eq!(row_counts(&app.db).await, before);
}
