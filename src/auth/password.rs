//! Argon2id hashing on a fixed set of worker threads, one per CPU (or
//! `password.max_concurrent_hashes`). Each worker reuses one Argon2 memory area, so a sign-in
//! flood costs at most workers × `argon2_memory_kib` of memory instead of an arena per blocking
//! thread, and an idle worker gives its area back.
use std::time::Duration;

use anyhow::{Context, anyhow};
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::oneshot;

use crate::config::PasswordSettings;

/// A worker frees its memory area after this long without work.
const IDLE_RELEASE: Duration = Duration::from_secs(2);

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

pub struct PasswordHasher {
    params: Params,
    jobs: flume::Sender<Job>,
    /// Verified against when the account does not exist, so timing does not reveal it.
    dummy_hash: String,
}

pub struct Verification {
    pub valid: bool,
    /// The stored hash uses other parameters than the configured ones.
    pub needs_rehash: bool,
}

impl PasswordHasher {
    pub fn new(settings: &PasswordSettings) -> anyhow::Result<Self> {
        let params = Params::new(
            settings.argon2_memory_kib,
            settings.argon2_iterations,
            settings.argon2_parallelism,
            None,
        )
        .map_err(|e| anyhow!("invalid Argon2 parameters: {e}"))?;
        let workers = match settings.max_concurrent_hashes {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            n => n,
        };
        let dummy_hash = hash_with(&params, b"gatehouse dummy password", &mut Vec::new())?;
        // The workers end when the hasher (the only sender) is dropped.
        let (sender, receiver) = flume::unbounded::<Job>();
        for i in 0..workers {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .stack_size(256 * 1024)
                .spawn(move || work(&receiver))
                .context("cannot start a password hashing thread")?;
        }
        Ok(Self {
            params,
            jobs: sender,
            dummy_hash,
        })
    }

    pub async fn hash(&self, password: SecretString) -> anyhow::Result<String> {
        let params = self.params.clone();
        self.run(move |memory| hash_with(&params, password.expose_secret().as_bytes(), memory))
            .await
    }

    /// Verifies against `stored`, or against a dummy hash when there is no account or password.
    pub async fn verify(
        &self,
        password: SecretString,
        stored: Option<String>,
    ) -> anyhow::Result<Verification> {
        let exists = stored.is_some();
        let phc = stored.unwrap_or_else(|| self.dummy_hash.clone());
        let params = self.params.clone();
        self.run(move |memory| {
            let parsed = PasswordHash::new(&phc).context("stored password hash is malformed")?;
            let valid = verify_with(&parsed, password.expose_secret().as_bytes(), memory)?;
            let needs_rehash = parsed.algorithm.as_str() != "argon2id"
                || Params::try_from(&parsed).map_or(true, |p| {
                    (p.m_cost(), p.t_cost(), p.p_cost())
                        != (params.m_cost(), params.t_cost(), params.p_cost())
                });
            Ok(Verification {
                valid: valid && exists,
                needs_rehash,
            })
        })
        .await
    }

    /// Queues `job` for the next free worker; callers wait without holding an async worker.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Vec<Block>) -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let (done, result) = oneshot::channel();
        let span = tracing::Span::current();
        let job: Job = Box::new(move |memory| {
            let _ = done.send(span.in_scope(|| job(memory)));
        });
        self.jobs
            .send(job)
            .map_err(|_| anyhow!("password hashing workers stopped"))?;
        result.await.context("password hashing task failed")?
    }
}

