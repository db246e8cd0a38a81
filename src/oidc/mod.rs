//! OpenID Connect / OAuth 2 protocol logic (no actix).
pub mod authorize;
pub mod clients;
pub mod consent;
pub mod device;
pub mod discovery;
pub mod end_session;
pub mod error;
pub mod first_party;
pub mod grants;
pub mod issue;
pub mod pkce;
pub mod resource;
pub mod revocation;
pub mod revoked_set;
pub mod scope;
pub mod sign_in_context;
pub mod tokens;
