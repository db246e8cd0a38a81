//! Helpers for two-step sign-in tests: TOTP codes, enrolment through the security page.
use totp_rs::{Builder, Secret};

use super::{PASSWORD, TestApp, assert_redirect_to, csrf_of, unique_email};

/// The code an authenticator app shows for `secret`, `steps_ahead` time steps from now. The
/// replay guard accepts each step once, so a test uses a later step for its next code.
pub(crate) fn code(secret: &str, steps_ahead: u64) -> String {
    let totp = Builder::new()
        .with_secret(Secret::try_from_base32(secret).unwrap())
        .with_skew(1)
        .build()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp.generate(now + 30 * steps_ahead).to_string()
}

/// The secret an enrolment page shows (groups of four joined).
pub(crate) fn totp_secret_on(page: &str) -> String {
    regex::Regex::new(r#"<code id="totp-secret">([A-Z2-7 ]+)</code>"#)
        .unwrap()
        .captures(page)
        .unwrap()[1]
        .replace(' ', "")
}

pub(crate) fn backup_codes_of(html: &str) -> Vec<String> {
    regex::Regex::new(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")
        .unwrap()
        .captures_iter(html)
        .map(|c| c[1].to_owned())
        .collect()
}

/// A verified, signed-in user who enrolled TOTP on the security page.
pub(crate) async fn enrolled_user(app: &TestApp) -> (String, String, Vec<String>) {
    let (email, secret, codes, _) = enrolled_user_with_code(app).await;
    (email, secret, codes)
}

/// Also returns the code that confirmed the enrolment.
pub(crate) async fn enrolled_user_with_code(
    app: &TestApp,
) -> (String, String, Vec<String>, String) {
    let email = unique_email();
    app.verified_user(&email).await;
    assert_redirect_to(&app.login(&email, PASSWORD).await, "/account");
    let (secret, codes, first_code) = enrol_totp_signed_in(app).await;
    app.submit("/account", "/logout", &[]).await;
    (email, secret, codes, first_code)
}

/// Enrols TOTP for the signed-in user on the security page: its secret, the backup codes
/// shown once, and the code that confirmed the enrolment.
pub(crate) async fn enrol_totp_signed_in(app: &TestApp) -> (String, Vec<String>, String) {
    let enrol = app
        .submit("/account/security", "/account/security/totp", &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(enrol.contains("<svg"), "QR code rendered inline");
    assert!(enrol.contains("otpauth://totp/Gatehouse:"));
    let secret = totp_secret_on(&enrol);
    let first_code = code(&secret, 0);
    let html = app
        .client
        .post(app.url("/account/security/totp/confirm"))
        .form(&[
            ("code", first_code.clone()),
            ("csrf_token", csrf_of(&enrol)),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let codes = backup_codes_of(&html);
    assert_eq!(codes.len(), 10, "ten backup codes shown once");
    assert!(html.contains("download=\"gatehouse-backup-codes.txt\""));
    (secret, codes, first_code)
}
