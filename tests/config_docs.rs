#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `docs/configuration.md` stays true: its example file loads and validates, its reference table
//! names every key of `Settings` with the right environment variable and default, and the example
//! sets exactly the keys of the table.
use std::collections::BTreeSet;
use std::io::Write;

use gatehouse::config::{
    AdminSettings, BrandingSettings, DatabaseSettings, GithubSettings, GoogleSettings, KeySettings,
    LogSettings, MagicLinkSettings, MailSettings, MicrosoftSettings, PasswordSettings,
    ProvidersSettings, RateLimitSettings, RiskSettings, ServerSettings, SessionSettings, Settings,
    TokenSettings,
};
use secrecy::ExposeSecret;

const DOC: &str = include_str!("../docs/configuration.md");

/// The first ```toml fenced block of the page.
fn example_toml() -> String {
    let mut lines = DOC.lines().skip_while(|line| line.trim() != "```toml");
    assert!(
        lines.next().is_some(),
        "docs/configuration.md has no ```toml block"
    );
    let body: Vec<&str> = lines.take_while(|line| line.trim() != "```").collect();
    body.join("\n") + "\n"
}

/// `section.key` paths set by a TOML snippet written as flat `[section]` tables.
fn keys_of(toml: &str) -> BTreeSet<String> {
    let mut section = String::new();
    let mut keys = BTreeSet::new();
    for line in toml.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = format!("{name}.");
        } else if let Some((key, _)) = line.split_once('=') {
            keys.insert(format!("{section}{}", key.trim()));
        }
    }
    keys
}

/// One row of the reference table: (TOML path, environment variable, default).
fn reference_rows() -> Vec<(String, String, String)> {
    DOC.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.trim().trim_matches('|').split('|').collect();
            let [path, env, default, _meaning] = cells.as_slice() else {
                return None;
            };
            let env = env.trim().trim_matches('`');
            env.starts_with("GATEHOUSE_").then(|| {
                (
                    path.trim().trim_matches('`').to_owned(),
                    env.to_owned(),
                    default
                        .trim()
                        .trim_matches('`')
                        .trim_matches('*')
                        .to_owned(),
                )
            })
        })
        .collect()
}

fn text(value: &str) -> String {
    format!("{value:?}")
}

fn unset_or<T>(value: Option<T>, show: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| "unset".to_owned(), show)
}

