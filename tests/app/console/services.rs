//! `/admin/services`: list, wizard, service page, secret rotation, delete, integration panel
//! and the live test bench, through real HTTP as owner, org admin, member and signed out.
use reqwest::StatusCode;

use super::{location, member_browser, owner_browser, signed_in_user};
use crate::helpers::oidc::token_request;
use crate::helpers::{TestApp, TestService, csrf_of, spawn_app};

/// Creates a service with the wizard as `browser`; the response of the final POST.
async fn wizard(
    browser: &TestApp,
    kind: &str,
    org: &str,
    name: &str,
    redirect_uris: &str,
) -> reqwest::Response {
    browser
        .submit(
            &format!("/admin/services/new?kind={kind}"),
            "/admin/services/new",
            &[
                ("kind", kind),
                ("org", org),
                ("name", name),
                ("slug", ""),
                ("redirect_uris", redirect_uris),
                ("post_logout_redirect_uris", ""),
            ],
        )
        .await
}

/// The client id shown on a service page.
fn client_id_of(html: &str) -> String {
    let re = regex::Regex::new(r#"<code id="client-id">([^<]+)</code>"#).unwrap();
    re.captures(html).expect("page shows the client id")[1].to_owned()
}

fn secret_of(html: &str) -> Option<String> {
    let re = regex::Regex::new(r#"<code id="client-secret">([^<]+)</code>"#).unwrap();
    re.captures(html).map(|c| c[1].to_owned())
}

async fn service_view(app: &TestApp, client_id: &str) -> gatehouse::admin::services::ServiceView {
    gatehouse::admin::services::get(&app.state, &gatehouse::admin::Actor::Cli, client_id)
        .await
        .unwrap()
}

/// A web service in `org` made through the admin layer; its client id.
async fn service_in(app: &TestApp, org: &str, slug: &str) -> String {
    gatehouse::admin::services::create(
        &app.state,
        &gatehouse::admin::Actor::Cli,
        &Default::default(),
        org,
        gatehouse::admin::services::NewServiceInput {
            slug: slug.into(),
            name: "Portal".into(),
            redirect_uris: vec!["https://portal.example.com/cb".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .client_id
}

#[tokio::test]
async fn every_service_page_answers_each_kind_of_visitor() {
    // Arrange
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    app.create_org("globex", "Globex").await;
    let client_id = service_in(&app, "acme", "portal").await;
    let owner = owner_browser(&app).await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let other_admin = member_browser(&app, "globex", &["admin"]).await;
    let member = member_browser(&app, "acme", &["member"]).await;
    let signed_out = app.new_device();
    let pages = [
        format!("/admin/services/{client_id}"),
        format!("/admin/services/{client_id}/delete"),
        format!("/admin/services/{client_id}/test-bench"),
    ];

    // Act / Assert
    for path in [
        "/admin/services",
        "/admin/services/new",
        "/admin/services/new?kind=web",
    ] {
        assert_eq!(owner.get(path).await.status(), StatusCode::OK, "{path}");
        assert_eq!(admin.get(path).await.status(), StatusCode::OK, "{path}");
        assert_eq!(
            member.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
        let response = signed_out.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&response).starts_with("/login?next="), "{path}");
    }
    for path in &pages {
        assert_eq!(owner.get(path).await.status(), StatusCode::OK, "{path}");
        assert_eq!(admin.get(path).await.status(), StatusCode::OK, "{path}");
        assert_eq!(
            other_admin.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            member.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
        assert_eq!(
            signed_out.get(path).await.status(),
            StatusCode::SEE_OTHER,
            "{path}"
        );
    }
    let start = format!("/admin/services/{client_id}/test-bench/start");
    assert_eq!(
        other_admin.get(&start).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(member.get(&start).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(signed_out.get(&start).await.status(), StatusCode::SEE_OTHER);
    // The list shows an org admin their org's services only.
    let list = admin.get_html("/admin/services").await;
    assert!(
        list.contains(&client_id) && !list.contains("Globex"),
        "{list}"
    );
    let all = owner.get_html("/admin/services").await;
    assert!(all.contains("Acme") && all.contains("Globex"), "{all}");
    // A form posted to another org's service is refused too, and changes nothing.
    let html = other_admin.get_html("/admin/services/new?kind=web").await;
    let edit = other_admin
        .post_form(
            &pages[0],
            &html,
            &[
                ("name", "Hijacked"),
                ("redirect_uris", "https://x.example/cb"),
            ],
        )
        .await;
    assert_eq!(edit.status(), StatusCode::FORBIDDEN);
    let delete = other_admin
        .post_form(&pages[1], &html, &[("confirm_slug", "portal")])
        .await;
    assert_eq!(delete.status(), StatusCode::FORBIDDEN);
    assert_eq!(service_view(&app, &client_id).await.name, "Portal");
}

#[tokio::test]
async fn the_wizard_creates_each_kind_with_its_defaults() {
    // Arrange
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let cases = [
        (
            "web",
            "https://app.example.com/cb",
            false,
            vec!["authorization_code", "refresh_token"],
        ),
        (
            "spa",
            "https://spa.example.com/cb",
            true,
            vec!["authorization_code", "refresh_token"],
        ),
        (
            "native",
            "com.example.app:/cb\nhttp://127.0.0.1/cb",
            true,
            vec!["authorization_code", "refresh_token"],
        ),
        (
            "device",
            "",
            true,
            vec![
                "refresh_token",
                "urn:ietf:params:oauth:grant-type:device_code",
            ],
        ),
        ("machine", "", false, vec!["client_credentials"]),
    ];

    for (kind, uris, public, grants) in cases {
        // Act
        let response = wizard(&admin, kind, "acme", &format!("My {kind} app"), uris).await;

        // Assert
        assert_eq!(response.status(), StatusCode::OK, "{kind}");
        let html = response.text().await.unwrap();
        assert!(html.contains("The service was created."), "{kind}: {html}");
        let client_id = client_id_of(&html);
        assert!(
            client_id.starts_with(&format!("my-{kind}-app_")),
            "{client_id}"
        );
        let view = service_view(&app, &client_id).await;
        assert_eq!(view.kind == "public", public, "{kind}");
        assert_eq!(view.grant_types, grants, "{kind}");
        assert_eq!(
            secret_of(&html).is_some(),
            !public,
            "{kind}: secret once for confidential"
        );
        let expected: Vec<String> = uris.lines().map(str::to_owned).collect();
        assert_eq!(view.redirect_uris, expected, "{kind}");
    }
}

#[tokio::test]
async fn a_bad_redirect_uri_is_shown_next_to_the_field_and_nothing_typed_is_lost() {
    // Arrange
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let owner = owner_browser(&app).await;

    // Act
    let response = wizard(
        &owner,
        "web",
        "acme",
        "Acme Portal",
        "http://portal.example.com/cb",
    )
    .await;

    // Assert
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="redirect-error""#), "{html}");
    assert!(html.contains("must use https"), "{html}");
    assert!(html.contains(r#"aria-invalid="true""#), "{html}");
    assert!(
        html.contains("http://portal.example.com/cb</textarea>"),
        "{html}"
    );
    assert!(html.contains(r#"value="Acme Portal""#), "{html}");
    let services =
        gatehouse::admin::services::list(&app.state, &gatehouse::admin::Actor::Cli, Some("acme"))
            .await
            .unwrap();
    assert!(services.is_empty());
    // The service page's edit form shows the same message next to the field.
    let client_id = service_in(&app, "acme", "portal").await;
    let path = format!("/admin/services/{client_id}");
    let html = owner.get_html(&path).await;
    let edit = owner
        .post_form(
            &path,
            &html,
            &[
                ("name", "Portal 2"),
                ("redirect_uris", "not a url"),
                ("grant_authorization_code", "on"),
                ("signing_alg", "RS256"),
            ],
        )
        .await;
    assert_eq!(edit.status(), StatusCode::BAD_REQUEST);
    let html = edit.text().await.unwrap();
    assert!(
        html.contains(r#"id="redirect-error""#) && html.contains("not an absolute URL"),
        "{html}"
    );
    assert!(html.contains(r#"value="Portal 2""#), "{html}");
}

#[tokio::test]
async fn a_service_page_edit_is_saved_through_the_admin_layer_and_audited() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let client_id = service_in(&app, "acme", "portal").await;
    let path = format!("/admin/services/{client_id}");
    let html = admin.get_html(&path).await;

    let response = admin
        .post_form(
            &path,
            &html,
            &[
                ("name", "Portal Two"),
                (
                    "redirect_uris",
                    "https://portal.example.com/cb\nhttps://portal.example.com/cb2",
                ),
                (
                    "post_logout_redirect_uris",
                    "https://portal.example.com/bye",
                ),
                ("grant_authorization_code", "on"),
                ("first_party", "on"),
                ("signing_alg", "ES256"),
            ],
        )
        .await;

    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("{path}?done=saved"));
    let view = service_view(&app, &client_id).await;
    assert_eq!(view.name, "Portal Two");
    assert_eq!(view.redirect_uris.len(), 2);
    assert_eq!(view.grant_types, ["authorization_code"]);
    assert!(view.first_party);
    assert_eq!(view.signing_alg, "ES256");
    let page = admin.get_html(&format!("{path}?done=saved")).await;
    assert!(page.contains("Your changes were saved."), "{page}");
    let events = gatehouse::store::audit_events::list_for_action(&app.db, "admin.service.updated")
        .await
        .unwrap();
    assert!(!events.is_empty());
}

#[tokio::test]
async fn the_secret_is_shown_once_and_never_again() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let owner = owner_browser(&app).await;

    let created = wizard(
        &owner,
        "web",
        "acme",
        "Acme Portal",
        "https://portal.example.com/cb",
    )
    .await;
    let html = created.text().await.unwrap();
    let secret = secret_of(&html).expect("secret shown at creation");
    let client_id = client_id_of(&html);

    let again = owner
        .get_html(&format!("/admin/services/{client_id}"))
        .await;
    assert!(secret_of(&again).is_none());
    assert!(!again.contains(&secret));
    // The integration panel has the real values and never the secret.
    assert!(again.contains(&format!("{}/.well-known/openid-configuration", app.address)));
    assert!(again.contains("GATEHOUSE_CLIENT_SECRET"));
    assert!(again.contains("OIDCProviderMetadataURL") && again.contains("openid-client"));
    assert!(
        again.contains("authlib.integrations.flask_client")
            && again.contains("CoreClient::from_provider_metadata")
    );
    // The secret works at the token endpoint.
    let list = owner.get_html("/admin/services").await;
    assert!(!list.contains(&secret));
    let service = TestService {
        client_id,
        secret: Some(secret),
    };
    let (status, _, body) = token_request(
        &app,
        &service,
        &[("grant_type", "refresh_token"), ("refresh_token", "x")],
    )
    .await;
    assert_ne!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn a_rotated_secret_overlaps_and_the_old_one_still_works_at_the_token_endpoint() {
    // Arrange
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let owner = owner_browser(&app).await;
    let created = owner
        .submit(
            "/admin/services/new?kind=machine",
            "/admin/services/new",
            &[
                ("kind", "machine"),
                ("org", "acme"),
                ("name", "Reports job"),
                ("scopes", "reports:read"),
            ],
        )
        .await;
    let html = created.text().await.unwrap();
    let old = TestService {
        client_id: client_id_of(&html),
        secret: secret_of(&html),
    };
    let path = format!("/admin/services/{}", old.client_id);

    // Act
    let page = owner.get_html(&path).await;
    let rotated = owner
        .post_form(
            &format!("{path}/secret"),
            &page,
            &[("overlap_secs", "3600")],
        )
        .await;

    // Assert
    assert_eq!(rotated.status(), StatusCode::OK);
    let html = rotated.text().await.unwrap();
    assert!(
        html.contains("The previous secret keeps working until"),
        "{html}"
    );
    let new = TestService {
        client_id: old.client_id.clone(),
        secret: secret_of(&html),
    };
    assert_ne!(new.secret, old.secret);
    let grant = [
        ("grant_type", "client_credentials"),
        ("scope", "reports:read"),
    ];
    let (status, _, body) = token_request(&app, &old, &grant).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "old secret within the overlap: {body}"
    );
    let (status, _, body) = token_request(&app, &new, &grant).await;
    assert_eq!(status, StatusCode::OK, "new secret: {body}");
    assert!(
        secret_of(&owner.get_html(&path).await).is_none(),
        "shown once"
    );
    // Without overlap the old one stops at once.
    let page = owner.get_html(&path).await;
    let rotated = owner
        .post_form(&format!("{path}/secret"), &page, &[("overlap_secs", "0")])
        .await;
    let newest = TestService {
        client_id: old.client_id.clone(),
        secret: secret_of(&rotated.text().await.unwrap()),
    };
    let (status, _, _) = token_request(&app, &new, &grant).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = token_request(&app, &newest, &grant).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn deleting_a_service_needs_its_slug_typed() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let client_id = service_in(&app, "acme", "portal").await;
    let path = format!("/admin/services/{client_id}/delete");
    let page = admin.get_html(&path).await;
    assert!(
        page.contains("Type <code>portal</code> to confirm"),
        "{page}"
    );

    let wrong = admin
        .post_form(&path, &page, &[("confirm_slug", "portl")])
        .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    let html = wrong.text().await.unwrap();
    assert!(
        html.contains(r#"id="confirm-error""#) && html.contains("Type portal to confirm."),
        "{html}"
    );
    assert_eq!(service_view(&app, &client_id).await.slug, "portal");

    let right = admin
        .post_form(&path, &page, &[("confirm_slug", "portal")])
        .await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&right), "/admin/services?done=deleted");
    assert!(
        gatehouse::store::services::find_by_client_id(&app.db, &client_id)
            .await
            .unwrap()
            .is_none()
    );
    let list = admin.get_html("/admin/services?done=deleted").await;
    assert!(list.contains("The service was deleted."));
    let form_without_csrf = admin
        .client
        .post(admin.url(&format!("/admin/services/{client_id}/delete")))
        .form(&[("confirm_slug", "portal")])
        .send()
        .await
        .unwrap();
    assert_eq!(form_without_csrf.status(), StatusCode::FORBIDDEN);
}

/// Follows the bench's sign-in like a browser: the admin is signed in already; consent is
/// answered with `decision`. The HTML of the bench's callback page and its status.
async fn run_bench(browser: &TestApp, start: &str, decision: &str) -> (StatusCode, String) {
    let request_field = regex::Regex::new(r#"name="request" value="([^"]+)""#).unwrap();
    let mut next = browser.url(start);
    for _ in 0..10 {
        let response = browser.client.get(&next).send().await.unwrap();
        if response.status().is_redirection() {
            let to = location(&response);
            next = if to.starts_with('/') {
                browser.url(&to)
            } else {
                to
            };
            continue;
        }
        let status = response.status();
        let html = response.text().await.unwrap();
        if html.contains("/authorize/consent") {
            let request = request_field.captures(&html).unwrap()[1].to_owned();
            let answer = browser
                .client
                .post(browser.url("/authorize/consent"))
                .form(&[
                    ("request", request.as_str()),
                    ("decision", decision),
                    ("csrf_token", &csrf_of(&html)),
                ])
                .send()
                .await
                .unwrap();
            next = location(&answer);
            continue;
        }
        return (status, html);
    }
    panic!("the bench sign-in did not finish");
}

async fn enable_bench(browser: &TestApp, client_id: &str) {
    let path = format!("/admin/services/{client_id}");
    let html = browser.get_html(&path).await;
    let response = browser
        .post_form(&format!("{path}/test-bench"), &html, &[("bench", "on")])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_test_bench_signs_in_and_shows_the_decoded_id_token() {
    // Arrange
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let (admin, user) = signed_in_user(&app).await;
    let roles = vec!["admin".to_owned()];
    let org = gatehouse::store::organizations::find_by_slug(&app.db, "acme")
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::memberships::upsert(&app.db, org.id, user.id, &roles)
        .await
        .unwrap();
    let created = wizard(
        &admin,
        "web",
        "acme",
        "Acme Portal",
        "https://portal.example.com/cb",
    )
    .await;
    let client_id = client_id_of(&created.text().await.unwrap());
    let start = format!("/admin/services/{client_id}/test-bench/start");
    // Before it is enabled, the bench refuses to start.
    assert_eq!(admin.get(&start).await.status(), StatusCode::BAD_REQUEST);

    // Act
    enable_bench(&admin, &client_id).await;
    let (status, html) = run_bench(&admin, &start, "approve").await;

    // Assert
    let bench_uri = format!("{}/admin/test-bench/callback", app.address);
    assert!(
        service_view(&app, &client_id)
            .await
            .redirect_uris
            .contains(&bench_uri)
    );
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains(&format!(r#"<code id="bench-aud">{client_id}</code>"#)),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"<code id="bench-sub">{}</code>"#, user.id)),
        "{html}"
    );
    assert!(
        html.contains("Verified") && html.contains("Matches"),
        "{html}"
    );
    assert!(
        html.contains("Subject: the person"),
        "claims are explained: {html}"
    );
    assert!(html.contains(&user.email), "userinfo: {html}");
    assert!(
        html.contains("response_type=code"),
        "the raw request: {html}"
    );
    let events = gatehouse::store::audit_events::list_for_action(&app.db, "admin.service.updated")
        .await
        .unwrap();
    assert!(!events.is_empty(), "enabling is audited");
}

#[tokio::test]
async fn a_forged_or_reused_bench_state_fails_with_a_clear_page() {
    // Arrange
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let owner = owner_browser(&app).await;
    let client_id = service_in(&app, "acme", "portal").await;
    enable_bench(&owner, &client_id).await;
    let start = owner
        .get(&format!("/admin/services/{client_id}/test-bench/start"))
        .await;
    let authorize = location(&start);
    let state = url::Url::parse(&authorize)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();

    // Act: a forged state; the real state from another browser; the real one, twice.
    let forged = owner
        .get("/admin/test-bench/callback?state=forged&code=x")
        .await;
    let other = owner_browser(&app).await;
    let elsewhere = other
        .get(&format!(
            "/admin/test-bench/callback?state={state}&error=access_denied"
        ))
        .await;
    let first = owner.get(&format!("/admin/test-bench/callback?state={state}&error=access_denied&error_description=the+user+declined")).await;
    let replay = owner
        .get(&format!("/admin/test-bench/callback?state={state}&code=x"))
        .await;

    // Assert
    for response in [forged, elsewhere, replay] {
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let html = response.text().await.unwrap();
        assert!(html.contains("This test sign-in is not valid"), "{html}");
    }
    assert_eq!(first.status(), StatusCode::BAD_REQUEST);
    let html = first.text().await.unwrap();
    assert!(
        html.contains("<code>access_denied</code>") && html.contains("declined consent"),
        "{html}"
    );
}

#[tokio::test]
async fn consent_refused_in_the_bench_is_explained_in_plain_words() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let owner = owner_browser(&app).await;
    let client_id = service_in(&app, "acme", "portal").await;
    enable_bench(&owner, &client_id).await;

    let (status, html) = run_bench(
        &owner,
        &format!("/admin/services/{client_id}/test-bench/start"),
        "deny",
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
    assert!(html.contains("The sign-in did not complete"), "{html}");
    assert!(html.contains("<code>access_denied</code>"), "{html}");
}

/// Where browser tests save screenshots (`target/screenshots`, or under `CARGO_TARGET_DIR`).
fn screenshot_dir() -> String {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_creates_a_service_and_runs_the_test_bench_in_a_real_browser() {
    // Arrange
    let (app, _mailbox) = crate::browser::browser_app().await;
    app.create_org("acme", "Acme").await;
    app.create_org("globex", "Globex").await;
    let email = crate::helpers::unique_email();
    app.verified_user(&email).await;
    let user = gatehouse::store::users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::users::set_platform_owner(&app.db, user.id, true)
        .await
        .unwrap();

    // Act
    let out = crate::browser::run_script(
        "console_services.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("USER_EMAIL", email),
            ("USER_PASSWORD", crate::helpers::PASSWORD.to_owned()),
            ("SCREENSHOT_DIR", screenshot_dir()),
        ],
    )
    .await;

    // Assert
    let client_id = out
        .lines()
        .find_map(|l| l.strip_prefix("CLIENT "))
        .expect("the script prints the client id");
    let view = service_view(&app, client_id).await;
    assert!(
        view.redirect_uris
            .contains(&format!("{}/admin/test-bench/callback", app.address))
    );
}
