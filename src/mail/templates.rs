//! Email twins (plain text + HTML) rendered by askama; every string is computed here, from the
//! `mail-*` messages of the catalogue in the current language (`i18n::in_locale` chooses the
//! recipient's).
use askama::Template;

use crate::i18n::{t, t1, t2, tn};

use super::Email;
use crate::branding::{Accent, Brand};

#[derive(Template)]
#[template(path = "email/action.txt")]
struct ActionEmailText<'a> {
    brand: Option<&'a Brand>,
    greeting: &'a str,
    intro: &'a str,
    link: &'a str,
    expiry: &'a str,
    outro: &'a str,
}

#[derive(Template)]
#[template(path = "email/action.html")]
struct ActionEmailHtml<'a> {
    brand: Option<&'a Brand>,
    /// The button's colour: the brand's accent (checked for contrast with white text).
    accent: String,
    lang: &'static str,
    title: &'a str,
    greeting: &'a str,
    intro: &'a str,
    button: &'a str,
    link: &'a str,
    expiry: &'a str,
    outro: &'a str,
}

struct ActionEmail<'a> {
    subject: &'a str,
    intro: &'a str,
    button: &'a str,
    link: &'a str,
    expiry: String,
    outro: &'a str,
    /// The organization (or platform) the mail speaks for: header, footer, sender name.
    brand: Option<&'a Brand>,
}

fn render(action: ActionEmail<'_>) -> Result<Email, askama::Error> {
    let greeting = &t("mail-greeting");
    let accent = action
        .brand
        .and_then(|b| b.accent.as_deref())
        .and_then(|a| Accent::parse(a).ok())
        .map_or_else(|| "#2f5bea".to_owned(), |a| a.light.hex());
    let text = ActionEmailText {
        brand: action.brand,
        greeting,
        intro: action.intro,
        link: action.link,
        expiry: &action.expiry,
        outro: action.outro,
    }
    .render()?;
    let html = ActionEmailHtml {
        brand: action.brand,
        accent,
        lang: crate::i18n::current().tag(),
        title: action.subject,
        greeting,
        intro: action.intro,
        button: action.button,
        link: action.link,
        expiry: &action.expiry,
        outro: action.outro,
    }
    .render()?;
    Ok(Email {
        subject: action.subject.to_owned(),
        text,
        html,
        link: Some(action.link.to_owned()),
        from_name: action.brand.map(|b| b.name.clone()),
        org_id: action.brand.and_then(|b| b.org_id),
    })
}

fn expiry_text(minutes: i64) -> String {
    if minutes % 60 == 0 {
        tn("mail-expiry-hours", "hours", minutes / 60)
    } else {
        tn("mail-expiry-minutes", "minutes", minutes)
    }
}

pub fn verify_email(link: &str, ttl_minutes: i64) -> Result<Email, askama::Error> {
    render(ActionEmail {
        subject: &t("mail-verify-subject"),
        intro: &t("mail-verify-intro"),
        button: &t("mail-verify-button"),
        link,
        expiry: expiry_text(ttl_minutes),
        outro: &t("mail-verify-outro"),
        brand: None,
    })
}

pub fn password_reset(link: &str, ttl_minutes: i64) -> Result<Email, askama::Error> {
    render(ActionEmail {
        subject: &t("mail-reset-subject"),
        intro: &t("mail-reset-intro"),
        button: &t("mail-reset-button"),
        link,
        expiry: expiry_text(ttl_minutes),
        outro: &t("mail-reset-outro"),
        brand: None,
    })
}

pub fn magic_link(
    link: &str,
    ttl_minutes: i64,
    context: &str,
    brand: Option<&Brand>,
) -> Result<Email, askama::Error> {
    let intro = t1("mail-magic-intro", "context", context);
    let subject = t1("mail-magic-subject", "context", context);
    render(ActionEmail {
        subject: &subject,
        intro: &intro,
        button: &t("mail-sign-in-button"),
        link,
        expiry: expiry_text(ttl_minutes),
        outro: &t("mail-magic-outro"),
        brand,
    })
}

/// An organization admin invited this address: the link sets the account's first password.
pub fn invitation(
    link: &str,
    ttl_minutes: i64,
    org: &str,
    brand: Option<&Brand>,
) -> Result<Email, askama::Error> {
    let intro = format!(
        "You have been invited to join {org}. Choose a password with the link below to set up your account."
    );
    let subject = format!("You are invited to {org}");
    render(ActionEmail {
        subject: &subject,
        intro: &intro,
        button: "Set up your account",
        link,
        expiry: expiry_text(ttl_minutes),
        outro: "If you did not expect this invitation, you can ignore this email.",
        brand,
    })
}

/// Sent instead of a second account when someone registers with an address that has one.
pub fn account_exists(login_link: &str) -> Result<Email, askama::Error> {
    render(ActionEmail {
        subject: &t("mail-exists-subject"),
        intro: &t("mail-exists-intro"),
        button: &t("mail-sign-in-button"),
        link: login_link,
        expiry: String::new(),
        outro: &t("mail-exists-outro"),
        brand: None,
    })
}

