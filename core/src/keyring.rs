//! Signing-key rings: every signer keeps its keys the same way, so every signer rotates the same
//! way. A ring is stored as one JSON blob in the [`KeyStore`] under the signer's name; the last key
//! is current (signs), earlier ones only verify until every token they signed has expired.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::clock::UnixTime;
use crate::error::{Error, Result};
use crate::store::KeyStore;

/// One key of a ring.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKey {
    /// Key id, published as `kid` (an RFC 7638 thumbprint or a PASERK id).
    pub kid: String,
    /// The algorithm, for people: `HS256`, `EdDSA`, `v4.public`, `v4.local`.
    pub algorithm: String,
    /// The secret key material, base64url (the signer alone knows its layout).
    pub material: String,
    /// When the key was made.
    pub created_at: UnixTime,
    /// When it stopped signing; it verifies until `retired_at + token lifetime`.
    pub retired_at: Option<UnixTime>,
}

impl SigningKey {
    /// A key with `material`, made at `now`.
    pub fn new(kid: String, algorithm: &str, material: &[u8], now: UnixTime) -> Self {
        Self {
            kid,
            algorithm: algorithm.to_owned(),
            material: URL_SAFE_NO_PAD.encode(material),
            created_at: now,
            retired_at: None,
        }
    }

    /// The raw key material.
    pub fn material(&self) -> Result<Vec<u8>> {
        URL_SAFE_NO_PAD.decode(&self.material).map_err(|e| {
            Error::storage_caused(format!("key {} has unreadable material", self.kid), e)
        })
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .field("material", &"[redacted]")
            .field("created_at", &self.created_at)
            .field("retired_at", &self.retired_at)
            .finish()
    }
}

/// A signer's keys, oldest first; the last one is current.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRing {
    /// The keys, oldest first.
    pub keys: Vec<SigningKey>,
}

impl KeyRing {
    /// The key that signs.
    pub fn current(&self) -> Result<&SigningKey> {
        self.keys
            .last()
            .ok_or_else(|| Error::storage("an empty key ring"))
    }

    /// Makes `key` current: the previous current key retires at `now`; keys retired longer than
    /// `lifetime` ago (every token they signed has expired) are dropped.
    pub fn rotate(&mut self, key: SigningKey, now: UnixTime, lifetime: i64) {
        if let Some(current) = self.keys.last_mut() {
            current.retired_at.get_or_insert(now);
        }
        self.keys
            .retain(|k| k.retired_at.is_none_or(|retired| retired + lifetime > now));
        self.keys.push(key);
    }

    fn encode(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|e| Error::storage_caused("encoding a key ring", e))
    }

    fn decode(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|e| Error::storage_caused("unreadable key ring", e))
    }
}

/// Where a signer's ring lives, and what it needs to maintain it.
pub(crate) struct RingStore<'a> {
    /// The key store.
    pub keys: &'a dyn KeyStore,
    /// The ring's entry name, e.g. `signer/eddsa`.
    pub name: String,
    /// The current time.
    pub now: UnixTime,
    /// The longest lifetime of a token signed by a key (the access-token lifetime).
    pub lifetime: i64,
}

/// Most attempts of a compare-and-swap against concurrent writers.
const CAS_ATTEMPTS: usize = 16;

impl RingStore<'_> {
    /// The stored ring; created with `first` when there is none. When `configured` is given (a key
    /// from the environment) and is not current, it becomes current by rotation, so changing the
    /// configured key keeps earlier tokens verifying until they expire.
    pub async fn load(
        &self,
        first: impl FnOnce() -> Result<SigningKey>,
        configured: Option<SigningKey>,
    ) -> Result<KeyRing> {
        let initial = match &configured {
            Some(key) => key.clone(),
            None => first()?,
        };
        let candidate = KeyRing {
            keys: vec![initial],
        }
        .encode()?;
        let stored = self.keys.get_or_create_key(&self.name, &candidate).await?;
        let ring = KeyRing::decode(&stored)?;
        match configured {
            Some(key) if ring.current()?.kid != key.kid => self.rotate(key).await,
            _ => Ok(ring),
        }
    }

    /// Makes `key` current (see [`KeyRing::rotate`]), safely against concurrent rotations.
    pub async fn rotate(&self, key: SigningKey) -> Result<KeyRing> {
        for _ in 0..CAS_ATTEMPTS {
            let stored = self
                .keys
                .get_or_create_key(
                    &self.name,
                    &KeyRing {
                        keys: vec![key.clone()],
                    }
                    .encode()?,
                )
                .await?;
            let mut ring = KeyRing::decode(&stored)?;
            if ring.current()?.kid == key.kid {
                return Ok(ring);
            }
            ring.rotate(key.clone(), self.now, self.lifetime);
            if self
                .keys
                .replace_key(&self.name, &stored, &ring.encode()?)
                .await?
            {
                return Ok(ring);
            }
        }
        Err(Error::storage(format!(
            "key ring {} changed under {CAS_ATTEMPTS} attempts",
            self.name
        )))
    }

    /// The stored ring, if any, without creating one.
    pub async fn peek(&self) -> Result<Option<KeyRing>> {
        match self.keys.key(&self.name).await? {
            Some(stored) => KeyRing::decode(&stored).map(Some),
            None => Ok(None),
        }
    }
}

/// The answer to a rotation of a key that a setting fixes: change the setting instead.
pub(crate) fn fixed_by_setting(variable: &str) -> Error {
    Error::Config {
        variable: variable.into(),
        got: "a configured key".into(),
        expected: "no value to rotate generated keys; a configured key is rotated by changing it"
            .into(),
    }
}

/// The RFC 7638 JWK thumbprint of the required members of a JWK, given in lexicographic order.
pub fn thumbprint(required_members_json: &str) -> String {
    use sha2::Digest as _;
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(required_members_json.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, at: UnixTime) -> SigningKey {
        SigningKey::new(kid.into(), "HS256", b"material", at)
    }

    #[test]
    fn rotation_retires_the_current_key_and_drops_expired_ones() {
        let mut ring = KeyRing {
            keys: vec![key("a", 0)],
        };
        ring.rotate(key("b", 100), 100, 3600);
        assert_eq!(ring.current().unwrap().kid, "b");
        assert_eq!(ring.keys[0].retired_at, Some(100));
        ring.rotate(key("c", 200), 200, 3600);
        assert_eq!(
            ring.keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
        ring.rotate(key("d", 3700), 3700, 3600);
        assert_eq!(
            ring.keys.iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(),
            ["b", "c", "d"]
        );
    }

    #[test]
    fn thumbprint_matches_rfc_7638_example() {
        // RFC 7638 §3.1.
        let members = r#"{"e":"AQAB","kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#;
        assert_eq!(
            thumbprint(members),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }
}
