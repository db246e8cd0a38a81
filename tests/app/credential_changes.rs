//! Issue 12 §1, §2 and the notification mails: no emailed link outlives a change of the
//! account's credentials, a pending TOTP secret belongs to the sign-in that started it, and
//! every change to how an account signs in is announced to its owner.
use gatehouse::store::entities::{one_time_tokens, totp_credentials};
use gatehouse::store::users::{self, User};
use reqwest::StatusCode;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};

use crate::helpers::mfa::{code, totp_secret_on};
use crate::helpers::{
    CapturedMail, PASSWORD, TestApp, assert_redirect_to, spawn_app, unique_email,
};

const SQUATTER: &str = "squatter password 123";
const OWNER: &str = "owner password 456";

async fn user(app: &TestApp, email: &str) -> User {
    users::find_by_email(&app.db, &email.to_lowercase())
        .await
        .unwrap()
        .unwrap()
}

/// Follows a verification link and returns the page's status and text.
async fn follow(app: &TestApp, link: &CapturedMail) -> (StatusCode, String) {
    let response = app.new_device().verify_from_mail(link).await;
    (response.status(), response.text().await.unwrap())
}

/// Follows a verification link on a contested address: the page asks for the password chosen
/// at sign-up, and `typed` is entered.
async fn follow_typing(app: &TestApp, link: &CapturedMail, typed: &str) -> (StatusCode, String) {
    let device = app.new_device();
    let asked = device.verify_from_mail(link).await.text().await.unwrap();
    assert!(asked.contains("enter the password you chose"), "{asked}");
    let token = link.link().split("token=").nth(1).unwrap().to_owned();
    let response = device
        .post_form(
            "/verify-email",
            &asked,
            &[("token", &token), ("password", typed)],
        )
        .await;
    (response.status(), response.text().await.unwrap())
}

/// The squatter registers the address first, then its owner: two verification mails.
async fn two_sign_ups(app: &TestApp, email: &str) -> (CapturedMail, CapturedMail) {
    app.register(email, SQUATTER).await;
    let squatters = app.mail.wait_for(email).await;
    app.new_device().register(email, OWNER).await;
    let owners = app.mail.wait_for_nth(email, 2).await;
    (squatters, owners)
}

async fn signs_in(app: &TestApp, email: &str, password: &str) -> bool {
    app.new_device().login(email, password).await.status() == StatusCode::SEE_OTHER
}

#[tokio::test]
async fn a_squatters_verification_link_dies_when_the_owner_verifies() {
    // Arrange
    let app = spawn_app().await;
    let email = unique_email();
    let (squatters, owners) = two_sign_ups(&app, &email).await;
    assert_eq!(follow_typing(&app, &owners, OWNER).await.0, StatusCode::OK);
    assert!(signs_in(&app, &email, OWNER).await);
    let hash_before = user(&app, &email).await.password_hash;

    // Act: the owner later opens the other "Verify your email" mail.
    let (status, page) = follow(&app, &squatters).await;

    // Assert
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("This link cannot be used"), "{page}");
    assert_eq!(user(&app, &email).await.password_hash, hash_before);
    assert!(signs_in(&app, &email, OWNER).await);
    assert!(!signs_in(&app, &email, SQUATTER).await);
}

#[tokio::test]
async fn following_the_squatters_link_first_applies_the_owners_password() {
    // The owner opens the squatter's mail first: the link proves the mailbox, not which
    // sign-up was the owner's, so the page asks for the password chosen at sign-up.
    let app = spawn_app().await;
    let email = unique_email();
    let (squatters, owners) = two_sign_ups(&app, &email).await;
    // Asking does not use the link up.
    let asked = app.new_device().verify_from_mail(&squatters).await;
    assert_eq!(asked.status(), StatusCode::OK);
    assert!(!user(&app, &email).await.email_verified);

    let (status, page) = follow_typing(&app, &squatters, OWNER).await;

    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("You can sign in now"), "{page}");
    assert!(signs_in(&app, &email, OWNER).await);
    assert!(!signs_in(&app, &email, SQUATTER).await);
    assert_eq!(follow(&app, &owners).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_contested_verification_without_the_right_password_keeps_no_password() {
    let app = spawn_app().await;
    let email = unique_email();
    let (squatters, _) = two_sign_ups(&app, &email).await;

    let (status, page) = follow_typing(&app, &squatters, "not what anyone chose").await;

    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("choose your password now"), "{page}");
    let account = user(&app, &email).await;
    assert!(account.email_verified);
    assert!(account.password_hash.is_none());
    assert!(!signs_in(&app, &email, SQUATTER).await);
    assert!(!signs_in(&app, &email, OWNER).await);
    // The owner sets a password through a reset link.
    app.reset_password(&email, "the owners new password").await;
    assert!(signs_in(&app, &email, "the owners new password").await);
}

