//! Shared vocabulary: validated values parsed once at the edge.
mod client_ip;
mod email;
mod password;
mod request_meta;
mod slug;
mod user_code;

pub use client_ip::{ProxyHeader, TrustedProxies};
pub use email::{Email, EmailRefusal};
pub use password::{NewPassword, PasswordRefusal};
pub use request_meta::{DeviceToken, RequestMeta};
pub use slug::Slug;
pub use user_code::UserCode;
