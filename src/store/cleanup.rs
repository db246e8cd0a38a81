//! Deletes rows whose purpose has ended, so that what anonymous requests write cannot pile up:
//! pending authorization requests, codes, login tickets, passkey ceremonies, device codes,
//! one-time tokens, federation states and deny-list entries past their expiry (plus a grace
//! period), and sent or given-up mail past its retention.
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::entities::{
    authorization_codes, authorization_requests, login_tickets, mail_outbox, one_time_tokens,
};

/// What one run deleted, per table.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub authorization_requests: u64,
    pub authorization_codes: u64,
    pub login_tickets: u64,
    pub webauthn_ceremonies: u64,
    pub device_codes: u64,
    pub one_time_tokens: u64,
    pub revoked_tokens: u64,
    pub mail_outbox: u64,
    pub federation_states: u64,
    pub test_bench_states: u64,
}

impl Deleted {
    pub fn total(&self) -> u64 {
        self.authorization_requests
            + self.authorization_codes
            + self.login_tickets
            + self.webauthn_ceremonies
            + self.device_codes
            + self.one_time_tokens
            + self.revoked_tokens
            + self.mail_outbox
            + self.federation_states
            + self.test_bench_states
    }
}

/// The cut-off times of one run.
pub struct Cutoffs {
    /// Short-lived rows (pending requests, tickets, ceremonies, one-time tokens) that expired
    /// before this are deleted.
    pub expired_before: DateTime<Utc>,
    /// Codes and device codes are kept a little longer: a late replay of a used code still
    /// finds it and revokes what it issued (RFC 6749 §4.1.2), and a late poll learns that its
    /// device code expired.
    pub codes_expired_before: DateTime<Utc>,
    /// Sent or given-up mail created before this is deleted.
    pub mail_before: DateTime<Utc>,
}

pub async fn delete_expired<C: ConnectionTrait>(db: &C, cut: &Cutoffs) -> Result<Deleted, DbErr> {
    Ok(Deleted {
        authorization_requests: authorization_requests::Entity::delete_many()
            .filter(authorization_requests::Column::ExpiresAt.lt(cut.expired_before))
            .exec(db)
            .await?
            .rows_affected,
        authorization_codes: authorization_codes::Entity::delete_many()
            .filter(authorization_codes::Column::ExpiresAt.lt(cut.codes_expired_before))
            .exec(db)
            .await?
            .rows_affected,
        login_tickets: login_tickets::Entity::delete_many()
            .filter(login_tickets::Column::ExpiresAt.lt(cut.expired_before))
            .exec(db)
            .await?
            .rows_affected,
        webauthn_ceremonies: super::webauthn_ceremonies::delete_expired(db, cut.expired_before)
            .await?,
        device_codes: super::device_codes::delete_expired(db, cut.codes_expired_before).await?,
        one_time_tokens: one_time_tokens::Entity::delete_many()
            .filter(one_time_tokens::Column::ExpiresAt.lt(cut.expired_before))
            .exec(db)
            .await?
            .rows_affected,
        // A deny-list entry is useless once the token it denies has expired on its own.
        revoked_tokens: super::revoked_tokens::delete_expired(db).await?,
        mail_outbox: mail_outbox::Entity::delete_many()
            .filter(mail_outbox::Column::Status.ne(mail_outbox::MailStatus::Pending))
            .filter(mail_outbox::Column::CreatedAt.lt(cut.mail_before))
            .exec(db)
            .await?
            .rows_affected,
        // Every `/auth/{provider}` request from anyone writes one; used or not, it is worthless
        // after its 10 minutes.
        federation_states: super::federation_states::delete_expired(db, cut.expired_before).await?,
        test_bench_states: super::test_bench_states::delete_expired(db, cut.expired_before).await?,
    })
}
