//! Real-browser tests: headless Chromium (Debian's `chromium`) driven by playwright-core scripts
//! in `tests/browser/`, against the real app and a real SMTP listener. `tests/run` installs both.
use std::path::Path;
use std::process::Command;

use crate::helpers::spawn_app_with;

async fn run_script(script: &str) {
    // Browsers need a host name (passkeys refuse IP addresses), so the issuer is `localhost`.
    let app = spawn_app_with(|s| {
        s.server.public_url = s.server.public_url.replace("127.0.0.1", "localhost")
    })
    .await;
    let issuer = app.address.clone();
    let mailbox = app.mail.serve_mailbox_http();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "browser tests need `npm ci --prefix tests/browser` and Debian's chromium: run `tests/run` (see README)"
    );
    let script = dir.join(script);
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(script)
            .env("GATEHOUSE_URL", issuer)
            .env("MAILBOX_URL", mailbox)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser script failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    drop(app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_registers_verifies_and_signs_in_with_a_real_browser() {
    run_script("register_verify_sign_in.mjs").await;
}
