use gatehouse::store::entities::one_time_tokens;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::helpers::rp::callback_params;
use crate::helpers::{
    ServiceOptions, TestApp, assert_redirect_to, csrf_of, spawn_app, spawn_app_with, unique_email,
};

async fn request_link(app: &TestApp, email: &str, next: Option<&str>) -> reqwest::Response {
    let page = match next {
        Some(next) => format!(
            "/magic-link?next={}",
            url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
        ),
        None => "/magic-link".to_owned(),
    };
    let mut fields = vec![("email", email)];
    if let Some(next) = next {
        fields.push(("next", next));
    }
    app.submit(&page, "/magic-link", &fields).await
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_owned()
}

/// Opens the emailed link (GET) and presses "Continue signing in" (POST).
async fn follow(app: &TestApp, link: &str) -> reqwest::Response {
    let path = link.strip_prefix(&app.address).unwrap();
    let page = app.get(path).await.text().await.unwrap();
    // An unusable link shows no form; the CSRF cookie is the same on every page.
    let page = if page.contains("csrf_token") {
        page
    } else {
        app.get_html("/magic-link").await
    };
    let token = token_of(link);
    app.client
        .post(app.url("/magic-link/verify"))
        .form(&[("token", token.as_str()), ("csrf_token", &csrf_of(&page))])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_person_signs_in_from_the_emailed_link_once() {
    // Arrange
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;

    // Act
    let requested = request_link(&app, &email, None).await;
    assert!(
        requested
            .text()
            .await
            .unwrap()
            .contains("If an account uses this address")
    );
    let mail = app.mail.wait_for_nth(&email, 2).await;
    let link = mail.link();

    // Assert: the mail, then GET (nothing consumed, twice), then POST signs in; reuse fails.
    assert_eq!(mail.subject(), "Your sign-in link for Gatehouse");
    let text = mail.text();
    assert!(
        text.contains("expires in 15 minutes") && text.contains("If this wasn't you"),
        "{text}"
    );
    assert!(mail.raw.contains("text/html"));
    let path = link.strip_prefix(&app.address).unwrap().to_owned();
    for _ in 0..2 {
        let page = app.get_html(&path).await;
        assert!(page.contains("Continue signing in"));
        // It names the account, so a link passed on by someone else is not followed unawares.
        assert!(
            page.contains(&format!(
                r#"<strong id="magic-link-account">{email}</strong>"#
            )),
            "{page}"
        );
    }
    let signed_in = follow(&app, &link).await;
    assert_redirect_to(&signed_in, "/account");
    let account = app.get_html("/account").await;
    assert!(account.contains(&email));
    let again = follow(&app.new_device(), &link).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(again.text().await.unwrap().contains("cannot be used"));
    let user = gatehouse::store::users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.last_login_method.as_deref(), Some("magic_link"));
}

