use gatehouse::startup::prepare;
use secrecy::SecretString;

use crate::helpers::{spawn_app, spawn_app_with, unique_email};

#[tokio::test]
async fn a_changed_master_key_refuses_to_start() {
    let app = spawn_app().await;
    let mut settings = app.settings.clone();
    settings.master_key = Some(SecretString::from(
        "ZGlmZmVyZW50IGtleSBkaWZmZXJlbnQga2V5IDEyMzQ=",
    ));

    let error = prepare(settings).await.err().expect("startup must fail");

    let message = format!("{error:#}");
    assert!(message.contains("master key does not match"), "{message}");
}

#[tokio::test]
async fn invalid_configuration_reports_every_problem() {
    let mut settings = spawn_app().await.settings;
    settings.server.public_url = "not a url".into();
    settings.mail.from = "nobody".into();

    let error = prepare(settings)
        .await
        .err()
        .expect("startup must fail")
        .to_string();

    assert!(error.contains("GATEHOUSE_SERVER__PUBLIC_URL"), "{error}");
    assert!(error.contains("GATEHOUSE_MAIL__FROM"), "{error}");
}

#[tokio::test]
async fn without_smtp_mail_goes_to_the_dev_outbox() {
    // Arrange
    let app = spawn_app_with(|s| s.mail.smtp_url = None).await;
    let email = unique_email();

    // Act
    app.register(&email, crate::helpers::PASSWORD).await;

    // Assert: an .eml file with the verification link appears under <data_dir>/outbox.
    let outbox = app.settings.data_dir.join("outbox");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().flatten().collect();
        if let Some(file) = files
            .iter()
            .find(|f| f.path().extension().is_some_and(|e| e == "eml"))
        {
            let raw = std::fs::read_to_string(file.path()).unwrap();
            assert!(raw.contains(&email));
            assert!(raw.contains("Verify your email address"));
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no .eml written");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.mail.count(), 0);
}

#[tokio::test]
async fn the_master_key_file_is_created_once_with_mode_0600() {
    let app = spawn_app_with(|s| s.master_key = None).await;
    let path = app.settings.data_dir.join("master.key");

    let metadata = std::fs::metadata(&path).unwrap();

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    }
    let before = std::fs::read_to_string(&path).unwrap();
    prepare(app.settings.clone()).await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before);
}
