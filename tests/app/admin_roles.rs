//! Plans, features and role definitions in user tokens (seed 004 "JWT Structure"), the
//! pre-auth JWT, and suspended organizations.
use reqwest::StatusCode;
use serde_json::{Value, json};

use gatehouse::admin::{Actor, AdminUser, roles};
use gatehouse::domain::RequestMeta;
use gatehouse::store::organizations::Organization;

use crate::helpers::mfa::{code, enrolled_user};
use crate::helpers::oidc::verified_claims;
use crate::helpers::rp::{access_of, refresh_of};
use crate::helpers::{PASSWORD, ServiceOptions, TestApp, TestService, spawn_app, unique_email};

/// The organization a test service was created in.
pub async fn org_of(app: &TestApp, service: &TestService) -> Organization {
    let row = gatehouse::store::services::find_by_client_id(&app.db, &service.client_id)
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::organizations::find_by_id(&app.db, row.org_id)
        .await
        .unwrap()
        .unwrap()
}

pub async fn user_id(app: &TestApp, email: &str) -> uuid::Uuid {
    gatehouse::store::users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .unwrap()
        .id
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn member_tokens_carry_plan_features_roles_and_the_union_of_their_permissions() {
    // Arrange: an org with a plan, two defined roles and a member holding both plus an
    // undefined one.
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::default()).await;
    let org = org_of(&app, &service).await;
    let meta = RequestMeta::default();
    roles::set_plan(
        &app.state,
        &Actor::Cli,
        &meta,
        &org.slug,
        Some("enterprise"),
        &names(&["sso", "audit-export"]),
    )
    .await
    .unwrap();
    roles::define_role(
        &app.state,
        &Actor::Cli,
        &meta,
        &org.slug,
        "editor",
        &names(&["docs:write", "docs:read"]),
    )
    .await
    .unwrap();
    roles::define_role(
        &app.state,
        &Actor::Cli,
        &meta,
        &org.slug,
        "viewer",
        &names(&["docs:read", "comments:read"]),
    )
    .await
    .unwrap();
    let user = user_id(&app, &email).await;
    gatehouse::store::memberships::upsert(
        &app.db,
        org.id,
        user,
        &names(&["editor", "viewer", "ghost"]),
    )
    .await
    .unwrap();

    // Act: a real RP (openidconnect) signs the user in; the API verifies the token offline.
    let (rp, tokens) = app
        .tokens_through_browser(&service, &email, &["openid", "email"])
        .await;
    let claims = verified_claims(&app, &access_of(&tokens), &service.client_id).await;

    // Assert: every claim of seed 004's "JWT Structure".
    assert_eq!(claims["sub"], user.to_string());
    assert_eq!(claims["email"], email.as_str());
    assert_eq!(claims["org"], org.slug.as_str());
    assert_eq!(claims["service"], "web-app");
    assert_eq!(claims["plan"], "enterprise");
    assert_eq!(claims["features"], json!(["audit-export", "sso"]));
    assert_eq!(claims["is_platform_owner"], false);
    assert_eq!(claims["roles"], json!(["editor", "viewer", "ghost"]));
    assert_eq!(
        claims["permissions"],
        json!(["comments:read", "docs:read", "docs:write"]),
        "the union of the defined roles' permissions; an undefined role grants none"
    );

    // A changed definition shows in the next token, with no cache to wait for.
    roles::delete_role(&app.state, &Actor::Cli, &meta, &org.slug, "viewer")
        .await
        .unwrap();
    roles::set_plan(&app.state, &Actor::Cli, &meta, &org.slug, Some("team"), &[])
        .await
        .unwrap();
    let refreshed = rp.refresh(&refresh_of(&tokens)).await.unwrap();
    let claims = verified_claims(&app, &access_of(&refreshed), &service.client_id).await;
    assert_eq!(claims["permissions"], json!(["docs:read", "docs:write"]));
    assert_eq!(claims["plan"], "team");
    assert_eq!(claims["features"], json!([]));
}

