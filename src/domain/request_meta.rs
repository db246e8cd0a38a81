use std::fmt;
use std::net::IpAddr;

/// Who sent a request, as far as the web layer can tell; used for audit, sessions, limits and
/// the risk score.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
    /// The `device_token` cookie the browser presented, unchecked.
    pub device_token: Option<DeviceToken>,
}

impl RequestMeta {
    pub fn ip_string(&self) -> Option<String> {
        self.ip.map(|ip| ip.to_string())
    }
}

/// A presented device token: a bearer secret, so it never shows in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceToken(pub String);

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceToken(…)")
    }
}
