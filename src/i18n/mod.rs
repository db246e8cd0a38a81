//! Translations of the hosted pages and mail: Fluent catalogues embedded at compile time
//! (`templates/locales/<lang>/*.ftl`), the languages shipped, and how one is chosen.
//!
//! A page renders in the language of the request that asked for it: the web layer negotiates it
//! once per request (`web::locale`) and runs the handler inside [`scope`], so templates can call
//! [`t`] without every page struct carrying the language. Mail is rendered for its recipient and
//! is given its language explicitly ([`in_locale`]).
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Display;
use std::future::Future;
use std::sync::{Arc, LazyLock};

use chrono::Datelike;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader};

mod negotiate;
pub use negotiate::{negotiate, parse_ui_locales};

fluent_templates::static_loader! {
    static CATALOGUE = {
        locales: "./templates/locales",
        fallback_language: "en",
        // Unicode isolation marks around arguments would change every English string byte for
        // byte; the arguments shown are names and numbers, not right-to-left text.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the hosted pages and mail are shipped in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    #[default]
    En,
    De,
    Fr,
}

impl Locale {
    /// Every shipped language, in the order the account page offers them.
    pub const ALL: [Locale; 3] = [Locale::En, Locale::De, Locale::Fr];

    /// The BCP 47 tag: `lang` attributes, the saved preference, the catalogue folder.
    pub fn tag(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
        }
    }

    /// The language's own name, as a language select shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::De => "Deutsch",
            Self::Fr => "Français",
        }
    }

    /// A shipped language from a tag such as `de`, `de-AT` or `DE_ch` (primary subtag only).
    pub fn from_tag(tag: &str) -> Option<Self> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.tag() == primary)
    }

    fn langid(self) -> LanguageIdentifier {
        // The tags above are valid BCP 47; the fallback is never taken.
        self.tag().parse().unwrap_or_default()
    }

    /// The message `key` in this language (the English one if this language lacks it).
    pub fn text(self, key: &str) -> String {
        CATALOGUE.lookup(&self.langid(), key)
    }

    /// The message `key` with its `{ $name }` placeables filled in.
    pub fn text_with(self, key: &str, args: &[(&'static str, FluentValue<'_>)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.clone()))
            .collect();
        CATALOGUE.lookup_complete(&self.langid(), key, Some(&args))
    }
}

/// What every page of one request renders with: its language and the platform's name (the
/// header and title of pages that belong to no organization).
#[derive(Clone)]
struct PageScope {
    locale: Locale,
    site_name: Arc<str>,
}

tokio::task_local! {
    static CURRENT: PageScope;
}

/// Runs `future` (a request's handler) with `locale` as the language its pages render in.
pub async fn scope<F: Future>(locale: Locale, site_name: Arc<str>, future: F) -> F::Output {
    CURRENT.scope(PageScope { locale, site_name }, future).await
}

/// Runs `f` with `locale` as the current language (mail rendered for its recipient).
pub fn in_locale<R>(locale: Locale, f: impl FnOnce() -> R) -> R {
    let site_name = site_name();
    CURRENT.sync_scope(PageScope { locale, site_name }, f)
}

/// The language of the page being rendered: the request's, or the default outside a request.
pub fn current() -> Locale {
    CURRENT.try_with(|s| s.locale).unwrap_or_default()
}

/// The platform's display name for the page being rendered (`branding.name`).
pub fn site_name() -> Arc<str> {
    CURRENT
        .try_with(|s| s.site_name.clone())
        .unwrap_or_else(|_| Arc::from("Gatehouse"))
}

/// The first shipped language among a recipient's saved preference, else the current one.
pub fn for_recipient(saved: Option<&str>) -> Locale {
    saved.and_then(Locale::from_tag).unwrap_or_else(current)
}

/// Templates: the message `key` in the current language.
pub fn t(key: &str) -> String {
    current().text(key)
}

/// Templates: the message `key` with one text argument.
pub fn t1(key: &str, name: &'static str, value: impl Display) -> String {
    current().text_with(key, &[(name, FluentValue::from(value.to_string()))])
}

