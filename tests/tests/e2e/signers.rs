//! Every signer end to end: tokens verified by implementations we did not write, from only what the
//! server publishes (or the configured shared secret); key rotation over HTTP.

use std::collections::HashSet;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_core::PluginSettings;
use mcp_oauth_tests::{TestServer, expect_error, signer_publishes_keys, test_signer};
use reqwest::StatusCode;
use serde_json::Value;

const KEY: &str = "owner-key-0123456789";

/// The real time: the independent libraries judge `exp` and `iat` by the system clock.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn server_with(signer: &str, settings: PluginSettings) -> TestServer {
    TestServer::start_at(&["--oauth-signer", signer], settings, now())
        .await
        .expect("the server starts")
}

/// The JWKS entry named `kid`.
async fn published_key(server: &TestServer, kid: &str) -> Value {
    let jwks: Value = server.get("/oauth/jwks.json").await.json().await.unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .cloned()
        .expect("the kid is published")
}

fn jwt_header(token: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap()
}

fn jwt_options(server: &TestServer) -> jwt_simple::prelude::VerificationOptions {
    jwt_simple::prelude::VerificationOptions {
        allowed_issuers: Some(HashSet::from([server.base.clone()])),
        allowed_audiences: Some(HashSet::from([server.url("/mcp")])),
        ..Default::default()
    }
}

#[derive(serde::Deserialize)]
struct Extra {
    client_id: String,
    scope: String,
}

#[cfg(feature = "signer-hs256")]
#[tokio::test]
async fn jwt_simple_verifies_hs256_tokens_with_the_configured_secret() {
    use jwt_simple::prelude::*;
    let secret = "interop-secret-interop-secret-interop-secret";
    let mut settings = PluginSettings::default();
    settings.set("MCP_OAUTH_SECRET_KEY", secret);
    let server = server_with("hs256", settings).await;
    let token = server.client_credentials_token("read").await;
    assert_eq!(jwt_header(&token)["typ"], "at+jwt");
    let claims = HS256Key::from_bytes(secret.as_bytes())
        .verify_token::<Extra>(&token, Some(jwt_options(&server)))
        .expect("an independent HS256 implementation verifies the token");
    assert_eq!(claims.custom.scope, "read");
    assert!(claims.custom.client_id.starts_with("mcp_client_"));
    let wrong = HS256Key::from_bytes(b"another-secret-another-secret-another");
    assert!(
        wrong
            .verify_token::<Extra>(&token, Some(jwt_options(&server)))
            .is_err()
    );
}

#[cfg(feature = "signer-eddsa")]
#[tokio::test]
async fn jwt_simple_verifies_eddsa_tokens_with_the_published_jwks() {
    use jwt_simple::prelude::*;
    let server = server_with("eddsa", PluginSettings::default()).await;
    let token = server.client_credentials_token("read write").await;
    let header = jwt_header(&token);
    assert_eq!(
        (header["alg"].as_str(), header["typ"].as_str()),
        (Some("EdDSA"), Some("at+jwt"))
    );
    let jwk = published_key(&server, header["kid"].as_str().unwrap()).await;
    assert_eq!(
        (jwk["kty"].as_str(), jwk["crv"].as_str()),
        (Some("OKP"), Some("Ed25519"))
    );
    let x = URL_SAFE_NO_PAD.decode(jwk["x"].as_str().unwrap()).unwrap();
    let claims = Ed25519PublicKey::from_bytes(&x)
        .unwrap()
        .verify_token::<Extra>(&token, Some(jwt_options(&server)))
        .expect("an independent Ed25519 JWT implementation verifies the token");
    assert_eq!(claims.custom.scope, "read write");
}

/// The footer of a PASETO token, as text.
#[cfg(feature = "signer-paseto")]
fn paseto_footer(token: &str) -> String {
    String::from_utf8(
        URL_SAFE_NO_PAD
            .decode(token.split('.').nth(3).expect("a footer"))
            .unwrap(),
    )
    .unwrap()
}

#[cfg(feature = "signer-paseto")]
fn check_paseto_claims(server: &TestServer, payload: &str) {
    let claims: Value = serde_json::from_str(payload).unwrap();
    assert_eq!(claims["iss"], server.base);
    assert_eq!(claims["aud"], server.url("/mcp"));
    assert!(
        claims["exp"].as_str().unwrap().contains('T'),
        "exp is RFC 3339: {claims}"
    );
}

