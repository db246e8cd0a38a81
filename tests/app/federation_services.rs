//! Per-service federation settings (issue 14): which providers a service offers, and the seed's
//! direct form (`redirect_uri?access_token=…`) for first-party services that opted in.
use reqwest::StatusCode;

use crate::federation::{Landed, app_with_github, follow, jwt_claims};
use crate::federation_bad_input::org_of;
use crate::helpers::upstream::{GithubUser, MockUpstream};
use crate::helpers::{CALLBACK, ServiceOptions, TestApp, unique_email};
use gatehouse::admin::Actor;
use gatehouse::admin::service_federation::{ServiceFederation, set_service_federation};
use gatehouse::domain::RequestMeta;
use gatehouse::store::users;

async fn set(
    app: &TestApp,
    client_id: &str,
    providers: &[&str],
    token_redirect: bool,
) -> Result<(), gatehouse::error::AppError> {
    set_service_federation(
        &app.state,
        &Actor::Cli,
        &RequestMeta::default(),
        ServiceFederation {
            client_id: client_id.to_owned(),
            allowed_providers: providers.iter().map(|p| (*p).to_owned()).collect(),
            token_redirect,
        },
    )
    .await
    .map(|_| ())
}

fn query_of(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn a_first_party_service_that_opted_in_gets_tokens_in_its_redirect_uri_once() {
    // Arrange
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let email = unique_email();
    mock.sign_in_as(GithubUser::with_email(5151, &email, true));
    let service = app.create_service(ServiceOptions::first_party()).await;
    set(&app, &service.client_id, &[], true).await.unwrap();
    let org = org_of(&app, &service.client_id).await;

    // Act
    let landed = follow(
        &app,
        &format!("/auth/github?org={org}&service=web-app&redirect_uri={CALLBACK}"),
    )
    .await;

    // Assert: the tokens are the user's, say how they signed in, and work at /userinfo.
    let Landed::Callback(callback) = landed else {
        panic!("expected the redirect URI with tokens");
    };
    let params = query_of(&callback);
    let user = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    let claims = jwt_claims(&params["access_token"]);
    assert_eq!(claims["sub"], user.id.to_string());
    assert_eq!(claims["amr"], serde_json::json!(["fed"]));
    assert!(!params["refresh_token"].is_empty());
    assert_eq!(params["token_type"], "Bearer");
    let userinfo = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(&params["access_token"])
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::OK);
    // The last hop is single use.
    let again = app.get("/auth/token-redirect").await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn without_the_opt_in_a_redirect_uri_never_receives_tokens() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    mock.sign_in_as(GithubUser::with_email(5152, &unique_email(), true));
    let service = app.create_service(ServiceOptions::first_party()).await;
    let org = org_of(&app, &service.client_id).await;

    let landed = follow(
        &app,
        &format!("/auth/github?org={org}&service=web-app&redirect_uri={CALLBACK}"),
    )
    .await;

    match landed {
        Landed::Page(status, _) => assert_eq!(status, StatusCode::OK, "lands on the account"),
        Landed::Callback(url) => panic!("no tokens without the opt-in: {url}"),
    }
    // Nor does a signed-in browser get any by visiting the last hop directly.
    assert_eq!(
        app.get("/auth/token-redirect").await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn only_first_party_services_may_opt_in_and_only_known_providers_are_accepted() {
    let app = spawn_plain().await;
    let third_party = app.create_service(ServiceOptions::default()).await;
    let refused = set(&app, &third_party.client_id, &[], true)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("first-party"), "{refused}");
    let unknown = set(&app, &third_party.client_id, &["myspace"], false)
        .await
        .unwrap_err();
    assert!(unknown.to_string().contains("myspace"), "{unknown}");
    let stored = gatehouse::store::services::find_by_client_id(&app.db, &third_party.client_id)
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.token_redirect);
    assert!(stored.allowed_providers_list().is_empty());
}

async fn spawn_plain() -> TestApp {
    crate::helpers::spawn_app().await
}

#[tokio::test]
async fn a_service_that_does_not_offer_github_neither_shows_nor_accepts_it() {
    // Arrange: GitHub is set up for the platform, but this service offers Google only.
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    set(&app, &service.client_id, &["google"], false)
        .await
        .unwrap();
    let org = org_of(&app, &service.client_id).await;
    let rp = app.rp(&service).await;
    let request = rp.authorize(&["openid"]);

    // Act
    let response = app.client.get(&request.url).send().await.unwrap();
    let login = response.headers()["location"].to_str().unwrap().to_owned();
    let login_html = app.get_html(&login).await;
    let named = app
        .get(&format!("/auth/github?org={org}&service=web-app"))
        .await;
    // The pending request named only through `next`, as the login page's own links do.
    let encoded_next = login.strip_prefix("/login?next=").unwrap();
    let via_next = app.get(&format!("/auth/github?next={encoded_next}")).await;

    // Assert
    assert!(!login_html.contains("Continue with GitHub"), "{login_html}");
    assert_eq!(named.status(), StatusCode::BAD_REQUEST);
    assert!(
        named
            .text()
            .await
            .unwrap()
            .contains("does not offer sign-in with GitHub")
    );
    assert_eq!(via_next.status(), StatusCode::BAD_REQUEST);
    assert_eq!(mock.token_requests(), 0);
    assert!(
        app.get_html("/login")
            .await
            .contains("Continue with GitHub"),
        "other sign-ins still offer it"
    );
}
