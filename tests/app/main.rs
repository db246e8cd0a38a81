#![allow(clippy::unwrap_used, clippy::expect_used)]
// Case tables in tests spell out their tuple types.
#![allow(clippy::type_complexity)]
//! One integration-test binary: faster to link, shared helpers.
mod helpers;

mod accounts;
mod api_auth;
mod api_client_auth;
mod api_sign_in;
mod authorization_code;
mod authorize_errors;
mod bounded_storage;
mod browser;
mod cleanup;
mod client_credentials;
mod client_ip;
mod code_exchange;
mod credential_changes;
mod device_flow;
mod discovery;
mod end_session;
mod federation;
mod federation_admin;
mod federation_bad_input;
mod federation_linking;
mod federation_microsoft;
mod federation_pages;
mod health;
mod interop;
mod introspection;
mod key_rotation;
mod lockout;
mod magic_link;
mod mail_outage;
mod mfa;
mod mfa_limits;
mod multi_instance;
mod passkeys;
mod refresh_lifetime;
mod refresh_tokens;
mod resource_endpoints;
mod secrets_at_rest;
mod shared_limits;
mod startup;
