//! How an organization (or, by default, the platform) presents itself on its services' hosted
//! pages and mail: checks of what an admin sets (logo type and size, SVG without active
//! content, https links, accent contrast) and the resolved [`Brand`] a page or mail renders.
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::state::AppState;
use crate::store::org_branding;

/// Largest uploaded logo: a header image, not a photo.
pub const MAX_LOGO_BYTES: usize = 256 * 1024;

/// WCAG 2.1 AA for normal text (links) and for white text on the accent (buttons).
const AA: f64 = 4.5;
const WHITE: Rgb = Rgb(0xff, 0xff, 0xff);
/// The dark palette's card background (static/gatehouse.css `--card` in dark mode).
pub const DARK_CARD: Rgb = Rgb(0x1c, 0x21, 0x28);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// `#rrggbb` (or `rrggbb`).
    pub fn parse(raw: &str) -> Option<Rgb> {
        let hex = raw.trim().strip_prefix('#').unwrap_or(raw.trim());
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
        Some(Rgb(channel(0)?, channel(2)?, channel(4)?))
    }

    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// Relative luminance (WCAG 2.1).
    fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.0) + 0.7152 * linear(self.1) + 0.0722 * linear(self.2)
    }

    /// Mixes `self` toward white by `t` (0..=1).
    fn lighten(self, t: f64) -> Rgb {
        let mix = |c: u8| (f64::from(c) + (255.0 - f64::from(c)) * t).round() as u8;
        Rgb(mix(self.0), mix(self.1), mix(self.2))
    }
}

/// WCAG contrast ratio, 1 to 21.
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (a.luminance(), b.luminance());
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    (hi + 0.05) / (lo + 0.05)
}

/// An accent colour usable in both palettes: `light` as given (links on white, white button
/// text on it), `dark` lightened until it reads on the dark card (with dark button text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accent {
    pub light: Rgb,
    pub dark: Rgb,
}

impl Accent {
    pub fn parse(raw: &str) -> Result<Accent, String> {
        let light = Rgb::parse(raw)
            .ok_or_else(|| format!("the accent must be a colour like #2f5bea, got {raw:?}"))?;
        let ratio = contrast(light, WHITE);
        if ratio < AA {
            return Err(format!(
                "the accent {} has a contrast of {ratio:.2}:1 against white; WCAG AA needs 4.5:1, so choose a darker colour",
                light.hex()
            ));
        }
        let dark = (0..=20)
            .map(|step| light.lighten(f64::from(step) / 20.0))
            .find(|c| contrast(*c, DARK_CARD) >= AA)
            .unwrap_or(WHITE);
        Ok(Accent { light, dark })
    }

    /// The stylesheet that recolours the pages (served from the app, so the CSP stays strict).
    pub fn stylesheet(&self) -> String {
        format!(
            ":root {{ --brand: {}; --on-brand: #fff; }}\n@media (prefers-color-scheme: dark) {{ :root {{ --brand: {}; --on-brand: #111418; }} }}\n",
            self.light.hex(),
            self.dark.hex()
        )
    }
}

/// A logo's content type from its bytes (never from a file name): PNG, JPEG, WebP or SVG. An SVG
/// must not carry scripts, event handlers, external references or embedded HTML; it is also
/// served with a sandboxing CSP, so this check is a second wall, not the only one.
pub fn logo_type(bytes: &[u8]) -> Result<&'static str, String> {
    if bytes.is_empty() {
        return Err("the logo file is empty".into());
    }
    if bytes.len() > MAX_LOGO_BYTES {
        return Err(format!(
            "the logo is {} KiB; the limit is {} KiB",
            bytes.len().div_ceil(1024),
            MAX_LOGO_BYTES / 1024
        ));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok("image/png");
    }
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return Ok("image/jpeg");
    }
    if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok("image/webp");
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err("the logo must be a PNG, JPEG, WebP or SVG image".into());
    };
    let lower = text.to_ascii_lowercase();
    if !lower.contains("<svg") {
        return Err("the logo must be a PNG, JPEG, WebP or SVG image".into());
    }
    let active = [
        "<script",
        "javascript:",
        "<foreignobject",
        "<!entity",
        "<iframe",
        "<embed",
        "<object",
    ];
    if let Some(found) = active.iter().find(|needle| lower.contains(*needle)) {
        return Err(format!(
            "the SVG logo contains {found}; remove scripts and embedded content"
        ));
    }
    // Event handler attributes (`onload=`, `onclick =`) anywhere in a tag.
    let handler = lower
        .split(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'')
        .any(|word| {
            word.starts_with("on")
                && word[2..].split('=').next().is_some_and(|name| {
                    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase())
                })
                && word.contains('=')
        });
    if handler {
        return Err("the SVG logo contains an event handler attribute (on…=); remove it".into());
    }
    // External references: only fragment links (#id) and inline data.
    for attr in ["href=\"", "href='"] {
        for (i, _) in lower.match_indices(attr) {
            let value = &lower[i + attr.len()..];
            if !(value.starts_with('#') || value.starts_with("data:image/")) {
                return Err(
                    "the SVG logo links to another resource; only #fragment links are allowed"
                        .into(),
                );
            }
        }
    }
    Ok("image/svg+xml")
}

/// An https link shown to people (logo, support, privacy, terms).
pub fn https_url(raw: &str, what: &str) -> Result<String, String> {
    match url::Url::parse(raw.trim()) {
        Ok(url) if url.scheme() == "https" && url.host().is_some() => Ok(url.to_string()),
        _ => Err(format!("the {what} must be an https:// URL, got {raw:?}")),
    }
}

