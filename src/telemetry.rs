use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// The tracing target of the one-line migration summary: the CLI keeps it at `info` while
/// everything else is quiet.
pub const MIGRATIONS_TARGET: &str = "gatehouse::migrations";

/// How log lines are written, once `log.format = "auto"` is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// `auto` is text for a person at a terminal and JSON lines for a log collector.
    pub fn resolve(configured: &str) -> Self {
        match configured {
            "json" => Self::Json,
            "text" => Self::Text,
            _ if std::io::stderr().is_terminal() => Self::Text,
            _ => Self::Json,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
        }
    }
}

/// The level of an admin command: its output is its result, so the default `info` becomes
/// `warn`, except for the line saying which migrations were applied.
pub fn cli_level(configured: &str) -> String {
    if configured == "info" {
        format!("warn,{MIGRATIONS_TARGET}=info")
    } else {
        configured.to_owned()
    }
}

/// Dependencies whose `info` lines repeat what Gatehouse says once: sea-orm-migration's line per
/// migration (see the summary), PostgreSQL's notices through sqlx ("relation … already exists,
/// skipping") and actix-server's worker start-up.
const QUIET_BY_DEFAULT: [&str; 3] = ["sea_orm_migration", "sqlx", "actix_server"];

/// Installs the global subscriber: text or JSON lines on stderr; `RUST_LOG` overrides the level.
/// [`QUIET_BY_DEFAULT`] logs only warnings unless `level` names them.
/// Returns the format in use.
pub fn init(format: &str, level: &str) -> LogFormat {
    let format = LogFormat::resolve(format);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        let mut directives = level.to_owned();
        for quiet in QUIET_BY_DEFAULT {
            if !level.contains(quiet) {
                directives.push_str(&format!(",{quiet}=warn"));
            }
        }
        EnvFilter::new(directives)
    });
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Json => registry
            .with(fmt::layer().json().with_writer(std::io::stderr))
            .try_init(),
        LogFormat::Text => registry
            .with(
                fmt::layer()
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    // A second init (tests) keeps the first subscriber.
    let _ = result;
    format
}
