//! The `hs256` signer's errors, converted to core's at the edge.

use mcp_oauth_core::{Error, OAuthError};

/// What can go wrong in this plugin.
#[derive(Debug)]
pub(crate) enum Hs256Error {
    /// The configured key is too short.
    KeyTooShort(usize),
    /// jsonwebtoken refused to sign.
    Encode(jsonwebtoken::errors::Error),
}

impl From<Hs256Error> for Error {
    fn from(error: Hs256Error) -> Self {
        match error {
            Hs256Error::KeyTooShort(len) => Error::Config {
                variable: "MCP_OAUTH_SECRET_KEY".into(),
                got: format!("a key of {len} bytes"),
                expected: format!("at least {} bytes (RFC 7518 §3.2)", crate::MIN_KEY_BYTES),
            },
            Hs256Error::Encode(error) => Error::signing_caused("HS256 key or token", error),
        }
    }
}

/// Every decoding failure is the same answer to the client: the token is not valid.
pub(crate) fn rejected(_: jsonwebtoken::errors::Error) -> OAuthError {
    OAuthError::invalid_token("the access token is malformed or its signature is invalid")
}
