use std::collections::BTreeSet;
use std::path::Path;

use super::*;

/// The message ids of every `.ftl` file of one language's folder.
fn keys_of(lang: &str) -> BTreeSet<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("templates/locales")
        .join(lang);
    let mut keys = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            let Some((id, _)) = line.split_once('=') else {
                continue;
            };
            let id = id.trim_end();
            let is_message = line.starts_with(|c: char| c.is_ascii_alphabetic())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if is_message {
                assert!(
                    keys.insert((file.clone(), id.to_owned())),
                    "{lang}/{file}: {id} twice"
                );
            }
        }
    }
    keys
}

#[test]
fn every_shipped_language_has_exactly_the_english_keys() {
    let english = keys_of("en");
    assert!(
        english.len() > 100,
        "the English catalogue is the reference"
    );
    for locale in Locale::ALL {
        let keys = keys_of(locale.tag());
        let missing: Vec<_> = english.difference(&keys).collect();
        let extra: Vec<_> = keys.difference(&english).collect();
        assert!(missing.is_empty(), "{} lacks {missing:?}", locale.tag());
        assert!(
            extra.is_empty(),
            "{} has extra keys {extra:?}",
            locale.tag()
        );
    }
}

#[test]
fn every_key_a_template_uses_exists() {
    let english: BTreeSet<String> = keys_of("en").into_iter().map(|(_, k)| k).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![root.join("templates/base.html")];
    for dir in ["templates/pages", "templates/email"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            sources.push(entry.unwrap().path());
        }
    }
    let mut dirs = vec![root.join("src/web")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                sources.push(path);
            }
        }
    }
    let call = regex_lite_calls();
    for path in sources {
        let text = std::fs::read_to_string(&path).unwrap();
        for key in call(&text) {
            assert!(
                english.contains(&key),
                "{}: unknown message {key}",
                path.display()
            );
        }
    }
}

/// The first argument of every `i18n::t…("key"` call in a template or in the web layer.
fn regex_lite_calls() -> impl Fn(&str) -> Vec<String> {
    |text: &str| {
        text.split("i18n::t")
            .skip(1)
            .filter_map(|rest| {
                let rest = rest.trim_start_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
                let rest = rest.strip_prefix("(\"")?;
                Some(rest.split_once('"')?.0.to_owned())
            })
            .collect()
    }
}

#[test]
fn ui_locales_win_over_the_saved_preference_and_accept_language() {
    let default = Locale::En;
    assert_eq!(
        negotiate(Some("de"), Some("en"), Some("en"), default),
        Locale::De
    );
    assert_eq!(negotiate(Some("ja de-CH"), None, None, default), Locale::De);
    assert_eq!(
        negotiate(Some("ja"), Some("de"), Some("en"), default),
        Locale::De
    );
    assert_eq!(negotiate(None, Some("de"), Some("en"), default), Locale::De);
    assert_eq!(
        negotiate(None, None, Some("ja, fr;q=0.4, de;q=0.8"), default),
        Locale::De
    );
    assert_eq!(negotiate(None, None, Some("de-AT"), default), Locale::De);
    assert_eq!(negotiate(None, None, Some("ja"), Locale::De), Locale::De);
    assert_eq!(negotiate(None, None, None, default), Locale::En);
    assert_eq!(
        negotiate(None, None, Some("fr-CA, en;q=0.8"), default),
        Locale::Fr
    );
}

#[test]
fn messages_fill_their_arguments_without_isolation_marks() {
    let text = in_locale(Locale::De, || tn("mail-expiry-minutes", "minutes", 5));
    assert_eq!(
        text,
        "Dieser Link läuft in 5 Minuten ab und funktioniert einmal."
    );
    let html = t1_html("context-continue-to", "service", "<Acme>");
    assert!(html.contains("&lt;Acme&gt;"), "{html}");
}

