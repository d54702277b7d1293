//! HMAC-SHA256 keys: the ring entry of a secret, and its JWT keys.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use mcp_oauth_core::keyring::{SigningKey, thumbprint};
use mcp_oauth_core::{Result, UnixTime};
use mcp_oauth_jwt::{JwtKey, key_error};

use crate::error::Hs256Error;

/// The HS256 key type of the shared JWT signer. The secret is never published.
pub struct Hs256Key;

impl JwtKey for Hs256Key {
    const ALGORITHM: Algorithm = Algorithm::HS256;

    fn encoding_key(material: &[u8]) -> Result<EncodingKey> {
        EncodingKey::from_secret(material).map_err(key_error)
    }

    fn decoding_key(material: &[u8]) -> Result<DecodingKey> {
        DecodingKey::from_secret(material).map_err(key_error)
    }

    fn public_jwk(_: &[u8]) -> Result<Option<serde_json::Map<String, serde_json::Value>>> {
        Ok(None)
    }
}

/// A ring entry for `secret`, whose id is its RFC 7638 thumbprint.
pub(crate) fn ring_entry(secret: &[u8], now: UnixTime) -> Result<SigningKey> {
    if secret.len() < crate::MIN_KEY_BYTES {
        return Err(Hs256Error::KeyTooShort(secret.len()).into());
    }
    let kid = thumbprint(&format!(
        r#"{{"k":"{}","kty":"oct"}}"#,
        URL_SAFE_NO_PAD.encode(secret)
    ));
    Ok(SigningKey::new(kid, "HS256", secret, now))
}
