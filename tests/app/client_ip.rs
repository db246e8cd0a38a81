//! Who the client is behind a reverse proxy (issue 12 item 6): forwarded headers count only
//! from `server.trusted_proxies`, the right-most untrusted hop is the client, IPv6 clients are
//! keyed by their /64.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{from_client, row_counts, spawn_app_with, unique_email};

async fn register_from(
    app: &crate::helpers::TestApp,
    client: &str,
    email: &str,
) -> reqwest::Response {
    from_client(app, "/api/auth/register", client)
        .json(&json!({"email": email, "password": "securepassword123"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_one_client_cannot_use_up_the_budget_of_another() {
    let app = spawn_app_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".into()];
        s.rate_limit.requests_per_ip_per_minute = 2;
    })
    .await;
    for _ in 0..2 {
        let ok = register_from(&app, "198.51.100.1", &unique_email()).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
    let before = row_counts(&app.db).await;

    // The same client again, also when it prepends a made-up address of its own.
    let refused = register_from(&app, "198.51.100.1", &unique_email()).await;
    let spoofed = register_from(&app, "203.0.113.77, 198.51.100.1", &unique_email()).await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(spoofed.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = spoofed.json().await.unwrap();
    assert_eq!(body["error_code"], "RATE_LIMIT_EXCEEDED");
    assert_eq!(
        row_counts(&app.db).await,
        before,
        "a refused request writes nothing"
    );
    // Another client behind the same proxy has its own budget.
    let other = register_from(&app, "198.51.100.2", &unique_email()).await;
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let app = spawn_app_with(|s| s.rate_limit.requests_per_ip_per_minute = 2).await;
    for client in ["198.51.100.1", "198.51.100.2"] {
        let ok = register_from(&app, client, &unique_email()).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
    let before = row_counts(&app.db).await;

    let email = unique_email();
    let refused = from_client(&app, "/api/auth/register", "127.0.0.1")
        .header("forwarded", "for=198.51.100.3")
        .header("x-forwarded-for", "198.51.100.3")
        .json(&json!({"email": email, "password": "securepassword123"}))
        .send()
        .await
        .unwrap();

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("Too many"),
        "{body}"
    );
    assert_eq!(row_counts(&app.db).await, before);
}

/// A request from a client behind the trusted test proxy that writes `Forwarded`.
async fn register_forwarded(
    app: &crate::helpers::TestApp,
    forwarded: &str,
    email: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/api/auth/register"))
        .header("forwarded", forwarded)
        .json(&json!({"email": email, "password": "securepassword123"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn ipv6_clients_in_one_64_share_a_budget_and_the_audit_keeps_the_full_address() {
    let app = spawn_app_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1".into()];
        s.server.proxy_header = "forwarded".into();
        s.rate_limit.requests_per_ip_per_minute = 2;
    })
    .await;
    let first = register_forwarded(&app, "for=\"[2001:db8:1:2::1]:4711\"", &unique_email()).await;
    assert_eq!(first.status(), StatusCode::OK);
    let second = register_forwarded(
        &app,
        "for=\"[2001:db8:1:2:ffff::9]\";proto=https",
        &unique_email(),
    )
    .await;
    assert_eq!(second.status(), StatusCode::OK);
    let before = row_counts(&app.db).await;

    // A third address in the same /64 is the same client; the next /64 is another one.
    let same_network =
        register_forwarded(&app, "for=\"[2001:db8:1:2:abcd::5]\"", &unique_email()).await;
    assert_eq!(same_network.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(row_counts(&app.db).await, before);
    let next_network = register_forwarded(&app, "for=\"[2001:db8:1:3::5]\"", &unique_email()).await;
    assert_eq!(next_network.status(), StatusCode::OK);

    let audited: Vec<String> =
        gatehouse::store::audit_events::list_for_action(&app.db, "user.registered")
            .await
            .unwrap()
            .into_iter()
            .filter_map(|e| e.ip)
            .collect();
    assert!(
        audited.contains(&"2001:db8:1:2::1".to_owned()),
        "{audited:?}"
    );
    assert!(
        audited.contains(&"2001:db8:1:3::5".to_owned()),
        "{audited:?}"
    );
}

#[tokio::test]
async fn a_client_cannot_pick_its_address_with_the_header_the_proxy_does_not_write() {
    // The proxy writes X-Forwarded-For and passes any Forwarded header on untouched.
    let app = spawn_app_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1".into()];
        s.rate_limit.requests_per_ip_per_minute = 2;
    })
    .await;
    for _ in 0..2 {
        let ok = register_from(&app, "198.51.100.9", &unique_email()).await;
        assert_eq!(ok.status(), StatusCode::OK);
    }
    let before = row_counts(&app.db).await;

    let refused = from_client(&app, "/api/auth/register", "198.51.100.9")
        .header("forwarded", "for=203.0.113.200")
        .json(&json!({"email": unique_email(), "password": "securepassword123"}))
        .send()
        .await
        .unwrap();

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(row_counts(&app.db).await, before);
}
