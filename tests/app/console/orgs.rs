//! Organizations in the console: list, create, settings, sign-up policy, members (invite,
//! roles, last owner), role definitions; each page as owner, org admin, member and signed out.
use reqwest::StatusCode;

use super::{location, member_browser, owner_browser, signed_in_user};
use crate::helpers::{PASSWORD, ServiceOptions, TestApp, next_field_of, spawn_app, unique_email};

const PAGES: [&str; 4] = ["", "/members", "/roles", "?done=created"];

fn page(slug: &str, tail: &str) -> String {
    format!("/admin/orgs/{slug}{tail}")
}

async fn org_id(app: &TestApp, slug: &str) -> uuid::Uuid {
    gatehouse::store::organizations::find_by_slug(&app.db, slug)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn every_org_page_answers_owner_org_admin_member_and_signed_out() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    app.create_org("beta", "Beta").await;
    let owner = owner_browser(&app).await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let member = member_browser(&app, "acme", &["member"]).await;
    let signed_out = app.new_device();

    assert!(
        owner
            .get_html("/admin/orgs")
            .await
            .contains("Create an organization")
    );
    let list = admin.get_html("/admin/orgs").await;
    assert!(
        list.contains("/admin/orgs/acme") && !list.contains("/admin/orgs/beta"),
        "{list}"
    );
    assert!(
        !list.contains("Create an organization"),
        "org admins create no orgs"
    );
    assert_eq!(
        member.get("/admin/orgs").await.status(),
        StatusCode::FORBIDDEN
    );
    let response = signed_out.get("/admin/orgs").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?next=%2Fadmin%2Forgs");

    for tail in PAGES {
        let own = page("acme", tail);
        let other = page("beta", tail);
        assert_eq!(
            owner.get(&own).await.status(),
            StatusCode::OK,
            "owner {own}"
        );
        assert_eq!(
            owner.get(&other).await.status(),
            StatusCode::OK,
            "owner {other}"
        );
        assert_eq!(
            admin.get(&own).await.status(),
            StatusCode::OK,
            "admin {own}"
        );
        assert_eq!(
            admin.get(&other).await.status(),
            StatusCode::FORBIDDEN,
            "admin {other}"
        );
        assert_eq!(
            member.get(&own).await.status(),
            StatusCode::FORBIDDEN,
            "member {own}"
        );
        let response = signed_out.get(&own).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "signed out {own}");
        assert!(location(&response).starts_with("/login?next=%2Fadmin%2Forgs%2Facme"));
    }
    assert_eq!(
        owner.get("/admin/orgs/nope").await.status(),
        StatusCode::NOT_FOUND
    );
    // An org admin's POST to another org is refused by the admin layer.
    let html = admin.get_html("/admin/orgs/acme").await;
    let response = admin
        .post_form("/admin/orgs/beta/rename", &html, &[("name", "Mine")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_owner_creates_renames_suspends_and_resumes_an_organization() {
    let app = spawn_app().await;
    let owner = owner_browser(&app).await;
    let html = owner.get_html("/admin/orgs").await;

    // Bad input: messages next to the fields, what was typed kept.
    let response = owner
        .post_form(
            "/admin/orgs",
            &html,
            &[("slug", "Not A Slug"), ("name", "Kept Name")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains(r#"id="slug-error""#) && body.contains("not a valid slug"),
        "{body}"
    );
    assert!(body.contains(r#"value="Kept Name""#), "{body}");
    assert!(body.contains(r#"aria-invalid="true""#));

    let response = owner
        .post_form(
            "/admin/orgs",
            &html,
            &[("slug", "new-org"), ("name", "New Org")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/orgs/new-org?done=created");
    assert!(
        owner
            .get_html("/admin/orgs/new-org?done=created")
            .await
            .contains("Organization created.")
    );

    let response = owner
        .post_form(
            "/admin/orgs",
            &html,
            &[("slug", "new-org"), ("name", "Again")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("exists already"));

    let detail = owner.get_html("/admin/orgs/new-org").await;
    let response = owner
        .post_form("/admin/orgs/new-org/rename", &detail, &[("name", "  ")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"id="name-error""#)
    );
    let response = owner
        .post_form(
            "/admin/orgs/new-org/rename",
            &detail,
            &[("name", "Renamed Org")],
        )
        .await;
    assert_eq!(location(&response), "/admin/orgs/new-org?done=renamed");
    assert!(
        owner
            .get_html("/admin/orgs/new-org")
            .await
            .contains("<h1>Renamed Org</h1>")
    );

    let response = owner
        .post_form(
            "/admin/orgs/new-org/status",
            &detail,
            &[("status", "suspended")],
        )
        .await;
    assert_eq!(location(&response), "/admin/orgs/new-org?done=suspended");
    let org = gatehouse::store::organizations::find_by_slug(&app.db, "new-org")
        .await
        .unwrap()
        .unwrap();
    assert!(!org.is_active());
    let response = owner
        .post_form(
            "/admin/orgs/new-org/status",
            &detail,
            &[("status", "active")],
        )
        .await;
    assert_eq!(location(&response), "/admin/orgs/new-org?done=resumed");

    let response = owner
        .post_form("/admin/orgs/new-org/mfa", &detail, &[("mfa", "required")])
        .await;
    assert_eq!(location(&response), "/admin/orgs/new-org?done=mfa");
    let org = gatehouse::store::organizations::find_by_slug(&app.db, "new-org")
        .await
        .unwrap()
        .unwrap();
    assert!(org.is_active() && org.mfa_required);
}

#[tokio::test]
async fn org_admins_rename_their_org_but_neither_create_nor_suspend() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let html = admin.get_html("/admin/orgs/acme").await;
    assert!(
        !html.contains("Suspend Acme"),
        "no suspend control for org admins"
    );

    let response = admin
        .post_form("/admin/orgs", &html, &[("slug", "mine"), ("name", "Mine")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = admin
        .post_form("/admin/orgs/acme/status", &html, &[("status", "suspended")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = admin
        .post_form("/admin/orgs/acme/rename", &html, &[("name", "Acme Inc")])
        .await;
    assert_eq!(location(&response), "/admin/orgs/acme?done=renamed");
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let owner = owner_browser(&app).await;
    owner.get_html("/admin/orgs").await;
    for (action, fields) in [
        ("/admin/orgs", vec![("slug", "x-org"), ("name", "X")]),
        ("/admin/orgs/acme/rename", vec![("name", "X")]),
        (
            "/admin/orgs/acme/members",
            vec![("email", "a@example.com"), ("roles", "member")],
        ),
        (
            "/admin/orgs/acme/roles",
            vec![("role", "editor"), ("permissions", "a")],
        ),
    ] {
        let response = owner
            .client
            .post(owner.url(action))
            .form(&fields)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{action}");
    }
    assert!(
        gatehouse::store::organizations::find_by_slug(&app.db, "x-org")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_invite_only_org_offers_and_allows_no_sign_up() {
    // Arrange: a service of an org, and the sign-in page of its authorization request.
    let app = spawn_app().await;
    let service = app.create_service(ServiceOptions::default()).await;
    let row = gatehouse::store::services::find_by_client_id(&app.db, &service.client_id)
        .await
        .unwrap()
        .unwrap();
    let org = gatehouse::store::organizations::find_by_id(&app.db, row.org_id)
        .await
        .unwrap()
        .unwrap();
    let visitor = app.new_device();
    let rp = app.rp(&service).await;
    let response = visitor
        .client
        .get(rp.authorize(&["openid"]).url)
        .send()
        .await
        .unwrap();
    let login_path = location(&response);
    let login = visitor.get_html(&login_path).await;
    assert!(login.contains(r#"id="sign-up""#), "open by default");
    let next = next_field_of(&login);
    let register_path = format!(
        "/register?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    let register = visitor.get_html(&register_path).await;

    // Act: the owner makes the org invite-only in the console.
    let owner = owner_browser(&app).await;
    let detail = owner.get_html(&page(&org.slug, "")).await;
    let response = owner
        .post_form(
            &page(&org.slug, "/sign-up"),
            &detail,
            &[("sign_up_policy", "invite_only")],
        )
        .await;
    assert_eq!(location(&response), page(&org.slug, "?done=sign-up"));

    // Assert: no sign-up offered, the page and the form are refused, no account is made.
    let login = visitor.get_html(&login_path).await;
    assert!(!login.contains(r#"id="sign-up""#), "{login}");
    let response = visitor.get(&register_path).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("by invitation only")
    );
    let email = unique_email();
    let response = visitor
        .post_form(
            "/register",
            &register,
            &[("email", &email), ("password", PASSWORD), ("next", &next)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        gatehouse::store::users::find_by_email(&app.db, &email)
            .await
            .unwrap()
            .is_none()
    );
    let events = gatehouse::store::audit_events::list_for_action(
        &app.db,
        "admin.org.sign_up_policy_changed",
    )
    .await
    .unwrap();
    assert_eq!(events.len(), 1);

    // Open again: the page is back.
    let detail = owner.get_html(&page(&org.slug, "")).await;
    owner
        .post_form(
            &page(&org.slug, "/sign-up"),
            &detail,
            &[("sign_up_policy", "open")],
        )
        .await;
    assert_eq!(visitor.get(&register_path).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_org_admin_invites_a_new_member_who_sets_a_password_and_signs_in() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let members = "/admin/orgs/acme/members";
    let html = admin.get_html(members).await;

    // Bad input stays in the form with the message next to its field.
    let response = admin
        .post_form(
            members,
            &html,
            &[("email", "not-an-email"), ("roles", "Bad Role")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains(r#"id="email-error""#) && body.contains(r#"id="roles-error""#),
        "{body}"
    );
    assert!(body.contains(r#"value="not-an-email""#));

    // A new address: an account, the membership and a mail.
    let email = unique_email();
    let response = admin
        .post_form(
            members,
            &html,
            &[("email", &email), ("roles", "member, editor")],
        )
        .await;
    assert_eq!(location(&response), format!("{members}?done=invited"));
    let listed = admin.get_html(members).await;
    assert!(
        listed.contains(&email) && listed.contains("editor, member"),
        "{listed}"
    );
    let mail = app.mail.wait_for(&email).await;
    assert!(
        mail.subject().contains("invited to Acme"),
        "{}",
        mail.subject()
    );
    let link = mail.link();
    let path = link.strip_prefix(&app.address).unwrap().to_owned();
    let token = path.split("token=").nth(1).unwrap().to_owned();
    let invitee = app.new_device();
    let page = invitee.get_html(&path).await;
    let response = invitee
        .post_form(
            "/reset-password",
            &page,
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert!(response.status().is_success() || response.status().is_redirection());
    let signed_in = invitee.login(&email, PASSWORD).await;
    assert_eq!(
        signed_in.status(),
        StatusCode::SEE_OTHER,
        "the invitee signs in"
    );

    // An existing account is added without mail; twice is a conflict.
    let (_, existing) = signed_in_user(&app).await;
    let response = admin
        .post_form(
            members,
            &html,
            &[("email", &existing.email), ("roles", "member")],
        )
        .await;
    assert_eq!(location(&response), format!("{members}?done=added"));
    let response = admin
        .post_form(
            members,
            &html,
            &[("email", &existing.email), ("roles", "member")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("member already"));
    let acme = org_id(&app, "acme").await;
    let roles = gatehouse::store::memberships::roles(&app.db, existing.id, acme)
        .await
        .unwrap();
    assert_eq!(roles, ["member"]);
}

#[tokio::test]
async fn the_last_owner_can_be_neither_removed_nor_demoted() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let acme = org_id(&app, "acme").await;
    let (_, first) = signed_in_user(&app).await;
    gatehouse::store::memberships::upsert(&app.db, acme, first.id, &["owner".to_owned()])
        .await
        .unwrap();
    let owner = owner_browser(&app).await;
    let members = "/admin/orgs/acme/members";
    let html = owner.get_html(members).await;
    let remove = format!("{members}/{}/remove", first.id);
    let demote = format!("{members}/{}/roles", first.id);

    let response = owner.post_form(&remove, &html, &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("last owner"));
    let response = owner
        .post_form(&demote, &html, &[("roles", "member")])
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("last owner"));

    // With a second owner, the first may go.
    let (_, second) = signed_in_user(&app).await;
    let response = owner
        .post_form(
            members,
            &html,
            &[("email", &second.email), ("roles", "owner")],
        )
        .await;
    assert_eq!(location(&response), format!("{members}?done=added"));
    let response = owner
        .post_form(&demote, &html, &[("roles", "member")])
        .await;
    assert_eq!(location(&response), format!("{members}?done=roles"));
    let response = owner.post_form(&remove, &html, &[]).await;
    assert_eq!(location(&response), format!("{members}?done=removed"));
    let left = gatehouse::store::memberships::of_org(&app.db, acme)
        .await
        .unwrap();
    assert_eq!(left, vec![(second.id, vec!["owner".to_owned()])]);
}

#[tokio::test]
async fn role_definitions_are_saved_edited_and_deleted() {
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let roles = "/admin/orgs/acme/roles";
    let html = admin.get_html(roles).await;

    let response = admin
        .post_form(
            roles,
            &html,
            &[("role", "Bad Role"), ("permissions", "posts:read")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains(r#"id="role-error""#) && body.contains("posts:read"),
        "{body}"
    );
    let response = admin
        .post_form(
            roles,
            &html,
            &[("role", "editor"), ("permissions", "posts:read, bad perm!")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"id="permissions-error""#)
    );

    let response = admin
        .post_form(
            roles,
            &html,
            &[
                ("role", "editor"),
                ("permissions", "posts:write posts:read"),
            ],
        )
        .await;
    assert_eq!(location(&response), format!("{roles}?done=saved"));
    let listed = admin.get_html(roles).await;
    assert!(
        listed.contains("<code>posts:read</code>, <code>posts:write</code>"),
        "{listed}"
    );
    let editing = admin.get_html(&format!("{roles}?edit=editor")).await;
    assert!(
        editing.contains("posts:read, posts:write</textarea>"),
        "{editing}"
    );

    let response = admin
        .post_form(&format!("{roles}/editor/delete"), &html, &[])
        .await;
    assert_eq!(location(&response), format!("{roles}?done=deleted"));
    assert!(!admin.get_html(roles).await.contains("?edit=editor"));
}

/// Where browser tests save screenshots: `target/screenshots` (or under `CARGO_TARGET_DIR`).
fn screenshot_dir() -> String {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_runs_the_overview_creates_an_org_and_invites_a_member_in_a_real_browser() {
    let (app, _mailbox) = crate::browser::browser_app().await;
    let owner = unique_email();
    app.verified_user(&owner).await;
    let user = gatehouse::store::users::find_by_email(&app.db, &owner.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::users::set_platform_owner(&app.db, user.id, true)
        .await
        .unwrap();
    let invitee = unique_email();

    let stdout = crate::browser::run_script(
        "console_orgs.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("OWNER_EMAIL", owner),
            ("OWNER_PASSWORD", PASSWORD.to_owned()),
            ("INVITEE_EMAIL", invitee.clone()),
            ("SCREENSHOT_DIR", screenshot_dir()),
        ],
    )
    .await;

    assert!(stdout.contains("INVITED"), "{stdout}");
    let mail = app.mail.wait_for(&invitee).await;
    assert!(mail.subject().contains("Browser Org"), "{}", mail.subject());
    let org = org_id(&app, "browser-org").await;
    let invited = gatehouse::store::users::find_by_email(&app.db, &invitee.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    let roles = gatehouse::store::memberships::roles(&app.db, invited.id, org)
        .await
        .unwrap();
    assert_eq!(roles, ["admin", "owner"]);
}
