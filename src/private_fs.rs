//! Files that hold secrets are private to the service account: the data directory 0700, the
//! SQLite database with its WAL and shared-memory files, the master key and dev-outbox mails
//! 0600. A copy readable by other local users would hand out sealed secrets' ciphertext,
//! session and token hashes, and (in the dev outbox) live sign-in links.
use std::path::{Path, PathBuf};

/// Creates `dir` (and its parents) with mode 0700 when absent. An existing directory is left
/// as it is, with a warning when other users can read it.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir)?.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(dir = %dir.display(), mode = format!("{:o}", mode & 0o777), "the directory is accessible to other users; chmod 700 it");
            }
        }
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Sets mode 0600 on `path` if it exists.
pub fn restrict_file(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Creates an empty file with mode 0600 when absent, so that SQLite, which gives its `-wal`
/// and `-shm` files the mode of the database file, never creates any of them world-readable.
pub fn precreate_private_file(path: &Path) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_private_dir(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map(drop),
    }
}

/// The database file of a `sqlite:` URL; `None` for PostgreSQL and in-memory databases.
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.contains(":memory:") && path != "memory")
        .then(|| PathBuf::from(path))
}

/// The database file and the `-wal` / `-shm` files SQLite keeps next to it.
pub fn sqlite_files(db_file: &Path) -> [PathBuf; 3] {
    let with_suffix = |suffix: &str| {
        let mut name = db_file.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [db_file.to_owned(), with_suffix("-wal"), with_suffix("-shm")]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_file("sqlite:///var/lib/g/gatehouse.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/g/gatehouse.db"))
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }
}
