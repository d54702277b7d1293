//! The signer conformance suite: every signer plugin passes it unchanged.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::model::AccessClaims;
use crate::registry::{SignerContext, SignerPlugin};
use crate::signer::{Expectations, TokenSigner};
use crate::signing::Signing;
use crate::store::KeyStore;
use crate::{ErrorCode, PluginSettings};

const ISSUER: &str = "https://auth.example";
const AUDIENCE: &str = "https://auth.example/mcp";
const NOW: i64 = 1_800_000_000;
const LIFETIME: i64 = 3600;

/// Claims valid at `now` for the suite's issuer and audience.
pub fn sample_claims(now: i64) -> AccessClaims {
    AccessClaims {
        iss: ISSUER.into(),
        sub: "owner".into(),
        aud: AUDIENCE.into(),
        exp: now + LIFETIME,
        iat: now,
        jti: format!("jti-{now}"),
        client_id: "mcp_client_test".into(),
        scope: "read write".into(),
    }
}

async fn start(plugin: &'static SignerPlugin, keys: &Arc<dyn KeyStore>, now: i64) -> Signing {
    let context = SignerContext {
        settings: PluginSettings::default(),
        keys: keys.clone(),
        now,
        token_lifetime: LIFETIME,
    };
    Signing::start(plugin, context)
        .await
        .expect("the signer builds")
}

async fn build(
    plugin: &'static SignerPlugin,
    keys: &Arc<dyn KeyStore>,
    now: i64,
) -> Arc<dyn TokenSigner> {
    Arc::new(start(plugin, keys, now).await)
}

fn audiences() -> Vec<String> {
    vec![AUDIENCE.to_owned()]
}

fn rejected(signer: &dyn TokenSigner, token: &str, now: i64, rule: &str) {
    let audiences = audiences();
    let expect = Expectations {
        issuer: ISSUER,
        audiences: &audiences,
        now,
    };
    let error = expect.verify(signer, token).expect_err(rule);
    assert_eq!(
        error.code,
        ErrorCode::InvalidToken,
        "{rule}: must be invalid_token"
    );
}

fn accepted(signer: &dyn TokenSigner, token: &str, now: i64, rule: &str) -> AccessClaims {
    let audiences = audiences();
    let expect = Expectations {
        issuer: ISSUER,
        audiences: &audiences,
        now,
    };
    expect
        .verify(signer, token)
        .unwrap_or_else(|e| panic!("{rule}: {e}"))
}

