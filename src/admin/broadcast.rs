//! Cache invalidations between instances: each change is published on a PostgreSQL channel and
//! every instance listens on a connection of its own. A notification sent while an instance was
//! not listening is lost, so after every (re)connect the listener flushes all caches; the client
//! cache's TTL stays as the backstop.
use std::time::Duration;

use uuid::Uuid;

use super::Invalidation;
use crate::state::AppState;

impl Invalidation {
    fn to_payload(&self) -> String {
        match self {
            Self::Service(client_id) => format!("service:{client_id}"),
            Self::Org(id) => format!("org:{id}"),
            Self::Keys => "keys".to_owned(),
        }
    }

    fn from_payload(payload: &str) -> Option<Self> {
        match payload.split_once(':') {
            Some(("service", client_id)) => Some(Self::Service(client_id.to_owned())),
            Some(("org", id)) => Uuid::parse_str(id).ok().map(Self::Org),
            None if payload == "keys" => Some(Self::Keys),
            _ => None,
        }
    }
}

/// Queues the notification in `txn`: PostgreSQL delivers it when `txn` commits (no-op on
/// SQLite, where one process owns the database).
pub(super) async fn publish_in(
    txn: &sea_orm::DatabaseTransaction,
    changed: &Invalidation,
) -> Result<(), sea_orm::DbErr> {
    crate::store::notify::publish(txn, &changed.to_payload()).await
}

/// Tells the other instances (no-op on SQLite). A failure is logged, not returned: the change
/// is committed, and the others still see it within the cache TTL.
pub(super) async fn publish(state: &AppState, changed: &Invalidation) {
    if let Err(e) = crate::store::notify::publish(&state.db, &changed.to_payload()).await {
        tracing::warn!(error = %e, ?changed, "could not publish a cache invalidation");
    }
}

/// Drops what `changed` made stale in this process's caches.
pub(super) async fn apply(state: &AppState, changed: &Invalidation) -> anyhow::Result<()> {
    match changed {
        Invalidation::Service(client_id) => state.clients.invalidate(client_id),
        Invalidation::Org(org_id) => {
            state.clients.clear();
            state.mailer.forget_org(*org_id);
        }
        Invalidation::Keys => state.keys.reload(&state.db).await?,
    }
    Ok(())
}

async fn flush_all(state: &AppState) {
    state.clients.clear();
    state.mailer.forget_all_orgs();
    if let Err(e) = state.revoked.reload(&state.db).await {
        tracing::warn!(error = %e, "could not reload the revoked tokens");
    }
    if let Err(e) = state.keys.reload(&state.db).await {
        tracing::warn!(error = %e, "could not reload signing keys");
    }
}

/// On PostgreSQL, listens for other instances' invalidations until the process ends,
/// reconnecting after a lost connection. The first LISTEN is in place when this returns, so
/// nothing the instance caches from its first request on can miss a notification.
pub async fn spawn_listener(state: AppState) {
    if state.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        return;
    }
    let mut listener = listen(&state).await;
    tokio::spawn(async move {
        loop {
            if let Some(listener) = listener.take() {
                receive(&state, listener).await;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
            listener = listen(&state).await;
            if listener.is_some() {
                // Whatever changed while nobody listened: start from the database again.
                flush_all(&state).await;
            }
        }
    });
}

async fn listen(state: &AppState) -> Option<sea_orm::sqlx::postgres::PgListener> {
    match crate::store::notify::listen(&state.db).await {
        Ok(listener) => listener,
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for cache invalidations; retrying");
            None
        }
    }
}

/// Applies notifications until the connection is lost.
async fn receive(state: &AppState, mut listener: sea_orm::sqlx::postgres::PgListener) {
    loop {
        match listener.try_recv().await {
            Ok(Some(note)) => match Invalidation::from_payload(note.payload()) {
                _ if note.payload().starts_with("revoked:") => {
                    match crate::oidc::revoked_set::parse_payload(note.payload()) {
                        Some((jti, exp)) => state.revoked.insert(&jti, exp),
                        // Unreadable: the set may now miss a token; start over from the table.
                        None => flush_all(state).await,
                    }
                }
                Some(changed) => {
                    if let Err(e) = apply(state, &changed).await {
                        tracing::warn!(error = %e, ?changed, "invalidation failed; flushing everything");
                        flush_all(state).await;
                    }
                }
                None => tracing::warn!(payload = note.payload(), "unknown cache invalidation"),
            },
            Ok(None) => {
                tracing::warn!("cache invalidation channel lost; reconnecting");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cache invalidation listener failed; reconnecting");
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let org = Uuid::new_v4();
        for changed in [
            Invalidation::Service("svc_abc:def".into()),
            Invalidation::Org(org),
            Invalidation::Keys,
        ] {
            let back = Invalidation::from_payload(&changed.to_payload());
            assert_eq!(format!("{back:?}"), format!("{:?}", Some(changed)));
        }
        assert!(Invalidation::from_payload("org:not-a-uuid").is_none());
        assert!(Invalidation::from_payload("nonsense").is_none());
    }
}