/// One worker: takes jobs in turn, lends them its memory area, frees it when idle.
fn work(jobs: &flume::Receiver<Job>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        match jobs.recv_timeout(IDLE_RELEASE) {
            Ok(job) => job(&mut memory),
            Err(flume::RecvTimeoutError::Timeout) if !memory.is_empty() => {
                memory = Vec::new();
                // What the burst of requests freed goes back too, not a minute later.
                crate::housekeeping::memory::release_free_memory();
            }
            Err(flume::RecvTimeoutError::Timeout) => {}
            Err(flume::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Reserved (not touched) for every memory area: above glibc's largest dynamic mmap threshold
/// (32 MiB), so the area is always its own mapping and freeing it returns it to the system.
/// Smaller areas end up in malloc arenas once the threshold has grown, and stay resident.
const RESERVED_BLOCKS: usize = (33 << 20) / Block::SIZE;

/// `memory` grown to the blocks `params` needs (kept for the next job). Only the pages used
/// count towards the resident size.
fn blocks<'m>(memory: &'m mut Vec<Block>, params: &Params) -> &'m mut [Block] {
    let needed = params.block_count();
    if memory.len() < needed {
        *memory = Vec::with_capacity(needed.max(RESERVED_BLOCKS));
        memory.resize(needed, Block::default());
    }
    &mut memory[..needed]
}

fn hash_with(params: &Params, password: &[u8], memory: &mut Vec<Block>) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut salt);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, &salt, &mut out, blocks(memory, params))
        .map_err(|e| anyhow!("argon2: {e}"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| anyhow!("argon2: {e}"))?,
        salt: Some(Salt::new(&salt).map_err(|e| anyhow!("argon2: {e}"))?),
        hash: Some(Output::new(&out).map_err(|e| anyhow!("argon2: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Recomputes the stored hash with its own algorithm, version and parameters.
fn verify_with(
    stored: &PasswordHash,
    password: &[u8],
    memory: &mut Vec<Block>,
) -> anyhow::Result<bool> {
    let (Some(salt), Some(expected)) = (&stored.salt, &stored.hash) else {
        return Ok(false);
    };
    let algorithm =
        Algorithm::try_from(stored.algorithm.as_str()).map_err(|e| anyhow!("argon2: {e}"))?;
    let version = stored
        .version
        .map(Version::try_from)
        .transpose()
        .map_err(|e| anyhow!("argon2: {e}"))?
        .unwrap_or_default();
    let params = Params::try_from(stored).map_err(|e| anyhow!("argon2: {e}"))?;
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(password, salt, &mut out, blocks(memory, &params))
        .map_err(|e| anyhow!("argon2: {e}"))?;
    Ok(subtle::ConstantTimeEq::ct_eq(&out[..], expected.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(m: u32) -> PasswordSettings {
        PasswordSettings {
            argon2_memory_kib: m,
            argon2_iterations: 1,
            argon2_parallelism: 1,
            max_concurrent_hashes: 1,
        }
    }

    /// Hashes stored before the worker pool (the argon2 crate's own PHC output) still verify,
    /// and the crate verifies ours, so neither direction breaks on upgrade or downgrade.
    #[tokio::test]
    async fn hashes_interoperate_with_the_argon2_crate() {
        use argon2::{PasswordHasher as _, PasswordVerifier as _};
        let hasher = PasswordHasher::new(&settings(2048)).unwrap();
        let params = Params::new(1024, 2, 2, None).unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"correct horse")
            .unwrap()
            .to_string();
        let checked = hasher
            .verify(SecretString::from("correct horse"), Some(theirs.clone()))
            .await
            .unwrap();
        assert!(checked.valid && checked.needs_rehash);
        let wrong = hasher
            .verify(SecretString::from("correct horsE"), Some(theirs))
            .await
            .unwrap();
        assert!(!wrong.valid);

        let ours = hasher
            .hash(SecretString::from("correct horse"))
            .await
            .unwrap();
        assert!(ours.starts_with("$argon2id$v=19$m=2048,t=1,p=1$"), "{ours}");
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", ours.as_str())
                .is_ok()
        );
    }

    /// A flood of verifications is served by the fixed workers, every answer correct.
    #[tokio::test]
    async fn many_concurrent_verifications_share_the_workers() {
        let hasher = std::sync::Arc::new(PasswordHasher::new(&settings(1024)).unwrap());
        let hash = hasher.hash(SecretString::from("pw-1")).await.unwrap();
        let tasks: Vec<_> = (0..32)
            .map(|i| {
                let (hasher, hash) = (hasher.clone(), hash.clone());
                tokio::spawn(async move {
                    let password = if i % 2 == 0 { "pw-1" } else { "pw-2" };
                    let v = hasher
                        .verify(SecretString::from(password), Some(hash))
                        .await
                        .unwrap();
                    (i, v.valid)
                })
            })
            .collect();
        for task in tasks {
            let (i, valid) = task.await.unwrap();
            assert_eq!(valid, i % 2 == 0);
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_report_parameter_changes() {
        let hasher = PasswordHasher::new(&settings(1024)).unwrap();
        let hash = hasher
            .hash(SecretString::from("correct horse"))
            .await
            .unwrap();
        let ok = hasher
            .verify(SecretString::from("correct horse"), Some(hash.clone()))
            .await
            .unwrap();
        assert!(ok.valid && !ok.needs_rehash);
        let wrong = hasher
            .verify(SecretString::from("wrong"), Some(hash.clone()))
            .await
            .unwrap();
        assert!(!wrong.valid);
        let stronger = PasswordHasher::new(&settings(2048)).unwrap();
        assert!(
            stronger
                .verify(SecretString::from("correct horse"), Some(hash))
                .await
                .unwrap()
                .needs_rehash
        );
        assert!(
            !hasher
                .verify(SecretString::from("gatehouse dummy password"), None)
                .await
                .unwrap()
                .valid
        );
    }
}
