//! OpenID Connect protocol logic (no actix).
pub mod discovery;
