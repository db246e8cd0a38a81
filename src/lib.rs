#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]
//! Gatehouse: an OpenID Connect identity provider with a hosted UI.
pub mod admin;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod domain;
pub mod error;
pub mod keys;
pub mod mail;
pub mod oidc;
pub mod rate_limit;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod web;
