//! `/admin/users`: search, paging, the user page and its actions, for each kind of visitor.
use reqwest::StatusCode;

use super::{location, member_browser, owner_browser, signed_in_user};
use crate::helpers::{TestApp, csrf_of, spawn_app, unique_email};
use gatehouse::store::{browser_sessions, memberships, organizations, users};

/// A user (no password) in `org`, created straight in the store.
async fn member_of(app: &TestApp, org: &str, email: &str) -> users::User {
    let user = users::insert(
        &app.db,
        users::NewUser {
            email,
            email_normalized: &email.to_lowercase(),
            email_verified: true,
            password_hash: None,
        },
    )
    .await
    .unwrap();
    let org = organizations::find_by_slug(&app.db, org)
        .await
        .unwrap()
        .unwrap();
    memberships::upsert(&app.db, org.id, user.id, &["member".to_owned()])
        .await
        .unwrap();
    user
}

#[tokio::test]
async fn owners_see_every_user_org_admins_their_members_others_are_refused() {
    // Arrange
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    app.create_org("globex", "Globex").await;
    let ours = member_of(&app, "acme", &unique_email()).await;
    let theirs = member_of(&app, "globex", &unique_email()).await;
    let owner = owner_browser(&app).await;
    let admin = member_browser(&app, "acme", &["admin"]).await;
    let member = member_browser(&app, "acme", &["member"]).await;

    // Act + Assert: the owner sees both, on the list and their pages.
    let list = owner.get_html("/admin/users").await;
    assert!(
        list.contains(&ours.email) && list.contains(&theirs.email),
        "{list}"
    );
    let page = owner.get_html(&format!("/admin/users/{}", theirs.id)).await;
    assert!(page.contains(&theirs.email), "{page}");

    // The org admin sees their members only, and gets 403 on another org's user.
    let list = admin.get_html("/admin/users").await;
    assert!(list.contains(&ours.email), "{list}");
    assert!(!list.contains(&theirs.email), "{list}");
    assert!(
        admin
            .get_html(&format!("/admin/users/{}", ours.id))
            .await
            .contains(&ours.email)
    );
    let theirs_page = format!("/admin/users/{}", theirs.id);
    assert_eq!(
        admin.get(&theirs_page).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        admin.get("/admin/users?org=globex").await.status(),
        StatusCode::FORBIDDEN
    );
    let own_page = admin.get_html(&format!("/admin/users/{}", ours.id)).await;
    let refused = admin
        .post_form(
            &format!("/admin/users/{}/send-password-reset", theirs.id),
            &own_page,
            &[],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // A plain member and a signed-out visitor.
    assert_eq!(
        member.get("/admin/users").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member.get(&theirs_page).await.status(),
        StatusCode::FORBIDDEN
    );
    let anonymous = app.new_device().get("/admin/users").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&anonymous), "/login?next=%2Fadmin%2Fusers");
    let anonymous = app.new_device().get(&theirs_page).await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn users_are_found_by_part_of_the_email_or_by_id_and_paged() {
    // Arrange: 30 members whose address shares a marker.
    let app = spawn_app().await;
    app.create_org("acme", "Acme").await;
    let mut made = Vec::new();
    for i in 0..30 {
        made.push(member_of(&app, "acme", &format!("paged-{i:02}@people.example")).await);
    }
    let owner = owner_browser(&app).await;

    // Act + Assert: a search, its two pages.
    let first = owner.get_html("/admin/users?q=PAGED-&org=acme").await;
    assert_eq!(first.matches("@people.example").count(), 25, "{first}");
    assert!(first.contains("rel=\"next\""), "{first}");
    let second = owner
        .get_html("/admin/users?q=paged-&org=acme&page=2")
        .await;
    assert_eq!(second.matches("@people.example").count(), 5, "{second}");
    assert!(second.contains("rel=\"prev\""), "{second}");
    assert!(!second.contains("rel=\"next\""), "{second}");

    // An id opens the user; an unknown id says so.
    let by_id = owner.get(&format!("/admin/users?q={}", made[3].id)).await;
    assert_eq!(by_id.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&by_id), format!("/admin/users/{}", made[3].id));
    let unknown = owner
        .get(&format!("/admin/users?q={}", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("No user with this id")
    );

    // Too long a search is refused next to the field, with what was typed.
    let long = "x".repeat(300);
    let refused = owner.get(&format!("/admin/users?q={long}")).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("aria-invalid=\"true\"") && html.contains("search is too long"),
        "{html}"
    );
}

