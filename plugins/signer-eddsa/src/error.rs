//! The `eddsa` signer's errors, converted to core's at the edge.

use mcp_oauth_core::{Error, OAuthError};

/// What can go wrong in this plugin.
#[derive(Debug)]
pub(crate) enum EddsaError {
    /// A configured key is not a PKCS#8 Ed25519 PEM.
    BadKey { variable: &'static str, why: String },
    /// A stored key has the wrong length.
    BadStoredKey(String),
    /// jsonwebtoken refused to sign.
    Encode(jsonwebtoken::errors::Error),
}

impl From<EddsaError> for Error {
    fn from(error: EddsaError) -> Self {
        match error {
            EddsaError::BadKey { variable, why } => Error::Config {
                variable: variable.into(),
                got: why,
                expected:
                    "an Ed25519 private key in PKCS#8 PEM (openssl genpkey -algorithm ed25519)"
                        .into(),
            },
            EddsaError::BadStoredKey(kid) => {
                Error::storage(format!("Ed25519 key {kid} is not 32 bytes"))
            }
            EddsaError::Encode(error) => Error::signing_caused("Ed25519 key or token", error),
        }
    }
}

/// Every decoding failure is the same answer to the client: the token is not valid.
pub(crate) fn rejected(_: jsonwebtoken::errors::Error) -> OAuthError {
    OAuthError::invalid_token("the access token is malformed or its signature is invalid")
}
