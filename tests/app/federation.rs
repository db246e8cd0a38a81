//! Federation (issue 14): GitHub through the mock upstream and a generic OIDC provider
//! through a second Gatehouse, end to end through the hosted pages into a relying party.
use base64::Engine;
use openidconnect::TokenResponse;
use reqwest::StatusCode;

use crate::helpers::rp::callback_params;
use crate::helpers::upstream::{GithubUser, MockUpstream};
use crate::helpers::{
    PASSWORD, ServiceOptions, TestApp, csrf_of, spawn_app, spawn_app_with, unique_email,
};
use gatehouse::admin::{Actor, providers};
use gatehouse::store::{federated_identities, users};

pub async fn app_with_github(mock: &MockUpstream) -> TestApp {
    app_with_github_and(mock, |_| {}).await
}

/// [`app_with_github`] with more settings changed by `customize`.
pub async fn app_with_github_and(
    mock: &MockUpstream,
    customize: impl FnOnce(&mut gatehouse::config::Settings),
) -> TestApp {
    let address = mock.address.clone();
    spawn_app_with(move |s| {
        s.providers.github.client_id = Some("platform-github-id".into());
        s.providers.github.client_secret = Some("platform-github-secret".to_owned().into());
        s.providers.github.base_url = address.clone();
        s.providers.github.api_base_url = address;
        s.providers.timeout_secs = 2;
        customize(s);
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
    let mut current = url::Url::parse(&app.url("/")).unwrap();
    let mut location = start.to_owned();
    for _ in 0..15 {
        // Relative locations are relative to the page that sent them (Gatehouse or upstream).
        current = current.join(&location).unwrap();
        if current.as_str().starts_with("http://127.0.0.1:9/") {
            return Landed::Callback(current.to_string());
        }
        let response = app.client.get(current.as_str()).send().await.unwrap();
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

#[tokio::test]
async fn an_organizations_own_github_credentials_beat_the_platforms() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let org = crate::federation_bad_input::org_of(&app, &service.client_id).await;
    providers::set_org(
        &app.state,
        &Actor::Cli,
        &Default::default(),
        providers::OrgSpec {
            client_id: Some("acme-github-id"),
            client_secret: Some("acme-github-secret"),
            ..providers::OrgSpec::new(&org, "github")
        },
    )
    .await
    .unwrap();
    mock.sign_in_as(GithubUser::with_email(11, &unique_email(), true));
    let rp = app.rp(&service).await;
    let request = rp.authorize(&["openid"]);

    let link = login_page_link(&app, &request.url, "GitHub").await;
    let landed = follow(&app, &link).await;

    assert!(
        matches!(landed, Landed::Callback(_)),
        "signed in to the app"
    );
    assert_eq!(mock.client_ids_seen(), ["acme-github-id", "acme-github-id"]);
    // The sealed secret is not the secret.
    let rows = gatehouse::store::org_providers::list(
        &app.db,
        gatehouse::store::organizations::find_by_slug(&app.db, &org)
            .await
            .unwrap()
            .unwrap()
            .id,
    )
    .await
    .unwrap();
    assert!(
        !rows[0]
            .client_secret_sealed
            .as_ref()
            .unwrap()
            .contains("acme-github-secret")
    );
}

#[tokio::test]
async fn an_organization_that_disables_github_does_not_offer_it() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let org = crate::federation_bad_input::org_of(&app, &service.client_id).await;
    providers::set_org(
        &app.state,
        &Actor::Cli,
        &Default::default(),
        providers::OrgSpec {
            disabled: true,
            ..providers::OrgSpec::new(&org, "github")
        },
    )
    .await
    .unwrap();
    let rp = app.rp(&service).await;
    let request = rp.authorize(&["openid"]);
    let response = app.client.get(&request.url).send().await.unwrap();
    let login = response.headers()["location"].to_str().unwrap().to_owned();

    assert!(!app.get_html(&login).await.contains("Continue with GitHub"));
    let direct = app.get(&format!("/auth/github?org={org}")).await;
    assert_eq!(direct.status(), StatusCode::BAD_REQUEST);
    assert!(
        app.get_html("/login")
            .await
            .contains("Continue with GitHub"),
        "the platform still offers it"
    );
}

#[tokio::test]
async fn a_second_gatehouse_as_generic_oidc_provider_signs_in_end_to_end() {
    // Arrange: the downstream Gatehouse trusts the upstream Gatehouse (a real OP).
    let app = spawn_app().await;
    let upstream = spawn_app_with(|s| s.session.cookie_name = "up_session".into()).await;
    let upstream_service = upstream
        .create_service(ServiceOptions {
            redirect_uris: vec![app.url("/auth/corp/callback")],
            ..ServiceOptions::first_party()
        })
        .await;
    providers::add_generic(
        &app.state,
        &Actor::Cli,
        &Default::default(),
        providers::GenericSpec {
            slug: "corp",
            name: "Corp SSO",
            issuer: &upstream.address,
            client_id: &upstream_service.client_id,
            client_secret: upstream_service.secret.as_deref().unwrap(),
            scopes: &[],
        },
    )
    .await
    .unwrap();
    let email = unique_email();
    upstream.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let rp = app.rp(&service).await;
    let request = rp.authorize(&["openid", "email"]);

    // Act: "Continue with Corp SSO", sign in at the upstream, back to the relying app.
    let link = login_page_link(&app, &request.url, "Corp SSO").await;
    let (status, login_page) = page(follow(&app, &link).await);
    assert_eq!(status, StatusCode::OK);
    let next = regex::Regex::new(r#"name="next" value="([^"]+)""#)
        .unwrap()
        .captures(&login_page)
        .unwrap()[1]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let signed_in = app
        .client
        .post(upstream.url("/login"))
        .form(&[
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("next", &next),
            ("csrf_token", &csrf_of(&login_page)),
        ])
        .send()
        .await
        .unwrap();
    let after_login = upstream.url(signed_in.headers()["location"].to_str().unwrap());
    let callback = match follow(&app, &after_login).await {
        Landed::Callback(callback) => callback,
        Landed::Page(status, body) => panic!("{status}: {body}"),
    };
    let tokens = rp
        .exchange(&callback_params(&callback)["code"], request.verifier)
        .await;

    // Assert
    let raw = jwt_claims(&tokens.id_token().unwrap().to_string());
    assert_eq!(raw["amr"], serde_json::json!(["fed"]));
    assert_eq!(raw["idp"], "corp");
    assert_eq!(raw["email"], email.as_str());
    let user = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    let linked = federated_identities::list_for_user(&app.db, user.id)
        .await
        .unwrap();
    assert_eq!(linked[0].issuer, upstream.address);
    let upstream_user = users::find_by_email(&upstream.db, &email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked[0].subject, upstream_user.id.to_string());
}

#[tokio::test]
async fn github_creates_no_account_on_the_sign_in_of_an_invite_only_organizations_service() {
    // Arrange: a service whose organization takes new accounts by invitation only.
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let email = unique_email();
    mock.sign_in_as(GithubUser::with_email(5151, &email, true));
    let service = app.create_service(ServiceOptions::first_party()).await;
    let row = gatehouse::store::services::find_by_client_id(&app.db, &service.client_id)
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::organizations::set_sign_up_policy(
        &app.db,
        row.org_id,
        gatehouse::store::organizations::SignUpPolicy::InviteOnly,
    )
    .await
    .unwrap();
    let rp = app.rp(&service).await;
    let request = rp.authorize(&["openid", "email"]);

    // Act
    let link = login_page_link(&app, &request.url, "GitHub").await;
    let (status, body) = page(follow(&app, &link).await);

    // Assert: refused with a page, no account and no linked identity.
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("new accounts cannot be created"), "{body}");
    assert!(
        users::find_by_email(&app.db, &email)
            .await
            .unwrap()
            .is_none()
    );
}
