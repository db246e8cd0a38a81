//! Federation linking rules (issue 14 item 5): never linked on email alone unless the
//! organization opted in and both sides verified it; otherwise the owner signs in and
//! confirms with one click; unlink only while another way in remains.
use reqwest::StatusCode;

use crate::federation::{app_with_github, follow, page};
use crate::federation_bad_input::org_of;
use crate::helpers::upstream::{GithubUser, MockUpstream};
use crate::helpers::{PASSWORD, ServiceOptions, unique_email};
use gatehouse::admin::{Actor, providers};
use gatehouse::store::{federated_identities, users};

#[tokio::test]
async fn a_verified_upstream_email_of_an_existing_account_is_linked_only_after_its_owner_signs_in_and_confirms()
 {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let email = unique_email();
    app.verified_user(&email).await;
    let user = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    mock.sign_in_as(GithubUser::with_email(500, &email, true));

    // The provider says the same (verified) address: told an account exists, nothing linked.
    let browser = app.new_device();
    let (status, body) = page(follow(&browser, "/auth/github").await);
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(body.contains("already exists"), "{body}");
    assert!(
        federated_identities::list_for_user(&app.db, user.id)
            .await
            .unwrap()
            .is_empty()
    );
    let no_session = browser.get("/account").await;
    assert_eq!(no_session.status(), StatusCode::SEE_OTHER, "not signed in");

    // The owner signs in with the password, then confirms with one click.
    let login = browser
        .submit(
            "/login?next=/auth/link",
            "/login",
            &[
                ("email", &email),
                ("password", PASSWORD),
                ("next", "/auth/link"),
            ],
        )
        .await;
    assert_eq!(login.headers()["location"], "/auth/link");
    let confirm = browser.get_html("/auth/link").await;
    assert!(confirm.contains("Link GitHub"), "{confirm}");
    let before = app.mail.messages_to(&email).len();
    let linked = browser.post_form("/auth/link", &confirm, &[]).await;
    assert_eq!(linked.headers()["location"], "/account/providers");

    let identities = federated_identities::list_for_user(&app.db, user.id)
        .await
        .unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].subject, "500");
    app.mail
        .wait_for_subject(
            &email,
            "A sign-in provider was linked to your account",
            before,
        )
        .await;
    // From now on GitHub signs in to that account, with no new one.
    let (status, body) = page(follow(&app.new_device(), "/auth/github").await);
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(&email));
    assert_eq!(users::list(&app.db).await.unwrap().len(), 1);
}

#[tokio::test]
async fn another_account_cannot_confirm_a_pending_link_for_someone_elses_email() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let victim = unique_email();
    let attacker = unique_email();
    app.verified_user(&victim).await;
    app.verified_user(&attacker).await;
    mock.sign_in_as(GithubUser::with_email(501, &victim, true));
    let browser = app.new_device();
    page(follow(&browser, "/auth/github").await);

    browser.login(&attacker, PASSWORD).await;
    let confirm = browser.get_html("/auth/link").await;
    let refused = browser.post_form("/auth/link", &confirm, &[]).await;

    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    for email in [&victim, &attacker] {
        let user = users::find_by_email(&app.db, email).await.unwrap().unwrap();
        assert!(
            federated_identities::list_for_user(&app.db, user.id)
                .await
                .unwrap()
                .is_empty()
        );
    }
}

#[tokio::test]
async fn with_auto_link_on_a_verified_match_is_linked_and_signed_in_at_once() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let org = org_of(&app, &service.client_id).await;
    providers::set_org(
        &app.state,
        &Actor::Cli,
        &Default::default(),
        providers::OrgSpec {
            auto_link: true,
            ..providers::OrgSpec::new(&org, "github")
        },
    )
    .await
    .unwrap();
    let email = unique_email();
    app.verified_user(&email).await;
    mock.sign_in_as(GithubUser::with_email(502, &email, true));

    let (status, body) = page(follow(&app.new_device(), &format!("/auth/github?org={org}")).await);

    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains(&email));
    let user = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        federated_identities::list_for_user(&app.db, user.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn auto_link_never_links_to_an_account_whose_own_email_is_unverified() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let org = org_of(&app, &service.client_id).await;
    providers::set_org(
        &app.state,
        &Actor::Cli,
        &Default::default(),
        providers::OrgSpec {
            auto_link: true,
            ..providers::OrgSpec::new(&org, "github")
        },
    )
    .await
    .unwrap();
    // Someone registered the victim's address first and never verified it.
    let email = unique_email();
    app.register(&email, PASSWORD).await;
    mock.sign_in_as(GithubUser::with_email(503, &email, true));

    let (status, _) = page(follow(&app.new_device(), &format!("/auth/github?org={org}")).await);

    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "asked to sign in to that account instead"
    );
    let user = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    assert!(
        federated_identities::list_for_user(&app.db, user.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_unverified_upstream_email_matching_an_account_links_nothing() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let email = unique_email();
    app.verified_user(&email).await;
    mock.sign_in_as(GithubUser::with_email(504, &email, false));

    let (status, body) = page(follow(&app.new_device(), "/auth/github").await);

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("did not confirm a verified email address"));
    let user = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    assert!(
        federated_identities::list_for_user(&app.db, user.id)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_only_way_to_sign_in_cannot_be_unlinked_but_a_second_one_can() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let email = unique_email();
    mock.sign_in_as(GithubUser::with_email(505, &email, true));
    let (status, _) = page(follow(&app, "/auth/github").await);
    assert_eq!(status, StatusCode::OK);
    let user = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    let identity = federated_identities::list_for_user(&app.db, user.id)
        .await
        .unwrap()[0]
        .id;

    // No password, no passkey, one identity: refused.
    let html = app.get_html("/account/providers").await;
    assert!(html.contains("GitHub"));
    let refused = app
        .post_form(&format!("/account/providers/{identity}/unlink"), &html, &[])
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("only way to sign in")
    );
    assert_eq!(
        federated_identities::list_for_user(&app.db, user.id)
            .await
            .unwrap()
            .len(),
        1
    );

    // With a password set (through a reset), the identity can go.
    app.reset_password(&email, "another long passphrase 42")
        .await;
    app.login(&email, "another long passphrase 42").await;
    let html = app.get_html("/account/providers").await;
    let before = app.mail.messages_to(&email).len();
    let unlinked = app
        .post_form(&format!("/account/providers/{identity}/unlink"), &html, &[])
        .await;
    assert_eq!(unlinked.headers()["location"], "/account/providers");
    assert!(
        federated_identities::list_for_user(&app.db, user.id)
            .await
            .unwrap()
            .is_empty()
    );
    app.mail
        .wait_for_subject(
            &email,
            "A sign-in provider was unlinked from your account",
            before,
        )
        .await;
}

#[tokio::test]
async fn a_signed_in_user_links_github_from_the_account_page() {
    let mock = MockUpstream::start().await;
    let app = app_with_github(&mock).await;
    let email = unique_email();
    app.verified_user(&email).await;
    app.login(&email, PASSWORD).await;
    // A different address at GitHub: linking from a signed-in account needs no email match.
    mock.sign_in_as(GithubUser::with_email(506, &unique_email(), true));

    let html = app.get_html("/account/providers").await;
    let started = app
        .post_form("/account/providers/link", &html, &[("provider", "github")])
        .await;
    let (status, body) = page(follow(&app, started.headers()["location"].to_str().unwrap()).await);

    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("GitHub"), "{body}");
    let user = users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        federated_identities::list_for_user(&app.db, user.id)
            .await
            .unwrap()
            .len(),
        1
    );
}
