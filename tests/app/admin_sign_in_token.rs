//! The admin JWTs of seed 004 "JWT Types" (platform owner, organization management), produced
//! at the admin sign-in callback and delivered to `admin.token_redirect_uri` in the fragment.
use reqwest::StatusCode;
use serde_json::Value;

use crate::federation::{Landed, app_with_github_and, follow, page};
use crate::federation_admin::linked_user;
use crate::federation_bad_input::org_of;
use crate::helpers::oidc::verified_claims;
use crate::helpers::upstream::{GithubUser, MockUpstream};
use crate::helpers::{ServiceOptions, TestApp};
use gatehouse::store::{memberships, users};

const ADMIN_REDIRECT: &str = "http://127.0.0.1:9/console/signed-in";

async fn app_with_admin_redirect(mock: &MockUpstream) -> TestApp {
    app_with_github_and(mock, |s| {
        s.admin.token_redirect_uri = Some(ADMIN_REDIRECT.to_owned())
    })
    .await
}

/// The admin sign-in in `browser`; the fragment parameters it delivers.
async fn admin_token(browser: &TestApp, query: &str) -> std::collections::HashMap<String, String> {
    let url = match follow(browser, &format!("/auth/admin/github{query}")).await {
        Landed::Callback(url) => url,
        Landed::Page(status, body) => {
            panic!("expected the admin redirect URI, got {status}: {body}")
        }
    };
    let (base, fragment) = url.split_once('#').expect("a fragment");
    assert_eq!(base, ADMIN_REDIRECT, "never in the query");
    url::form_urlencoded::parse(fragment.as_bytes())
        .into_owned()
        .collect()
}

async fn admin_claims(app: &TestApp, token: &str) -> Value {
    verified_claims(app, token, &format!("{}/api/admin", app.address)).await
}

#[tokio::test]
async fn a_platform_owner_gets_a_platform_owner_jwt_in_the_fragment() {
    let mock = MockUpstream::start().await;
    let app = app_with_admin_redirect(&mock).await;
    let owner = linked_user(&app, &mock, 81).await;
    users::set_platform_owner(&app.db, owner.id, true)
        .await
        .unwrap();

    let browser = app.new_device();
    let delivered = admin_token(&browser, "").await;

    assert_eq!(delivered["token_type"], "Bearer");
    assert!(delivered["expires_in"].parse::<i64>().unwrap() > 0);
    let claims = admin_claims(&app, &delivered["access_token"]).await;
    assert_eq!(claims["sub"], owner.id.to_string());
    assert_eq!(claims["is_platform_owner"], true);
    assert_eq!(claims["org"], Value::Null);
    assert_eq!(claims["service"], Value::Null);
    // The token opens the admin API.
    let orgs = browser
        .client
        .get(app.url("/api/admin/orgs"))
        .bearer_auth(&delivered["access_token"])
        .send()
        .await
        .unwrap();
    assert_eq!(orgs.status(), StatusCode::OK);
    // The grant was used up: collecting it again, or from another browser, gets a page.
    for other in [&browser, &app.new_device()] {
        let (status, body) = page(follow(other, "/login/admin/complete").await);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("start again"), "{body}");
    }
}

#[tokio::test]
async fn an_org_admin_gets_an_organization_management_jwt_for_that_org() {
    let mock = MockUpstream::start().await;
    let app = app_with_admin_redirect(&mock).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let slug = org_of(&app, &service.client_id).await;
    let org = gatehouse::store::organizations::find_by_slug(&app.db, &slug)
        .await
        .unwrap()
        .unwrap();
    let admin = linked_user(&app, &mock, 82).await;
    memberships::upsert(&app.db, org.id, admin.id, &["admin".to_owned()])
        .await
        .unwrap();
    mock.sign_in_as(GithubUser::with_email(82, &admin.email, true));

    let delivered = admin_token(&app.new_device(), &format!("?org_slug={slug}")).await;

    let claims = admin_claims(&app, &delivered["access_token"]).await;
    assert_eq!(claims["sub"], admin.id.to_string());
    assert_eq!(claims["is_platform_owner"], false);
    assert_eq!(claims["org"], slug.as_str());
    assert_eq!(claims["service"], Value::Null);
    // Not a service JWT: userinfo refuses it.
    let userinfo = app
        .client
        .get(app.url("/userinfo"))
        .bearer_auth(&delivered["access_token"])
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), StatusCode::UNAUTHORIZED);
}
