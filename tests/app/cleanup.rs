//! The periodic cleanup (issue 12 item 3): expired rows of every kind and mail past its
//! retention are deleted; live rows stay.
use gatehouse::store::entities::{
    authorization_requests, device_codes, login_tickets, mail_outbox, one_time_tokens,
    webauthn_ceremonies,
};
use sea_orm::EntityTrait;
use sea_orm::sea_query::Expr;
use serde_json::json;

use crate::bounded_storage::{DEVICE_GRANT, authorize_path};
use crate::helpers::{ServiceOptions, row_counts, spawn_app_with, unique_email};

#[tokio::test]
async fn the_cleanup_deletes_expired_rows_and_old_mail_but_keeps_live_ones() {
    let app = spawn_app_with(|s| {
        s.server.public_url = s.server.public_url.replace("127.0.0.1", "localhost");
        s.mail.retention_days = 30;
    })
    .await;
    let email = unique_email();
    app.verified_user(&email).await;
    let web = app
        .create_service(ServiceOptions {
            public: true,
            ..ServiceOptions::default()
        })
        .await;
    let device = app
        .create_service(ServiceOptions {
            public: true,
            grant_types: vec![DEVICE_GRANT],
            ..ServiceOptions::default()
        })
        .await;
    // Rows of every kind, written through HTTP.
    let write_rows = || async {
        app.get(&authorize_path(&web.client_id)).await;
        app.post_json("/api/auth/magic-link/request", json!({"email": email}))
            .await;
        app.post_json("/auth/passkeys/authenticate/start", json!({}))
            .await;
        app.client
            .post(app.url("/device_authorization"))
            .form(&[
                ("client_id", device.client_id.as_str()),
                ("scope", "openid"),
            ])
            .send()
            .await
            .unwrap();
    };
    write_rows().await;
    app.mail.wait_for_nth(&email, 2).await;
    let ticket_user = gatehouse::store::users::find_by_email(&app.db, &email)
        .await
        .unwrap()
        .unwrap();
    let now = gatehouse::store::now();
    gatehouse::store::login_tickets::insert(
        &app.db,
        gatehouse::store::login_tickets::LoginTicket {
            id: uuid::Uuid::new_v4(),
            ticket_hash: "expired-ticket".into(),
            user_id: ticket_user.id,
            purpose: "mfa".into(),
            amr: "[\"pwd\"]".into(),
            next_path: None,
            client_id: None,
            failed_attempts: 0,
            created_at: now,
            expires_at: now,
            used_at: None,
            code_hash: None,
        },
    )
    .await
    .unwrap();
    gatehouse::store::revoked_tokens::insert_many(&app.db, &[("old-jti".into(), now)])
        .await
        .unwrap();
    // Age all of them: expired two days ago, mail sent 40 days ago.
    let long_ago = now - chrono::Duration::days(2);
    let old_mail = now - chrono::Duration::days(40);
    macro_rules! age {
        ($entity:ident) => {
            $entity::Entity::update_many()
                .col_expr($entity::Column::ExpiresAt, Expr::value(long_ago))
                .exec(&app.db)
                .await
                .unwrap()
        };
    }
    age!(authorization_requests);
    age!(one_time_tokens);
    age!(webauthn_ceremonies);
    age!(device_codes);
    age!(login_tickets);
    mail_outbox::Entity::update_many()
        .col_expr(mail_outbox::Column::CreatedAt, Expr::value(old_mail))
        .col_expr(mail_outbox::Column::Status, Expr::value("sent"))
        .exec(&app.db)
        .await
        .unwrap();
    // And a fresh set that must survive.
    write_rows().await;
    let before = row_counts(&app.db).await;

    let deleted = gatehouse::housekeeping::prune_expired(&app.state)
        .await
        .unwrap();

    assert!(deleted.authorization_requests >= 1, "{deleted:?}");
    assert!(deleted.one_time_tokens >= 1, "{deleted:?}");
    assert!(deleted.webauthn_ceremonies >= 1, "{deleted:?}");
    assert_eq!(deleted.device_codes, 1, "{deleted:?}");
    assert_eq!(deleted.login_tickets, 1, "{deleted:?}");
    assert!(deleted.revoked_tokens >= 1, "{deleted:?}");
    assert!(deleted.mail_outbox >= 2, "{deleted:?}");
    let after = row_counts(&app.db).await;
    for table in [
        "authorization_requests",
        "one_time_tokens",
        "webauthn_ceremonies",
        "device_codes",
        "mail_outbox",
    ] {
        assert!(after[table] >= 1, "{table}: the live row survives");
        assert!(
            after[table] < before[table],
            "{table}: expired rows are gone"
        );
    }
    assert_eq!(after["login_tickets"], 0);
    assert_eq!(after["users"], before["users"]);
    // The expired ones are gone for good; a second run finds nothing.
    let again = gatehouse::housekeeping::prune_expired(&app.state)
        .await
        .unwrap();
    assert_eq!(again.total(), 0, "{again:?}");
}
