/// An email address as typed (trimmed) plus the normal form used to look it up.
///
/// The normal form lower-cases only ASCII letters of the local part and maps the domain to its
/// IDNA ASCII form (the form mail is routed by). Full Unicode case folding is not applied:
/// it maps distinct characters onto one (the Kelvin sign `K` onto `k`, `ß` onto `ss` in some
/// foldings), so two different mailboxes could share a normal form and one could capture the
/// other's account. Distinct normal forms for one mailbox cost at most a duplicate account;
/// a shared one would cost an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    display: String,
    normalized: String,
}

/// Why an email address is refused. The English text is the JSON API's message; pages show
/// their own words for each variant (`web::refusals`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailRefusal {
    #[error("Enter your email address")]
    Empty,
    #[error("Invalid email format")]
    Malformed,
}

impl From<EmailRefusal> for std::borrow::Cow<'static, str> {
    fn from(refusal: EmailRefusal) -> Self {
        Self::Owned(refusal.to_string())
    }
}

impl Email {
    /// Accepts what lettre can deliver to, at most 254 characters (RFC 5321 path limit).
    pub fn parse(raw: &str) -> Result<Self, EmailRefusal> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(EmailRefusal::Empty);
        }
        if trimmed.len() > 254
            || trimmed.parse::<lettre::Address>().is_err()
            || !trimmed.contains('@')
        {
            return Err(EmailRefusal::Malformed);
        }
        let normalized = normalize(trimmed).ok_or(EmailRefusal::Malformed)?;
        Ok(Self {
            display: trimmed.to_owned(),
            normalized,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.display
    }

    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

fn normalize(address: &str) -> Option<String> {
    let (local, domain) = address.rsplit_once('@')?;
    let domain = if domain.starts_with('[') {
        // An address literal (`[192.0.2.1]`): no IDNA, ASCII only.
        domain.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(domain).ok()?
    };
    if domain.is_empty() {
        return None;
    }
    Some(format!("{}@{domain}", local.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::Email;

    #[test]
    fn emails_are_trimmed_and_normalized() {
        let email = Email::parse("  Alice@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Alice@Example.COM");
        assert_eq!(email.normalized(), "alice@example.com");
    }

    #[test]
    fn distinct_mailboxes_never_share_a_normal_form() {
        // The Kelvin sign folds to `k` and the dotted capital I to `i̇` under Unicode
        // lower-casing: neither may land on another mailbox's normal form.
        let kelvin = Email::parse("\u{212A}ate@example.com").unwrap();
        assert_ne!(kelvin.normalized(), "kate@example.com");
        let dotted = Email::parse("\u{130}van@example.com").unwrap();
        assert_ne!(
            dotted.normalized(),
            Email::parse("ivan@example.com").unwrap().normalized()
        );
        // ASCII case and the domain's Unicode form do name one mailbox.
        assert_eq!(
            Email::parse("Kate@B\u{dc}cher.Example")
                .unwrap()
                .normalized(),
            "kate@xn--bcher-kva.example"
        );
        assert_eq!(
            Email::parse("kate@xn--bcher-kva.example")
                .unwrap()
                .normalized(),
            "kate@xn--bcher-kva.example"
        );
    }

    #[test]
    fn malformed_emails_are_rejected() {
        for bad in [
            "",
            "plain",
            "a@",
            "@b.c",
            "a b@c.d",
            "a@b@c",
            &format!("{}@x.io", "a".repeat(260)),
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
