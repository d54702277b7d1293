//! JWT assertions signed by someone else's key (RFC 7521, RFC 7523): what a `private_key_jwt`
//! client presents instead of a secret. The signature is checked by an [`AssertionVerifier`] (a JWT
//! library lives outside core); the claims are judged here, with the engine's clock.

use serde::Deserialize;

use crate::clock::UnixTime;
use crate::error::OAuthError;

/// `client_assertion_type` of a JWT client assertion (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The signing algorithms accepted on assertions, as advertised in the metadata
/// (`token_endpoint_auth_signing_alg_values_supported`). Never `none`, never an HMAC: the client
/// shares no secret with this server.
pub const SIGNING_ALGORITHMS: [&str; 3] = ["RS256", "ES256", "EdDSA"];

/// A refused assertion: always `invalid_client` (RFC 7521 §4.2.1), saying why.
pub fn refused(why: &str) -> OAuthError {
    OAuthError::invalid_client(format!("client authentication failed: {why}"))
}

/// Checks the signature of a JWT against a JWK set. Verifying is CPU work, so the trait is sync.
pub trait AssertionVerifier: Send + Sync {
    /// The claims of `assertion` when one of the keys of `jwks` (a JWK set, RFC 7517 §5) signed it
    /// with one of [`SIGNING_ALGORITHMS`], **without** judging time, issuer or audience (see
    /// [`AssertionRules::check`]). Every failure is `invalid_client`; no input may panic.
    fn verify(
        &self,
        assertion: &str,
        jwks: &serde_json::Value,
    ) -> Result<AssertionClaims, OAuthError>;

    /// Whether `jwks` is a JWK set with at least one public key usable with
    /// [`SIGNING_ALGORITHMS`]; `invalid_client_metadata` naming what is wrong otherwise.
    fn check_key_set(&self, jwks: &serde_json::Value) -> Result<(), OAuthError>;
}

/// The claims of an assertion (RFC 7523 §3) that this server judges.
#[derive(Clone, Debug, Deserialize)]
pub struct AssertionClaims {
    /// Who made the assertion: for client authentication, the client id.
    pub iss: String,
    /// Whom it is about: for client authentication, the client id.
    pub sub: String,
    /// Whom it is for: one value or several.
    #[serde(deserialize_with = "one_or_many")]
    pub aud: Vec<String>,
    /// When it expires.
    pub exp: UnixTime,
    /// When it starts to be valid, if it says.
    pub nbf: Option<UnixTime>,
    /// When it was made, if it says.
    pub iat: Option<UnixTime>,
    /// Its unique id, so that it is used once.
    pub jti: String,
    /// For an ID-JAG: the client it was issued to.
    #[serde(default)]
    pub client_id: Option<String>,
    /// For an ID-JAG: the resource it is for (RFC 8707).
    #[serde(default)]
    pub resource: Option<String>,
    /// For an ID-JAG: the scopes the identity provider allows, space-separated.
    #[serde(default)]
    pub scope: Option<String>,
    /// For an ID-JAG: the person's email, when the identity provider adds it.
    #[serde(default)]
    pub email: Option<String>,
}

/// The `typ` of a JWT's header, read without checking the signature: call it only on a JWT whose
/// signature verified (the signature covers the header).
pub fn header_type(jwt: &str) -> Option<String> {
    use base64::Engine as _;
    #[derive(Deserialize)]
    struct Header {
        typ: Option<String>,
    }
    let header = jwt.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header)
        .ok()?;
    serde_json::from_slice::<Header>(&bytes).ok()?.typ
}

/// The `aud` claim as a list, whether sent as one string or an array.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Aud {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Aud::deserialize(d)? {
        Aud::One(one) => vec![one],
        Aud::Many(many) => many,
    })
}

/// Clock skew tolerated on `exp`, `nbf` and `iat` (the client's clock is not ours).
pub const LEEWAY_SECONDS: i64 = 60;
/// The longest an assertion may live (`exp` this far past now at most): its id is remembered until
/// it expires, so the bound also bounds what is stored. An hour, as common providers allow.
pub const MAX_LIFETIME_SECONDS: i64 = 3600;
/// Longest accepted `jti`.
const MAX_JTI_LEN: usize = 256;