#[tokio::test]
async fn a_password_reset_ends_every_verification_link_mailed_before_it() {
    let app = spawn_app().await;
    let email = unique_email();
    let (squatters, _) = two_sign_ups(&app, &email).await;

    // The owner skips verification and resets the password (which verifies the address).
    app.reset_password(&email, "reset password 789").await;
    let (status, _) = follow(&app, &squatters).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(signs_in(&app, &email, "reset password 789").await);
    assert!(!signs_in(&app, &email, SQUATTER).await);
}

#[tokio::test]
async fn a_magic_link_sign_in_ends_every_other_link_of_the_account() {
    let app = spawn_app().await;
    let email = unique_email();
    let (squatters, _) = two_sign_ups(&app, &email).await;
    // A reset link is outstanding too.
    app.submit("/forgot-password", "/forgot-password", &[("email", &email)])
        .await;
    let reset = app.mail.wait_for_nth(&email, 3).await;

    // The owner signs in by magic link.
    app.submit("/magic-link", "/magic-link", &[("email", &email)])
        .await;
    let magic = app.mail.wait_for_nth(&email, 4).await.link();
    let token = magic.split("token=").nth(1).unwrap().to_owned();
    let page = app.get_html("/magic-link").await;
    let signed_in = app
        .post_form("/magic-link/verify", &page, &[("token", &token)])
        .await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);

    // Neither the squatter's verification link nor the older reset link works any more.
    assert_eq!(follow(&app, &squatters).await.0, StatusCode::BAD_REQUEST);
    let reset_page = app.client.get(reset.link()).send().await.unwrap();
    assert_eq!(reset_page.status(), StatusCode::BAD_REQUEST);
    assert!(!signs_in(&app, &email, SQUATTER).await);
    assert!(user(&app, &email).await.password_hash.is_none());
}

#[tokio::test]
async fn a_verification_link_never_changes_the_password_of_a_verified_account() {
    // Arrange: a verified account, and a live verification link carrying another password
    // (written directly: no request path issues one for a verified account).
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    let account = user(&app, &email).await;
    let token = "a-verification-token-for-a-verified-account-0001";
    let other_hash = app
        .state
        .passwords
        .hash(secrecy::SecretString::from(SQUATTER.to_owned()))
        .await
        .unwrap();
    one_time_tokens::ActiveModel {
        id: Set(uuid::Uuid::new_v4()),
        token_hash: Set(gatehouse::keys::hash_token(token)),
        purpose: Set("verify_email".into()),
        user_id: Set(Some(account.id)),
        email: Set(Some(account.email.clone())),
        created_at: Set(chrono::Utc::now()),
        expires_at: Set(chrono::Utc::now() + chrono::Duration::hours(1)),
        used_at: Set(None),
        next_path: Set(None),
        password_hash: Set(Some(other_hash)),
    }
    .insert(&app.db)
    .await
    .unwrap();

    // Act
    let verified = app
        .submit(
            &format!("/verify-email?token={token}"),
            "/verify-email",
            &[("token", token)],
        )
        .await;

    // Assert
    assert_eq!(verified.status(), StatusCode::OK);
    assert_eq!(
        user(&app, &email).await.password_hash,
        account.password_hash
    );
    assert!(signs_in(&app, &email, PASSWORD).await);
    assert!(!signs_in(&app, &email, SQUATTER).await);
}

/// A verified member of an organization that requires two-step sign-in.
async fn member_of_strict_org(app: &TestApp) -> String {
    let email = unique_email();
    app.verified_user(&email).await;
    let org = app.create_org("strict-co", "Strict Co").await;
    gatehouse::store::organizations::set_mfa_required(&app.db, org.id, true)
        .await
        .unwrap();
    let member = user(app, &email).await;
    gatehouse::store::memberships::upsert(&app.db, org.id, member.id, &["member".into()])
        .await
        .unwrap();
    email
}