/// Templates: the message `key` with two text arguments.
pub fn t2(
    key: &str,
    name: &'static str,
    value: impl Display,
    name2: &'static str,
    value2: impl Display,
) -> String {
    current().text_with(
        key,
        &[
            (name, FluentValue::from(value.to_string())),
            (name2, FluentValue::from(value2.to_string())),
        ],
    )
}

/// Templates: the message `key` with a number argument (plural forms choose on it).
pub fn tn(key: &str, name: &'static str, n: impl Display) -> String {
    let n = n.to_string();
    current().text_with(key, &[(name, FluentValue::try_number(&n))])
}

/// Templates: a message that holds markup (`<strong>`): its text argument is HTML-escaped
/// here, so the result is rendered `|safe`.
pub fn t1_html(key: &str, name: &'static str, value: impl Display) -> String {
    t1(key, name, escape_html(&value.to_string()))
}

/// Templates: [`t1_html`] with two arguments.
pub fn t2_html(
    key: &str,
    name: &'static str,
    value: impl Display,
    name2: &'static str,
    value2: impl Display,
) -> String {
    t2(
        key,
        name,
        escape_html(&value.to_string()),
        name2,
        escape_html(&value2.to_string()),
    )
}

/// Templates: [`t1_html`] with three `(name, value)` arguments.
pub fn t3_html<A: Display, B: Display, C: Display>(
    key: &str,
    first: &(&'static str, A),
    second: &(&'static str, B),
    third: &(&'static str, C),
) -> String {
    let values = [
        (
            first.0,
            FluentValue::from(escape_html(&first.1.to_string())),
        ),
        (
            second.0,
            FluentValue::from(escape_html(&second.1.to_string())),
        ),
        (
            third.0,
            FluentValue::from(escape_html(&third.1.to_string())),
        ),
    ];
    current().text_with(key, &values)
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

/// One refusal of the core as the English catalogue words it: the literal parts around its
/// placeables (one more than the placeables) and the placeables' names.
struct RefusalPattern {
    key: &'static str,
    literals: Vec<&'static str>,
    names: Vec<&'static str>,
}

impl RefusalPattern {
    fn parse(line: &'static str) -> Option<Self> {
        let (key, text) = line.split_once(" = ")?;
        let (mut literals, mut names) = (Vec::new(), Vec::new());
        let mut rest = text;
        while let Some((literal, tail)) = rest.split_once("{ $") {
            let (name, tail) = tail.split_once(" }")?;
            literals.push(literal);
            names.push(name);
            rest = tail;
        }
        literals.push(rest);
        Some(Self {
            key,
            literals,
            names,
        })
    }

    /// The placeables' values if `text` is this message in English (each at least one
    /// character, the first occurrence of the literal that follows ends it).
    fn captures<'t>(&self, text: &'t str) -> Option<Vec<&'t str>> {
        let mut rest = text.strip_prefix(self.literals[0])?;
        let mut values = Vec::new();
        for (i, literal) in self.literals.iter().enumerate().skip(1) {
            let end = if i == self.literals.len() - 1 {
                rest.strip_suffix(literal).map(str::len)?
            } else {
                let first = rest.chars().next()?.len_utf8();
                rest[first..].find(literal)? + first
            };
            if end == 0 {
                return None;
            }
            values.push(&rest[..end]);
            rest = &rest[end + literal.len()..];
        }
        (self.literals.len() > 1 || rest.is_empty()).then_some(values)
    }
}

/// The refusals of the core (`templates/locales/en/refusals.ftl`). The core (`auth`, `domain`)
/// words its refusals in English, the one language of the JSON API; a page shows them through
/// [`refusal`], which finds the message the English text came from.
static REFUSALS: LazyLock<Vec<RefusalPattern>> = LazyLock::new(|| {
    include_str!("../../templates/locales/en/refusals.ftl")
        .lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(RefusalPattern::parse)
        .collect()
});

/// A refusal of the core (its English message) in the current language; a message the
/// catalogue does not hold is shown as it is.
pub fn refusal(english: &str) -> String {
    for pattern in REFUSALS.iter() {
        let Some(found) = pattern.captures(english) else {
            continue;
        };
        let mut args: Vec<(&'static str, FluentValue<'_>)> = Vec::new();
        let mut consistent = true;
        for (i, name) in pattern.names.iter().enumerate() {
            let value = found[i];
            match args.iter().find(|(n, _)| n == name) {
                Some((_, FluentValue::String(seen))) => consistent &= seen == value,
                Some(_) => consistent = false,
                None => args.push((name, FluentValue::from(value.to_owned()))),
            }
        }
        if consistent {
            return current().text_with(pattern.key, &args);
        }
    }
    english.to_owned()
}

/// A device as `auth::devices::browser_of` names it and stores it ("Firefox on Linux",
/// "Unknown browser"), in the current language.
pub fn device_name(english: &str) -> String {
    match english.split_once(" on ") {
        _ if english == "Unknown browser" => t("account-unknown-browser"),
        Some((browser, system)) => t2("account-browser-on", "browser", browser, "system", system),
        None => english.to_owned(),
    }
}

/// A moment in UTC as the text of a page or mail in `locale` (labelled UTC: the reader's
/// time zone is not known to the server). English keeps the ISO-like form it always had.
pub fn format_utc(at: chrono::DateTime<chrono::Utc>, locale: Locale) -> String {
    match locale {
        Locale::En => at.format("%Y-%m-%d at %H:%M UTC").to_string(),
        Locale::De => {
            let month = GERMAN_MONTHS[at.month0() as usize];
            format!(
                "{}. {month} {}, {} UTC",
                at.day(),
                at.year(),
                at.format("%H:%M")
            )
        }
        Locale::Fr => {
            let month = FRENCH_MONTHS[at.month0() as usize];
            let day = match at.day() {
                1 => "1er".to_owned(),
                day => day.to_string(),
            };
            format!("{day} {month} {} à {} UTC", at.year(), at.format("%H:%M"))
        }
    }
}

/// A moment shown on a page: `<time datetime="{iso}" title="{utc}">{text}</time>`, the text
/// in the page's language and in UTC (labelled); `enhance.js` rewrites it in the browser's
/// time zone.
pub struct When {
    pub iso: String,
    pub text: String,
    pub utc: String,
}

impl When {
    pub fn new(at: chrono::DateTime<chrono::Utc>) -> Self {
        let locale = current();
        let text = match locale {
            Locale::En => at.format("%Y-%m-%d %H:%M UTC").to_string(),
            Locale::De | Locale::Fr => format_utc(at, locale),
        };
        Self {
            iso: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            text,
            utc: at.format("%Y-%m-%d %H:%M UTC").to_string(),
        }
    }

    /// The `<time>` element, for a message that places the moment in a sentence
    /// ([`t_when`]).
    pub fn html(&self) -> String {
        format!(
            r#"<time datetime="{}" title="{}" data-local>{}</time>"#,
            escape_html(&self.iso),
            escape_html(&self.utc),
            escape_html(&self.text)
        )
    }
}

/// Templates: the message `key` with a moment as its `name` argument, as markup (the
/// `<time>` element of [`When::html`]); render with `|safe`.
pub fn t_when(key: &str, name: &'static str, when: &When) -> String {
    current().text_with(key, &[(name, FluentValue::from(when.html()))])
}

/// Templates: [`t_when`] plus a text argument (HTML-escaped here).
pub fn t2_when(
    key: &str,
    name: &'static str,
    when: &When,
    name2: &'static str,
    value2: impl Display,
) -> String {
    current().text_with(
        key,
        &[
            (name, FluentValue::from(when.html())),
            (name2, FluentValue::from(escape_html(&value2.to_string()))),
        ],
    )
}

const GERMAN_MONTHS: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];

const FRENCH_MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

#[cfg(test)]
mod tests;
