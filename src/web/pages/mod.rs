//! Hosted pages: one file per flow, GET and POST together.
pub mod account;
pub mod admin;
pub mod admin_sign_in;
pub mod device;
pub mod login;
pub mod logout;
pub mod magic_link;
pub mod mfa;
pub mod passkeys;
pub mod password_reset;
pub mod provider_links;
pub mod providers;
pub mod register;
pub mod security;
pub mod setup;
pub mod trusted_devices;
pub mod verify_email;

use askama::Template;

/// A short notice page (confirmations, outcomes).
#[derive(Template)]
#[template(path = "pages/message.html")]
pub struct MessagePage<'a> {
    pub title: &'a str,
    pub message: &'a str,
    pub link_href: &'a str,
    pub link_label: &'a str,
}