#[cfg(feature = "signer-paseto")]
#[tokio::test]
async fn rusty_paseto_verifies_v4_public_tokens_with_the_published_paserk() {
    use rusty_paseto::core::{Footer, Key, Paseto, PasetoAsymmetricPublicKey, Public, V4};
    let server = server_with("paseto-v4-public", PluginSettings::default()).await;
    let token = server.client_credentials_token("read").await;
    assert!(token.starts_with("v4.public."));
    let footer = paseto_footer(&token);
    let kid: Value = serde_json::from_str(&footer).unwrap();
    let jwk = published_key(&server, kid["kid"].as_str().unwrap()).await;
    let paserk = jwk["paserk"].as_str().unwrap();
    let raw = URL_SAFE_NO_PAD
        .decode(
            paserk
                .strip_prefix("k4.public.")
                .expect("a k4.public PASERK"),
        )
        .unwrap();
    let key = Key::<32>::try_from(raw.as_slice()).unwrap();
    let public = PasetoAsymmetricPublicKey::<V4, Public>::from(&key);
    let payload =
        Paseto::<V4, Public>::try_verify(&token, &public, Footer::from(footer.as_str()), None)
            .expect("an independent PASETO implementation verifies the token");
    check_paseto_claims(&server, &payload);
}

#[cfg(feature = "signer-paseto")]
#[tokio::test]
async fn rusty_paseto_decrypts_v4_local_tokens_with_the_configured_key() {
    use rusty_paseto::core::{Footer, Key, Local, Paseto, PasetoSymmetricKey, V4};
    let raw: [u8; 32] = rand::random();
    let mut settings = PluginSettings::default();
    settings.set(
        "MCP_OAUTH_PASETO_LOCAL_KEY",
        format!("k4.local.{}", URL_SAFE_NO_PAD.encode(raw)),
    );
    let server = server_with("paseto-v4-local", settings).await;
    let token = server.client_credentials_token("read").await;
    assert!(token.starts_with("v4.local."));
    let key = PasetoSymmetricKey::<V4, Local>::from(Key::<32>::from(raw));
    let footer = paseto_footer(&token);
    let payload =
        Paseto::<V4, Local>::try_decrypt(&token, &key, Footer::from(footer.as_str()), None)
            .expect("an independent PASETO implementation decrypts the token");
    check_paseto_claims(&server, &payload);
    assert!(
        server
            .get("/oauth/jwks.json")
            .await
            .json::<Value>()
            .await
            .unwrap()["keys"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn rotation_over_http_keeps_earlier_tokens_valid() {
    let server = TestServer::start(&["--api-key", KEY, "--oauth-auto-approve", "true"]).await;
    let before = server.client_credentials_token("read").await;
    let rotate = |key: &'static str| {
        server
            .http
            .post(server.url("/oauth/keys/rotate"))
            .header("X-API-Key", key)
            .send()
    };

    let response = rotate(KEY).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let listing: Value = response.json().await.unwrap();
    let keys = listing["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{listing}");
    assert_eq!(
        (keys[0]["current"].as_bool(), keys[1]["current"].as_bool()),
        (Some(false), Some(true))
    );
    assert!(keys[0]["retired_at"].is_i64());
    assert!(
        !listing.to_string().contains("material"),
        "no key material is shown"
    );

    let after = server.client_credentials_token("read").await;
    for token in [&before, &after] {
        assert_eq!(
            server.get_with_token("/api/memories", token).await.status(),
            StatusCode::OK
        );
    }
    let published = server
        .get("/oauth/jwks.json")
        .await
        .json::<Value>()
        .await
        .unwrap()["keys"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        published,
        if signer_publishes_keys(&test_signer()) {
            2
        } else {
            0
        }
    );

    let listed: Value = server
        .http
        .get(server.url("/oauth/keys"))
        .header("X-API-Key", KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["keys"], listing["keys"]);
    assert_eq!(listed["signer"], test_signer());
    expect_error(
        rotate("wrong").await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    let reader = server.client_credentials_token("read").await;
    let response = server
        .http
        .post(server.url("/oauth/keys/rotate"))
        .bearer_auth(&reader)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
}

#[cfg(feature = "signer-hs256")]
#[tokio::test]
async fn a_configured_key_is_rotated_by_changing_it() {
    let mut settings = PluginSettings::default();
    settings.set(
        "MCP_OAUTH_SECRET_KEY",
        "configured-secret-configured-secret-0123",
    );
    let server = TestServer::start_with(
        &[
            "--oauth-signer",
            "hs256",
            "--api-key",
            KEY,
            "--oauth-auto-approve",
            "true",
        ],
        settings,
    )
    .await
    .unwrap();
    let response = server
        .http
        .post(server.url("/oauth/keys/rotate"))
        .header("X-API-Key", KEY)
        .send()
        .await
        .unwrap();
    let body = expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("MCP_OAUTH_SECRET_KEY")
    );
}

#[tokio::test]
async fn an_unknown_signer_stops_the_start_with_the_compiled_in_list() {
    let error = TestServer::start_with(&["--oauth-signer", "rs256"], PluginSettings::default())
        .await
        .err()
        .unwrap();
    let line = error.to_string();
    assert!(
        line.starts_with("MCP_OAUTH_SIGNER: got \"rs256\""),
        "{line}"
    );
    for plugin in mcp_oauth_core::registry::signers() {
        assert!(line.contains(plugin.name), "{line}");
    }
}