/// Every key of `Settings` with its default, written as the reference table writes it. The
/// destructuring has no `..` on purpose: a new setting does not compile until it is listed here,
/// and then this test fails until docs/configuration.md documents it.
fn defaults() -> Vec<(&'static str, String)> {
    let Settings {
        server,
        data_dir,
        master_key,
        database,
        mail,
        password,
        session,
        tokens,
        keys,
        rate_limit,
        magic_link,
        branding,
        risk,
        providers,
        log,
        admin,
    } = Settings::default();
    let ServerSettings {
        host,
        port,
        public_url,
        workers,
        trusted_proxies,
        proxy_header,
        metrics_token,
    } = server;
    let DatabaseSettings {
        url,
        max_connections,
    } = database;
    let MailSettings {
        smtp_url,
        from,
        max_attempts,
        retention_days,
    } = mail;
    let PasswordSettings {
        argon2_memory_kib,
        argon2_iterations,
        argon2_parallelism,
        max_concurrent_hashes,
    } = password;
    let SessionSettings {
        cookie_name,
        ttl_hours,
    } = session;
    let TokenSettings {
        email_verification_ttl_minutes,
        password_reset_ttl_minutes,
        refresh_absolute_days,
    } = tokens;
    let KeySettings {
        jwks_max_age_secs,
        rsa_bits,
    } = keys;
    let RateLimitSettings {
        login_per_ip_per_minute,
        login_per_account_per_15_minutes,
        login_per_account_ceiling_per_15_minutes,
        mail_per_address_per_hour,
        requests_per_ip_per_minute,
        mfa_attempts_per_user_per_5_minutes,
        device_code_entry_per_ip_per_minute,
        magic_links_per_email_per_15_minutes,
        magic_links_per_email_ceiling_per_15_minutes,
        authorize_per_ip_per_minute,
        admin_api_per_caller_per_minute,
        backend: rate_limit_backend,
        redis_url,
        key_prefix,
    } = rate_limit;
    let BrandingSettings {
        name: brand_name,
        logo_url,
        accent,
        support_url,
        privacy_url,
        terms_url,
        default_language,
    } = branding;
    let MagicLinkSettings {
        ttl_minutes: magic_link_ttl_minutes,
        allow_signup,
    } = magic_link;
    let RiskSettings {
        enabled: risk_enabled,
        step_up_at,
        block_at,
    } = risk;
    let ProvidersSettings {
        timeout_secs,
        allow_signup: provider_signup,
        github,
        google,
        microsoft,
    } = providers;
    let GithubSettings {
        client_id: github_id,
        client_secret: github_secret,
        base_url: github_base,
        api_base_url: github_api,
    } = github;
    let GoogleSettings {
        client_id: google_id,
        client_secret: google_secret,
        issuer: google_issuer,
        hosted_domain,
    } = google;
    let MicrosoftSettings {
        client_id: ms_id,
        client_secret: ms_secret,
        tenant,
        authority_host,
        allowed_tenants,
    } = microsoft;
    let LogSettings { format, level } = log;
    let AdminSettings {
        bootstrap_token,
        bootstrap_token_scopes,
        bootstrap_token_expires_at,
        token_redirect_uri,
    } = admin;
    let secret = |s: secrecy::SecretString| text(s.expose_secret());
    vec![
        ("server.host", text(&host)),
        ("server.port", port.to_string()),
        ("server.public_url", text(&public_url)),
        ("server.workers", unset_or(workers, |n| n.to_string())),
        ("server.trusted_proxies", format!("{trusted_proxies:?}")),
        ("server.proxy_header", text(&proxy_header)),
        ("server.metrics_token", unset_or(metrics_token, secret)),
        ("data_dir", text(&data_dir.to_string_lossy())),
        ("master_key", unset_or(master_key, secret)),
        ("database.url", unset_or(url, secret)),
        (
            "database.max_connections",
            unset_or(max_connections, |n| n.to_string()),
        ),
        ("mail.smtp_url", unset_or(smtp_url, secret)),
        ("mail.from", text(&from)),
        ("mail.max_attempts", max_attempts.to_string()),
        ("mail.retention_days", retention_days.to_string()),
        ("password.argon2_memory_kib", argon2_memory_kib.to_string()),
        ("password.argon2_iterations", argon2_iterations.to_string()),
        (
            "password.argon2_parallelism",
            argon2_parallelism.to_string(),
        ),
        (
            "password.max_concurrent_hashes",
            max_concurrent_hashes.to_string(),
        ),
        ("session.cookie_name", text(&cookie_name)),
        ("session.ttl_hours", ttl_hours.to_string()),
        (
            "tokens.email_verification_ttl_minutes",
            email_verification_ttl_minutes.to_string(),
        ),
        (
            "tokens.password_reset_ttl_minutes",
            password_reset_ttl_minutes.to_string(),
        ),
        (
            "tokens.refresh_absolute_days",
            refresh_absolute_days.to_string(),
        ),
        ("keys.jwks_max_age_secs", jwks_max_age_secs.to_string()),
        ("keys.rsa_bits", rsa_bits.to_string()),
        (
            "rate_limit.login_per_ip_per_minute",
            login_per_ip_per_minute.to_string(),
        ),
        (
            "rate_limit.login_per_account_per_15_minutes",
            login_per_account_per_15_minutes.to_string(),
        ),
        (
            "rate_limit.login_per_account_ceiling_per_15_minutes",
            login_per_account_ceiling_per_15_minutes.to_string(),
        ),
        (
            "rate_limit.mail_per_address_per_hour",
            mail_per_address_per_hour.to_string(),
        ),
        (
            "rate_limit.requests_per_ip_per_minute",
            requests_per_ip_per_minute.to_string(),
        ),
        (
            "rate_limit.mfa_attempts_per_user_per_5_minutes",
            mfa_attempts_per_user_per_5_minutes.to_string(),
        ),
        (
            "rate_limit.device_code_entry_per_ip_per_minute",
            device_code_entry_per_ip_per_minute.to_string(),
        ),
        (
            "rate_limit.magic_links_per_email_per_15_minutes",
            magic_links_per_email_per_15_minutes.to_string(),
        ),
        (
            "rate_limit.magic_links_per_email_ceiling_per_15_minutes",
            magic_links_per_email_ceiling_per_15_minutes.to_string(),
        ),
        (
            "rate_limit.authorize_per_ip_per_minute",
            authorize_per_ip_per_minute.to_string(),
        ),
        ("rate_limit.backend", text(&rate_limit_backend)),
        ("rate_limit.redis_url", unset_or(redis_url, secret)),
        ("rate_limit.key_prefix", text(&key_prefix)),
        ("magic_link.ttl_minutes", magic_link_ttl_minutes.to_string()),
        ("magic_link.allow_signup", allow_signup.to_string()),
        ("branding.name", text(&brand_name)),
        ("branding.logo_url", unset_or(logo_url, |s| text(&s))),
        ("branding.accent", unset_or(accent, |s| text(&s))),
        ("branding.support_url", unset_or(support_url, |s| text(&s))),
        ("branding.privacy_url", unset_or(privacy_url, |s| text(&s))),
        ("branding.terms_url", unset_or(terms_url, |s| text(&s))),
        ("branding.default_language", text(&default_language)),
        ("risk.enabled", risk_enabled.to_string()),
        ("risk.step_up_at", step_up_at.to_string()),
        ("risk.block_at", block_at.to_string()),
        ("providers.timeout_secs", timeout_secs.to_string()),
        ("providers.allow_signup", provider_signup.to_string()),
        (
            "providers.github.client_id",
            unset_or(github_id, |s| text(&s)),
        ),
        (
            "providers.github.client_secret",
            unset_or(github_secret, secret),
        ),
        ("providers.github.base_url", text(&github_base)),
        ("providers.github.api_base_url", text(&github_api)),
        (
            "providers.google.client_id",
            unset_or(google_id, |s| text(&s)),
        ),
        (
            "providers.google.client_secret",
            unset_or(google_secret, secret),
        ),
        ("providers.google.issuer", text(&google_issuer)),
        (
            "providers.google.hosted_domain",
            unset_or(hosted_domain, |s| text(&s)),
        ),
        (
            "providers.microsoft.client_id",
            unset_or(ms_id, |s| text(&s)),
        ),
        (
            "providers.microsoft.client_secret",
            unset_or(ms_secret, secret),
        ),
        ("providers.microsoft.tenant", text(&tenant)),
        ("providers.microsoft.authority_host", text(&authority_host)),
        (
            "providers.microsoft.allowed_tenants",
            format!("{allowed_tenants:?}"),
        ),
        (
            "admin.token_redirect_uri",
            unset_or(token_redirect_uri, |u| text(&u)),
        ),
        ("log.format", text(&format)),
        ("log.level", text(&level)),
        (
            "rate_limit.admin_api_per_caller_per_minute",
            admin_api_per_caller_per_minute.to_string(),
        ),
        ("admin.bootstrap_token", unset_or(bootstrap_token, secret)),
        (
            "admin.bootstrap_token_scopes",
            format!("{bootstrap_token_scopes:?}"),
        ),
        (
            "admin.bootstrap_token_expires_at",
            unset_or(bootstrap_token_expires_at, |s| text(&s)),
        ),
    ]
}

