//! Ed25519 keys: the ring entry of a 32-byte seed, and its JWT keys and public JWK.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use mcp_oauth_core::keyring::{SigningKey, thumbprint};
use mcp_oauth_core::{Result, UnixTime};
use mcp_oauth_jwt::{JwtKey, key_error};

use crate::error::EddsaError;

/// The Ed25519 key type of the shared JWT signer; its public keys are published as `OKP` JWKs.
pub struct Ed25519Key;

impl JwtKey for Ed25519Key {
    const ALGORITHM: Algorithm = Algorithm::EdDSA;

    fn encoding_key(material: &[u8]) -> Result<EncodingKey> {
        let der = ed25519_dalek::SigningKey::from_bytes(&seed(material)?)
            .to_pkcs8_der()
            .map_err(|e| mcp_oauth_core::Error::signing_caused("encoding an Ed25519 key", e))?;
        Ok(EncodingKey::from_ed_der(der.as_bytes()))
    }

    fn decoding_key(material: &[u8]) -> Result<DecodingKey> {
        DecodingKey::from_ed_components(&public_x(&seed(material)?)).map_err(key_error)
    }

    fn public_jwk(material: &[u8]) -> Result<Option<serde_json::Map<String, serde_json::Value>>> {
        let jwk =
            serde_json::json!({"kty": "OKP", "crv": "Ed25519", "x": public_x(&seed(material)?)});
        Ok(jwk.as_object().cloned())
    }
}

/// The base64url public key of a 32-byte seed.
fn public_x(seed: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(
        ed25519_dalek::SigningKey::from_bytes(seed)
            .verifying_key()
            .as_bytes(),
    )
}

/// A ring entry for the 32-byte `seed`, whose id is the RFC 7638 thumbprint of its public key.
pub(crate) fn ring_entry(seed: &[u8; 32], now: UnixTime) -> SigningKey {
    let kid = thumbprint(&format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        public_x(seed)
    ));
    SigningKey::new(kid, "EdDSA", seed, now)
}

fn seed(material: &[u8]) -> Result<[u8; 32]> {
    material
        .try_into()
        .map_err(|_| EddsaError::BadStoredKey(material.len()).into())
}