#[tokio::test]
async fn an_admin_sends_a_password_reset_mail_that_works() {
    // Arrange
    let app = spawn_app().await;
    let (_, user) = signed_in_user(&app).await;
    let owner = owner_browser(&app).await;
    let page_path = format!("/admin/users/{}", user.id);
    let page = owner.get_html(&page_path).await;
    assert!(page.contains("Password: set"), "{page}");

    // Act
    let response = owner
        .post_form(&format!("{page_path}/send-password-reset"), &page, &[])
        .await;

    // Assert: confirmed, mailed, audited.
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        format!("{page_path}?done=password_reset_sent")
    );
    let confirmed = owner.get_html(&location(&response)).await;
    assert!(
        confirmed.contains("password-reset link is on its way"),
        "{confirmed}"
    );
    let mail = app
        .mail
        .wait_for_subject(&user.email, "Reset your password", 0)
        .await;
    assert!(
        mail.link().contains("/reset-password?token="),
        "{}",
        mail.text()
    );
    let reset_page = app
        .new_device()
        .get(&mail.link().replace(&app.address, ""))
        .await;
    assert_eq!(reset_page.status(), StatusCode::OK);
    let events =
        gatehouse::store::audit_events::list_for_action(&app.db, "admin.user.password_reset_sent")
            .await
            .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(
        events[0].target.as_deref(),
        Some(format!("user:{}", user.id).as_str())
    );
    assert!(
        confirmed.contains("admin.user.password_reset_sent"),
        "recent events list it"
    );
}

