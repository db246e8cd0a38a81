use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::mfa::{
    backup_codes_of, code, enrolled_user, enrolled_user_with_code, totp_secret_on,
};
use crate::helpers::rp::callback_params;
use crate::helpers::{
    PASSWORD, ServiceOptions, TestApp, assert_redirect_to, csrf_of, spawn_app, spawn_app_with,
    unique_email,
};

async fn submit_code(app: &TestApp, code: &str) -> reqwest::Response {
    app.submit("/login/mfa", "/login/mfa", &[("code", code)])
        .await
}

#[tokio::test]
async fn enrol_totp_then_sign_in_with_it() {
    let app = spawn_app().await;
    let (email, secret, _) = enrolled_user(&app).await;

    let login = app.login(&email, PASSWORD).await;
    assert_redirect_to(&login, "/login/mfa");
    assert_redirect_to(&app.get("/account").await, "/login?next=/account");
    let verified = submit_code(&app, &code(&secret, 1)).await;

    assert_redirect_to(&verified, "/account");
    let account = app.get_html("/account").await;
    assert!(
        account.contains("Password, two-step sign-in"),
        "session amr"
    );
    let audit = gatehouse::store::audit_events::list_for_action(&app.db, "mfa.totp_enabled")
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
}

#[tokio::test]
async fn a_password_reset_ends_a_sign_in_waiting_for_its_second_factor() {
    // Someone with the old password stands at the code step; the owner resets the password.
    let app = spawn_app().await;
    let (email, secret, _) = enrolled_user(&app).await;
    let intruder = app.new_device();
    assert_redirect_to(&intruder.login(&email, PASSWORD).await, "/login/mfa");

    let (reset, _) = app.reset_password(&email, "a brand new password").await;
    assert!(reset.contains("Password changed"));

    // The code step has nothing left to finish, even with a right code.
    let csrf = csrf_of(&intruder.get_html("/login").await);
    let finished = intruder
        .client
        .post(intruder.url("/login/mfa"))
        .form(&[("code", code(&secret, 1)), ("csrf_token", csrf)])
        .send()
        .await
        .unwrap();
    assert_ne!(
        finished
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap()),
        Some("/account")
    );
    assert_redirect_to(&intruder.get("/account").await, "/login?next=/account");
}

#[tokio::test]
async fn a_used_code_is_refused_a_second_time() {
    let app = spawn_app().await;
    let (email, _, _, reused) = enrolled_user_with_code(&app).await;

    app.login(&email, PASSWORD).await;
    let response = submit_code(&app, &reused).await;

    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "the enrolment already used this time step"
    );
    assert!(response.text().await.unwrap().contains("Invalid MFA code"));
}