/// A change to how an account signs in, announced to its owner so that a change they did not
/// make does not go unnoticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityChange {
    PasswordChanged,
    TotpEnabled,
    TotpDisabled,
    BackupCodesRegenerated,
    PasskeyAdded,
    PasskeyRemoved,
    IdentityLinked,
    IdentityUnlinked,
}

impl SecurityChange {
    /// The catalogue key of this change's messages (`mail-change-<key>-subject` / `-what`).
    fn key(self) -> &'static str {
        match self {
            Self::PasswordChanged => "password-changed",
            Self::TotpEnabled => "totp-enabled",
            Self::TotpDisabled => "totp-disabled",
            Self::BackupCodesRegenerated => "backup-codes",
            Self::PasskeyAdded => "passkey-added",
            Self::PasskeyRemoved => "passkey-removed",
            Self::IdentityLinked => "identity-linked",
            Self::IdentityUnlinked => "identity-unlinked",
        }
    }

    fn subject(self) -> String {
        t(&format!("mail-change-{}-subject", self.key()))
    }

    fn what(self) -> String {
        t(&format!("mail-change-{}-what", self.key()))
    }
}

/// `when` and `from` describe the request that made the change (time in UTC, client address).
pub fn security_change(
    change: SecurityChange,
    detail: Option<&str>,
    when: &str,
    from: Option<&str>,
    settings_link: &str,
) -> Result<Email, askama::Error> {
    let mut intro = change.what();
    if let Some(detail) = detail {
        intro.push_str(&format!(" ({detail})"));
    }
    intro.push(' ');
    intro.push_str(&match from {
        Some(from) => t2("mail-change-when-from", "when", when, "address", from),
        None => t1("mail-change-when", "when", when),
    });
    render(ActionEmail {
        subject: &change.subject(),
        intro: &intro,
        button: &t("mail-change-button"),
        link: settings_link,
        expiry: String::new(),
        outro: &t("mail-change-outro"),
        brand: None,
    })
}

/// What a risk notice describes: when, from which address and browser, and how.
pub struct SignInContext<'a> {
    pub when: &'a str,
    pub ip: Option<&'a str>,
    pub browser: &'a str,
    pub method: &'a str,
}

impl SignInContext<'_> {
    fn describe(&self) -> String {
        let args = [
            ("when", self.when.into()),
            ("browser", crate::i18n::device_name(self.browser).into()),
            ("method", self.method.into()),
            ("address", self.ip.unwrap_or_default().into()),
        ];
        let key = if self.ip.is_some() {
            "mail-context-from"
        } else {
            "mail-context"
        };
        crate::i18n::current().text_with(key, &args)
    }
}

/// A sign-in succeeded from a browser the account had not used before (once per device).
pub fn new_sign_in(context: &SignInContext<'_>, reset_link: &str) -> Result<Email, askama::Error> {
    let intro = t1("mail-new-sign-in-intro", "context", context.describe());
    render(ActionEmail {
        subject: &t("mail-new-sign-in-subject"),
        intro: &intro,
        button: &t("mail-not-you-button"),
        link: reset_link,
        expiry: String::new(),
        outro: &t("mail-new-sign-in-outro"),
        brand: None,
    })
}

/// A sign-in with the right credentials was refused by the risk checks.
pub fn sign_in_blocked(
    context: &SignInContext<'_>,
    reset_link: &str,
) -> Result<Email, askama::Error> {
    let intro = t1("mail-blocked-intro", "context", context.describe());
    render(ActionEmail {
        subject: &t("mail-blocked-subject"),
        intro: &intro,
        button: &t("mail-reset-subject"),
        link: reset_link,
        expiry: String::new(),
        outro: &t("mail-blocked-outro"),
        brand: None,
    })
}

/// The one-time code of a risk step-up. The code is in the text, never in the `link` (which
/// the dev outbox logs).
pub fn sign_in_code(
    code: &str,
    ttl_minutes: i64,
    context: &SignInContext<'_>,
    reset_link: &str,
) -> Result<Email, askama::Error> {
    let intro = t2(
        "mail-code-intro",
        "code",
        code,
        "context",
        context.describe(),
    );
    render(ActionEmail {
        subject: &t("mail-code-subject"),
        intro: &intro,
        button: &t("mail-not-you-button"),
        link: reset_link,
        expiry: tn("mail-code-expiry", "minutes", ttl_minutes),
        outro: &t("mail-code-outro"),
        brand: None,
    })
}

/// The console's "send a test mail": proof that an organization's mail server delivers.
pub fn smtp_test(settings_link: &str, brand: Option<&Brand>) -> Result<Email, askama::Error> {
    render(ActionEmail {
        subject: "Gatehouse test mail",
        intro: "This is a test mail sent through your organization's own mail server. It arrived, so the settings work.",
        button: "Open the mail settings",
        link: settings_link,
        expiry: String::new(),
        outro: "You received this because an administrator asked for a test mail.",
        brand,
    })
}
