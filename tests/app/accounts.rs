use gatehouse::store::entities::one_time_tokens;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

use crate::helpers::{
    PASSWORD, assert_redirect_to, csrf_of, spawn_app, spawn_app_with, unique_email,
};

#[tokio::test]
async fn register_verify_sign_in_see_account_and_sign_out() {
    // Arrange
    let app = spawn_app().await;
    let email = unique_email();

    // Act: register, receive the mail over SMTP, verify, sign in.
    let registered = app.register(&email, PASSWORD).await;
    assert_eq!(registered.status(), StatusCode::OK);
    assert!(
        registered
            .text()
            .await
            .unwrap()
            .contains("Check your email")
    );
    let mail = app.mail.wait_for(&email).await;
    assert_eq!(mail.subject(), "Verify your email address");
    assert!(mail.raw.contains("text/html"), "HTML twin present");

    let verify_page = app
        .get(mail.link().strip_prefix(&app.address).unwrap())
        .await;
    assert!(
        verify_page
            .text()
            .await
            .unwrap()
            .contains("Verify my email"),
        "GET shows a button and consumes nothing"
    );
    let verified = app.verify_from_mail(&mail).await;
    assert!(verified.text().await.unwrap().contains("Email verified"));

    let login = app.login(&email, PASSWORD).await;
    assert_redirect_to(&login, "/account");
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("gh_session="));
    let cookie = cookie.expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    // Assert: the account page shows who is signed in; signing out ends the session.
    let account = app.get_html("/account").await;
    assert!(account.contains(&email));
    let logout = app.submit("/account", "/logout", &[]).await;
    assert!(logout.text().await.unwrap().contains("You are signed out"));
    assert_redirect_to(&app.get("/account").await, "/login?next=/account");
}

#[tokio::test]
async fn an_unverified_account_cannot_sign_in_and_is_offered_a_new_link() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email, PASSWORD).await;
    app.mail.wait_for(&email).await;

    let login = app.login(&email, PASSWORD).await;

    assert_eq!(login.status(), StatusCode::FORBIDDEN);
    let html = login.text().await.unwrap();
    assert!(html.contains("Please verify your email address"));
    assert!(html.contains("/verify-email/resend"));
    let resent = app
        .submit("/login", "/verify-email/resend", &[("email", &email)])
        .await;
    assert_eq!(resent.status(), StatusCode::OK);
    let second = app.mail.wait_for_nth(&email, 2).await;
    assert_eq!(app.verify_from_mail(&second).await.status(), StatusCode::OK);
    assert_redirect_to(&app.login(&email, PASSWORD).await, "/account");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_byte_identical_answers() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let unknown = "nobody-here@example.com";

    // The same client (same CSRF cookie) and the same typed email make the pages comparable.
    let wrong_password = app
        .submit(
            "/login",
            "/login",
            &[("email", &email), ("password", "wrong password!")],
        )
        .await;
    let status_a = wrong_password.status();
    let body_a = wrong_password
        .text()
        .await
        .unwrap()
        .replace(&email, "EMAIL");
    let unknown_email = app
        .submit(
            "/login",
            "/login",
            &[("email", unknown), ("password", "wrong password!")],
        )
        .await;
    let status_b = unknown_email.status();
    let body_b = unknown_email
        .text()
        .await
        .unwrap()
        .replace(unknown, "EMAIL");

    assert_eq!(status_a, StatusCode::UNAUTHORIZED);
    assert_eq!(status_a, status_b);
    assert_eq!(body_a, body_b);
    assert!(body_a.contains("Invalid email or password"));
}

#[tokio::test]
async fn registering_an_existing_address_reveals_nothing_and_tells_the_owner() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;

    let again = app.register(&email, "another password").await;
    let fresh = app.register(&unique_email(), "another password").await;

    assert_eq!(again.status(), fresh.status());
    assert_eq!(again.text().await.unwrap(), fresh.text().await.unwrap());
    let notice = app.mail.wait_for_nth(&email, 2).await;
    assert_eq!(notice.subject(), "You already have an account");
}