#[tokio::test]
async fn a_backup_code_signs_in_once() {
    let app = spawn_app().await;
    let (email, _, codes) = enrolled_user(&app).await;

    app.login(&email, PASSWORD).await;
    assert_redirect_to(
        &submit_code(&app, &codes[0].to_uppercase()).await,
        "/account",
    );
    let security = app.get_html("/account/security").await;
    assert!(security.contains("9 backup codes left"), "{security}");
    app.submit("/account", "/logout", &[]).await;
    app.login(&email, PASSWORD).await;
    let again = submit_code(&app, &codes[0]).await;

    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        gatehouse::store::audit_events::list_for_action(&app.db, "mfa.backup_code_used")
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn malformed_codes_are_explained() {
    let app = spawn_app().await;
    let (email, _, _) = enrolled_user(&app).await;
    app.login(&email, PASSWORD).await;

    for bad in ["12ab56", "1234", "1234567"] {
        let response = submit_code(&app, bad).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Enter the 6-digit code"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn too_many_wrong_codes_answer_429_with_retry_after() {
    let app = spawn_app_with(|s| s.rate_limit.mfa_attempts_per_user_per_5_minutes = 3).await;
    let (email, _, _) = enrolled_user(&app).await;
    app.login(&email, PASSWORD).await;

    // Only failures count (the enrolment's right code did not): three wrong codes, then 429.
    for _ in 0..3 {
        assert_eq!(
            submit_code(&app, "000000").await.status(),
            StatusCode::BAD_REQUEST
        );
    }
    let throttled = submit_code(&app, "000000").await;

    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn the_ticket_dies_after_five_wrong_codes() {
    let app = spawn_app_with(|s| s.rate_limit.mfa_attempts_per_user_per_5_minutes = 50).await;
    let (email, secret, _) = enrolled_user(&app).await;
    app.login(&email, PASSWORD).await;

    for _ in 0..5 {
        assert_eq!(
            submit_code(&app, "000000").await.status(),
            StatusCode::BAD_REQUEST
        );
    }
    let html = app.get_html("/login").await;
    let after = app
        .client
        .post(app.url("/login/mfa"))
        .form(&[("code", code(&secret, 1)), ("csrf_token", csrf_of(&html))])
        .send()
        .await
        .unwrap();

    assert_redirect_to(&after, "/login");
}

#[tokio::test]
async fn a_ticket_only_works_in_the_browser_that_signed_in() {
    let app = spawn_app().await;
    let (email, secret, _) = enrolled_user(&app).await;
    app.login(&email, PASSWORD).await;
    let other = app.new_device();

    let html = other.get_html("/login").await;
    let response = other
        .client
        .post(other.url("/login/mfa"))
        .form(&[("code", code(&secret, 1)), ("csrf_token", csrf_of(&html))])
        .send()
        .await
        .unwrap();

    assert_redirect_to(&response, "/login");
    assert_redirect_to(&submit_code(&app, &code(&secret, 1)).await, "/account");
}

#[tokio::test]
async fn turning_totp_off_needs_the_password_or_a_code() {
    let app = spawn_app().await;
    let (email, _, codes) = enrolled_user(&app).await;
    app.login(&email, PASSWORD).await;
    submit_code(&app, &codes[0]).await;

    let refused = app
        .submit(
            "/account/security",
            "/account/security/totp/disable",
            &[("proof", "not my password")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Enter your password or a current code")
    );
    let done = app
        .submit(
            "/account/security",
            "/account/security/totp/disable",
            &[("proof", PASSWORD)],
        )
        .await;

    assert_redirect_to(&done, "/account/security");
    assert!(
        app.get_html("/account/security")
            .await
            .contains("Set up an authenticator app")
    );
    app.submit("/account", "/logout", &[]).await;
    assert_redirect_to(&app.login(&email, PASSWORD).await, "/account");
}

#[tokio::test]
async fn organization_policy_leads_members_through_enrolment_before_any_session() {
    // Arrange: a member of an organization that requires MFA.
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let org = app.create_org("strict-co", "Strict Co").await;
    gatehouse::store::organizations::set_mfa_required(&app.db, org.id, true)
        .await
        .unwrap();
    let user = gatehouse::store::users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .unwrap();
    gatehouse::store::memberships::upsert(&app.db, org.id, user.id, &["member".into()])
        .await
        .unwrap();

    // Act
    let login = app.login(&email, PASSWORD).await;

    // Assert
    assert_redirect_to(&login, "/login/mfa/enrol");
    assert_redirect_to(&app.get("/account").await, "/login?next=/account");
    let page = app.get_html("/login/mfa/enrol").await;
    assert!(page.contains("Your organization requires two-step sign-in"));
    let secret = totp_secret_on(&page);
    let done = app
        .client
        .post(app.url("/login/mfa/enrol"))
        .form(&[("code", code(&secret, 0)), ("csrf_token", csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(backup_codes_of(&done.text().await.unwrap()).len(), 10);
    assert!(
        app.get_html("/account")
            .await
            .contains("Password, two-step sign-in")
    );
}

#[tokio::test]
async fn json_login_with_mfa_follows_the_seed_api() {
    let app = spawn_app().await;
    let (email, secret, codes) = enrolled_user(&app).await;

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
    assert_eq!(first["refresh_token"], "");
    assert_eq!(first["expires_in"], 600);
    let preauth = first["access_token"].as_str().unwrap().to_owned();
    // Seed 004 "JWT Types" 4: a pre-auth JWT saying `mfa_required`, 10 minutes.
    let header = jsonwebtoken::decode_header(&preauth).unwrap();
    assert_eq!(header.typ.as_deref(), Some("preauth+jwt"));
    let validation = jsonwebtoken::Validation {
        validate_aud: false,
        ..Default::default()
    };
    let pre = app
        .state
        .keys
        .verify::<Value>(&preauth, validation)
        .expect("signed with a published key")
        .claims;
    assert_eq!(pre["mfa_required"], true);
    assert_eq!(
        pre["exp"].as_i64().unwrap() - pre["iat"].as_i64().unwrap(),
        600
    );
    let misuse = app
        .client
        .get(app.url("/api/auth/me"))
        .bearer_auth(&preauth)
        .send()
        .await
        .unwrap();
    assert_eq!(
        misuse.status(),
        StatusCode::UNAUTHORIZED,
        "a pre-auth token opens nothing else"
    );

    let wrong = app
        .post_json(
            "/api/auth/mfa/verify",
            json!({"preauth_token": preauth, "code": "000000"}),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        wrong.json::<Value>().await.unwrap()["error"],
        "Invalid MFA code"
    );
    let ok = app
        .post_json(
            "/api/auth/mfa/verify",
            json!({"preauth_token": preauth, "code": code(&secret, 1)}),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK);
    let tokens: Value = ok.json().await.unwrap();
    let claims = app
        .state
        .keys
        .verify::<Value>(
            tokens["access_token"].as_str().unwrap(),
            jsonwebtoken::Validation {
                validate_aud: false,
                ..Default::default()
            },
        )
        .unwrap()
        .claims;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));

    // A backup code works too, once.
    let second: Value = app
        .post_json(
            "/api/auth/login",
            json!({"email": email, "password": PASSWORD}),
        )
        .await
        .json()
        .await
        .unwrap();
    let with_backup = app
        .post_json(
            "/api/auth/mfa/verify",
            json!({"preauth_token": second["access_token"], "code": codes[1]}),
        )
        .await;
    assert_eq!(with_backup.status(), StatusCode::OK);
    let reused = app
        .post_json(
            "/api/auth/mfa/verify",
            json!({"preauth_token": second["access_token"], "code": codes[1]}),
        )
        .await;
    assert_eq!(reused.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_relying_party_gets_a_code_only_after_mfa_and_sees_otp_in_amr() {
    let app = spawn_app().await;
    let (email, secret, _) = enrolled_user(&app).await;
    let service = app.create_service(ServiceOptions::first_party()).await;
    let rp = app.rp(&service).await;
    let request = rp.authorize(&["openid"]);

    let to_login = app.client.get(&request.url).send().await.unwrap();
    let login_path = to_login.headers()["location"].to_str().unwrap().to_owned();
    let html = app.get_html(&login_path).await;
    let login = app.login_with_next(&html, &email, PASSWORD).await;
    assert_redirect_to(&login, "/login/mfa");
    let verified = submit_code(&app, &code(&secret, 1)).await;
    let back = verified.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.starts_with("/authorize/continue"), "{back}");
    let callback = app
        .client
        .get(app.url(&back))
        .send()
        .await
        .unwrap()
        .headers()["location"]
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
    assert_eq!(amr, ["pwd", "otp", "mfa"]);
}

#[tokio::test]
async fn an_admin_can_reset_mfa_with_the_cli() {
    let app = spawn_app().await;
    let (email, _, _) = enrolled_user(&app).await;
    let printed = app.cli(&["user", "reset-mfa", "--email", &email]).await;
    assert_eq!(printed["had_mfa"], true);
    assert_redirect_to(&app.login(&email, PASSWORD).await, "/account");
    assert_eq!(
        gatehouse::store::audit_events::list_for_action(&app.db, "mfa.reset_by_admin")
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_wrong_code_is_explained_in_german_to_a_german_sign_in() {
    let app = spawn_app().await;
    let (email, _, _) = enrolled_user(&app).await;
    // ui_locales on any page holds for the rest of the sign-in (cookie).
    let login = app.get_html("/login?ui_locales=de").await;
    assert!(login.contains(r#"<html lang="de">"#), "{login}");
    app.login(&email, PASSWORD).await;

    let refused = submit_code(&app, "000000").await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let html = refused.text().await.unwrap();
    assert!(html.contains("Dieser Code stimmt nicht"), "{html}");
    assert!(!html.contains("Invalid MFA code"), "{html}");
}