/// An HS256 JWT over `claims` with `key` and header `kid`, made here without the signer.
fn hs256_jwt(claims: &AccessClaims, key: &[u8], kid: Option<&str>) -> String {
    let header = match kid {
        Some(kid) => serde_json::json!({"alg": "HS256", "typ": "at+jwt", "kid": kid}),
        None => serde_json::json!({"alg": "HS256", "typ": "JWT"}),
    };
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialise"))
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(input.as_bytes());
    format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// Runs every rule on `plugin`. `fresh_keys` makes an empty key store each call.
pub async fn run(plugin: &'static SignerPlugin, fresh_keys: impl Fn() -> Arc<dyn KeyStore>) {
    let keys = fresh_keys();
    let signer = build(plugin, &keys, NOW).await;
    let claims = sample_claims(NOW);
    let token = signer.issue(&claims).expect("issue must succeed");
    assert_eq!(
        accepted(signer.as_ref(), &token, NOW, "round trip"),
        claims,
        "round trip"
    );

    // Tampering anywhere, truncation, extension.
    let bytes = token.as_bytes();
    for position in [
        0,
        7,
        bytes.len() / 3,
        bytes.len() / 2,
        bytes.len() * 2 / 3,
        bytes.len() - 2,
    ] {
        let mut tampered = bytes.to_vec();
        tampered[position] = if tampered[position] == b'A' {
            b'B'
        } else {
            b'A'
        };
        let tampered = String::from_utf8(tampered).expect("ascii token");
        if tampered != token {
            rejected(
                signer.as_ref(),
                &tampered,
                NOW,
                &format!("a token changed at byte {position}"),
            );
        }
    }
    rejected(
        signer.as_ref(),
        &token[..token.len() - 4],
        NOW,
        "a truncated token",
    );
    rejected(
        signer.as_ref(),
        &format!("{token}AAAA"),
        NOW,
        "an extended token",
    );

    // The same claims under another key (another ring, so another kid).
    let other = build(plugin, &fresh_keys(), NOW).await;
    let foreign = other.issue(&claims).expect("issue with the other key");
    rejected(
        signer.as_ref(),
        &foreign,
        NOW,
        "a token signed with another key",
    );

    // Unsigned, other formats, garbage.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("claims serialise"));
    rejected(
        signer.as_ref(),
        &format!("{header}.{payload}."),
        NOW,
        "an unsigned alg=none token",
    );
    rejected(
        signer.as_ref(),
        &hs256_jwt(&claims, b"0123456789abcdef0123456789abcdef", None),
        NOW,
        "an HS256 token of another key",
    );
    let random = URL_SAFE_NO_PAD.encode([7u8; 160]);
    for format in [
        format!("v4.public.{random}"),
        format!("v4.local.{random}"),
        format!("v2.local.{random}"),
    ] {
        rejected(
            signer.as_ref(),
            &format,
            NOW,
            "a PASETO-shaped token of another key",
        );
    }
    for garbage in [
        "",
        ".",
        "..",
        "a.b.c",
        "v4.public.",
        "not a token",
        "\u{0}\u{1}",
        "é.é.é",
    ] {
        rejected(
            signer.as_ref(),
            garbage,
            NOW,
            &format!("garbage {garbage:?}"),
        );
    }

    // Algorithm confusion: HS256 tokens keyed with each published public key, under its kid.
    for jwk in signer.public_keys() {
        let kid = jwk["kid"].as_str();
        let mut secrets = vec![jwk.to_string().into_bytes()];
        if let Some(x) = jwk["x"].as_str() {
            secrets.push(URL_SAFE_NO_PAD.decode(x).expect("x is base64url"));
            secrets.push(x.as_bytes().to_vec());
        }
        for secret in secrets {
            rejected(
                signer.as_ref(),
                &hs256_jwt(&claims, &secret, kid),
                NOW,
                "HS256 keyed with a public key",
            );
        }
    }

    // Claims judged with a pinned clock.
    rejected(signer.as_ref(), &token, claims.exp, "a token at its exp");
    rejected(
        signer.as_ref(),
        &token,
        NOW - LIFETIME,
        "a token before its iat",
    );
    let audiences = audiences();
    let other_issuer = Expectations {
        issuer: "https://evil.example",
        audiences: &audiences,
        now: NOW,
    };
    assert!(
        other_issuer.verify(signer.as_ref(), &token).is_err(),
        "another issuer must be rejected"
    );
    let other_audience = vec!["https://other.example/mcp".to_owned()];
    let wrong_aud = Expectations {
        issuer: ISSUER,
        audiences: &other_audience,
        now: NOW,
    };
    assert!(
        wrong_aud.verify(signer.as_ref(), &token).is_err(),
        "another audience must be rejected"
    );

    rotation(plugin, &keys, &token).await;
}

/// Rotation: the old key keeps verifying its tokens until they expire, the new key signs, a
/// restarted signer (same key store) verifies both, and old keys leave once their tokens expired.
async fn rotation(plugin: &'static SignerPlugin, keys: &Arc<dyn KeyStore>, old_token: &str) {
    let later = NOW + 10;
    let before = build(plugin, keys, later).await;
    let published_before = before.public_keys().len();
    let ring = start(plugin, keys, later)
        .await
        .rotate(later)
        .await
        .expect("rotate");
    assert_eq!(ring.keys.len(), 2, "the previous key stays in the ring");

    let rotated = build(plugin, keys, later).await;
    accepted(
        rotated.as_ref(),
        old_token,
        later,
        "a token of the previous key after rotation",
    );
    let new_token = rotated.issue(&sample_claims(later)).expect("issue");
    rejected(
        before.as_ref(),
        &new_token,
        later,
        "the new key signs (the old ring alone cannot verify it)",
    );
    if published_before > 0 {
        assert_eq!(
            rotated.public_keys().len(),
            published_before + 1,
            "both public keys are published"
        );
    }
    let restarted = build(plugin, keys, later).await;
    accepted(
        restarted.as_ref(),
        &new_token,
        later,
        "a restart keeps the ring",
    );

    // Once every token of the first key has expired, a rotation drops it.
    let much_later = later + LIFETIME + 1;
    let ring = start(plugin, keys, much_later)
        .await
        .rotate(much_later)
        .await
        .expect("rotate");
    assert_eq!(
        ring.keys.len(),
        2,
        "keys retired longer than a token lifetime are dropped"
    );
    let pruned = build(plugin, keys, much_later).await;
    let error = pruned
        .decode(old_token)
        .expect_err("a dropped key verifies nothing");
    assert_eq!(error.code, ErrorCode::InvalidToken);
}
