//! What `serve` tells the person who started it, once it listens: where the issuer is, where
//! mail goes and, while no platform owner exists, the one-time setup link.
use secrecy::ExposeSecret;

use crate::config::Settings;
use crate::state::AppState;
use crate::telemetry::LogFormat;

/// The start-up summary.
pub struct Banner {
    pub issuer: String,
    pub discovery: String,
    pub mail: String,
    /// `/setup?token=…` while no platform owner exists.
    pub setup_url: Option<String>,
}

impl Banner {
    pub fn new(state: &AppState, setup_token: Option<&str>) -> Self {
        Self {
            issuer: state.settings.public_url().to_owned(),
            discovery: state.url("/.well-known/openid-configuration"),
            mail: mail_destination(&state.settings),
            setup_url: setup_token.map(|token| state.url(&format!("/setup?token={token}"))),
        }
    }

    /// The text a person at a terminal reads.
    pub fn text(&self) -> String {
        let mut out = format!(
            "\n  Gatehouse is ready.\n\n    Issuer:     {}\n    Discovery:  {}\n    Mail:       {}\n",
            self.issuer, self.discovery, self.mail
        );
        if let Some(url) = &self.setup_url {
            out.push_str(&format!(
                "\n  No platform owner exists yet. Open this link to create one:\n\n    {url}\n\n  \
                 It works once; each start prints a new one until an owner exists.\n"
            ));
        }
        out
    }

    /// Written to stderr with the logs: a block of text on a terminal, one JSON log line
    /// otherwise.
    pub fn print(&self, format: LogFormat) {
        match format {
            LogFormat::Text => eprintln!("{}", self.text()),
            LogFormat::Json => tracing::info!(
                issuer = %self.issuer,
                discovery = %self.discovery,
                mail = %self.mail,
                setup_url = self.setup_url.as_deref(),
                "gatehouse is ready{}",
                if self.setup_url.is_some() {
                    ": open setup_url to create the first platform owner"
                } else {
                    ""
                }
            ),
        }
    }
}

/// The dev outbox folder, or the SMTP server's host and port (never its credentials).
pub fn mail_destination(settings: &Settings) -> String {
    match &settings.mail.smtp_url {
        None => format!(
            "no SMTP server set: mail is written as .eml files to {}",
            settings.data_dir.join("outbox").display()
        ),
        Some(raw) => match url::Url::parse(raw.expose_secret()) {
            Ok(url) => format!(
                "SMTP server {}{}",
                url.host_str().unwrap_or("?"),
                url.port().map(|p| format!(":{p}")).unwrap_or_default()
            ),
            Err(_) => "SMTP server (unparseable URL)".to_owned(),
        },
    }
}

/// Warnings about an issuer other machines cannot use safely, logged by `serve` before it
/// resolves an unset `server.public_url`.
pub fn warn_about_issuer(settings: &Settings) {
    if settings.server.public_url.is_empty() {
        if !is_loopback_host(&settings.server.host) {
            tracing::warn!(
                host = %settings.server.host,
                "server.public_url is unset, so the issuer is http://localhost:<port>, which only this machine reaches; set GATEHOUSE_SERVER__PUBLIC_URL to the URL others use"
            );
        }
    } else if settings.public_url_is_insecure() {
        tracing::warn!(
            public_url = %settings.public_url(),
            "server.public_url is plain http on a host other than this machine: tokens and session cookies cross the network unencrypted; use https (see docs/deployment.md)"
        );
    }
}

fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_destination_names_the_smtp_host_without_credentials() {
        let mut settings = Settings::default();
        settings.mail.smtp_url = Some("smtp://user:secret@mail.example.com:587".to_owned().into());
        let described = mail_destination(&settings);
        assert_eq!(described, "SMTP server mail.example.com:587");
        settings.mail.smtp_url = None;
        assert!(mail_destination(&settings).contains("outbox"));
    }

    #[test]
    fn the_setup_link_is_in_the_text_only_while_needed() {
        let mut banner = Banner {
            issuer: "http://localhost:8080".into(),
            discovery: "http://localhost:8080/.well-known/openid-configuration".into(),
            mail: "SMTP server mail.example.com".into(),
            setup_url: None,
        };
        assert!(!banner.text().contains("/setup"));
        banner.setup_url = Some("http://localhost:8080/setup?token=abc".into());
        assert!(
            banner
                .text()
                .contains("http://localhost:8080/setup?token=abc")
        );
    }

    #[test]
    fn loopback_hosts_are_recognised() {
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("::1"));
        assert!(is_loopback_host("localhost"));
        assert!(!is_loopback_host("0.0.0.0"));
        assert!(!is_loopback_host("10.1.2.3"));
    }
}
