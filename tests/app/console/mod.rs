//! The admin console (`/admin`): who may open it, and each page through real HTTP. Each area
//! has its file; the helpers here sign in the three kinds of visitor every page is tried with.
mod org_settings;
mod orgs;
mod overview;
mod services;

use reqwest::StatusCode;

mod audit;
mod keys;
mod people_browser;
mod service_tokens;
mod users;

use crate::helpers::{PASSWORD, TestApp, spawn_app, unique_email};

/// A browser (own cookie jar) signed in as a new verified user; returns it and the user.
pub(crate) async fn signed_in_user(app: &TestApp) -> (TestApp, gatehouse::store::users::User) {
    let browser = app.new_device();
    let email = unique_email();
    browser.verified_user(&email).await;
    let response = browser.login(&email, PASSWORD).await;
    assert!(
        response.status().is_redirection() || response.status().is_success(),
        "sign-in of {email}: {}",
        response.status()
    );
    let user = gatehouse::store::users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .expect("user exists");
    (browser, user)
}

/// A browser signed in as a platform owner.
pub(crate) async fn owner_browser(app: &TestApp) -> TestApp {
    let (browser, user) = signed_in_user(app).await;
    gatehouse::store::users::set_platform_owner(&app.db, user.id, true)
        .await
        .unwrap();
    browser
}

/// A browser signed in as a member of `org` (a slug) with `roles` (`["admin"]` for an org admin).
pub(crate) async fn member_browser(app: &TestApp, org: &str, roles: &[&str]) -> TestApp {
    let (browser, user) = signed_in_user(app).await;
    let org = gatehouse::store::organizations::find_by_slug(&app.db, org)
        .await
        .unwrap()
        .expect("org exists");
    let roles: Vec<String> = roles.iter().map(|r| (*r).to_owned()).collect();
    gatehouse::store::memberships::upsert(&app.db, org.id, user.id, &roles)
        .await
        .unwrap();
    browser
}

/// The `Location` of a redirect.
pub(crate) fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_signed_out_visitor_is_sent_to_sign_in_and_back() {
    let app = spawn_app().await;
    let response = app.new_device().get("/admin").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?next=%2Fadmin");
}

#[tokio::test]
async fn a_person_who_administers_nothing_gets_403() {
    let app = spawn_app().await;
    let (browser, _) = signed_in_user(&app).await;
    let response = browser.get("/admin").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body = response.text().await.unwrap();
    assert!(body.contains("You do not administer this"), "{body}");
}

#[tokio::test]
async fn owners_and_org_admins_open_the_console_members_do_not() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let owner = owner_browser(&app).await;
    let html = owner.get_html("/admin").await;
    assert!(html.contains("platform owner"), "{html}");
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let html = admin.get_html("/admin").await;
    assert!(html.contains("/admin/orgs/acme"), "{html}");
    let member = member_browser(&app, "acme", &["member"]).await;
    assert_eq!(member.get("/admin").await.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_account_with_a_second_factor_must_have_used_it() {
    let app = spawn_app().await;
    let (browser, user) = signed_in_user(&app).await;
    gatehouse::store::users::set_platform_owner(&app.db, user.id, true)
        .await
        .unwrap();
    // A passkey added after a password sign-in: that session did not use a second factor.
    let passkey = gatehouse::store::passkeys::NewPasskey {
        user_id: user.id,
        name: "Laptop",
        credential_id: "console-test",
        passkey: "{}".into(),
        counter: 0,
    };
    gatehouse::store::passkeys::insert(&app.db, passkey)
        .await
        .unwrap();
    let response = browser.get("/admin").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/second-factor");
    let page = browser.get_html("/admin/second-factor").await;
    assert!(page.contains("Sign in again"), "{page}");
}

#[tokio::test]
async fn a_suspended_organizations_admins_are_cut_off() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let suspend = gatehouse::admin::orgs::OrgUpdate {
        status: Some(gatehouse::admin::orgs::OrgStatus::Suspended),
        ..Default::default()
    };
    gatehouse::admin::orgs::update(
        &app.state,
        &gatehouse::admin::Actor::Cli,
        &gatehouse::domain::RequestMeta::default(),
        "acme",
        suspend,
    )
    .await
    .unwrap();
    assert_eq!(admin.get("/admin").await.status(), StatusCode::FORBIDDEN);
}