#[tokio::test]
async fn a_link_to_an_unverified_account_drops_the_password_it_was_registered_with() {
    // The password of an unverified account may be someone else's (a pre-registration); the
    // link proves the mailbox only, so after it that password no longer signs in.
    let app = spawn_app().await;
    let email = unique_email();
    let squatter = "squatter password 123";
    app.register(&email, squatter).await;
    app.mail.wait_for(&email).await;

    request_link(&app, &email, None).await;
    let link = app.mail.wait_for_nth(&email, 2).await.link();
    assert_redirect_to(&follow(&app, &link).await, "/account");

    let user = gatehouse::store::users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    assert!(user.email_verified);
    assert!(user.password_hash.is_none());
    let refused = app.new_device().login(&email, squatter).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn requests_answer_the_same_for_known_and_unknown_addresses() {
    let app = spawn_app().await;
    let known = unique_email();
    app.verified_user(&known).await;

    let a = request_link(&app, &known, None).await.text().await.unwrap();
    let b = request_link(&app, "nobody-at-all@example.com", None)
        .await
        .text()
        .await
        .unwrap();
    let json_a: Value = app
        .post_json("/api/auth/magic-link/request", json!({"email": known}))
        .await
        .json()
        .await
        .unwrap();
    let json_b: Value = app
        .post_json(
            "/api/auth/magic-link/request",
            json!({"email": "nobody-at-all@example.com"}),
        )
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(a, b);
    assert_eq!(json_a, json_b);
    assert_eq!(
        json_a["message"],
        "If the email exists, a magic link has been sent."
    );
    app.mail.wait_for_nth(&known, 2).await;
    assert!(
        app.mail.messages_to("nobody-at-all@example.com").is_empty(),
        "no account is created or mailed"
    );
}

#[tokio::test]
async fn a_newer_link_replaces_older_ones_and_expired_links_fail() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    request_link(&app, &email, None).await;
    let first = app.mail.wait_for_nth(&email, 2).await.link();
    request_link(&app, &email, None).await;
    let second = app.mail.wait_for_nth(&email, 3).await.link();

    assert_eq!(
        follow(&app, &first).await.status(),
        StatusCode::BAD_REQUEST,
        "the older link stopped working"
    );
    one_time_tokens::Entity::update_many()
        .col_expr(
            one_time_tokens::Column::ExpiresAt,
            Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .filter(one_time_tokens::Column::Purpose.eq("magic_link"))
        .exec(&app.db)
        .await
        .unwrap();
    assert_eq!(
        follow(&app, &second).await.status(),
        StatusCode::BAD_REQUEST,
        "expired"
    );
    let malformed = app.get("/magic-link/verify?token=garbage").await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_flood_of_requests_for_one_address_is_throttled() {
    let app = spawn_app().await;
    for address in [unique_email(), "unknown-flood@example.com".to_owned()] {
        for _ in 0..3 {
            let ok = app
                .post_json("/api/auth/magic-link/request", json!({"email": address}))
                .await;
            assert_eq!(ok.status(), StatusCode::OK);
        }
        let throttled = app
            .post_json("/api/auth/magic-link/request", json!({"email": address}))
            .await;
        assert_eq!(
            throttled.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{address}"
        );
        assert!(throttled.headers().contains_key("retry-after"));
        assert_eq!(
            throttled.json::<Value>().await.unwrap()["error_code"],
            "RATE_LIMIT_EXCEEDED"
        );
    }
    let malformed = app
        .post_json(
            "/api/auth/magic-link/request",
            json!({"email": "not-an-email"}),
        )
        .await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        malformed.json::<Value>().await.unwrap()["error"],
        "Invalid email format"
    );
}

#[tokio::test]
async fn the_json_api_exchanges_a_link_for_tokens_once() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    app.post_json("/api/auth/magic-link/request", json!({"email": email}))
        .await;
    let token = token_of(&app.mail.wait_for_nth(&email, 2).await.link());

    let tokens = app
        .get(&format!("/api/auth/magic-link/verify?token={token}"))
        .await;
    assert_eq!(tokens.status(), StatusCode::OK);
    let tokens: Value = tokens.json().await.unwrap();
    assert!(tokens["access_token"].is_string() && tokens["refresh_token"].is_string());
    assert_eq!(tokens["expires_in"], 900);
    let again = app
        .get(&format!("/api/auth/magic-link/verify?token={token}"))
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "Invalid or expired magic link"
    );

    // A link used in the browser cannot then be used by the JSON endpoint.
    request_link(&app, &email, None).await;
    let link = app.mail.wait_for_nth(&email, 3).await.link();
    follow(&app, &link).await;
    let after_browser = app
        .get(&format!(
            "/api/auth/magic-link/verify?token={}",
            token_of(&link)
        ))
        .await;
    assert_eq!(after_browser.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_relying_app_sign_in_resumes_after_the_link() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let rp = app.rp(&service).await;
    let request = rp.authorize(&["openid"]);

    let to_login = app.client.get(&request.url).send().await.unwrap();
    let login = to_login.headers()["location"].to_str().unwrap().to_owned();
    let next = url::Url::parse(&app.url(&login))
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "next")
        .unwrap()
        .1
        .into_owned();
    request_link(&app, &email, Some(&next)).await;
    let mail = app.mail.wait_for_nth(&email, 2).await;
    assert_eq!(mail.subject(), "Your sign-in link for Acme Web (Acme Corp)");
    assert!(
        !mail.link().contains("authorize"),
        "the link carries no redirect target"
    );
    let resumed = follow(&app, &mail.link()).await;
    let continue_path = resumed.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        continue_path.starts_with("/authorize/continue"),
        "{continue_path}"
    );
    let callback = app.get(&continue_path).await.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();

    let tokens = rp
        .exchange(&callback_params(&callback)["code"], request.verifier)
        .await;
    let claims = rp.verify_id_token(&tokens, &request.nonce);
    let amr: Vec<String> = claims
        .auth_method_refs()
        .unwrap()
        .iter()
        .map(|a| a.as_str().to_owned())
        .collect();
    assert_eq!(amr, ["otp"]);
}