#[test]
fn the_cores_english_refusals_are_shown_in_the_pages_language() {
    let german = |english: &str| in_locale(Locale::De, || refusal(english));
    assert_eq!(german("Invalid MFA code"), "Dieser Code stimmt nicht");
    assert_eq!(
        german("This GitHub account is already linked to another account."),
        "Dieses GitHub-Konto ist bereits mit einem anderen Konto verknüpft."
    );
    // A placeable used twice must be the same text both times.
    assert_eq!(
        german(
            "Acme did not confirm a verified email address for this account, so Gatehouse cannot \
             create or link an account. Verify your primary email address at Acme, or sign in another way."
        ),
        "Acme hat für dieses Konto keine bestätigte E-Mail-Adresse gemeldet, deshalb kann \
         Gatehouse kein Konto erstellen oder verknüpfen. Bestätigen Sie Ihre primäre \
         E-Mail-Adresse bei Acme oder melden Sie sich anders an."
    );
    assert_eq!(
        german(
            "Acme did not confirm a verified email address for this account, so Gatehouse cannot create or link an account. Verify your primary email address at Other, or sign in another way."
        ),
        "Acme did not confirm a verified email address for this account, so Gatehouse cannot create or link an account. Verify your primary email address at Other, or sign in another way.",
        "inconsistent placeables: shown as they are"
    );
    // English stays byte for byte what the core said; unknown messages pass through.
    assert_eq!(refusal("Invalid MFA code"), "Invalid MFA code");
    assert_eq!(german("Something nobody wrote"), "Something nobody wrote");
    assert_eq!(
        german("Invalid MFA code and more"),
        "Invalid MFA code and more"
    );
}

#[test]
fn every_refusal_reads_back_as_its_own_english_text() {
    for line in include_str!("../../templates/locales/en/refusals.ftl").lines() {
        let Some((key, text)) = line.split_once(" = ") else {
            continue;
        };
        // Fill each placeable with a sample name, then find the message again.
        let mut filled = String::new();
        let mut rest = text;
        while let Some((literal, tail)) = rest.split_once("{ $") {
            filled.push_str(literal);
            filled.push_str("Acme");
            rest = tail.split_once(" }").unwrap().1;
        }
        filled.push_str(rest);
        assert_eq!(refusal(&filled), filled, "{key}");
        for locale in [Locale::De, Locale::Fr] {
            let translated = in_locale(locale, || refusal(&filled));
            assert_ne!(translated, filled, "{key} is not found again");
        }
    }
}

#[test]
fn stored_device_names_read_in_the_pages_language() {
    let german = |name: &str| in_locale(Locale::De, || device_name(name));
    assert_eq!(german("Firefox on Linux"), "Firefox unter Linux");
    assert_eq!(german("Unknown browser"), "Unbekannter Browser");
    assert_eq!(german("curl"), "curl");
    assert_eq!(device_name("Firefox on Linux"), "Firefox on Linux");
}

#[test]
fn moments_read_in_each_language() {
    let at = chrono::DateTime::parse_from_rfc3339("2026-08-01T14:05:00Z")
        .unwrap()
        .to_utc();
    assert_eq!(format_utc(at, Locale::En), "2026-08-01 at 14:05 UTC");
    assert_eq!(format_utc(at, Locale::De), "1. August 2026, 14:05 UTC");
    assert_eq!(format_utc(at, Locale::Fr), "1er août 2026 à 14:05 UTC");
    let when = in_locale(Locale::Fr, || When::new(at));
    assert_eq!(
        when.html(),
        r#"<time datetime="2026-08-01T14:05:00Z" title="2026-08-01 14:05 UTC" data-local>1er août 2026 à 14:05 UTC</time>"#
    );
    let sentence = in_locale(Locale::Fr, || {
        t_when("security-passkey-added", "when", &when)
    });
    assert!(sentence.starts_with("Ajoutée le <time "), "{sentence}");
}
