//! PKCE (RFC 7636) with the `S256` method only: `plain` is refused (OAuth 2.1 §4.1.1).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::OAuthError;
use crate::secret::constant_time_eq;

/// An `S256` code challenge: BASE64URL(SHA256(code_verifier)), exactly 43 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PkceChallenge(String);

impl PkceChallenge {
    /// Validates a challenge and its method as sent on the authorization request.
    ///
    /// The method defaults to `plain` when absent (RFC 7636 §4.3), which this server refuses.
    pub fn parse(challenge: &str, method: Option<&str>) -> Result<Self, OAuthError> {
        match method {
            Some("S256") => {}
            None | Some("plain") => {
                return Err(OAuthError::invalid_request(
                    "code_challenge_method must be S256; plain is not allowed",
                ));
            }
            Some(_) => {
                return Err(OAuthError::invalid_request(
                    "unsupported code_challenge_method; this server supports S256",
                ));
            }
        }
        let well_formed = challenge.len() == 43
            && challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(OAuthError::invalid_request(
                "code_challenge must be the 43-character base64url SHA-256 of the verifier",
            ));
        }
        Ok(Self(challenge.to_owned()))
    }

    /// The challenge derived from `verifier` (what a client computes).
    pub fn from_verifier(verifier: &str) -> Self {
        Self(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())))
    }

    /// The challenge text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Checks a `code_verifier` from the token request against this challenge (RFC 7636 §4.6).
    pub fn verify(&self, verifier: &str) -> Result<(), OAuthError> {
        if !is_valid_verifier(verifier) {
            return Err(OAuthError::invalid_grant(
                "code_verifier must be 43 to 128 characters of [A-Z a-z 0-9 - . _ ~]",
            ));
        }
        let expected = Self::from_verifier(verifier);
        if constant_time_eq(expected.0.as_bytes(), self.0.as_bytes()) {
            Ok(())
        } else {
            Err(OAuthError::invalid_grant(
                "code_verifier does not match the code_challenge",
            ))
        }
    }
}

/// RFC 7636 §4.1: `code-verifier = 43*128unreserved`.
fn is_valid_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_appendix_b() {
        assert_eq!(PkceChallenge::from_verifier(VERIFIER).as_str(), CHALLENGE);
        let challenge = PkceChallenge::parse(CHALLENGE, Some("S256")).unwrap();
        assert!(challenge.verify(VERIFIER).is_ok());
    }

    #[test]
    fn refuses_plain_missing_method_and_malformed_challenges() {
        assert!(PkceChallenge::parse(CHALLENGE, None).is_err());
        assert!(PkceChallenge::parse(CHALLENGE, Some("plain")).is_err());
        assert!(PkceChallenge::parse("short", Some("S256")).is_err());
        assert!(PkceChallenge::parse(&"a".repeat(42).replace('a', "+"), Some("S256")).is_err());
    }

    #[test]
    fn refuses_wrong_or_malformed_verifiers() {
        let challenge = PkceChallenge::parse(CHALLENGE, Some("S256")).unwrap();
        assert!(challenge.verify(&"x".repeat(43)).is_err());
        assert!(challenge.verify("too-short").is_err());
        assert!(challenge.verify(&format!("{VERIFIER}!")).is_err());
    }
}
