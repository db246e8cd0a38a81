//! Federation (issue 14): GitHub through the mock upstream and a generic OIDC provider
//! through a second Gatehouse, end to end through the hosted pages into a relying party.
use base64::Engine;
use openidconnect::TokenResponse;
use reqwest::StatusCode;

use crate::helpers::rp::callback_params;
use crate::helpers::upstream::{Fault, GithubUser, MockUpstream};
use crate::helpers::{
    CALLBACK, PASSWORD, ServiceOptions, TestApp, csrf_of, row_counts, spawn_app_with, unique_email,
};
use gatehouse::store::{federated_identities, users};

pub async fn app_with_github(mock: &MockUpstream) -> TestApp {
    let address = mock.address.clone();
    spawn_app_with(move |s| {
        s.providers.github.client_id = Some("platform-github-id".into());
        s.providers.github.client_secret = Some("platform-github-secret".to_owned().into());
        s.providers.github.base_url = address.clone();
        s.providers.github.api_base_url = address;
        s.providers.timeout_secs = 2;
    })
    .await
}

pub enum Landed {
    /// The browser was sent to the relying party's callback.
    Callback(String),
    /// A page (not a redirect), with its status.
    Page(StatusCode, String),
}

/// Follows redirects like a browser (cookies kept) across Gatehouse and the upstream.
pub async fn follow(app: &TestApp, start: &str) -> Landed {
    let mut location = start.to_owned();
    for _ in 0..15 {
        if location.starts_with("http://127.0.0.1:9/") {
            return Landed::Callback(location);
        }
        let absolute = if location.starts_with('/') {
            app.url(&location)
        } else {
            location.clone()
        };
        let response = app.client.get(&absolute).send().await.unwrap();
        if response.status().is_redirection() {
            location = response.headers()["location"].to_str().unwrap().to_owned();
            continue;
        }
        let status = response.status();
        return Landed::Page(status, response.text().await.unwrap());
    }
    panic!("too many redirects");
}

pub fn page(landed: Landed) -> (StatusCode, String) {
    match landed {
        Landed::Page(status, body) => (status, body),
        Landed::Callback(url) => panic!("expected a page, got the callback {url}"),
    }
}

/// The "Continue with {label}" link of a sign-in page.
pub fn provider_link(html: &str, label: &str) -> String {
    let re = regex::Regex::new(&format!(
        r#"href="([^"]+)">Continue with {}</a>"#,
        regex::escape(label)
    ))
    .unwrap();
    re.captures(html)
        .unwrap_or_else(|| panic!("no 'Continue with {label}' link in:\n{html}"))[1]
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

/// The claims of a JWT, unverified (the RP already verified it).
pub fn jwt_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// From a relying app's authorization request to the login page's provider link.
async fn login_page_link(app: &TestApp, authorize_url: &str, label: &str) -> String {
    let response = app.client.get(authorize_url).send().await.unwrap();
    let login = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(login.starts_with("/login"), "sent to sign in: {login}");
    provider_link(&app.get_html(&login).await, label)
}

#[tokio::test]
async fn continue_with_github_on_a_relying_apps_login_page_signs_in_with_amr_fed_and_idp() {
    // Arrange
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let email = unique_email();
    mock.sign_in_as(GithubUser::with_email(4242, &email, true));
    let service = app.create_service(ServiceOptions::first_party()).await;
    let rp = app.rp(&service).await;
    let request = rp.authorize(&["openid", "email"]);

    // Act: the login page offers GitHub; the browser goes through the mock and back.
    let link = login_page_link(&app, &request.url, "GitHub").await;
    let callback = match follow(&app, &link).await {
        Landed::Callback(callback) => callback,
        Landed::Page(status, body) => panic!("the relying app gets its code: {status} {body}"),
    };
    let tokens = rp
        .exchange(&callback_params(&callback)["code"], request.verifier)
        .await;

    // Assert: a verified account, linked by GitHub's numeric id; the ID token says how.
    let claims = rp.verify_id_token(&tokens, &request.nonce);
    assert_eq!(claims.email().unwrap().as_str(), email);
    let raw = jwt_claims(&tokens.id_token().unwrap().to_string());
    assert_eq!(raw["amr"], serde_json::json!(["fed"]));
    assert_eq!(raw["idp"], "github");
    let user = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    assert!(user.email_verified);
    assert!(user.password_hash.is_none());
    let linked = federated_identities::list_for_user(&app.db, user.id)
        .await
        .unwrap();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].subject, "4242");
    assert_eq!(linked[0].issuer, mock.address);
    assert_eq!(
        mock.client_ids_seen(),
        ["platform-github-id", "platform-github-id"]
    );
}

#[tokio::test]
async fn a_known_github_identity_signs_in_its_user_again_without_a_new_account() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let email = unique_email();
    mock.sign_in_as(GithubUser::with_email(77, &email, true));
    let first = follow(&app, "/auth/github").await;
    assert!(matches!(page(first).0, StatusCode::OK));

    // The same GitHub user (renamed, new email) in another browser signs in to the same account.
    let other = app.new_device();
    let mut renamed = GithubUser::with_email(77, &unique_email(), true);
    renamed.login = "renamed".into();
    mock.sign_in_as(renamed);
    let (status, body) = page(follow(&other, "/auth/github").await);

    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains(&email),
        "the account page of the first account"
    );
    assert_eq!(users::list(&app.db).await.unwrap().len(), 1);
}

#[tokio::test]
async fn github_enterprise_layout_under_api_v3_signs_in() {
    let mock = MockUpstream::start().await;
    let address = mock.address.clone();
    let app = spawn_app_with(move |s| {
        s.providers.github.client_id = Some("ghe-id".into());
        s.providers.github.client_secret = Some("ghe-secret".to_owned().into());
        s.providers.github.base_url = address.clone();
        s.providers.github.api_base_url = format!("{address}/api/v3");
    })
    .await;
    let email = unique_email();
    mock.sign_in_as(GithubUser::with_email(9, &email, true));

    let (status, body) = page(follow(&app, "/auth/github").await);

    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        users::find_by_email(&app.db, &email)
            .await
            .unwrap()
            .is_some()
    );
}
