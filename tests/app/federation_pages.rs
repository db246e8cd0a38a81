//! "Continue with …" beyond the login page (issue 14): the register page and the device
//! sign-in step, which carries the device's `user_code` and its service's organization.
use reqwest::StatusCode;

use crate::bounded_storage::DEVICE_GRANT;
use crate::federation::{app_with_github, follow, jwt_claims, page, provider_link};
use crate::federation_bad_input::org_of;
use crate::helpers::upstream::{GithubUser, MockUpstream};
use crate::helpers::{ServiceOptions, csrf_of, unique_email};
use gatehouse::admin::{Actor, providers};
use gatehouse::store::users;

#[tokio::test]
async fn the_register_page_offers_continue_with_github_which_creates_the_account() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let email = unique_email();
    mock.sign_in_as(GithubUser::with_email(81, &email, true));

    let html = app.get_html("/register").await;
    let link = provider_link(&html, "GitHub");
    assert!(link.starts_with("/auth/github?"), "{link}");
    let (status, body) = page(follow(&app, &link).await);

    assert_eq!(status, StatusCode::OK, "{body}");
    let user = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    assert!(user.email_verified);
}

#[tokio::test]
async fn the_device_sign_in_step_offers_the_orgs_provider_and_returns_to_approve_the_device() {
    // Arrange: a device service whose organization brings its own GitHub app.
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let service = app
        .create_service(ServiceOptions {
            public: true,
            grant_types: vec![DEVICE_GRANT],
            redirect_uris: vec![],
            ..ServiceOptions::default()
        })
        .await;
    let org = org_of(&app, &service.client_id).await;
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
    let started: serde_json::Value = app
        .client
        .post(app.url("/device_authorization"))
        .form(&[
            ("client_id", service.client_id.as_str()),
            ("scope", "openid email"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let user_code = started["user_code"].as_str().unwrap();
    let device_code = started["device_code"].as_str().unwrap();
    let email = unique_email();
    mock.sign_in_as(GithubUser::with_email(82, &email, true));

    // Act: the person types the code, is sent to sign in, and continues with GitHub.
    let person = app.new_device();
    let to_login = person.get(&format!("/device?user_code={user_code}")).await;
    let login = to_login.headers()["location"].to_str().unwrap().to_owned();
    let link = provider_link(&person.get_html(&login).await, "GitHub");
    assert!(link.contains(&format!("org={org}")), "{link}");
    assert!(link.contains("user_code="), "{link}");
    let (status, confirmation) = page(follow(&person, &link).await);

    // Assert: back on the confirmation for this device, through the org's own GitHub app.
    assert_eq!(status, StatusCode::OK, "{confirmation}");
    assert!(confirmation.contains(user_code), "{confirmation}");
    assert_eq!(mock.client_ids_seen(), ["acme-github-id", "acme-github-id"]);
    let approved = person
        .client
        .post(person.url("/device/confirm"))
        .form(&[
            ("user_code", user_code),
            ("decision", "approve"),
            ("csrf_token", &csrf_of(&confirmation)),
        ])
        .send()
        .await
        .unwrap();
    assert!(approved.status().is_success(), "{}", approved.status());
    let tokens: serde_json::Value = app
        .client
        .post(app.url("/token"))
        .form(&[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", service.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let claims = jwt_claims(tokens["id_token"].as_str().expect("tokens"));
    assert_eq!(claims["email"], email);
    assert_eq!(claims["idp"], "github");
}