#[tokio::test]
async fn a_non_member_gets_empty_roles_and_a_platform_owners_service_jwt_is_not_an_owner_jwt() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let user = user_id(&app, &email).await;
    gatehouse::store::users::set_platform_owner(&app.db, user, true)
        .await
        .unwrap();
    let service = app.create_service(ServiceOptions::default()).await;

    let (_, tokens) = app
        .tokens_through_browser(&service, &email, &["openid"])
        .await;
    let claims = verified_claims(&app, &access_of(&tokens), &service.client_id).await;

    // Seed 004 "JWT Types": a service JWT says false, whoever the person is; only the admin
    // sign-in's JWT says true.
    assert_eq!(claims["is_platform_owner"], false);
    assert_eq!(claims["roles"], json!([]));
    assert_eq!(claims["permissions"], json!([]));
    assert_eq!(claims["plan"], Value::Null);
    assert_eq!(claims["features"], json!([]));
}

#[tokio::test]
async fn role_and_plan_operations_check_the_actor_and_the_input() {
    let app = spawn_app().await;
    let a = app.create_service(ServiceOptions::default()).await;
    let b = app.create_service(ServiceOptions::default()).await;
    let (org_a, org_b) = (org_of(&app, &a).await, org_of(&app, &b).await);
    let meta = RequestMeta::default();
    let admin_of_a = Actor::User(AdminUser {
        id: uuid::Uuid::new_v4(),
        is_platform_owner: false,
        admin_of: vec![org_a.id],
    });
    let status = |e: gatehouse::error::AppError| match e {
        gatehouse::error::AppError::Invalid { .. } => 400,
        gatehouse::error::AppError::Forbidden { .. } => 403,
        gatehouse::error::AppError::NotFound(_) => 404,
        other => panic!("unexpected {other:?}"),
    };

    // An org admin defines roles of their org...
    let defined = roles::define_role(
        &app.state,
        &admin_of_a,
        &meta,
        &org_a.slug,
        "billing",
        &names(&["invoices:read", "invoices:read"]),
    )
    .await
    .unwrap();
    assert_eq!(defined.permissions, names(&["invoices:read"]));
    // ...not of another org, and cannot tell an unknown org from another's.
    for slug in [org_b.slug.as_str(), "no-such-org"] {
        let refused = roles::define_role(&app.state, &admin_of_a, &meta, slug, "x", &[])
            .await
            .unwrap_err();
        assert_eq!(status(refused), 403, "{slug}");
    }
    // Plans are the platform's business.
    let refused = roles::set_plan(&app.state, &admin_of_a, &meta, &org_a.slug, Some("x"), &[])
        .await
        .unwrap_err();
    assert_eq!(status(refused), 403);
    let unknown = roles::set_plan(&app.state, &Actor::Cli, &meta, "no-such-org", None, &[])
        .await
        .unwrap_err();
    assert_eq!(status(unknown), 404);

    // Bad names and lists.
    for (role, permissions) in [
        ("", vec![]),
        ("has space", vec![]),
        ("ok", vec!["bad perm".to_owned()]),
        ("ok", (0..101).map(|i| format!("p{i}")).collect()),
        (&*"r".repeat(65), vec![]),
    ] {
        let refused = roles::define_role(
            &app.state,
            &Actor::Cli,
            &meta,
            &org_a.slug,
            role,
            &permissions,
        )
        .await
        .unwrap_err();
        assert_eq!(status(refused), 400, "{role:?}");
    }
    let missing = roles::delete_role(&app.state, &Actor::Cli, &meta, &org_a.slug, "nope")
        .await
        .unwrap_err();
    assert_eq!(status(missing), 404);

    // Nothing of the refused calls was stored; each change was audited with its actor.
    let listed = roles::list_roles(&app.state, &Actor::Cli, &org_a.slug)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        roles::list_roles(&app.state, &Actor::Cli, &org_b.slug)
            .await
            .unwrap()
            .is_empty()
    );
    let defined = gatehouse::store::audit_events::list_for_action(&app.db, "org.role_defined")
        .await
        .unwrap();
    assert_eq!(defined.len(), 1);
    assert_eq!(
        defined[0].actor.as_deref(),
        Some(admin_of_a.audit_ref().as_str())
    );
    assert_eq!(defined[0].org_id, Some(org_a.id));
}

