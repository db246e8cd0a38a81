//! Secrets at rest (issue 12 item 5): queued mail bodies are sealed with the master key and
//! dropped once delivered; the data directory, the database files and the dev outbox are
//! private to the service account.
use std::time::{Duration, Instant};

use gatehouse::store::entities::mail_outbox;
use sea_orm::EntityTrait;

use crate::helpers::{PASSWORD, spawn_app, spawn_app_with, unique_email};

async fn outbox(app: &crate::helpers::TestApp) -> Vec<mail_outbox::Model> {
    mail_outbox::Entity::find().all(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_queued_mail_body_is_sealed_so_the_database_holds_no_usable_link() {
    // Nothing listens on port 9: delivery keeps failing and the message stays queued.
    let app = spawn_app_with(|s| s.mail.smtp_url = Some("smtp://127.0.0.1:9".into())).await;
    let email = unique_email();

    app.register(&email, PASSWORD).await;

    let queued = outbox(&app).await;
    assert_eq!(queued.len(), 1);
    let message = &queued[0];
    assert_eq!(message.recipient, email);
    for body in [&message.body_text, &message.body_html] {
        assert!(body.starts_with("sealed:v1:"), "{body}");
        assert!(!body.contains("token="), "no link in the clear: {body}");
        assert!(!body.contains("verify-email"), "{body}");
    }
}

#[tokio::test]
async fn a_delivered_mail_keeps_no_body_in_the_database() {
    let app = spawn_app().await;
    let email = unique_email();

    app.register(&email, PASSWORD).await;
    let delivered = app.mail.wait_for(&email).await;

    let token = delivered.link().split("token=").nth(1).unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows = outbox(&app).await;
        if rows
            .iter()
            .all(|m| m.status == gatehouse::store::mail_outbox::MailStatus::Sent)
        {
            for message in rows {
                assert_eq!(message.body_text, "");
                assert_eq!(message.body_html, "");
                assert!(!format!("{message:?}").contains(&token));
            }
            break;
        }
        assert!(Instant::now() < deadline, "the message was not marked sent");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_database_files_and_dev_outbox_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let on_sqlite = !std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres"));
    let app = spawn_app_with(|s| {
        s.mail.smtp_url = None;
        if on_sqlite {
            // The default location: <data_dir>/gatehouse.db, data directory created by us.
            s.database.url = None;
        }
    })
    .await;
    let email = unique_email();
    app.register(&email, PASSWORD).await;
    let outbox = app.settings.data_dir.join("outbox");
    let deadline = Instant::now() + Duration::from_secs(10);
    let eml = loop {
        let found = std::fs::read_dir(&outbox)
            .unwrap()
            .flatten()
            .find(|f| f.path().extension().is_some_and(|e| e == "eml"));
        if let Some(file) = found {
            break file.path();
        }
        assert!(Instant::now() < deadline, "no .eml written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mode = |path: &std::path::Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };

    assert_eq!(mode(&app.settings.data_dir), 0o700, "data directory");
    assert_eq!(mode(&outbox), 0o700, "outbox directory");
    assert_eq!(mode(&eml), 0o600, "outbox mail");
    if on_sqlite {
        let db = app.settings.data_dir.join("gatehouse.db");
        for suffix in ["", "-wal", "-shm"] {
            let path = std::path::PathBuf::from(format!("{}{suffix}", db.display()));
            assert_eq!(mode(&path), 0o600, "{}", path.display());
        }
    }
}
