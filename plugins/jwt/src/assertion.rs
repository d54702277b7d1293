//! Checking JWTs that others sign with their own keys, against their JWK sets: the signature half
//! of `private_key_jwt` client authentication (core judges the claims).

use base64::Engine as _;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mcp_oauth_core::OAuthError;
use mcp_oauth_core::assertion::{AssertionClaims, AssertionVerifier, SIGNING_ALGORITHMS, refused};

/// Smallest RSA modulus accepted, in bytes (2048 bits, RFC 7518 §3.3).
const MIN_RSA_MODULUS_BYTES: usize = 256;
/// Most keys of one set tried on one assertion (a set listing many keys without `kid`s must not
/// make one request verify signatures without end).
const MAX_CANDIDATES: usize = 8;

/// Verifies assertions signed with RS256, ES256 or EdDSA by a key of the signer's JWK set.
#[derive(Clone, Copy, Debug, Default)]
pub struct JwksVerifier;

impl AssertionVerifier for JwksVerifier {
    fn verify(
        &self,
        assertion: &str,
        jwks: &serde_json::Value,
    ) -> Result<AssertionClaims, OAuthError> {
        let header = jsonwebtoken::decode_header(assertion)
            .map_err(|_| refused("the client assertion is not a signed JWT"))?;
        if !accepted().any(|alg| alg == header.alg) {
            return Err(refused(
                "the client assertion must be signed with RS256, ES256 or EdDSA",
            ));
        }
        let mut validation = Validation::new(header.alg);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let candidates = keys(jwks)
            .filter(|jwk| {
                header
                    .kid
                    .as_ref()
                    .is_none_or(|kid| jwk.common.key_id.as_ref() == Some(kid))
            })
            .filter(|jwk| signs_with(jwk, header.alg))
            .take(MAX_CANDIDATES);
        for jwk in candidates {
            let Ok(key) = DecodingKey::from_jwk(&jwk) else {
                continue;
            };
            if let Ok(data) = jsonwebtoken::decode::<AssertionClaims>(assertion, &key, &validation)
            {
                return Ok(data.claims);
            }
        }
        Err(refused(
            "the client assertion is not signed by a key of the client, or lacks iss, sub, aud, \
             exp or jti",
        ))
    }

    fn check_key_set(&self, jwks: &serde_json::Value) -> Result<(), OAuthError> {
        let members = jwks.get("keys").and_then(serde_json::Value::as_array);
        if members.is_some_and(|keys| keys.iter().any(is_private)) {
            return Err(OAuthError::invalid_client_metadata(
                "jwks must hold public keys only: a key with a private part (d) was sent",
            ));
        }
        let usable = keys(jwks).any(|jwk| {
            accepted().any(|alg| signs_with(&jwk, alg)) && DecodingKey::from_jwk(&jwk).is_ok()
        });
        if usable {
            Ok(())
        } else {
            Err(OAuthError::invalid_client_metadata(
                "jwks must hold a public signing key for RS256 (2048 bits or more), ES256 (P-256) \
                 or EdDSA (Ed25519)",
            ))
        }
    }
}

/// The algorithms accepted on assertions: core's [`SIGNING_ALGORITHMS`], as jsonwebtoken names
/// them.
fn accepted() -> impl Iterator<Item = Algorithm> {
    SIGNING_ALGORITHMS
        .iter()
        .filter_map(|name| name.parse().ok())
}

/// The public keys of a JWK set that read as JWKs; the others (unknown key types, private
/// keys) are skipped.
fn keys(jwks: &serde_json::Value) -> impl Iterator<Item = Jwk> + '_ {
    jwks.get("keys")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter(|key| !is_private(key))
        .filter_map(|key| serde_json::from_value::<Jwk>(key.clone()).ok())
}

/// Whether a JWK carries a private part (`d` of an RSA, EC or OKP key, RFC 7518 §6).
fn is_private(key: &serde_json::Value) -> bool {
    key.get("d").is_some()
}

/// Whether `jwk` is a key for `alg`: its type and curve fit, its `alg` (when it names one) is
/// `alg`, its `use` (when given) is signing, and an RSA modulus has at least 2048 bits.
fn signs_with(jwk: &Jwk, alg: Algorithm) -> bool {
    let declared_fits = jwk
        .common
        .key_algorithm
        .is_none_or(|declared| format!("{declared:?}") == algorithm_name(alg));
    let use_fits = jwk
        .common
        .public_key_use
        .as_ref()
        .is_none_or(|key_use| *key_use == PublicKeyUse::Signature);
    let kind_fits = match (&jwk.algorithm, alg) {
        (AlgorithmParameters::RSA(rsa), Algorithm::RS256) => {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(rsa.n.trim_end_matches('='))
                .is_ok_and(|n| {
                    n.iter().skip_while(|byte| **byte == 0).count() >= MIN_RSA_MODULUS_BYTES
                })
        }
        (AlgorithmParameters::EllipticCurve(ec), Algorithm::ES256) => {
            ec.curve == EllipticCurve::P256
        }
        (AlgorithmParameters::OctetKeyPair(okp), Algorithm::EdDSA) => {
            okp.curve == EllipticCurve::Ed25519
        }
        _ => false,
    };
    declared_fits && use_fits && kind_fits
}

/// The JWS name of `alg` (`RS256`, `EdDSA`, …).
fn algorithm_name(alg: Algorithm) -> String {
    format!("{alg:?}")
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// JWK-like objects: the members a key set may carry, with arbitrary values.
    fn jwk() -> impl Strategy<Value = serde_json::Value> {
        let member = prop_oneof![
            Just("kty"),
            Just("crv"),
            Just("x"),
            Just("y"),
            Just("n"),
            Just("e"),
            Just("d"),
            Just("alg"),
            Just("kid"),
            Just("use")
        ];
        let value = prop_oneof![
            "[A-Za-z0-9_-]{0,64}".prop_map(serde_json::Value::from),
            Just(serde_json::json!("RSA")),
            Just(serde_json::json!("EC")),
            Just(serde_json::json!("OKP")),
            Just(serde_json::json!("P-256")),
            Just(serde_json::json!("Ed25519")),
            any::<i64>().prop_map(serde_json::Value::from),
        ];
        proptest::collection::btree_map(member, value, 0..8).prop_map(|members| {
            serde_json::Value::Object(
                members
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Whatever a client sends as its assertion and key set, checking them never panics,
        /// and garbage never verifies.
        #[test]
        fn checking_never_panics_and_garbage_never_verifies(
            header in prop_oneof![
                "[A-Za-z0-9_-]{0,40}",
                (
                    prop_oneof![Just("RS256"), Just("ES256"), Just("EdDSA"), Just("HS256"), Just("none")],
                    proptest::option::of("[a-z0-9]{0,8}"),
                )
                    .prop_map(|(alg, kid)| {
                        let header = match kid {
                            Some(kid) => serde_json::json!({"alg": alg, "kid": kid}),
                            None => serde_json::json!({"alg": alg}),
                        };
                        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(header.to_string())
                    }),
            ],
            payload in "[A-Za-z0-9_-]{0,80}",
            signature in "[A-Za-z0-9_-]{0,90}",
            keys in proptest::collection::vec(jwk(), 0..4),
        ) {
            let jwks = serde_json::json!({"keys": keys});
            let _ = JwksVerifier.check_key_set(&jwks);
            let assertion = format!("{header}.{payload}.{signature}");
            prop_assert!(JwksVerifier.verify(&assertion, &jwks).is_err());
        }
    }
}
