use std::sync::Arc;

use anyhow::Context;
use arc_swap::ArcSwap;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use bytes::Bytes;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, TokenData, Validation};
use sea_orm::ConnectionTrait;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

use super::MasterKey;
use crate::store::signing_keys::{self, SigningKey};

/// A JSON document served from memory with a strong ETag (discovery, JWKS).
#[derive(Clone)]
pub struct PublishedDocument {
    pub body: Bytes,
    pub etag: String,
}

impl PublishedDocument {
    pub fn new(body: Vec<u8>) -> Self {
        let etag = format!(
            "\"{}\"",
            URL_SAFE_NO_PAD.encode(&Sha256::digest(&body)[..16])
        );
        Self {
            body: Bytes::from(body),
            etag,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    /// `next` (published, not yet signing), `active` (signing) or `retired` (published until
    /// every token it signed has expired).
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

struct SigningKeyPair {
    kid: String,
    alg: Algorithm,
    key: EncodingKey,
}

struct KeySet {
    active: Option<SigningKeyPair>,
    verifiers: HashMap<String, (Algorithm, DecodingKey)>,
    jwks: PublishedDocument,
    infos: Vec<KeyInfo>,
}

/// Signs JWTs with the active key and publishes every key that may still verify a live token.
/// The key set is swapped atomically, so the hot paths (JWKS, signing) take no lock.
pub struct KeyStore {
    master: MasterKey,
    rsa_bits: u32,
    current: ArcSwap<KeySet>,
}

impl KeyStore {
    /// Loads the keys; on first start generates and stores an RS256 key.
    pub async fn load_or_init<C: ConnectionTrait>(
        db: &C,
        master: MasterKey,
        rsa_bits: u32,
    ) -> anyhow::Result<Self> {
        let store = Self {
            master,
            rsa_bits,
            current: ArcSwap::from_pointee(KeySet {
                active: None,
                verifiers: HashMap::new(),
                jwks: PublishedDocument::new(br#"{"keys":[]}"#.to_vec()),
                infos: Vec::new(),
            }),
        };
        let rows = signing_keys::list(db).await?;
        if !rows.iter().any(|row| row.status == "active") {
            let row = store.generate(db, "active").await?;
            tracing::info!(kid = %row.kid, alg = %row.alg, "generated the first signing key");
        }
        store.reload(db).await?;
        Ok(store)
    }

    /// Re-reads keys from the database and swaps the published set.
    pub async fn reload<C: ConnectionTrait>(&self, db: &C) -> anyhow::Result<()> {
        let now = crate::store::now();
        let rows = signing_keys::list(db).await?;
        let mut active = None;
        let mut verifiers = HashMap::new();
        let mut jwks = Vec::new();
        let mut infos = Vec::new();
        for row in rows {
            if row.status == "retired" && row.publish_until.is_some_and(|until| until <= now) {
                continue;
            }
            let jwk: Jwk =
                serde_json::from_str(&row.public_jwk).context("stored public JWK is malformed")?;
            verifiers.insert(
                row.kid.clone(),
                (algorithm(&row.alg)?, DecodingKey::from_jwk(&jwk)?),
            );
            jwks.push(jwk);
            if row.status == "active" {
                active = Some(self.open(&row)?);
            }
            infos.push(KeyInfo {
                kid: row.kid,
                alg: row.alg,
                status: row.status,
                created_at: row.created_at,
            });
        }
        let body = serde_json::to_vec(&JwkSet { keys: jwks })?;
        self.current.store(Arc::new(KeySet {
            active,
            verifiers,
            jwks: PublishedDocument::new(body),
            infos,
        }));
        Ok(())
    }

    /// Generates a new RS256 key, seals it with the master key and stores it with `status`.
    pub async fn generate<C: ConnectionTrait>(
        &self,
        db: &C,
        status: &str,
    ) -> anyhow::Result<SigningKey> {
        let size = match self.rsa_bits {
            4096 => KeySize::Rsa4096,
            3072 => KeySize::Rsa3072,
            _ => KeySize::Rsa2048,
        };
        // RSA generation takes 50-500 ms of CPU: keep it off the async workers.
        let pkcs8 = tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<u8>> {
            let pair = KeyPair::generate(size)
                .map_err(|_| anyhow::anyhow!("RSA key generation failed"))?;
            let der = pair
                .as_der()
                .map_err(|_| anyhow::anyhow!("RSA key encoding failed"))?;
            Ok(der.as_ref().to_vec())
        })
        .await??;
        let now = crate::store::now();
        let kid = format!(
            "rs256-{}-{}",
            now.format("%Y%m%d"),
            &crate::keys::random_token()[..8]
        );
        let encoding = rsa_encoding_key(&pkcs8)?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        let row = SigningKey {
            private_key_sealed: self.master.seal(&pkcs8, kid.as_bytes()),
            kid,
            alg: "RS256".into(),
            status: status.into(),
            public_jwk: serde_json::to_string(&jwk)?,
            created_at: now,
            activates_at: None,
            retired_at: None,
            publish_until: None,
        };
        Ok(signing_keys::insert(db, row).await?)
    }

    fn open(&self, row: &SigningKey) -> anyhow::Result<SigningKeyPair> {
        let pkcs8 = self
            .master
            .open(&row.private_key_sealed, row.kid.as_bytes())
            .with_context(|| {
                format!(
                    "signing key {} cannot be opened with this master key",
                    row.kid
                )
            })?;
        let alg = algorithm(&row.alg)?;
        Ok(SigningKeyPair {
            kid: row.kid.clone(),
            alg,
            key: rsa_encoding_key(&pkcs8)?,
        })
    }

    /// Signs `claims` with the active key; `typ` sets the JOSE header type (e.g. `at+jwt`).
    pub fn sign<T: Serialize>(&self, claims: &T, typ: Option<&str>) -> anyhow::Result<String> {
        let set = self.current.load();
        let signer = set.active.as_ref().context("no active signing key")?;
        let mut header = Header::new(signer.alg);
        header.kid = Some(signer.kid.clone());
        if let Some(typ) = typ {
            header.typ = Some(typ.to_owned());
        }
        Ok(jsonwebtoken::encode(&header, claims, &signer.key)?)
    }

    /// Verifies a JWT signed by any published key. `validation.algorithms` is set from the key.
    pub fn verify<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        mut validation: Validation,
    ) -> Option<TokenData<T>> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let set = self.current.load();
        let (alg, key) = set.verifiers.get(header.kid.as_deref()?)?;
        if header.alg != *alg {
            return None;
        }
        validation.algorithms = vec![*alg];
        jsonwebtoken::decode::<T>(token, key, &validation).ok()
    }

    /// Publishes a new key now and makes it the signing key once `delay` has passed, so relying
    /// parties that cache the JWKS learn it before it signs anything.
    pub async fn rotate<C: ConnectionTrait>(
        &self,
        db: &C,
        delay: chrono::Duration,
    ) -> anyhow::Result<SigningKey> {
        let mut row = self.generate(db, "next").await?;
        row.activates_at = Some(crate::store::now() + delay);
        signing_keys::update(db, &row).await?;
        self.reload(db).await?;
        Ok(row)
    }

    /// Promotes a due `next` key: the old active key retires but stays published for
    /// `retired_for`, the longest lifetime of a token it may have signed. Safe to run on every
    /// instance: each step is a conditional update.
    pub async fn promote_due(
        &self,
        db: &sea_orm::DatabaseConnection,
        retired_for: chrono::Duration,
    ) -> anyhow::Result<bool> {
        let now = crate::store::now();
        let rows = signing_keys::list(db).await?;
        let Some(next) = rows
            .iter()
            .find(|r| r.status == "next" && r.activates_at.is_some_and(|at| at <= now))
        else {
            return Ok(false);
        };
        let txn = crate::store::begin(db).await?;
        if !signing_keys::set_status(&txn, &next.kid, "next", "active", None).await? {
            return Ok(false);
        }
        for old in rows
            .iter()
            .filter(|r| r.status == "active" && r.alg == next.alg)
        {
            signing_keys::set_status(&txn, &old.kid, "active", "retired", Some(now + retired_for))
                .await?;
        }
        txn.commit().await?;
        tracing::info!(kid = %next.kid, "signing key promoted to active");
        self.reload(db).await?;
        Ok(true)
    }

    pub fn jwks(&self) -> PublishedDocument {
        self.current.load().jwks.clone()
    }

    pub fn list(&self) -> Vec<KeyInfo> {
        self.current.load().infos.clone()
    }

    pub fn active_kid(&self) -> Option<String> {
        self.current
            .load()
            .active
            .as_ref()
            .map(|signer| signer.kid.clone())
    }
}

fn algorithm(name: &str) -> anyhow::Result<Algorithm> {
    match name {
        "RS256" => Ok(Algorithm::RS256),
        other => anyhow::bail!("unsupported signing algorithm {other}"),
    }
}

/// jsonwebtoken's aws-lc backend wants PKCS#1; its PEM reader unwraps PKCS#8 for us.
fn rsa_encoding_key(pkcs8: &[u8]) -> anyhow::Result<EncodingKey> {
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        STANDARD.encode(pkcs8)
    );
    Ok(EncodingKey::from_rsa_pem(pem.as_bytes())?)
}