/// What a client assertion must say, judged after its signature.
#[derive(Clone, Debug)]
pub struct AssertionRules<'a> {
    /// The client it must be made by and about (`iss` and `sub`).
    pub client_id: &'a str,
    /// The audiences accepted: the issuer and the token endpoint, under each issuer name.
    pub audiences: &'a [String],
    /// The current time.
    pub now: UnixTime,
}

impl AssertionRules<'_> {
    /// Refuses an assertion made by or about another client, for another audience, expired, not
    /// yet valid, living longer than [`MAX_LIFETIME_SECONDS`], or without a usable `jti`.
    pub fn check(&self, claims: &AssertionClaims) -> Result<(), OAuthError> {
        let refused = |why: &str| refused(&format!("the assertion {why}"));
        if claims.iss != self.client_id || claims.sub != self.client_id {
            return Err(refused("must have the client id as iss and sub"));
        }
        if !claims.aud.iter().any(|aud| self.audiences.contains(aud)) {
            return Err(refused(
                "is for another audience (use the issuer or the token endpoint URL)",
            ));
        }
        claims.check_lifetime(self.now).map_err(refused)
    }
}

impl AssertionClaims {
    /// Why the assertion cannot be used at `now`, if it cannot: expired, not yet valid, living
    /// longer than [`MAX_LIFETIME_SECONDS`], or without a usable `jti`. Every JWT grant and
    /// client assertion is held to these rules (RFC 7523 §3).
    pub fn check_lifetime(&self, now: UnixTime) -> Result<(), &'static str> {
        if self.exp + LEEWAY_SECONDS <= now {
            return Err("has expired");
        }
        if self.exp > now + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS {
            return Err("expires more than an hour from now");
        }
        let future = |time: Option<UnixTime>| time.is_some_and(|t| t > now + LEEWAY_SECONDS);
        if future(self.nbf) || future(self.iat) {
            return Err("is not valid yet");
        }
        if self.jti.is_empty() || self.jti.len() > MAX_JTI_LEN {
            return Err("needs a jti of at most 256 characters");
        }
        Ok(())
    }
}

/// The `iss` of an assertion, read without checking anything: the client id of a request that
/// authenticates with an assertion alone (RFC 7521 §4.2 makes `client_id` optional). The client
/// found by it is then held to its own keys, so a forged `iss` gains nothing.
pub fn unverified_issuer(assertion: &str) -> Option<String> {
    use base64::Engine as _;
    #[derive(Deserialize)]
    struct Issuer {
        iss: String,
    }
    let payload = assertion.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    serde_json::from_slice::<Issuer>(&bytes)
        .ok()
        .map(|claims| claims.iss)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> AssertionClaims {
        AssertionClaims {
            iss: "c".into(),
            sub: "c".into(),
            aud: vec!["https://as.example".into()],
            exp,
            nbf: None,
            iat: Some(1000),
            jti: "j".into(),
            client_id: None,
            resource: None,
            scope: None,
            email: None,
        }
    }

    #[test]
    fn rules_bound_time_audience_and_identity() {
        let audiences = ["https://as.example".to_owned()];
        let rules = AssertionRules {
            client_id: "c",
            audiences: &audiences,
            now: 1000,
        };
        assert!(rules.check(&claims(1300)).is_ok());
        assert!(rules.check(&claims(1000 - 61)).is_err(), "expired");
        assert!(rules.check(&claims(1000 + 3600 + 61)).is_err(), "too long");
        let mut other = claims(1300);
        other.sub = "d".into();
        assert!(rules.check(&other).is_err(), "about another client");
        let mut elsewhere = claims(1300);
        elsewhere.aud = vec!["https://other.example".into()];
        assert!(rules.check(&elsewhere).is_err(), "another audience");
        let mut early = claims(1300);
        early.nbf = Some(1100);
        assert!(rules.check(&early).is_err(), "not yet valid");
        let mut anonymous = claims(1300);
        anonymous.jti.clear();
        assert!(rules.check(&anonymous).is_err(), "no jti");
    }

    #[test]
    fn the_issuer_is_read_from_the_payload_and_garbage_reads_as_none() {
        let payload = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            br#"{"iss":"client-1","sub":"client-1"}"#,
        );
        assert_eq!(
            unverified_issuer(&format!("e30.{payload}.sig")).as_deref(),
            Some("client-1")
        );
        for garbage in ["", ".", "a.b.c", "e30.%%%.x", "e30.e30.x"] {
            assert_eq!(unverified_issuer(garbage), None, "{garbage}");
        }
    }
}
