//! Mail queued while the SMTP server is down is delivered, once, when it comes back.
use std::time::{Duration, Instant};

use gatehouse::store::entities::mail_outbox::{self, MailStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{PASSWORD, SmtpSink, TestApp, spawn_app_with, unique_email};

async fn outbox_row(app: &TestApp, email: &str) -> Option<mail_outbox::Model> {
    mail_outbox::Entity::find()
        .filter(mail_outbox::Column::Recipient.eq(email))
        .one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn mail_queued_while_smtp_is_down_arrives_once_when_it_is_back() {
    // The SMTP server is down: it hangs up before its greeting.
    let smtp = SmtpSink::start_down().await;
    let url = smtp.url();
    let app = spawn_app_with(|s| s.mail.smtp_url = Some(url.into())).await;
    let email = unique_email();
    app.register(&email, PASSWORD).await;

    // The first delivery fails and the message waits for its retry.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(row) = outbox_row(&app, &email).await
            && row.attempts >= 1
        {
            assert_eq!(row.status, MailStatus::Pending);
            assert!(row.last_error.is_some());
            break;
        }
        assert!(Instant::now() < deadline, "no failed attempt recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The server comes back.
    smtp.bring_up();

    // The retry (10 s after the first failure) delivers it.
    let deadline = Instant::now() + Duration::from_secs(40);
    while smtp.messages_to(&email).is_empty() {
        assert!(Instant::now() < deadline, "the queued mail never arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Give a duplicate the chance to show up: none does.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(smtp.messages_to(&email).len(), 1);
    assert!(
        smtp.messages_to(&email)[0]
            .subject()
            .contains("Verify your email")
    );
    assert_eq!(
        outbox_row(&app, &email).await.unwrap().status,
        MailStatus::Sent
    );
}
