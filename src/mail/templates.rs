//! Email twins (plain text + HTML) rendered by askama; every string is computed here.
use askama::Template;

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
    let greeting = "Hello,";
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
    match minutes {
        60 => "This link expires in 1 hour and works once.".to_owned(),
        m if m % 60 == 0 => format!("This link expires in {} hours and works once.", m / 60),
        m => format!("This link expires in {m} minutes and works once."),
    }
}

pub fn verify_email(link: &str, ttl_minutes: i64) -> Result<Email, askama::Error> {
    render(ActionEmail {
        subject: "Verify your email address",
        intro: "Please confirm that this is your email address to finish setting up your account.",
        button: "Verify email address",
        link,
        expiry: expiry_text(ttl_minutes),
        outro: "If you did not create an account, you can ignore this email.",
        brand: None,
    })
}

pub fn password_reset(link: &str, ttl_minutes: i64) -> Result<Email, askama::Error> {
    render(ActionEmail {
        subject: "Reset your password",
        intro: "Someone asked to reset the password of your account. Choose a new password with the link below.",
        button: "Choose a new password",
        link,
        expiry: expiry_text(ttl_minutes),
        outro: "If this wasn't you, ignore this email: your password stays unchanged.",
        brand: None,
    })
}

pub fn magic_link(
    link: &str,
    ttl_minutes: i64,
    context: &str,
    brand: Option<&Brand>,
) -> Result<Email, askama::Error> {
    let intro =
        format!("Use the button below to sign in to {context}. You did not need a password.");
    let subject = format!("Your sign-in link for {context}");
    render(ActionEmail {
        subject: &subject,
        intro: &intro,
        button: "Sign in",
        link,
        expiry: expiry_text(ttl_minutes),
        outro: "If this wasn't you, ignore this email: nobody can sign in without opening this link.",
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
        subject: "You already have an account",
        intro: "Someone tried to create an account with this email address, but you already have one. You can sign in, or reset your password from the sign-in page.",
        button: "Sign in",
        link: login_link,
        expiry: String::new(),
        outro: "If this wasn't you, ignore this email: nothing has changed.",
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
    fn subject(self) -> &'static str {
        match self {
            Self::PasswordChanged => "Your password was changed",
            Self::TotpEnabled => "Two-step sign-in was turned on",
            Self::TotpDisabled => "Two-step sign-in was turned off",
            Self::BackupCodesRegenerated => "New backup codes were created",
            Self::PasskeyAdded => "A passkey was added to your account",
            Self::PasskeyRemoved => "A passkey was removed from your account",
            Self::IdentityLinked => "A sign-in provider was linked to your account",
            Self::IdentityUnlinked => "A sign-in provider was unlinked from your account",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Self::PasswordChanged => {
                "The password of your account was changed, and every device that was signed in has been signed out."
            }
            Self::TotpEnabled => {
                "An authenticator app was set up for two-step sign-in on your account."
            }
            Self::TotpDisabled => {
                "Two-step sign-in was turned off on your account: the authenticator app and its backup codes no longer work."
            }
            Self::BackupCodesRegenerated => {
                "A new set of backup codes was created for your account. The previous codes no longer work."
            }
            Self::PasskeyAdded => {
                "A passkey was added to your account. It can sign in without a password."
            }
            Self::PasskeyRemoved => "A passkey was removed from your account.",
            Self::IdentityLinked => {
                "An account at another provider was linked to your account. It can sign in without a password."
            }
            Self::IdentityUnlinked => {
                "An account at another provider was unlinked from your account and can no longer sign in to it."
            }
        }
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
    let mut intro = change.what().to_owned();
    if let Some(detail) = detail {
        intro.push_str(&format!(" ({detail})"));
    }
    intro.push_str(&format!(" This happened on {when}"));
    if let Some(from) = from {
        intro.push_str(&format!(" from the address {from}"));
    }
    intro.push('.');
    render(ActionEmail {
        subject: change.subject(),
        intro: &intro,
        button: "Review your security settings",
        link: settings_link,
        expiry: String::new(),
        outro: "If this was you, there is nothing to do. If it wasn't, reset your password now and remove any sign-in method you do not recognise.",
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
        let mut text = format!("on {} with {} ({})", self.when, self.browser, self.method);
        if let Some(ip) = self.ip {
            text.push_str(&format!(" from the address {ip}"));
        }
        text
    }
}

/// A sign-in succeeded from a browser the account had not used before (once per device).
pub fn new_sign_in(context: &SignInContext<'_>, reset_link: &str) -> Result<Email, askama::Error> {
    let intro = format!(
        "Your account was signed in to from a new device {}.",
        context.describe()
    );
    render(ActionEmail {
        subject: "New sign-in to your account",
        intro: &intro,
        button: "Wasn't you? Reset your password",
        link: reset_link,
        expiry: String::new(),
        outro: "If this was you, there is nothing to do. If it wasn't, reset your password now: that signs out every device.",
        brand: None,
    })
}

/// A sign-in with the right credentials was refused by the risk checks.
pub fn sign_in_blocked(
    context: &SignInContext<'_>,
    reset_link: &str,
) -> Result<Email, askama::Error> {
    let intro = format!(
        "We refused a sign-in to your account {}: it looked suspicious, although the first sign-in step was passed.",
        context.describe()
    );
    render(ActionEmail {
        subject: "Suspicious sign-in blocked",
        intro: &intro,
        button: "Reset your password",
        link: reset_link,
        expiry: String::new(),
        outro: "If this was you, try again later from a device you have used before, or contact support. If it wasn't, someone knows how to sign in as you: reset your password now.",
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
    let intro = format!(
        "Your sign-in code is {code}. Enter it on the page that asked for it to finish signing in {}.",
        context.describe()
    );
    render(ActionEmail {
        subject: "Your sign-in code",
        intro: &intro,
        button: "Wasn't you? Reset your password",
        link: reset_link,
        expiry: format!("The code expires in {ttl_minutes} minutes and works once."),
        outro: "If you did not try to sign in, someone knows your password: reset it now.",
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
