//! Per-account limits cannot be held against the owner (issue 12 item 9): the budget is per
//! (account, client network) pair, under a much higher per-account ceiling.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{
    PASSWORD, TestApp, csrf_of, from_client, row_counts, spawn_app_with, unique_email,
};

/// Signs in on the hosted page as a client at `ip` behind the trusted test proxy.
async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> reqwest::Response {
    let page = app
        .client
        .get(app.url("/login"))
        .header("x-forwarded-for", ip)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    from_client(app, "/login", ip)
        .form(&[
            ("email", email),
            ("password", password),
            ("csrf_token", &csrf_of(&page)),
        ])
        .send()
        .await
        .unwrap()
}

async fn spawn(customize: impl FnOnce(&mut gatehouse::config::Settings)) -> TestApp {
    spawn_app_with(|s| {
        s.server.trusted_proxies = vec!["127.0.0.1/32".into()];
        customize(s);
    })
    .await
}

#[tokio::test]
async fn an_attacker_who_uses_up_an_accounts_sign_in_budget_does_not_lock_out_its_owner() {
    let app = spawn(|s| s.rate_limit.login_per_account_per_15_minutes = 3).await;
    let email = unique_email();
    app.verified_user(&email).await;
    let attacker = app.new_device();
    for _ in 0..3 {
        let wrong = login_from(&attacker, "198.51.100.66", &email, "wrong password").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let before = row_counts(&app.db).await;

    // The attacker is refused even with the right password...
    let refused = login_from(&attacker, "198.51.100.66", &email, PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.text().await.unwrap().contains("Too many attempts"));
    assert_eq!(
        row_counts(&app.db).await,
        before,
        "a throttled attempt writes nothing, no session and no audit row"
    );
    // ...while the owner, on another network, signs in.
    let owner = app.new_device();
    let signed_in = login_from(&owner, "203.0.113.5", &email, PASSWORD).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    assert_eq!(signed_in.headers()["location"], "/account");
}

#[tokio::test]
async fn the_per_account_ceiling_still_caps_attempts_from_many_networks() {
    let app = spawn(|s| {
        s.rate_limit.login_per_account_per_15_minutes = 2;
        s.rate_limit.login_per_account_ceiling_per_15_minutes = 4;
    })
    .await;
    let email = unique_email();
    app.verified_user(&email).await;
    for ip in ["198.51.100.1", "198.51.100.2"] {
        for _ in 0..2 {
            let wrong = login_from(&app, ip, &email, "wrong password").await;
            assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        }
    }
    let before = row_counts(&app.db).await;

    let refused = login_from(&app, "198.51.100.3", &email, PASSWORD).await;

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(row_counts(&app.db).await, before);
}

#[tokio::test]
async fn an_attacker_who_uses_up_an_addresses_magic_link_budget_does_not_block_its_owner() {
    let app = spawn(|_| {}).await;
    let email = unique_email();
    app.verified_user(&email).await;
    let request = |ip: &'static str| {
        from_client(&app, "/api/auth/magic-link/request", ip)
            .json(&json!({"email": email}))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(
            request("198.51.100.66").await.unwrap().status(),
            StatusCode::OK
        );
    }
    let mails_before = app.mail.wait_for_nth(&email, 4).await;
    drop(mails_before);
    let before = row_counts(&app.db).await;

    let refused = request("198.51.100.66").await.unwrap();

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error_code"], "RATE_LIMIT_EXCEEDED");
    assert_eq!(row_counts(&app.db).await, before, "nothing written");
    let owner = request("203.0.113.5").await.unwrap();
    assert_eq!(owner.status(), StatusCode::OK);
    let link = app.mail.wait_for_nth(&email, 5).await.link();
    assert!(link.contains("/magic-link/verify?token="), "{link}");
}
