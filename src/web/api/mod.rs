//! JSON API for first-party apps (paths and shapes of seed 004).
pub mod admin;
pub mod auth;
pub mod client_auth;
pub mod device;
pub mod passkeys;
