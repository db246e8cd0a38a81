//! Federation "Bad input" (issue 14): each gets a friendly page, and nothing is created or
//! linked.
use reqwest::StatusCode;

use crate::federation::{app_with_github, follow, page};
use crate::helpers::upstream::{Fault, GithubUser, MockUpstream};
use crate::helpers::{TestApp, row_counts, spawn_app, unique_email};
use gatehouse::store::users;

/// Starts at Gatehouse, passes the mock's authorize step, and returns the callback URL the
/// provider sends the browser to (not yet followed).
async fn callback_url(app: &TestApp, start: &str) -> String {
    let to_provider = app.client.get(app.url(start)).send().await.unwrap();
    assert_eq!(
        to_provider.status(),
        StatusCode::FOUND,
        "redirect to the provider"
    );
    let provider_url = to_provider.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let back = app.client.get(&provider_url).send().await.unwrap();
    back.headers()["location"].to_str().unwrap().to_owned()
}

pub async fn federated_rows(app: &TestApp) -> (usize, i64) {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM federated_identities".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    (
        users::list(&app.db).await.unwrap().len(),
        row.try_get::<i64>("", "n").unwrap(),
    )
}

pub async fn org_of(app: &TestApp, client_id: &str) -> String {
    let service = gatehouse::store::services::find_by_client_id(&app.db, client_id)
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::organizations::find_by_id(&app.db, service.org_id)
        .await
        .unwrap()
        .unwrap()
        .slug
}

#[tokio::test]
async fn an_unknown_provider_is_a_404_page() {
    let app = spawn_app().await;
    let response = app.get("/auth/myspace").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(response.text().await.unwrap().contains("not found"));
}

#[tokio::test]
async fn a_provider_without_credentials_is_a_400_page_and_not_offered() {
    let app = spawn_app().await;
    let response = app.get("/auth/google").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Signing in with Google is not set up here")
    );
    assert!(!app.get_html("/login").await.contains("Continue with"));
}

#[tokio::test]
async fn an_unknown_org_or_service_is_a_404_and_an_unregistered_redirect_uri_a_400() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    assert_eq!(
        app.get("/auth/github?org=nope").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/auth/github?org=gatehouse&service=nope")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let service = app
        .create_service(crate::helpers::ServiceOptions::first_party())
        .await;
    let org = org_of(&app, &service.client_id).await;
    let known = app
        .get(&format!(
            "/auth/github?org={org}&service=web-app&redirect_uri={}",
            crate::helpers::CALLBACK
        ))
        .await;
    assert_eq!(
        known.status(),
        StatusCode::FOUND,
        "a registered redirect_uri is fine"
    );
    let response = app
        .get(&format!(
            "/auth/github?org={org}&service=web-app&redirect_uri=https://evil.example/cb"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("redirect_uri is not registered")
    );
}

#[tokio::test]
async fn a_callback_without_state_or_from_another_browser_or_replayed_signs_no_one_in() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    mock.sign_in_as(GithubUser::with_email(1, &unique_email(), true));
    let before = row_counts(&app.db).await;

    // Missing state.
    let (status, body) = page(follow(&app, "/auth/github/callback?code=abc").await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("Please start again"), "{body}");

    // Another browser brings this browser's code and state.
    let callback = callback_url(&app, "/auth/github").await;
    let other = app.new_device();
    let (status, body) = page(follow(&other, &callback).await);
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("started in another browser"), "{body}");

    // The state was not used up by the other browser, but it is single use in this one:
    // the first callback works, the replay does not.
    let (status, _) = page(follow(&app, &callback).await);
    assert_eq!(status, StatusCode::OK);
    let replay = app.client.get(&callback).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
    assert_eq!(mock.token_requests(), 1, "no second code exchange");
    let after = row_counts(&app.db).await;
    assert_eq!(
        after["users"],
        before["users"] + 1,
        "only the one good sign-in"
    );
}