#[tokio::test]
async fn revoking_a_session_signs_that_browser_out() {
    // Arrange: the user signed in on two browsers.
    let app = spawn_app().await;
    let (laptop, user) = signed_in_user(&app).await;
    let phone = app.new_device();
    phone.login(&user.email, crate::helpers::PASSWORD).await;
    assert_eq!(phone.get("/account").await.status(), StatusCode::OK);
    let sessions = browser_sessions::list_active_for_user(&app.db, user.id)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 2);
    let owner = owner_browser(&app).await;
    let page_path = format!("/admin/users/{}", user.id);
    let page = owner.get_html(&page_path).await;
    assert!(page.contains(&sessions[0].id.to_string()), "{page}");

    // Act: sign out the phone's session (the most recently active one).
    let response = owner
        .post_form(
            &format!("{page_path}/sessions/{}/revoke", sessions[0].id),
            &page,
            &[],
        )
        .await;

    // Assert
    assert_eq!(
        location(&response),
        format!("{page_path}?done=session_revoked")
    );
    assert_eq!(phone.get("/account").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(laptop.get("/account").await.status(), StatusCode::OK);
    // A session that is not this user's is 404, not someone else's revoke.
    let stray = owner
        .post_form(
            &format!("{page_path}/sessions/{}/revoke", uuid::Uuid::new_v4()),
            &page,
            &[],
        )
        .await;
    assert_eq!(stray.status(), StatusCode::NOT_FOUND);

    // Every session at once.
    let response = owner
        .post_form(&format!("{page_path}/sessions/revoke-all"), &page, &[])
        .await;
    assert_eq!(
        location(&response),
        format!("{page_path}?done=sessions_revoked")
    );
    assert_eq!(laptop.get("/account").await.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn disable_enable_reset_mfa_and_resend_verification_confirm_each() {
    // Arrange
    let app = spawn_app().await;
    let (browser, user) = signed_in_user(&app).await;
    let unverified_email = unique_email();
    let unverified = users::insert(
        &app.db,
        users::NewUser {
            email: &unverified_email,
            email_normalized: &unverified_email.to_lowercase(),
            email_verified: false,
            password_hash: None,
        },
    )
    .await
    .unwrap();
    let owner = owner_browser(&app).await;
    let path = format!("/admin/users/{}", user.id);
    let page = owner.get_html(&path).await;

    // Disable: the user is out at once; enable again.
    let response = owner
        .post_form(&format!("{path}/disable"), &page, &[])
        .await;
    assert_eq!(location(&response), format!("{path}?done=disabled"));
    assert_eq!(
        browser.get("/account").await.status(),
        StatusCode::SEE_OTHER
    );
    let disabled = owner.get_html(&path).await;
    assert!(disabled.contains(">disabled<"), "{disabled}");
    // A disabled account gets no reset link: refused on the page, nothing lost.
    let refused = owner
        .post_form(&format!("{path}/send-password-reset"), &page, &[])
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("enable it before"));
    let response = owner.post_form(&format!("{path}/enable"), &page, &[]).await;
    assert_eq!(location(&response), format!("{path}?done=enabled"));

    // Reset two-step sign-in (nothing to reset is still confirmed).
    let response = owner
        .post_form(&format!("{path}/reset-mfa"), &page, &[])
        .await;
    assert_eq!(location(&response), format!("{path}?done=mfa_reset"));

    // Resend verification: refused for a verified address, sent for an unverified one.
    let refused = owner
        .post_form(&format!("{path}/resend-verification"), &page, &[])
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(refused.text().await.unwrap().contains("already verified"));
    let other = format!("/admin/users/{}", unverified.id);
    let response = owner
        .post_form(&format!("{other}/resend-verification"), &page, &[])
        .await;
    assert_eq!(
        location(&response),
        format!("{other}?done=verification_sent")
    );
    app.mail.wait_for(&unverified_email).await;

    // Without the CSRF token: refused.
    let forged = owner
        .client
        .post(owner.url(&format!("{path}/disable")))
        .form(&[("csrf_token", "x".repeat(43))])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(!csrf_of(&page).is_empty());
}

/// Makes every sign-in `minutes` old.
async fn age_sign_ins(app: &TestApp, minutes: i64) {
    use gatehouse::store::entities::browser_sessions::{Column, Entity};
    use sea_orm::{EntityTrait, sea_query::Expr};
    Entity::update_many()
        .col_expr(
            Column::AuthTime,
            Expr::value(gatehouse::store::now() - chrono::Duration::minutes(minutes)),
        )
        .exec(&app.db)
        .await
        .unwrap();
}

#[tokio::test]
async fn resetting_mfa_and_creating_tokens_need_a_recent_sign_in() {
    // Arrange: an owner whose sign-in is an hour old (enough for the console, not for step-up).
    let app = spawn_app().await;
    let (_, user) = signed_in_user(&app).await;
    let owner = owner_browser(&app).await;
    let path = format!("/admin/users/{}", user.id);
    let page = owner.get_html(&path).await;
    age_sign_ins(&app, 60).await;

    // Act + Assert: pages still open; step-up actions send the admin to sign in again.
    assert_eq!(owner.get(&path).await.status(), StatusCode::OK);
    let reset = owner
        .post_form(&format!("{path}/reset-mfa"), &page, &[])
        .await;
    assert_eq!(reset.status(), StatusCode::SEE_OTHER);
    // Signed in again, the person lands on the user's page, where the button is.
    let back: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
    assert_eq!(location(&reset), format!("/login?again=1&next={back}"));
    let form = owner.get("/admin/service-tokens/new").await;
    assert_eq!(form.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&form),
        "/login?again=1&next=%2Fadmin%2Fservice-tokens%2Fnew"
    );
    let events = gatehouse::store::audit_events::list_for_action(&app.db, "mfa.reset_by_admin")
        .await
        .unwrap();
    assert!(events.is_empty());
}
