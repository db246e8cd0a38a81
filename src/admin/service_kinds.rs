//! The kinds of application the console's "new service" wizard offers, and the settings each
//! one gets (OAuth 2.0 for Browser-Based Apps, RFC 8252 for native apps, RFC 8628 for devices).
use super::services::NewServiceInput;
use crate::oidc::grants::GrantType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    /// Server-side web app: confidential, code + PKCE, refresh tokens.
    Web,
    /// Single-page app: public, code + PKCE, rotating refresh tokens.
    Spa,
    /// Native or mobile app: public, code + PKCE, private-use scheme or loopback redirect.
    Native,
    /// TV, CLI or other input-constrained device: public, device authorization grant.
    Device,
    /// Machine to machine: confidential, client credentials only, no redirect.
    Machine,
}

impl AppKind {
    pub const ALL: [AppKind; 5] = [
        Self::Web,
        Self::Spa,
        Self::Native,
        Self::Device,
        Self::Machine,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Web => "web",
            Self::Spa => "spa",
            Self::Native => "native",
            Self::Device => "device",
            Self::Machine => "machine",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Web => "Web app (server-side)",
            Self::Spa => "Single-page app",
            Self::Native => "Native or mobile app",
            Self::Device => "TV, CLI or device",
            Self::Machine => "Machine to machine",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::Web => {
                "Runs on a server that can keep a secret (Rails, Django, Express, Spring...). Confidential client, authorization code with PKCE, refresh tokens."
            }
            Self::Spa => {
                "Runs entirely in the browser (React, Vue, Angular...). Public client, no secret, authorization code with PKCE, refresh tokens that rotate on every use."
            }
            Self::Native => {
                "An iOS, Android or desktop app. Public client, authorization code with PKCE, redirect to a private-use scheme or a loopback address."
            }
            Self::Device => {
                "A TV, a command-line tool or anything without a good browser: the person approves on another device with a short code."
            }
            Self::Machine => {
                "A backend job or API calling another API as itself, with no person involved. Confidential client, client credentials only."
            }
        }
    }

    /// A public client (no secret).
    pub fn public(self) -> bool {
        matches!(self, Self::Spa | Self::Native | Self::Device)
    }

    /// Whether people sign in through a browser redirect (redirect URIs apply).
    pub fn uses_redirects(self) -> bool {
        matches!(self, Self::Web | Self::Spa | Self::Native)
    }

    pub fn grant_types(self) -> Vec<GrantType> {
        match self {
            Self::Web | Self::Spa | Self::Native => {
                vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
            }
            Self::Device => vec![GrantType::DeviceCode, GrantType::RefreshToken],
            Self::Machine => vec![GrantType::ClientCredentials],
        }
    }

    /// What a redirect URI of this kind looks like, for the form's help text.
    pub fn redirect_hint(self) -> &'static str {
        match self {
            Self::Web => "Your server's callback, e.g. https://app.example.com/auth/callback",
            Self::Spa => {
                "The page of your app that handles the callback, e.g. https://app.example.com/callback"
            }
            Self::Native => {
                "A private-use scheme in reverse-domain form (com.example.app:/callback) or a loopback address (http://127.0.0.1/callback; any port is accepted at sign-in)"
            }
            Self::Device | Self::Machine => "",
        }
    }

    /// The input for [`super::services::create`] with this kind's settings.
    pub fn new_service(self, details: KindDetails) -> NewServiceInput {
        let uses_redirects = self.uses_redirects();
        NewServiceInput {
            slug: details.slug,
            name: details.name,
            public: self.public(),
            grant_types: self
                .grant_types()
                .into_iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            redirect_uris: if uses_redirects {
                details.redirect_uris
            } else {
                Vec::new()
            },
            post_logout_redirect_uris: if uses_redirects {
                details.post_logout_redirect_uris
            } else {
                Vec::new()
            },
            first_party: details.first_party && self != Self::Machine,
            scopes: details.scopes,
            ..Default::default()
        }
    }
}

/// What the wizard's second step asks.
#[derive(Debug, Default)]
pub struct KindDetails {
    pub slug: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub first_party: bool,
    pub scopes: Vec<String>,
}

/// A slug made from a name: lower-case letters and digits, other runs become one dash.
pub fn suggest_slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_end_matches('-').chars().take(63).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_gets_its_defaults() {
        let web = AppKind::Web.new_service(KindDetails::default());
        assert!(!web.public);
        assert_eq!(web.grant_types, ["authorization_code", "refresh_token"]);
        let machine = AppKind::Machine.new_service(KindDetails {
            redirect_uris: vec!["https://x.example/cb".into()],
            first_party: true,
            ..Default::default()
        });
        assert!(!machine.public && !machine.first_party);
        assert!(machine.redirect_uris.is_empty());
        assert_eq!(machine.grant_types, ["client_credentials"]);
        assert!(AppKind::Spa.public() && AppKind::Native.public() && AppKind::Device.public());
        assert_eq!(
            AppKind::Device
                .new_service(KindDetails::default())
                .grant_types,
            [GrantType::DeviceCode.as_str(), "refresh_token"]
        );
    }

    #[test]
    fn slugs_are_suggested_from_names() {
        assert_eq!(suggest_slug("Acme Web Portal"), "acme-web-portal");
        assert_eq!(suggest_slug("  Hello, World!! 2 "), "hello-world-2");
        assert_eq!(suggest_slug("Ünïcode"), "n-code");
    }
}