/// Hex SHA-256 of a logo: its version in URLs.
pub fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a page or mail shows: the organization's branding over the platform's.
#[derive(Debug, Clone, Default)]
pub struct Brand {
    /// The organization branded, `None` for the platform's: its mail goes through the
    /// organization's own server when it has one.
    pub org_id: Option<Uuid>,
    pub name: String,
    /// An `<img src>`: the uploaded logo's versioned path, or an https URL.
    pub logo_src: Option<String>,
    /// The accent stylesheet's versioned path, when an accent is set.
    pub theme_href: Option<String>,
    /// The accent itself (`#rrggbb`), for mail.
    pub accent: Option<String>,
    pub support_url: Option<String>,
    pub privacy_url: Option<String>,
    pub terms_url: Option<String>,
}

impl Brand {
    /// The platform's branding (`[branding]` in the configuration).
    pub fn platform(state: &AppState) -> Brand {
        let b = &state.settings.branding;
        let accent = b.accent.as_deref().and_then(|a| Accent::parse(a).ok());
        Brand {
            org_id: None,
            name: b.name.clone(),
            logo_src: b.logo_url.clone(),
            theme_href: accent
                .map(|a| format!("/branding/platform/theme.css?v={}", &a.light.hex()[1..])),
            accent: accent.map(|a| a.light.hex()),
            support_url: b.support_url.clone(),
            privacy_url: b.privacy_url.clone(),
            terms_url: b.terms_url.clone(),
        }
    }

    /// The branding of an organization's services; `org_name` when it sets no display name.
    /// A failed lookup falls back to the platform's: branding never blocks a sign-in.
    pub async fn of_org(state: &AppState, org_id: Uuid, org_name: &str) -> Brand {
        let platform = Brand::platform(state);
        let row = match org_branding::find(&state.db, org_id).await {
            Ok(row) => row,
            Err(e) => {
                tracing::warn!(error = %e, "branding lookup failed");
                return Brand {
                    org_id: Some(org_id),
                    name: org_name.to_owned(),
                    ..platform
                };
            }
        };
        let uploaded = org_branding::logo_digest(&state.db, org_id)
            .await
            .ok()
            .flatten()
            .map(|sha| format!("/branding/{org_id}/logo?v={}", &sha[..16]));
        let Some(row) = row else {
            return Brand {
                org_id: Some(org_id),
                name: org_name.to_owned(),
                logo_src: uploaded.or(platform.logo_src),
                ..platform
            };
        };
        let accent = row.accent.as_deref().and_then(|a| Accent::parse(a).ok());
        let theme_href =
            accent.map(|a| format!("/branding/{org_id}/theme.css?v={}", &a.light.hex()[1..]));
        Brand {
            org_id: Some(org_id),
            name: row.display_name.unwrap_or_else(|| org_name.to_owned()),
            logo_src: uploaded.or(row.logo_url).or(platform.logo_src),
            theme_href: theme_href.or(platform.theme_href),
            accent: accent.map(|a| a.light.hex()).or(platform.accent),
            support_url: row.support_url.or(platform.support_url),
            privacy_url: row.privacy_url.or(platform.privacy_url),
            terms_url: row.terms_url.or(platform.terms_url),
        }
    }

    /// Any footer link to show.
    pub fn has_links(&self) -> bool {
        self.support_url.is_some() || self.privacy_url.is_some() || self.terms_url.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_wcag_examples() {
        assert!((contrast(Rgb(0, 0, 0), WHITE) - 21.0).abs() < 0.01);
        assert!((contrast(WHITE, WHITE) - 1.0).abs() < 0.01);
        // #767676 is the classic lightest grey passing AA on white.
        assert!(contrast(Rgb::parse("#767676").unwrap(), WHITE) >= 4.5);
        assert!(contrast(Rgb::parse("#777777").unwrap(), WHITE) < 4.5);
    }

    #[test]
    fn accents_must_read_on_white_and_get_a_readable_dark_variant() {
        let err = Accent::parse("#ffcc00").unwrap_err();
        assert!(err.contains("against white"), "{err}");
        assert!(Accent::parse("blue").is_err());
        let accent = Accent::parse("#2f5bea").unwrap();
        assert!(contrast(accent.light, WHITE) >= AA);
        assert!(contrast(accent.dark, DARK_CARD) >= AA);
        assert_ne!(accent.light, accent.dark, "lightened for the dark palette");
    }

    #[test]
    fn logos_are_sniffed_and_svg_without_active_content() {
        assert_eq!(logo_type(b"\x89PNG\r\n\x1a\nrest").unwrap(), "image/png");
        assert_eq!(logo_type(b"RIFF\0\0\0\0WEBPVP8 ").unwrap(), "image/webp");
        let ok = br##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><use href="#a"/><rect width="10" height="10" fill="#123"/></svg>"##;
        assert_eq!(logo_type(ok).unwrap(), "image/svg+xml");
        for bad in [
            &br#"<svg><script>alert(1)</script></svg>"#[..],
            br#"<svg onload="alert(1)"></svg>"#,
            br#"<svg><a href="javascript:alert(1)">x</a></svg>"#,
            br#"<svg><image href="https://evil.example/x.png"/></svg>"#,
            br#"<svg><foreignObject><p>x</p></foreignObject></svg>"#,
            b"GIF89a",
            b"",
        ] {
            assert!(logo_type(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(logo_type(&vec![0x89; MAX_LOGO_BYTES + 1]).is_err());
    }
}
