#![doc = include_str!("../README.md")]

pub mod assertion;

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use mcp_oauth_core::keyring::KeyRing;
use mcp_oauth_core::model::AccessClaims;
use mcp_oauth_core::{Error, OAuthError, Refusal, Result, TokenSigner};

/// A JWT signer's key type: what one algorithm adds to the shared implementation.
pub trait JwtKey: 'static {
    /// The JWS algorithm (RFC 7518 §3.1).
    const ALGORITHM: Algorithm;

    /// The key that signs, from a ring entry's material.
    fn encoding_key(material: &[u8]) -> Result<EncodingKey>;

    /// The key that verifies, from a ring entry's material.
    fn decoding_key(material: &[u8]) -> Result<DecodingKey>;

    /// The public JWK members of a ring entry (`kty`, `crv`, `x`, …), without `kid`, `alg` and
    /// `use`, which are added here; `None` for a symmetric key, which is never published.
    fn public_jwk(material: &[u8]) -> Result<Option<serde_json::Map<String, serde_json::Value>>>;
}

/// The signer over `ring` for keys of type `K`: the function a JWT signer plugin names in its
/// descriptor (`signer: mcp_oauth_jwt::signer::<MyKey>`).
pub fn signer<K: JwtKey>(ring: &KeyRing) -> Result<Arc<dyn TokenSigner>> {
    Ok(Arc::new(JwtSigner::new::<K>(ring)?))
}

/// Signs with the ring's current key; verifies with any key of the ring, chosen by `kid`.
pub struct JwtSigner {
    encoding: EncodingKey,
    header: Header,
    decoding: HashMap<String, DecodingKey>,
    jwks: Vec<serde_json::Value>,
    validation: Validation,
}

impl JwtSigner {
    /// A signer over `ring`, whose keys are of type `K`.
    pub fn new<K: JwtKey>(ring: &KeyRing) -> Result<Self> {
        let current = ring.current()?;
        let mut header = Header::new(K::ALGORITHM);
        header.typ = Some("at+jwt".into());
        header.kid = Some(current.kid.clone());
        let mut decoding = HashMap::new();
        let mut jwks = Vec::new();
        for key in &ring.keys {
            let material = key.material()?;
            decoding.insert(key.kid.clone(), K::decoding_key(&material)?);
            if let Some(mut jwk) = K::public_jwk(&material)? {
                jwk.insert("kid".into(), key.kid.clone().into());
                jwk.insert("alg".into(), format!("{:?}", K::ALGORITHM).into());
                jwk.insert("use".into(), "sig".into());
                jwks.push(serde_json::Value::Object(jwk));
            }
        }
        // Time, issuer and audience are judged by core's `Expectations` with the injected clock;
        // here only the algorithm, the key and the claim shapes.
        let mut validation = Validation::new(K::ALGORITHM);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        Ok(Self {
            encoding: K::encoding_key(&current.material()?)?,
            header,
            decoding,
            jwks,
            validation,
        })
    }
}

impl TokenSigner for JwtSigner {
    fn issue(&self, claims: &AccessClaims) -> Result<String> {
        jsonwebtoken::encode(&self.header, claims, &self.encoding)
            .map_err(|error| Error::signing_caused("signing a JWT", error))
    }

    fn decode(&self, token: &str) -> Result<AccessClaims, OAuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(rejected)?;
        let key = header
            .kid
            .as_ref()
            .and_then(|kid| self.decoding.get(kid))
            .ok_or_else(|| {
                OAuthError::invalid_token("the access token names an unknown key")
                    .because(Refusal::UnknownKey)
            })?;
        jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(rejected)
    }

    fn public_keys(&self) -> Vec<serde_json::Value> {
        self.jwks.clone()
    }
}

/// Every decoding failure is the same answer to the client: the token is not valid.
fn rejected(_: jsonwebtoken::errors::Error) -> OAuthError {
    OAuthError::invalid_token("the access token is malformed or its signature is invalid")
        .because(Refusal::BadSignature)
}

/// A jsonwebtoken failure while making a key from ring material (never shown to clients).
pub fn key_error(error: jsonwebtoken::errors::Error) -> Error {
    Error::signing_caused("making a JWT key", error)
}
