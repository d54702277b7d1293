//! Ed25519 JWT access tokens, verified by `kid` against the ring's public keys.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::EncodePrivateKey as _;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mcp_oauth_core::keyring::{KeyRing, SigningKey, thumbprint};
use mcp_oauth_core::model::AccessClaims;
use mcp_oauth_core::{OAuthError, Result, TokenSigner, UnixTime};

use crate::error::{EddsaError, rejected};

/// The algorithm name kept in the ring.
pub(crate) const ALGORITHM: &str = "EdDSA";

/// Signs with the ring's current key; verifies with any key of the ring, chosen by `kid`.
pub struct EddsaSigner {
    encoding: EncodingKey,
    header: Header,
    decoding: HashMap<String, DecodingKey>,
    jwks: Vec<serde_json::Value>,
    validation: Validation,
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
pub(crate) fn signing_key(seed: &[u8; 32], now: UnixTime) -> SigningKey {
    let kid = thumbprint(&format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        public_x(seed)
    ));
    SigningKey::new(kid, ALGORITHM, seed, now)
}

fn seed(key: &SigningKey) -> Result<[u8; 32]> {
    key.material()?
        .try_into()
        .map_err(|_| EddsaError::BadStoredKey(key.kid.clone()).into())
}

impl EddsaSigner {
    /// A signer over `ring`.
    pub fn new(ring: &KeyRing) -> Result<Self> {
        let current = ring.current()?;
        let der = ed25519_dalek::SigningKey::from_bytes(&seed(current)?)
            .to_pkcs8_der()
            .map_err(|e| mcp_oauth_core::Error::signing_caused("encoding an Ed25519 key", e))?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some("at+jwt".into());
        header.kid = Some(current.kid.clone());
        let mut decoding = HashMap::new();
        let mut jwks = Vec::new();
        for key in &ring.keys {
            let x = public_x(&seed(key)?);
            decoding.insert(
                key.kid.clone(),
                DecodingKey::from_ed_components(&x).map_err(EddsaError::Encode)?,
            );
            jwks.push(serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "x": x, "kid": key.kid, "alg": "EdDSA", "use": "sig",
            }));
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        Ok(Self {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            header,
            decoding,
            jwks,
            validation,
        })
    }
}

impl TokenSigner for EddsaSigner {
    fn issue(&self, claims: &AccessClaims) -> Result<String> {
        jsonwebtoken::encode(&self.header, claims, &self.encoding)
            .map_err(|error| EddsaError::Encode(error).into())
    }

    fn decode(&self, token: &str) -> Result<AccessClaims, OAuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(rejected)?;
        let key = header
            .kid
            .as_ref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or_else(|| OAuthError::invalid_token("the access token names an unknown key"))?;
        jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(rejected)
    }

    fn public_keys(&self) -> Vec<serde_json::Value> {
        self.jwks.clone()
    }
}
