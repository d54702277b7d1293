//! The signer conformance suite.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::ErrorCode;
use crate::model::AccessClaims;
use crate::signer::{Expectations, TokenSigner};

const ISSUER: &str = "https://auth.example";
const AUDIENCE: &str = "https://auth.example/mcp";
const NOW: i64 = 1_800_000_000;

/// Claims valid at `NOW` for `ISSUER` and `AUDIENCE`.
pub fn sample_claims() -> AccessClaims {
    AccessClaims {
        iss: ISSUER.into(),
        sub: "owner".into(),
        aud: AUDIENCE.into(),
        exp: NOW + 3600,
        iat: NOW,
        jti: "jti-1".into(),
        client_id: "mcp_client_test".into(),
        scope: "read write".into(),
    }
}

fn expect_at(now: i64) -> (Vec<String>, i64) {
    (vec![AUDIENCE.to_owned()], now)
}

/// Runs every rule on `signer`; `other_key` is the same kind of signer with a different key.
pub fn run(signer: &dyn TokenSigner, other_key: &dyn TokenSigner) {
    let claims = sample_claims();
    let token = signer.issue(&claims).expect("issue must succeed");
    let (audiences, now) = expect_at(NOW);
    let expect = Expectations {
        issuer: ISSUER,
        audiences: &audiences,
        now,
    };

    assert_eq!(
        expect.verify(signer, &token).expect("round trip"),
        claims,
        "round trip"
    );

    let rejected = |candidate: &str, rule: &str| {
        let error = expect.verify(signer, candidate).expect_err(rule);
        assert_eq!(
            error.code,
            ErrorCode::InvalidToken,
            "{rule}: must be invalid_token"
        );
    };

    // Tampering anywhere: each character position class, truncation, extension.
    let bytes = token.as_bytes();
    for position in [
        0,
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
            rejected(&tampered, &format!("a token changed at byte {position}"));
        }
    }
    rejected(&token[..token.len() - 4], "a truncated token");
    rejected(&format!("{token}AAAA"), "an extended token");

    // The same claims signed with another key.
    let foreign = other_key.issue(&claims).expect("issue with the other key");
    rejected(&foreign, "a token signed with another key");

    // Unsigned JWT (alg none) and other garbage.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("claims serialise"));
    rejected(
        &format!("{header}.{payload}."),
        "an unsigned alg=none token",
    );
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
        rejected(garbage, &format!("garbage {garbage:?}"));
    }

    // Claims judged with a pinned clock.
    let (audiences, _) = expect_at(NOW);
    let expired = Expectations {
        issuer: ISSUER,
        audiences: &audiences,
        now: claims.exp,
    };
    assert!(
        expired.verify(signer, &token).is_err(),
        "a token at its exp must be rejected"
    );
    let early = Expectations {
        issuer: ISSUER,
        audiences: &audiences,
        now: NOW - 3600,
    };
    assert!(
        early.verify(signer, &token).is_err(),
        "a token before its iat must be rejected"
    );
    let other_issuer = Expectations {
        issuer: "https://evil.example",
        audiences: &audiences,
        now,
    };
    assert!(
        other_issuer.verify(signer, &token).is_err(),
        "another issuer must be rejected"
    );
    let other_audience = vec!["https://other.example/mcp".to_owned()];
    let wrong_aud = Expectations {
        issuer: ISSUER,
        audiences: &other_audience,
        now,
    };
    assert!(
        wrong_aud.verify(signer, &token).is_err(),
        "another audience must be rejected"
    );
}
