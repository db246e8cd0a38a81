//! `gatehouse org branding set`: an organization's branding, through the admin operation the
//! console's form uses too.
use std::path::Path;

use clap::{Args, Subcommand};

use crate::admin::Actor;
use crate::admin::branding::{BrandingInput, Change, Logo, set_branding};
use crate::config::Settings;
use crate::domain::RequestMeta;
use crate::store::organizations;

#[derive(Subcommand)]
pub enum BrandingCommand {
    /// Change the branding of an organization's sign-in pages and mail; options left out keep
    /// their value.
    Set(BrandingSet),
}

#[derive(Args)]
pub struct BrandingSet {
    #[arg(long)]
    org: String,
    /// The name on the pages and the mail sender's display name (default: the org's name).
    #[arg(long)]
    display_name: Option<String>,
    /// A PNG, JPEG, WebP or SVG file (at most 256 KiB), or an https:// URL.
    #[arg(long)]
    logo: Option<String>,
    /// `#rrggbb`, at least 4.5:1 against white.
    #[arg(long)]
    accent: Option<String>,
    #[arg(long)]
    support_url: Option<String>,
    #[arg(long)]
    privacy_url: Option<String>,
    #[arg(long)]
    terms_url: Option<String>,
    /// Remove a setting (repeatable): display-name, logo, accent, support-url, privacy-url,
    /// terms-url.
    #[arg(long = "clear")]
    clear: Vec<String>,
}

fn change(value: Option<String>, name: &str, clear: &[String]) -> Option<Change<String>> {
    if clear.iter().any(|c| c == name) {
        Some(Change::Clear)
    } else {
        value.map(Change::Set)
    }
}

pub async fn run(cmd: BrandingCommand, settings: Settings, json: bool) -> anyhow::Result<()> {
    let BrandingCommand::Set(set) = cmd;
    let known = [
        "display-name",
        "logo",
        "accent",
        "support-url",
        "privacy-url",
        "terms-url",
    ];
    if let Some(unknown) = set.clear.iter().find(|c| !known.contains(&c.as_str())) {
        anyhow::bail!("--clear {unknown}: use one of {}", known.join(", "));
    }
    let state = crate::startup::prepare(settings).await?;
    let org = organizations::find_by_slug(&state.db, &set.org)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no organization with slug {:?}", set.org))?;
    let logo = if set.clear.iter().any(|c| c == "logo") {
        Some(Change::Clear)
    } else {
        match set.logo {
            None => None,
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => {
                Some(Change::Set(Logo::Url(url)))
            }
            Some(file) => {
                let bytes = std::fs::read(Path::new(&file))
                    .map_err(|e| anyhow::anyhow!("cannot read the logo file {file}: {e}"))?;
                Some(Change::Set(Logo::Upload(bytes)))
            }
        }
    };
    let input = BrandingInput {
        org_id: org.id,
        display_name: change(set.display_name, "display-name", &set.clear),
        logo,
        accent: change(set.accent, "accent", &set.clear),
        support_url: change(set.support_url, "support-url", &set.clear),
        privacy_url: change(set.privacy_url, "privacy-url", &set.clear),
        terms_url: change(set.terms_url, "terms-url", &set.clear),
    };
    let view = set_branding(&state, &Actor::Cli, &RequestMeta::default(), input).await?;
    super::print(json, &view, || {
        format!(
            "branding of {} updated: name {}, logo {}, accent {}",
            set.org,
            view.display_name
                .as_deref()
                .unwrap_or("(the organization's)"),
            view.logo.as_deref().unwrap_or("none"),
            view.accent.as_deref().unwrap_or("default"),
        )
    });
    Ok(())
}
