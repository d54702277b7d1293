//! PASETO v4 public and local access tokens, the key chosen by the footer's `kid`.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_core::keyring::{KeyRing, SigningKey};
use mcp_oauth_core::model::AccessClaims;
use mcp_oauth_core::{OAuthError, Result, TokenSigner, UnixTime};
use pasetors::footer::Footer;
use pasetors::keys::{
    AsymmetricKeyPair, AsymmetricPublicKey, AsymmetricSecretKey, Generate, SymmetricKey,
};
use pasetors::paserk::{FormatAsPaserk, Id};
use pasetors::token::UntrustedToken;
use pasetors::version4::{LocalToken, PublicToken, V4};
use pasetors::{Local, Public};

use crate::claims;
use crate::error::{rejected, signing};

/// Longest footer read: ours is `{"kid":"k4.pid.…"}`, about 60 bytes.
const MAX_FOOTER_BYTES: usize = 512;

/// Which PASETO purpose a signer uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// `v4.public`: Ed25519 signatures.
    Public,
    /// `v4.local`: symmetric authenticated encryption.
    Local,
}

impl Purpose {
    fn algorithm(self) -> &'static str {
        match self {
            Purpose::Public => "v4.public",
            Purpose::Local => "v4.local",
        }
    }
}

enum Key {
    Public {
        secret: AsymmetricSecretKey<V4>,
        public: AsymmetricPublicKey<V4>,
    },
    Local(SymmetricKey<V4>),
}

fn paserk(item: &impl FormatAsPaserk) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = item.fmt(&mut out);
    out
}

fn key_of(purpose: Purpose, material: &[u8]) -> Result<Key> {
    Ok(match purpose {
        Purpose::Public => {
            let secret = AsymmetricSecretKey::<V4>::from(material).map_err(signing)?;
            let public = AsymmetricPublicKey::<V4>::try_from(&secret).map_err(signing)?;
            Key::Public { secret, public }
        }
        Purpose::Local => Key::Local(SymmetricKey::<V4>::from(material).map_err(signing)?),
    })
}

fn kid(key: &Key) -> String {
    match key {
        Key::Public { public, .. } => paserk(&Id::from(public)),
        Key::Local(secret) => paserk(&Id::from(secret)),
    }
}

/// A fresh ring entry for `purpose`, whose id is its PASERK id (`k4.pid.…` or `k4.lid.…`).
pub(crate) fn generate(purpose: Purpose, now: UnixTime) -> Result<SigningKey> {
    let material = match purpose {
        Purpose::Public => AsymmetricKeyPair::<V4>::generate()
            .map_err(signing)?
            .secret
            .as_bytes()
            .to_vec(),
        Purpose::Local => SymmetricKey::<V4>::generate()
            .map_err(signing)?
            .as_bytes()
            .to_vec(),
    };
    let kid = kid(&key_of(purpose, &material)?);
    Ok(SigningKey::new(kid, purpose.algorithm(), &material, now))
}

/// The ring entry of a `k4.local.…` PASERK.
pub(crate) fn local_from_paserk(paserk: &str, now: UnixTime) -> Result<SigningKey> {
    let key =
        SymmetricKey::<V4>::try_from(paserk.trim()).map_err(|_| mcp_oauth_core::Error::Config {
            variable: "MCP_OAUTH_PASETO_LOCAL_KEY".into(),
            got: "an unreadable key".into(),
            expected: "a PASERK k4.local.… key (32 bytes)".into(),
        })?;
    let material = key.as_bytes().to_vec();
    Ok(SigningKey::new(
        kid(&Key::Local(key)),
        Purpose::Local.algorithm(),
        &material,
        now,
    ))
}

/// Signs (or encrypts) with the ring's current key; verifies with the key the footer names.
pub struct PasetoSigner {
    purpose: Purpose,
    current_kid: String,
    footer: Vec<u8>,
    keys: HashMap<String, Key>,
    jwks: Vec<serde_json::Value>,
}

impl PasetoSigner {
    /// A signer of `purpose` over `ring`.
    pub fn new(purpose: Purpose, ring: &KeyRing) -> Result<Self> {
        let mut keys = HashMap::new();
        let mut jwks = Vec::new();
        for stored in &ring.keys {
            let key = key_of(purpose, &stored.material()?)?;
            if let Key::Public { public, .. } = &key {
                jwks.push(serde_json::json!({
                    "kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(public.as_bytes()),
                    "kid": stored.kid, "use": "sig", "paserk": paserk(public),
                }));
            }
            keys.insert(stored.kid.clone(), key);
        }
        let current_kid = ring.current()?.kid.clone();
        let mut footer = Footer::new();
        footer.key_id(&Id::try_from(current_kid.as_str()).map_err(signing)?);
        let footer = footer.to_string().map_err(signing)?.into_bytes();
        Ok(Self {
            purpose,
            current_kid,
            footer,
            keys,
            jwks,
        })
    }

    /// The key the token's footer names. The footer is read with a plain bounded JSON parse:
    /// pasetors' `Footer::parse_bytes` builds a regex per call, which measured as 60 µs of a
    /// 100 µs verification.
    fn named_key(&self, footer: &[u8]) -> Result<&Key, OAuthError> {
        #[derive(serde::Deserialize)]
        struct KeyId<'a> {
            kid: &'a str,
        }
        if footer.len() > MAX_FOOTER_BYTES {
            return Err(rejected(()));
        }
        let parsed: KeyId<'_> = serde_json::from_slice(footer).map_err(rejected)?;
        self.keys.get(parsed.kid).ok_or_else(|| {
            OAuthError::invalid_token("the access token names an unknown key")
                .because(mcp_oauth_core::Refusal::UnknownKey)
        })
    }
}

impl TokenSigner for PasetoSigner {
    fn issue(&self, claims: &AccessClaims) -> Result<String> {
        let payload = claims::encode(claims)?;
        match self.keys.get(&self.current_kid) {
            Some(Key::Public { secret, .. }) => {
                PublicToken::sign(secret, &payload, Some(&self.footer), None)
            }
            Some(Key::Local(key)) => LocalToken::encrypt(key, &payload, Some(&self.footer), None),
            None => {
                return Err(mcp_oauth_core::Error::signing("the current key is missing"));
            }
        }
        .map_err(signing)
    }

    fn decode(&self, token: &str) -> Result<AccessClaims, OAuthError> {
        let trusted = match self.purpose {
            Purpose::Public => {
                let untrusted = UntrustedToken::<Public, V4>::try_from(token).map_err(rejected)?;
                let Key::Public { public, .. } = self.named_key(untrusted.untrusted_footer())?
                else {
                    return Err(rejected(()));
                };
                PublicToken::verify(public, &untrusted, None, None).map_err(rejected)?
            }
            Purpose::Local => {
                let untrusted = UntrustedToken::<Local, V4>::try_from(token).map_err(rejected)?;
                let Key::Local(key) = self.named_key(untrusted.untrusted_footer())? else {
                    return Err(rejected(()));
                };
                LocalToken::decrypt(key, &untrusted, None, None).map_err(rejected)?
            }
        };
        claims::decode(trusted.payload().as_bytes())
    }

    fn public_keys(&self) -> Vec<serde_json::Value> {
        self.jwks.clone()
    }
}