#[tokio::test]
async fn sign_up_by_link_creates_a_verified_account_only_when_allowed() {
    let app = spawn_app_with(|s| s.magic_link.allow_signup = true).await;
    let email = unique_email();

    request_link(&app, &email, None).await;
    let link = app.mail.wait_for(&email).await.link();
    assert_redirect_to(&follow(&app, &link).await, "/account");

    let user = gatehouse::store::users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    assert!(user.email_verified && user.password_hash.is_none());
}

#[tokio::test]
async fn a_user_with_totp_goes_through_the_mfa_step() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let user = gatehouse::store::users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    let sealed = app.state.master.seal(&[7u8; 20], user.id.as_bytes());
    gatehouse::store::totp_credentials::upsert_pending(
        &app.db,
        user.id,
        sealed.clone(),
        "test".into(),
    )
    .await
    .unwrap();
    gatehouse::store::totp_credentials::enable_pending(&app.db, user.id, &sealed, 1)
        .await
        .unwrap();

    request_link(&app, &email, None).await;
    let browser_link = app.mail.wait_for_nth(&email, 2).await.link();
    assert_redirect_to(&follow(&app, &browser_link).await, "/login/mfa");
    app.post_json("/api/auth/magic-link/request", json!({"email": email}))
        .await;
    let token = token_of(&app.mail.wait_for_nth(&email, 3).await.link());
    let body: Value = app
        .get(&format!("/api/auth/magic-link/verify?token={token}"))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(body["requires_mfa"], true);
    let preauth = body["preauth_token"].as_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(preauth).unwrap().typ.as_deref(),
        Some("preauth+jwt")
    );
}

#[tokio::test]
async fn an_invite_only_organization_sends_no_sign_up_link() {
    // Arrange: sign-up by link is allowed, but Acme takes new accounts by invitation only.
    let app = spawn_app_with(|s| s.magic_link.allow_signup = true).await;
    let org = app.create_org("acme", "Acme").await;
    gatehouse::store::organizations::set_sign_up_policy(
        &app.db,
        org.id,
        gatehouse::store::organizations::SignUpPolicy::InviteOnly,
    )
    .await
    .unwrap();
    let (for_acme, elsewhere) = (unique_email(), unique_email());

    // Act: the same answer either way.
    for (email, body) in [
        (&for_acme, json!({"email": for_acme, "org_slug": "acme"})),
        (&elsewhere, json!({"email": elsewhere})),
    ] {
        let response = app.post_json("/api/auth/magic-link/request", body).await;
        assert_eq!(response.status(), reqwest::StatusCode::OK, "{email}");
    }

    // Assert: mail is queued before the answer; none for the address signing up to Acme.
    let queued = |email: String| {
        let db = app.db.clone();
        async move {
            gatehouse::store::entities::mail_outbox::Entity::find()
                .filter(gatehouse::store::entities::mail_outbox::Column::Recipient.eq(email))
                .count(&db)
                .await
                .unwrap()
        }
    };
    assert_eq!(queued(for_acme.to_lowercase()).await, 0);
    assert_eq!(queued(elsewhere.to_lowercase()).await, 1);
}