#[tokio::test]
async fn a_pre_auth_jwt_is_refused_everywhere_but_the_mfa_step() {
    let app = spawn_app().await;
    let (email, secret, _) = enrolled_user(&app).await;
    let first: Value = app
        .post_json(
            "/api/auth/login",
            json!({"email": email, "password": PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["mfa_required"], true);
    let preauth = first["access_token"].as_str().unwrap().to_owned();

    for path in ["/userinfo", "/api/auth/me"] {
        let refused = app
            .client
            .get(app.url(path))
            .bearer_auth(&preauth)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    // Nor is it a refresh token.
    let refresh = app
        .post_json("/api/auth/refresh", json!({"refresh_token": preauth}))
        .await;
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);

    let ok = app
        .post_json(
            "/api/auth/mfa/verify",
            json!({"preauth_token": preauth, "code": code(&secret, 1)}),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    // Used up with its ticket.
    let again = app
        .post_json(
            "/api/auth/mfa/verify",
            json!({"preauth_token": preauth, "code": code(&secret, 2)}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
}

/// Suspends the organization the way the admin layer does: the row, then the client cache.
async fn suspend(app: &TestApp, org: &Organization) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    gatehouse::store::entities::organizations::ActiveModel {
        id: Set(org.id),
        status: Set(gatehouse::store::entities::users::AccountStatus::Suspended),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    gatehouse::admin::invalidate(&app.state, &gatehouse::admin::Invalidation::Org(org.id))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_suspended_organizations_users_are_refused_with_organization_not_active() {
    // Arrange: a first-party service with the password API, and tokens issued before.
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app
        .create_service(ServiceOptions {
            allow_password_api: true,
            ..ServiceOptions::first_party()
        })
        .await;
    let org = org_of(&app, &service).await;
    let (rp, tokens) = app
        .tokens_through_browser(&service, &email, &["openid"])
        .await;
    let access = access_of(&tokens);
    assert!(rp.userinfo(&access).await.is_ok());

    suspend(&app, &org).await;

    // JSON sign-in: 403 ORGANIZATION_NOT_ACTIVE, before the password is even looked at.
    let login = app
        .post_json(
            "/api/auth/login",
            json!({"email": email, "password": PASSWORD,
                   "client_id": service.client_id, "client_secret": service.secret}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    let body: Value = login.json().await.unwrap();
    assert_eq!(body["error_code"], "ORGANIZATION_NOT_ACTIVE");
    assert!(body["timestamp"].is_string());

    // Hosted pages: a friendly page, not a redirect.
    let request = rp.authorize(&["openid"]);
    let page = app.client.get(&request.url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let html = page.text().await.unwrap();
    assert!(html.contains("not active"), "{html}");
    let federated = app.get(&format!("/auth/github?org={}", org.slug)).await;
    assert_eq!(federated.status(), StatusCode::FORBIDDEN);
    assert!(federated.text().await.unwrap().contains("not active"));

    // Tokens issued before are refused: userinfo, introspection, refresh.
    assert!(rp.userinfo(&access).await.is_err());
    let introspect = |caller: &TestService| {
        app.client
            .post(app.url("/introspect"))
            .basic_auth(&caller.client_id, caller.secret.as_deref())
            .form(&[("token", access.as_str())])
            .send()
    };
    // The suspended service may not even ask; another org's service is told "inactive".
    let own = introspect(&service).await.unwrap();
    assert_eq!(own.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        own.json::<Value>().await.unwrap()["error"],
        "unauthorized_client"
    );
    let other = app.create_service(ServiceOptions::default()).await;
    let seen: Value = introspect(&other).await.unwrap().json().await.unwrap();
    assert_eq!(seen, json!({"active": false}));
    assert!(rp.refresh(&refresh_of(&tokens)).await.is_err());
}
