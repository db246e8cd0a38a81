//! Graceful shutdown: a stopping instance takes no more mail and gives back what it claimed but
//! did not send, so another instance (or the next start) delivers it at once, not after the
//! 10-minute lease.
use std::sync::Arc;
use std::time::{Duration, Instant};

use gatehouse::config::Settings;
use gatehouse::mail::Email;
use gatehouse::startup::Application;
use gatehouse::store::entities::mail_outbox::{self, MailStatus};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::helpers::{TestDb, spawn_instance, unique_email};

/// An SMTP server that accepts connections and never answers: a send stays in flight.
async fn silent_smtp() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    port
}

async fn outbox_row(db: &DatabaseConnection, email: &str) -> mail_outbox::Model {
    mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Recipient.eq(email))
        .one(db)
        .await
        .unwrap()
        .expect("queued")
}

#[tokio::test]
async fn mail_claimed_by_a_stopping_instance_is_delivered_by_another() {
    // Arrange: instance A, whose SMTP server never answers, claims a message.
    let test_db = Arc::new(TestDb::fresh().await);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut settings = Settings::for_tests(test_db.data_dir());
    settings.server.public_url = format!("http://{}", listener.local_addr().unwrap());
    settings.database.url = Some(test_db.url().to_owned().into());
    settings.mail.smtp_url = Some(format!("smtp://127.0.0.1:{}", silent_smtp().await).into());
    let a = Application::build_with_listener(settings, listener)
        .await
        .unwrap();
    let (state, stopper) = (a.state().clone(), a.stopper());
    let running = tokio::spawn(a.run_until_stopped());
    let email = unique_email();
    let message = Email {
        subject: "Hello".into(),
        text: "text".into(),
        html: "<p>html</p>".into(),
        link: None,
        from_name: None,
        org_id: None,
    };
    state
        .mailer
        .enqueue(&state.db, &email, message)
        .await
        .unwrap();
    state.mailer.wake();
    let deadline = Instant::now() + Duration::from_secs(10);
    while outbox_row(&state.db, &email).await.locked_until.is_none() {
        assert!(Instant::now() < deadline, "A never claimed the message");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Act: A shuts down (what SIGTERM does) while the send hangs.
    let stopping = Instant::now();
    stopper.stop(true).await;
    tokio::time::timeout(Duration::from_secs(10), running)
        .await
        .expect("A stops within its grace")
        .unwrap()
        .unwrap();

    // Assert: the claim is back in the queue, untouched by a failed attempt...
    assert!(stopping.elapsed() < Duration::from_secs(8));
    let row = outbox_row(&state.db, &email).await;
    assert_eq!(row.status, MailStatus::Pending);
    assert_eq!(row.locked_until, None);
    assert_eq!(row.attempts, 0);
    // ...and instance B delivers it at once, not after A's 10-minute lease.
    let b = spawn_instance(test_db.clone(), |_| {}).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.mail.messages_to(&email).is_empty() {
        assert!(Instant::now() < deadline, "B never delivered the message");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    while outbox_row(&b.db, &email).await.status != MailStatus::Sent {
        assert!(Instant::now() < deadline, "B never marked the message sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(b.mail.messages_to(&email).len(), 1);
}
