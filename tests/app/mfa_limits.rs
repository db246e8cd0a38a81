//! The second-factor limits count failures only, and a login ticket's count cannot be raced
//! (issue 12 item 7).
use reqwest::StatusCode;

use crate::helpers::mfa::{code, enrolled_user};
use crate::helpers::{
    PASSWORD, TestApp, assert_redirect_to, csrf_of, row_counts, spawn_app, spawn_app_with,
};

async fn sign_in_with(app: &TestApp, email: &str, second_factor: &str) -> reqwest::Response {
    assert_redirect_to(&app.login(email, PASSWORD).await, "/login/mfa");
    app.submit("/login/mfa", "/login/mfa", &[("code", second_factor)])
        .await
}

#[tokio::test]
async fn a_user_who_signs_in_six_times_with_the_right_code_is_never_throttled() {
    // Default limit: 5 per user per 5 minutes.
    let app = spawn_app().await;
    let (email, secret, backup_codes) = enrolled_user(&app).await;

    // One wrong code first: it counts, the right ones after it do not.
    let wrong = sign_in_with(&app, &email, "000000").await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let signed_in = app
        .submit("/login/mfa", "/login/mfa", &[("code", &code(&secret, 1))])
        .await;
    assert_redirect_to(&signed_in, "/account");
    app.submit("/account", "/logout", &[]).await;
    for backup_code in backup_codes.iter().take(6) {
        let signed_in = sign_in_with(&app, &email, backup_code).await;
        assert_redirect_to(&signed_in, "/account");
        app.submit("/account", "/logout", &[]).await;
    }
}

#[tokio::test]
async fn parallel_wrong_codes_end_the_ticket_after_five_checks() {
    // Room in the per-user limit: the ticket's own count must be what stops the sixth code.
    let app = spawn_app_with(|s| s.rate_limit.mfa_attempts_per_user_per_5_minutes = 50).await;
    let (email, secret, _) = enrolled_user(&app).await;
    assert_redirect_to(&app.login(&email, PASSWORD).await, "/login/mfa");
    let csrf = csrf_of(&app.get_html("/login/mfa").await);
    let sessions_before = row_counts(&app.db).await["browser_sessions"];

    let mut attempts = Vec::new();
    for _ in 0..12 {
        let client = app.client.clone();
        let url = app.url("/login/mfa");
        let csrf = csrf.clone();
        attempts.push(tokio::spawn(async move {
            client
                .post(url)
                .form(&[("code", "000000"), ("csrf_token", csrf.as_str())])
                .send()
                .await
                .unwrap()
        }));
    }
    let mut answers = Vec::new();
    for attempt in attempts {
        let response = attempt.await.unwrap();
        let status = response.status();
        answers.push((status, response.text().await.unwrap_or_default()));
    }

    let checked = gatehouse::store::audit_events::list_for_action(&app.db, "mfa.verify")
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.outcome == "failure")
        .count();
    assert_eq!(checked, 5, "exactly five codes were checked: {answers:?}");
    assert!(
        answers.iter().all(|(status, _)| !status.is_success()),
        "{answers:?}"
    );
    // The right code now finds the ticket dead: back to the sign-in page, no session.
    let after = app
        .client
        .post(app.url("/login/mfa"))
        .form(&[("code", code(&secret, 1)), ("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_redirect_to(&after, "/login");
    assert_eq!(
        row_counts(&app.db).await["browser_sessions"],
        sessions_before,
        "no session was started"
    );
}
