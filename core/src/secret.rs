//! Secret values: generated with the OS random source, redacted in `Debug`, stored only as hashes,
//! and compared in constant time.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

/// A secret string (client secret, code, refresh token, key): `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps `value`.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// A fresh random secret of `bytes` bytes of entropy, base64url-encoded without padding.
    pub fn generate(bytes: usize) -> Self {
        Self(URL_SAFE_NO_PAD.encode(random_bytes(bytes)))
    }

    /// The secret's text, for sending it to its one rightful recipient.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The SHA-256 digest under which this secret is stored.
    pub fn hash(&self) -> SecretHash {
        SecretHash::of(self.0.as_bytes())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// The SHA-256 digest of a secret, hex-encoded: what storage keeps instead of the secret.
///
/// Secrets here are ≥128 bits of randomness, so a fast hash is enough: no dictionary can be run
/// against them.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretHash(String);

impl SecretHash {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Self(hex(&Sha256::digest(bytes)))
    }

    /// Wraps a digest read back from storage.
    pub fn from_stored(hex: impl Into<String>) -> Self {
        Self(hex.into())
    }

    /// The hex digest, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` hashes to this digest, compared in constant time.
    pub fn matches(&self, candidate: &str) -> bool {
        constant_time_eq(
            self.0.as_bytes(),
            SecretHash::of(candidate.as_bytes()).0.as_bytes(),
        )
    }
}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A digest reveals nothing usable, but printing a prefix is enough to correlate records.
        write!(f, "SecretHash({}…)", &self.0[..self.0.len().min(8)])
    }
}

/// Compares two byte strings in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// `len` bytes from the operating system's random source.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// Lower-case hex encoding.
pub fn hex(bytes: &[u8]) -> String {
    use fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            let _ = write!(out, "{byte:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = Secret::new("hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
    }

    #[test]
    fn generated_secrets_are_long_and_distinct() {
        let a = Secret::generate(32);
        let b = Secret::generate(32);
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
    }

    #[test]
    fn hashes_match_only_their_secret() {
        let secret = Secret::generate(16);
        let hash = secret.hash();
        assert!(hash.matches(secret.expose()));
        assert!(!hash.matches("something else"));
        assert_eq!(hash.as_str().len(), 64);
    }
}