/// `true` when the environment overrides `var`, so the example's value cannot be asserted.
fn overridden(var: &str) -> bool {
    std::env::var_os(var).is_some()
}

#[test]
fn the_documented_example_loads_and_validates() {
    let mut file = tempfile::Builder::new()
        .prefix("gatehouse-example")
        .suffix(".toml")
        .tempfile()
        .unwrap();
    file.write_all(example_toml().as_bytes()).unwrap();
    file.flush().unwrap();

    let settings = Settings::load(Some(file.path())).expect("the example loads");

    if let Err(problems) = settings.validate() {
        panic!("the example does not validate: {problems}");
    }
    // `Settings::load` also reads GATEHOUSE_* and DATABASE_URL; assert only what they leave alone.
    if !overridden("GATEHOUSE_SERVER__PORT") {
        assert_eq!(settings.server.port, 9443);
    }
    if !overridden("GATEHOUSE_SERVER__PUBLIC_URL") {
        assert_eq!(settings.public_url(), "https://id.example.com");
    }
    if !overridden("GATEHOUSE_DATA_DIR") {
        assert_eq!(
            settings.data_dir,
            std::path::PathBuf::from("/var/lib/gatehouse")
        );
    }
    if !overridden("GATEHOUSE_MASTER_KEY") {
        assert!(settings.master_key.is_some());
    }
    if !overridden("GATEHOUSE_PASSWORD__ARGON2_MEMORY_KIB") {
        assert_eq!(settings.password.argon2_memory_kib, 65536);
    }
    if !overridden("GATEHOUSE_RATE_LIMIT__LOGIN_PER_ACCOUNT_PER_15_MINUTES") {
        assert_eq!(settings.rate_limit.login_per_account_per_15_minutes, 5);
    }
    if !overridden("GATEHOUSE_LOG__FORMAT") {
        assert_eq!(settings.log.format, "json");
    }
}

#[test]
fn the_reference_table_lists_every_key_with_its_variable_and_default() {
    let rows = reference_rows();
    let documented: BTreeSet<String> = rows.iter().map(|(path, ..)| path.clone()).collect();
    assert_eq!(documented.len(), rows.len(), "a key is listed twice");

    for (path, env, _) in &rows {
        let expected = format!("GATEHOUSE_{}", path.replace('.', "__").to_uppercase());
        assert_eq!(env, &expected, "environment variable of {path}");
    }

    let defaults = defaults();
    let actual: BTreeSet<String> = defaults
        .iter()
        .map(|(path, _)| (*path).to_owned())
        .collect();
    assert_eq!(documented, actual, "documented keys vs Settings");
    for (path, default) in defaults {
        let row = rows.iter().find(|(p, ..)| p == path).unwrap();
        assert_eq!(row.2, default, "documented default of {path}");
    }
}

#[test]
fn the_example_sets_exactly_the_documented_keys() {
    let documented: BTreeSet<String> = reference_rows()
        .into_iter()
        .map(|(path, ..)| path)
        .collect();

    assert_eq!(keys_of(&example_toml()), documented);
}