#[tokio::test]
async fn an_expired_state_is_refused() {
    use sea_orm::{ConnectionTrait, Statement};
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    mock.sign_in_as(GithubUser::with_email(2, &unique_email(), true));
    let callback = callback_url(&app, "/auth/github").await;
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    app.db
        .execute_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            match app.db.get_database_backend() {
                sea_orm::DatabaseBackend::Postgres => {
                    "UPDATE federation_states SET expires_at = $1::timestamptz"
                }
                _ => "UPDATE federation_states SET expires_at = ?",
            },
            [past.into()],
        ))
        .await
        .unwrap();

    let (status, body) = page(follow(&app, &callback).await);

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("has expired"), "{body}");
    assert_eq!(federated_rows(&app).await, (0, 0));
    assert_eq!(mock.token_requests(), 0);
}

#[tokio::test]
async fn upstream_failures_each_give_a_friendly_page_and_create_nothing() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    mock.sign_in_as(GithubUser::with_email(3, &unique_email(), true));
    // The person cancelling is their choice (400); the provider failing is a bad gateway (502),
    // or a gateway timeout (504).
    for (fault, expected, expected_status) in [
        (
            Fault::AccessDenied,
            "was cancelled",
            StatusCode::BAD_REQUEST,
        ),
        (
            Fault::TokenErrorIn200,
            "could not complete the sign-in",
            StatusCode::BAD_GATEWAY,
        ),
        (
            Fault::Huge,
            "an answer Gatehouse cannot accept",
            StatusCode::BAD_GATEWAY,
        ),
        (
            Fault::Hang,
            "did not answer in time",
            StatusCode::GATEWAY_TIMEOUT,
        ),
    ] {
        mock.set_fault(fault);
        let browser = app.new_device();
        let (status, body) = page(follow(&browser, "/auth/github").await);
        assert_eq!(status, expected_status, "{fault:?}");
        assert!(body.contains(expected), "{fault:?}: {body}");
        assert!(
            !body.contains("bad_verification_code"),
            "no upstream text shown"
        );
    }
    assert_eq!(federated_rows(&app).await, (0, 0));
}

#[tokio::test]
async fn a_github_user_without_a_verified_primary_email_gets_no_account() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let email = unique_email();
    mock.sign_in_as(GithubUser::with_email(5, &email, false));

    let (status, body) = page(follow(&app, "/auth/github").await);

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body.contains("did not confirm a verified email address"),
        "{body}"
    );
    assert_eq!(federated_rows(&app).await, (0, 0));
}

#[tokio::test]
async fn the_periodic_cleanup_deletes_expired_federation_states_and_keeps_live_ones() {
    use sea_orm::{ConnectionTrait, Statement};
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    mock.sign_in_as(GithubUser::with_email(6, &unique_email(), true));
    // Two browsers start; one of them walked away long ago.
    let stale = app.new_device();
    callback_url(&stale, "/auth/github").await;
    let live_callback = callback_url(&app, "/auth/github").await;
    let long_ago = (chrono::Utc::now() - chrono::Duration::days(2)).to_rfc3339();
    app.db
        .execute_raw(Statement::from_sql_and_values(
            app.db.get_database_backend(),
            match app.db.get_database_backend() {
                sea_orm::DatabaseBackend::Postgres => {
                    "UPDATE federation_states SET expires_at = $1::timestamptz WHERE id = (SELECT id FROM federation_states ORDER BY created_at LIMIT 1)"
                }
                _ => "UPDATE federation_states SET expires_at = ? WHERE id = (SELECT id FROM federation_states ORDER BY created_at LIMIT 1)",
            },
            [long_ago.into()],
        ))
        .await
        .unwrap();
    assert_eq!(state_rows(&app).await, 2);

    let deleted = gatehouse::housekeeping::prune_expired(&app.state)
        .await
        .unwrap();

    assert_eq!(deleted.federation_states, 1);
    assert_eq!(state_rows(&app).await, 1, "the live state stays");
    // The live attempt still completes.
    let (status, _) = page(follow(&app, &live_callback).await);
    assert_eq!(status, StatusCode::OK);
    assert_eq!(federated_rows(&app).await, (1, 1));
}

async fn state_rows(app: &TestApp) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    app.db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM federation_states".to_owned(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}
