//! The `eddsa` signer's errors, converted to core's at the edge.

use mcp_oauth_core::Error;

/// What can go wrong in this plugin.
#[derive(Debug)]
pub(crate) enum EddsaError {
    /// A configured key is not a PKCS#8 Ed25519 PEM.
    BadKey { variable: &'static str, why: String },
    /// A stored key has the wrong length.
    BadStoredKey(usize),
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
            EddsaError::BadStoredKey(len) => {
                Error::storage(format!("a stored Ed25519 key has {len} bytes, not 32"))
            }
        }
    }
}