#[tokio::test]
async fn verifying_an_address_applies_the_password_of_the_registration_it_answers() {
    // Someone pre-registers the address with a password of theirs; the owner then registers
    // with their own and follows their link. The account must not keep the first password.
    let app = spawn_app().await;
    let email = unique_email();
    let squatter = "squatter password 123";
    let owner = "owner password 456";
    app.register(&email, squatter).await;
    app.mail.wait_for(&email).await;

    app.register(&email, owner).await;
    let owners_link = app.mail.wait_for_nth(&email, 2).await;
    assert_eq!(owners_link.subject(), "Verify your email address");
    // Two sign-ups compete for the address: the page asks for the password chosen at sign-up.
    let asked = app
        .verify_from_mail(&owners_link)
        .await
        .text()
        .await
        .unwrap();
    assert!(asked.contains("enter the password you chose"));
    let token = owners_link
        .link()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned();
    let verified = app
        .client
        .post(app.url("/verify-email"))
        .form(&[
            ("token", token.as_str()),
            ("password", owner),
            ("csrf_token", &crate::helpers::csrf_of(&asked)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), StatusCode::OK);

    let refused = app.new_device().login(&email, squatter).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_redirect_to(&app.new_device().login(&email, owner).await, "/account");
}

#[tokio::test]
async fn forgot_password_answers_the_same_for_known_and_unknown_emails() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;

    let known = app
        .submit("/forgot-password", "/forgot-password", &[("email", &email)])
        .await
        .text()
        .await
        .unwrap();
    let unknown = app
        .submit(
            "/forgot-password",
            "/forgot-password",
            &[("email", "ghost@example.com")],
        )
        .await
        .text()
        .await
        .unwrap();

    assert_eq!(known, unknown);
    assert_eq!(
        app.mail.wait_for_nth(&email, 2).await.subject(),
        "Reset your password"
    );
    assert!(app.mail.messages_to("ghost@example.com").is_empty());
}

#[tokio::test]
async fn password_reset_works_once_and_signs_out_every_session() {
    // Arrange: a signed-in user on two devices.
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    assert_redirect_to(&app.login(&email, PASSWORD).await, "/account");
    let other_device = app.new_device();
    assert_redirect_to(&other_device.login(&email, PASSWORD).await, "/account");

    // Act
    let (reset, link) = app.reset_password(&email, "a brand new password").await;

    // Assert
    assert!(reset.contains("Password changed"));
    assert_redirect_to(&app.get("/account").await, "/login?next=/account");
    assert_redirect_to(&other_device.get("/account").await, "/login?next=/account");
    assert_eq!(
        app.login(&email, PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_redirect_to(&app.login(&email, "a brand new password").await, "/account");
    let again = app.client.get(&link).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("already been used"));
}

#[tokio::test]
async fn expired_verification_and_reset_tokens_are_refused() {
    let app = spawn_app().await;
    let email = unique_email();
    app.register(&email, PASSWORD).await;
    let mail = app.mail.wait_for(&email).await;
    one_time_tokens::Entity::update_many()
        .col_expr(
            one_time_tokens::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::minutes(1)),
        )
        .filter(one_time_tokens::Column::Purpose.eq("verify_email"))
        .exec(&app.db)
        .await
        .unwrap();

    let verify = app.verify_from_mail(&mail).await;

    assert_eq!(verify.status(), StatusCode::BAD_REQUEST);
    assert!(verify.text().await.unwrap().contains("expired"));
    let reset = app.get("/reset-password?token=not-a-real-token").await;
    assert_eq!(reset.status(), StatusCode::BAD_REQUEST);
    assert!(reset.text().await.unwrap().contains("Invalid reset token"));
}

#[tokio::test]
async fn a_form_without_the_csrf_token_is_rejected() {
    let app = spawn_app().await;
    app.get("/login").await;

    let missing = app
        .client
        .post(app.url("/login"))
        .form(&[("email", "a@b.io"), ("password", "whatever1")])
        .send()
        .await
        .unwrap();
    let html = app.get_html("/login").await;
    let cross_site = app
        .client
        .post(app.url("/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&[
            ("email", "a@b.io"),
            ("password", "whatever1"),
            ("csrf_token", &csrf_of(&html)),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    assert_eq!(cross_site.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn repeated_sign_in_failures_are_throttled_with_retry_after() {
    let app = spawn_app_with(|s| s.rate_limit.login_per_account_per_15_minutes = 3).await;
    let email = unique_email();

    for _ in 0..3 {
        assert_eq!(
            app.login(&email, "wrong password").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let throttled = app.login(&email, "wrong password").await;

    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = throttled.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_eq!(throttled.headers()["ratelimit-remaining"], "0");
    assert!(throttled.text().await.unwrap().contains("Too many"));
}

#[tokio::test]
async fn weak_passwords_and_malformed_emails_are_explained_next_to_the_field() {
    let app = spawn_app().await;

    let response = app.register("not-an-email", "short").await;

    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="email-error""#) && html.contains("Invalid email format"));
    assert!(html.contains(r#"id="password-error""#) && html.contains("at least 8 characters"));
    assert!(html.contains(r#"value="not-an-email""#), "input is kept");
}

#[tokio::test]
async fn sign_in_redirects_only_to_local_paths() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;

    let html = app.get_html("/login?next=https://evil.example/steal").await;
    let login = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", email.as_str()),
            ("password", PASSWORD),
            ("next", "//evil.example"),
            ("csrf_token", &csrf_of(&html)),
        ])
        .send()
        .await
        .unwrap();

    assert_redirect_to(&login, "/account");
}
