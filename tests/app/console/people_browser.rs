//! The people pages in headless Chromium (`tests/browser/console_people.mjs`).
use std::path::Path;

use reqwest::StatusCode;

use super::signed_in_user;
use crate::browser::{browser_app, run_script};
use crate::helpers::PASSWORD;

fn screenshot_dir() -> String {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir.to_string_lossy().into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_manages_a_token_reads_the_audit_log_and_signs_out_a_users_session() {
    // Arrange: an owner, and a user signed in on another device.
    let (app, _mailbox) = browser_app().await;
    let (_, owner) = signed_in_user(&app).await;
    gatehouse::store::users::set_platform_owner(&app.db, owner.id, true)
        .await
        .unwrap();
    let (device, user) = signed_in_user(&app).await;
    assert_eq!(device.get("/account").await.status(), StatusCode::OK);

    // Act
    let stdout = run_script(
        "console_people.mjs",
        vec![
            ("GATEHOUSE_URL", app.address.clone()),
            ("OWNER_EMAIL", owner.email.clone()),
            ("OWNER_PASSWORD", PASSWORD.to_owned()),
            ("USER_EMAIL", user.email.clone()),
            ("SCREENSHOT_DIR", screenshot_dir()),
        ],
    )
    .await;

    // Assert: the revoked token is refused by the API; the device is signed out.
    let secret = stdout
        .lines()
        .find_map(|l| l.strip_prefix("SECRET "))
        .expect("the script reports the secret");
    let answer = app
        .client
        .get(app.url("/api/admin/orgs"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(device.get("/account").await.status(), StatusCode::SEE_OTHER);
}
