//! Enterprise-Managed Authorization (MCP ext-auth): a client presents an ID-JAG that a trusted
//! enterprise identity provider signed (here a key of the test, its JWK set served by a loopback
//! host of the test, the assertions made with jwt-simple) and gets an access token for the person
//! it names, with the scopes everyone allows and no refresh token; every refusal case answers
//! with its RFC error.

use jwt_simple::prelude::*;
use mcp_oauth_core::Clock as _;
use mcp_oauth_tests::{TestServer, expect_error};
use reqwest::StatusCode;
use serde_json::{Value, json};

const IDP: &str = "https://idp.corp.test";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// What an ID-JAG says beyond the registered claims.
#[derive(Serialize, Deserialize)]
struct IdJag {
    client_id: String,
    resource: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<String>,
    email: String,
}

/// A server trusting the identity provider whose keys are at `jwks_uri`, and a client registered
/// for the grant: its id and secret.
async fn setup(jwks_uri: &str) -> (TestServer, String, String) {
    let issuers = format!("{IDP} {jwks_uri}");
    let server = TestServer::start(&[
        "--client-metadata-allow-loopback",
        "true",
        "--oauth-id-jag-issuers",
        &issuers,
    ])
    .await;
    let client = server
        .register(json!({
            "client_name": "Enterprise agent",
            "grant_types": [JWT_BEARER],
            "token_endpoint_auth_method": "client_secret_basic",
            "scope": "read write",
        }))
        .await;
    let id = client["client_id"].as_str().expect("registered").to_owned();
    let secret = client["client_secret"].as_str().unwrap().to_owned();
    (server, id, secret)
}

/// An ID-JAG for `client_id`, valid five minutes on the server's clock, with a new `jti`.
struct Assertion {
    claims: JWTClaims<IdJag>,
    typ: &'static str,
}

impl Assertion {
    fn new(server: &TestServer, client_id: &str, scope: Option<&str>) -> Self {
        let now = server.clock.now() as u64;
        let custom = IdJag {
            client_id: client_id.to_owned(),
            resource: server.url("/mcp"),
            scope: scope.map(str::to_owned),
            email: "Ann@Corp.test".into(),
        };
        let mut claims = Claims::with_custom_claims(custom, Duration::from_secs(300))
            .with_issuer(IDP)
            .with_subject("00u1ann")
            .with_audience(&server.base)
            .with_jwt_id(mcp_oauth_core::secret::Secret::generate(16).expose());
        claims.issued_at = Some(Duration::from_secs(now));
        claims.expires_at = Some(Duration::from_secs(now + 300));
        Self {
            claims,
            typ: "oauth-id-jag+jwt",
        }
    }

    fn sign(self, key: &Ed25519KeyPair) -> String {
        let options = HeaderOptions {
            signature_type: Some(self.typ.to_owned()),
            ..HeaderOptions::default()
        };
        key.sign_with_options(self.claims, &options)
            .expect("signed")
    }
}

