//! Admin sign-in `GET /auth/admin/{provider}` (issue 14 item 6): platform credentials only,
//! a platform owner or an admin of `org_slug`, matched by linked identity and never by email.
use reqwest::StatusCode;

use crate::federation::{app_with_github, follow, page};
use crate::federation_bad_input::org_of;
use crate::helpers::upstream::{GithubUser, MockUpstream};
use crate::helpers::{ServiceOptions, TestApp, row_counts, unique_email};
use gatehouse::auth::federation::manage;
use gatehouse::store::{memberships, users};

const REFUSED: &str = "may not use administrator sign-in";

/// Signs in once on the usual path so the GitHub identity is linked to a new account.
async fn linked_user(app: &TestApp, mock: &MockUpstream, id: u64) -> users::User {
    let email = unique_email();
    mock.sign_in_as(GithubUser::with_email(id, &email, true));
    let (status, body) = page(follow(&app.new_device(), "/auth/github").await);
    assert_eq!(status, StatusCode::OK, "{body}");
    users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap()
}

/// Admin sign-in in a fresh browser: the status and the page it ends on.
async fn admin_sign_in(app: &TestApp, query: &str) -> (StatusCode, String) {
    page(follow(&app.new_device(), &format!("/auth/admin/github{query}")).await)
}

#[tokio::test]
async fn a_platform_owner_granted_with_the_cli_gets_in_and_loses_it_when_revoked() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let user = linked_user(&app, &mock, 71).await;

    let (status, body) = admin_sign_in(&app, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not an owner yet: {body}");
    assert!(body.contains(REFUSED), "{body}");

    let printed = app
        .cli(&["user", "grant-owner", "--email", &user.email])
        .await;
    assert_eq!(printed["is_platform_owner"], true);
    let (status, body) = admin_sign_in(&app, "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(
        body.contains(&user.email),
        "signed in to the account: {body}"
    );

    app.cli(&["user", "revoke-owner", "--email", &user.email])
        .await;
    let (status, _) = admin_sign_in(&app, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let stored = users::find_by_id(&app.db, user.id).await.unwrap().unwrap();
    assert!(!stored.is_platform_owner);
}

#[tokio::test]
async fn an_org_admin_gets_in_for_that_org_only_and_a_plain_member_never() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let org_slug = org_of(&app, &service.client_id).await;
    let org = gatehouse::store::organizations::find_by_slug(&app.db, &org_slug)
        .await
        .unwrap()
        .unwrap();
    let admin = linked_user(&app, &mock, 72).await;
    memberships::upsert(&app.db, org.id, admin.id, &["admin".to_owned()])
        .await
        .unwrap();
    let member = linked_user(&app, &mock, 73).await;
    memberships::upsert(&app.db, org.id, member.id, &["member".to_owned()])
        .await
        .unwrap();

    mock.sign_in_as(GithubUser::with_email(72, &admin.email, true));
    let (status, body) = admin_sign_in(&app, &format!("?org_slug={org_slug}")).await;
    assert_eq!(status, StatusCode::OK, "the org's admin: {body}");
    let (status, _) = admin_sign_in(&app, "").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "no org: not a platform owner"
    );

    mock.sign_in_as(GithubUser::with_email(73, &member.email, true));
    let (status, body) = admin_sign_in(&app, &format!("?org_slug={org_slug}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a member is no admin");
    assert!(body.contains(REFUSED), "{body}");

    assert_eq!(
        admin_sign_in(&app, "?org_slug=nope").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn admin_sign_in_never_matches_an_owner_by_email_and_creates_nothing() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let email = unique_email();
    app.verified_user(&email).await;
    let owner = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    users::set_platform_owner(&app.db, owner.id, true)
        .await
        .unwrap();
    // Someone whose GitHub account shows the owner's address, verified, but never linked.
    mock.sign_in_as(GithubUser::with_email(74, &email, true));
    let before = row_counts(&app.db).await;

    let (status, body) = admin_sign_in(&app, "").await;

    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains(REFUSED), "{body}");
    let after = row_counts(&app.db).await;
    for table in ["users", "browser_sessions"] {
        assert_eq!(after.get(table), before.get(table), "{table}");
    }
    assert_eq!(
        crate::federation_bad_input::federated_rows(&app).await.1,
        0,
        "nothing linked"
    );
}

#[tokio::test]
async fn admin_sign_in_uses_the_platforms_credentials_even_when_the_org_has_its_own() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let org = org_of(&app, &service.client_id).await;
    manage::set_org(
        &app.db,
        &app.state.master,
        manage::OrgSpec {
            client_id: Some("acme-github-id"),
            client_secret: Some("acme-github-secret"),
            ..manage::OrgSpec::new(&org, "github")
        },
    )
    .await
    .unwrap();
    mock.sign_in_as(GithubUser::with_email(75, &unique_email(), true));

    let (status, _) = admin_sign_in(&app, &format!("?org_slug={org}")).await;

    assert_eq!(status, StatusCode::FORBIDDEN, "an unlinked identity");
    assert_eq!(
        mock.client_ids_seen(),
        ["platform-github-id", "platform-github-id"]
    );
}
