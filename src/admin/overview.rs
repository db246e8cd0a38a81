//! The console overview: what an admin oversees, in numbers. A platform-wide reader sees the
//! whole deployment; an org admin sees the organizations they administer and counts of their
//! members only. Mail and signing keys have no organization: they are platform-only.
use chrono::{DateTime, DurationRound, Utc};

use super::keys::KeyView;
use super::orgs::OrgView;
use super::{Actor, Reach, Scope};
use crate::auth::first_party::BUILTIN_CLIENT_ID;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::stats::{self, HourCount};

/// The chart's window: this many hours, the last one being the current (partial) hour.
pub const HOURS: u32 = 24;
/// At most this many organizations are listed (the organizations page lists all).
pub const MAX_ORGS: usize = 20;
const LISTED_ROLES: [&str; 2] = ["owner", "admin"];

#[derive(Debug)]
pub struct OrgSummary {
    pub org: OrgView,
    /// (email, roles) of its owners and admins.
    pub people: Vec<(String, Vec<String>)>,
}

#[derive(Debug)]
pub struct Overview {
    /// Numbers cover the whole deployment (a platform owner), not only `orgs`.
    pub platform_wide: bool,
    pub orgs: Vec<OrgSummary>,
    /// Organizations beyond [`MAX_ORGS`].
    pub more_orgs: usize,
    /// Start of the first hour of `hours`.
    pub start: DateTime<Utc>,
    pub hours: Vec<HourCount>,
    pub active_sessions: u64,
    /// Mail queued and not yet sent (platform-wide readers only).
    pub pending_mail: Option<u64>,
    /// Signing keys (platform-wide readers only).
    pub keys: Option<Vec<KeyView>>,
    /// Whether any service besides the built-in one exists (in reach).
    pub has_services: bool,
}

impl Overview {
    pub fn sign_ins(&self) -> u64 {
        self.hours.iter().map(|h| h.succeeded).sum()
    }

    pub fn failures(&self) -> u64 {
        self.hours.iter().map(|h| h.failed).sum()
    }
}

pub async fn overview(state: &AppState, actor: &Actor) -> Result<Overview, AppError> {
    // `list` answers 403 to an actor who reads no organization at all.
    let mut orgs = super::orgs::list(state, actor).await?;
    let platform_wide =
        actor.may(Scope::OrgsRead, Reach::Platform) && actor.may(Scope::UsersRead, Reach::Platform);
    let ids: Vec<_> = orgs.iter().map(|o| o.id).collect();
    let reach = (!platform_wide).then_some(ids.as_slice());
    let now = crate::store::now();
    let start = now
        .duration_trunc(chrono::Duration::hours(1))
        .map_err(anyhow::Error::new)?
        - chrono::Duration::hours(i64::from(HOURS) - 1);
    let hours = stats::sign_ins_per_hour(&state.db, start, HOURS, reach).await?;
    let active_sessions = stats::active_sessions(&state.db, reach).await?;
    let has_services = stats::services_besides(&state.db, BUILTIN_CLIENT_ID, reach).await? > 0;
    let pending_mail = if platform_wide {
        Some(crate::store::mail_outbox::count_pending(&state.db).await?)
    } else {
        None
    };
    let keys = if actor.may(Scope::KeysRead, Reach::Platform) {
        Some(super::keys::list(state, actor).await?)
    } else {
        None
    };
    let more_orgs = orgs.len().saturating_sub(MAX_ORGS);
    orgs.truncate(MAX_ORGS);
    let shown: Vec<_> = orgs.iter().map(|o| o.id).collect();
    let people = stats::people_with_roles(&state.db, &shown, &LISTED_ROLES).await?;
    let orgs = orgs
        .into_iter()
        .map(|org| OrgSummary {
            people: people
                .iter()
                .filter(|(id, _, _)| *id == org.id)
                .map(|(_, email, roles)| (email.clone(), roles.clone()))
                .collect(),
            org,
        })
        .collect();
    Ok(Overview {
        platform_wide,
        orgs,
        more_orgs,
        start,
        hours,
        active_sessions,
        pending_mail,
        keys,
        has_services,
    })
}
