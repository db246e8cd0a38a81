//! sea-orm entities, one per table of `migrations/`.
pub mod audit_events;
pub mod authorization_codes;
pub mod authorization_requests;
pub mod browser_sessions;
pub mod consents;
pub mod instance_meta;
pub mod mail_outbox;
pub mod memberships;
pub mod one_time_tokens;
pub mod organizations;
pub mod refresh_tokens;
pub mod revoked_tokens;
pub mod services;
pub mod signing_keys;
pub mod users;