async fn redeem(
    server: &TestServer,
    id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields = vec![("grant_type", JWT_BEARER)];
    fields.extend_from_slice(form);
    server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_id_jag_of_a_trusted_provider_gets_a_token_for_its_person_and_no_refresh_token() {
    let idp = Ed25519KeyPair::generate().with_key_id("idp-2026");
    let jwks =
        json!({"keys": [serde_json::from_str::<Value>(&idp.public_key().to_jwk()).unwrap()]});
    let (jwks_uri, _) = super::assertions::key_host(jwks).await;
    let (server, id, secret) = setup(&jwks_uri).await;

    let metadata: Value = server
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        metadata["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(JWT_BEARER)),
        "{metadata}"
    );
    assert_eq!(
        metadata["authorization_grant_profiles_supported"],
        json!(["urn:ietf:params:oauth:grant-profile:id-jag"])
    );

    let assertion = Assertion::new(&server, &id, Some("read write admin")).sign(&idp);
    let answer = redeem(&server, &id, &secret, &[("assertion", &assertion)]).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let tokens: Value = answer.json().await.unwrap();
    assert_eq!(tokens["scope"], "read write", "{tokens}");
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    let stored: Value = server
        .store_memory(
            tokens["access_token"].as_str().unwrap(),
            &json!({"content": "from the enterprise"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(stored["memory"]["created_by"], "ann@corp.test", "{stored}");

    // The same assertion again: its jti is single use.
    let replay = redeem(&server, &id, &secret, &[("assertion", &assertion)]).await;
    expect_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // A narrower request is honoured; a request for nothing left is invalid_scope.
    let narrow = Assertion::new(&server, &id, None).sign(&idp);
    let answer = redeem(
        &server,
        &id,
        &secret,
        &[("assertion", &narrow), ("scope", "read")],
    )
    .await;
    let tokens: Value = answer.json().await.unwrap();
    assert_eq!(tokens["scope"], "read", "{tokens}");
    let nothing = Assertion::new(&server, &id, Some("admin")).sign(&idp);
    let answer = redeem(&server, &id, &secret, &[("assertion", &nothing)]).await;
    expect_error(answer, StatusCode::BAD_REQUEST, "invalid_scope").await;
}

#[tokio::test]
async fn every_wrong_id_jag_is_refused_with_its_reason() {
    let idp = Ed25519KeyPair::generate().with_key_id("idp-2026");
    let jwks =
        json!({"keys": [serde_json::from_str::<Value>(&idp.public_key().to_jwk()).unwrap()]});
    let (jwks_uri, _) = super::assertions::key_host(jwks).await;
    let (server, id, secret) = setup(&jwks_uri).await;
    let stranger = Ed25519KeyPair::generate().with_key_id("idp-2026");

    type Change = fn(&mut Assertion);
    let cases: [(&str, Change, &str); 7] = [
        ("a plain JWT type", |a| a.typ = "JWT", "oauth-id-jag+jwt"),
        (
            "another audience",
            |a| a.claims.audiences = Some(Audiences::AsString("https://other.test".into())),
            "audience",
        ),
        (
            "another client",
            |a| a.claims.custom.client_id = "someone-else".into(),
            "another client",
        ),
        (
            "another resource",
            |a| a.claims.custom.resource = "https://elsewhere.test/mcp".into(),
            "resource",
        ),
        (
            "an untrusted issuer",
            |a| a.claims.issuer = Some("https://evil.test".into()),
            "trusts",
        ),
        (
            "expired",
            |a| {
                let issued = a.claims.issued_at.unwrap();
                a.claims.issued_at = Some(issued - Duration::from_secs(3600));
                a.claims.expires_at = Some(issued - Duration::from_secs(600));
            },
            "expired",
        ),
        ("no jti", |a| a.claims.jwt_id = None, "jti"),
    ];
    for (what, change, why) in cases {
        let mut assertion = Assertion::new(&server, &id, None);
        change(&mut assertion);
        let answer = redeem(
            &server,
            &id,
            &secret,
            &[("assertion", &assertion.sign(&idp))],
        )
        .await;
        let body = expect_error(answer, StatusCode::BAD_REQUEST, "invalid_grant").await;
        assert!(
            body["error_description"].as_str().unwrap().contains(why),
            "{what}: {body}"
        );
    }
    let forged = Assertion::new(&server, &id, None).sign(&stranger);
    let answer = redeem(&server, &id, &secret, &[("assertion", &forged)]).await;
    let body = expect_error(answer, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("not signed"),
        "{body}"
    );
    let answer = redeem(&server, &id, &secret, &[]).await;
    expect_error(answer, StatusCode::BAD_REQUEST, "invalid_request").await;

    // A client that did not register the grant may not use it.
    let other = server
        .register(json!({
            "client_name": "Code-only app",
            "redirect_uris": ["http://localhost:5000/callback"],
            "token_endpoint_auth_method": "client_secret_basic",
        }))
        .await;
    let other_id = other["client_id"].as_str().unwrap();
    let assertion = Assertion::new(&server, other_id, None).sign(&idp);
    let answer = redeem(
        &server,
        other_id,
        other["client_secret"].as_str().unwrap(),
        &[("assertion", &assertion)],
    )
    .await;
    expect_error(answer, StatusCode::BAD_REQUEST, "unauthorized_client").await;

    // A server that trusts no identity provider does not offer the grant at all.
    let plain = TestServer::start(&[]).await;
    let metadata: Value = plain
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        !metadata["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&json!(JWT_BEARER))
    );
    assert!(
        metadata
            .get("authorization_grant_profiles_supported")
            .is_none()
    );
    let client = plain
        .register(json!({
            "client_name": "Enterprise agent",
            "grant_types": [JWT_BEARER],
            "token_endpoint_auth_method": "client_secret_basic",
        }))
        .await;
    let assertion = Assertion::new(&plain, client["client_id"].as_str().unwrap(), None).sign(&idp);
    let answer = redeem(
        &plain,
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap(),
        &[("assertion", &assertion)],
    )
    .await;
    expect_error(answer, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
}
