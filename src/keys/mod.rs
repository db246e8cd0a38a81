//! Cryptographic building blocks: the master key, opaque one-time tokens and the signing KeyStore.
mod master;
mod store;
mod tokens;
mod verified;

pub use master::{MasterKey, MasterKeyError};
pub use store::{KeyInfo, KeyStore, PublishedDocument, SUPPORTED_ALGS};
pub use tokens::{constant_time_eq, hash_token, random_token};
