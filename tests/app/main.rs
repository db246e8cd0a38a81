#![allow(clippy::unwrap_used, clippy::expect_used)]
//! One integration-test binary: faster to link, shared helpers.
mod helpers;

mod accounts;
mod api_auth;
mod authorization_code;
mod browser;
mod discovery;
mod health;
mod startup;
mod authorize_errors;
mod tokens;