#[tokio::test]
async fn a_totp_secret_copied_during_forced_enrolment_cannot_be_planted() {
    // Arrange: someone who knows only the password opens the enrolment page and copies its
    // secret; the real user signs in later from their own browser.
    let app = spawn_app().await;
    let email = member_of_strict_org(&app).await;
    let attacker = app.new_device();
    assert_redirect_to(&attacker.login(&email, PASSWORD).await, "/login/mfa/enrol");
    let attackers_page = attacker.get_html("/login/mfa/enrol").await;
    let copied = totp_secret_on(&attackers_page);
    let owner = app.new_device();
    assert_redirect_to(&owner.login(&email, PASSWORD).await, "/login/mfa/enrol");

    // Act
    let owners_page = owner.get_html("/login/mfa/enrol").await;
    let attackers_try = attacker
        .post_form(
            "/login/mfa/enrol",
            &attackers_page,
            &[("code", &code(&copied, 0))],
        )
        .await;

    // Assert: the owner is shown a secret of their own, the attacker's copy cannot be confirmed.
    let owners = totp_secret_on(&owners_page);
    assert_ne!(owners, copied);
    assert_eq!(attackers_try.status(), StatusCode::BAD_REQUEST);
    assert!(
        attackers_try
            .text()
            .await
            .unwrap()
            .contains("expired or was replaced")
    );
    let stored = totp_credentials::Entity::find_by_id(user(&app, &email).await.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.enabled_at.is_none());
    // Every start replaces the pending secret (the attacker's retry started one), so the
    // owner is shown a fresh secret of their own and enrols it; the copy never signs in.
    let replaced = owner
        .post_form(
            "/login/mfa/enrol",
            &owners_page,
            &[("code", &code(&owners, 0))],
        )
        .await
        .text()
        .await
        .unwrap();
    let fresh = totp_secret_on(&replaced);
    assert_ne!(fresh, copied);
    let done = owner
        .post_form("/login/mfa/enrol", &replaced, &[("code", &code(&fresh, 0))])
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    assert_redirect_to(&attacker.login(&email, PASSWORD).await, "/login/mfa");
    let refused = attacker
        .submit("/login/mfa", "/login/mfa", &[("code", &code(&copied, 1))])
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_pending_totp_secret_expires_after_ten_minutes() {
    let app = spawn_app().await;
    let email = unique_email();
    app.verified_user(&email).await;
    assert_redirect_to(&app.login(&email, PASSWORD).await, "/account");
    let page = app
        .submit("/account/security", "/account/security/totp", &[])
        .await
        .text()
        .await
        .unwrap();
    let secret = totp_secret_on(&page);
    let id = user(&app, &email).await.id;
    totp_credentials::ActiveModel {
        user_id: Set(id),
        created_at: Set(chrono::Utc::now() - chrono::Duration::minutes(11)),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();

    let late = app
        .post_form(
            "/account/security/totp/confirm",
            &page,
            &[("code", &code(&secret, 0))],
        )
        .await;

    assert_eq!(late.status(), StatusCode::BAD_REQUEST);
    let again = late.text().await.unwrap();
    assert!(again.contains("expired or was replaced"));
    // A fresh secret is shown in its place.
    assert_ne!(totp_secret_on(&again), secret);
    assert!(
        !gatehouse::store::totp_credentials::is_enabled(&app.db, id)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn changes_to_how_an_account_signs_in_are_announced_by_mail() {
    // Arrange
    let app = spawn_app().await;
    let (email, _secret, _codes) = crate::helpers::mfa::enrolled_user(&app).await;
    let subjects = |app: &TestApp| {
        app.mail
            .messages_to(&email)
            .iter()
            .map(CapturedMail::subject)
            .collect::<Vec<_>>()
    };
    app.mail.wait_for_nth(&email, 2).await;
    assert!(subjects(&app).contains(&"Two-step sign-in was turned on".to_owned()));

    // Act: new backup codes, then a password reset.
    let before = app.mail.messages_to(&email).len();
    let secret = _secret;
    assert_redirect_to(&app.login(&email, PASSWORD).await, "/login/mfa");
    app.submit("/login/mfa", "/login/mfa", &[("code", &code(&secret, 1))])
        .await;
    app.submit("/account/security", "/account/security/backup-codes", &[])
        .await;
    let notice = app.mail.wait_for_nth(&email, before + 1).await;
    app.reset_password(&email, "a brand new password").await;
    let changed = app.mail.wait_for_nth(&email, before + 3).await;

    // Assert
    assert_eq!(notice.subject(), "New backup codes were created");
    assert!(notice.text().contains("/account/security"));
    assert_eq!(changed.subject(), "Your password was changed");
    assert!(changed.text().contains("127.0.0.1"));
}
