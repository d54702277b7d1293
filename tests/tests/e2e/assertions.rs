//! `private_key_jwt` client authentication (RFC 7523 §2.2): clients that hold no secret of this
//! server sign short JWTs with their own keys. The assertions are made with jwt-simple, a JWT
//! library independent of the server's, as a client would make them; key sets published at a
//! `jwks_uri` are served by a loopback server of the test.

use std::sync::{Arc, Mutex};

use jwt_simple::prelude::*;
use mcp_oauth_core::Clock as _;
use mcp_oauth_tests::{Pkce, TestServer, expect_error, redirect_param};
use poem::{Route, get};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Form fields of a request.
type Form<'a> = Vec<(&'a str, &'a str)>;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const REDIRECT: &str = "http://localhost:5000/callback";

/// A client's signing key, in each algorithm the server advertises.
enum ClientKey {
    Es256(ES256KeyPair),
    EdDsa(Ed25519KeyPair),
    Rs256(Box<RS256KeyPair>),
}

impl ClientKey {
    fn es256(kid: &str) -> Self {
        Self::Es256(ES256KeyPair::generate().with_key_id(kid))
    }

    fn eddsa(kid: &str) -> Self {
        Self::EdDsa(Ed25519KeyPair::generate().with_key_id(kid))
    }

    /// A 2048-bit RSA key made for these tests only (generating one takes long in a debug build).
    fn rs256(kid: &str) -> Self {
        let pem = include_str!("../../fixtures/rsa-2048-test-only.pem");
        Self::Rs256(Box::new(
            RS256KeyPair::from_pem(pem)
                .expect("the test RSA key")
                .with_key_id(kid),
        ))
    }

    /// The public JWK, as the client publishes it.
    fn jwk(&self) -> Value {
        match self {
            Self::Es256(key) => serde_json::from_str(&key.public_key().to_jwk()).unwrap(),
            Self::EdDsa(key) => serde_json::from_str(&key.public_key().to_jwk()).unwrap(),
            Self::Rs256(key) => {
                let components = key.public_key().to_components();
                json!({
                    "kty": "RSA",
                    "alg": "RS256",
                    "use": "sig",
                    "kid": key.key_id().clone().unwrap(),
                    "n": Base64UrlSafeNoPadding::encode_to_string(&components.n).unwrap(),
                    "e": Base64UrlSafeNoPadding::encode_to_string(&components.e).unwrap(),
                })
            }
        }
    }

    fn sign(&self, claims: JWTClaims<NoCustomClaims>) -> String {
        match self {
            Self::Es256(key) => key.sign(claims),
            Self::EdDsa(key) => key.sign(claims),
            Self::Rs256(key) => key.sign(claims),
        }
        .expect("signed")
    }
}

/// The claims of a fresh assertion by `client_id` for `aud`, on the server's clock, valid five
/// minutes, with a new `jti`.
fn claims(server: &TestServer, client_id: &str, aud: &str) -> JWTClaims<NoCustomClaims> {
    let now = server.clock.now() as u64;
    let mut claims = Claims::create(Duration::from_secs(300))
        .with_issuer(client_id)
        .with_subject(client_id)
        .with_audience(aud)
        .with_jwt_id(mcp_oauth_core::secret::Secret::generate(16).expose());
    claims.issued_at = Some(Duration::from_secs(now));
    claims.invalid_before = Some(Duration::from_secs(now));
    claims.expires_at = Some(Duration::from_secs(now + 300));
    claims
}

/// Registers a `private_key_jwt` client with `keys` (its `jwks`, or `jwks_uri`); the response.
async fn register(server: &TestServer, keys: Value) -> Value {
    let mut metadata = json!({
        "client_name": "Signed-assertion client",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "private_key_jwt",
    });
    metadata
        .as_object_mut()
        .unwrap()
        .extend(keys.as_object().unwrap().clone());
    server.register(metadata).await
}

/// An auto-approved authorization for `client_id`: the code and the PKCE verifier.
async fn code_for(server: &TestServer, client_id: &str) -> (String, String) {
    let pkce = Pkce::new();
    let response = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", REDIRECT),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let code = redirect_param(&response, "code").expect("a code");
    (code, pkce.verifier)
}

/// `POST path` with the client assertion and `params`.
async fn post_with(
    server: &TestServer,
    path: &str,
    assertion: &str,
    params: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("client_assertion_type", ASSERTION_TYPE),
        ("client_assertion", assertion),
    ];
    form.extend_from_slice(params);
    server
        .http
        .post(server.url(path))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn exchange(
    server: &TestServer,
    assertion: &str,
    code: &str,
    verifier: &str,
) -> reqwest::Response {
    post_with(
        server,
        "/oauth/token",
        assertion,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// The code exchange with no assertion: only `client_id` and `extra` (a secret, say).
async fn exchange_without_assertion(
    server: &TestServer,
    client_id: &str,
    code: &str,
    verifier: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
        ("client_id", client_id),
    ];
    form.extend_from_slice(extra);
    server.token(&form).await
}

#[tokio::test]
async fn a_client_with_its_own_key_gets_refreshes_introspects_and_revokes_tokens_in_each_algorithm()
{
    let server = TestServer::start(&[]).await;
    let metadata: Value = server
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    for field in [
        "token_endpoint_auth_methods_supported",
        "revocation_endpoint_auth_methods_supported",
        "introspection_endpoint_auth_methods_supported",
    ] {
        assert!(
            metadata[field]
                .as_array()
                .unwrap()
                .contains(&json!("private_key_jwt")),
            "{field}: {metadata}"
        );
    }
    assert_eq!(
        metadata["token_endpoint_auth_signing_alg_values_supported"],
        json!(["RS256", "ES256", "EdDSA"])
    );
    let token_endpoint = server.url("/oauth/token");
    for key in [
        ClientKey::es256("ec-1"),
        ClientKey::eddsa("ed-1"),
        ClientKey::rs256("rsa-1"),
    ] {
        let jwks = json!({"keys": [key.jwk()]});
        let client = register(&server, json!({"jwks": jwks})).await;
        let id = client["client_id"].as_str().unwrap();
        assert!(client.get("client_secret").is_none(), "no secret: {client}");
        assert_eq!(client["token_endpoint_auth_method"], "private_key_jwt");
        assert_eq!(client["jwks"], jwks, "the keys are echoed");

        // The code, with an assertion for the token endpoint.
        let (code, verifier) = code_for(&server, id).await;
        let assertion = key.sign(claims(&server, id, &token_endpoint));
        let response = exchange(&server, &assertion, &code, &verifier).await;
        assert_eq!(response.status(), StatusCode::OK);
        let tokens: Value = response.json().await.unwrap();
        let access = tokens["access_token"].as_str().unwrap();
        let refresh = tokens["refresh_token"].as_str().unwrap();

        // A refresh, with an assertion for the issuer (the other accepted audience).
        let assertion = key.sign(claims(&server, id, &server.base));
        let response = post_with(
            &server,
            "/oauth/token",
            &assertion,
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);

        // Introspection and revocation authenticate the same way.
        let assertion = key.sign(claims(&server, id, &token_endpoint));
        let described: Value = post_with(
            &server,
            "/oauth/introspect",
            &assertion,
            &[("token", access)],
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(described["active"], true, "{described}");
        assert_eq!(described["client_id"], id);
        let assertion = key.sign(claims(&server, id, &token_endpoint));
        let revoked = post_with(&server, "/oauth/revoke", &assertion, &[("token", access)]).await;
        assert_eq!(revoked.status(), StatusCode::OK);
        assert_eq!(
            server
                .get_with_token("/api/memories", access)
                .await
                .status(),
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn assertions_that_break_a_rule_are_refused_and_nothing_else_stands_in_for_them() {
    let server = TestServer::start(&[]).await;
    let key = ClientKey::es256("ec-1");
    let client = register(&server, json!({"jwks": {"keys": [key.jwk()]}})).await;
    let id = client["client_id"].as_str().unwrap().to_owned();
    let other = register(
        &server,
        json!({"jwks": {"keys": [ClientKey::es256("ec-2").jwk()]}}),
    )
    .await;
    let other_id = other["client_id"].as_str().unwrap().to_owned();
    let token_endpoint = server.url("/oauth/token");
    let valid = || claims(&server, &id, &token_endpoint);
    let now = server.clock.now() as u64;

    let reused = key.sign(valid());
    let (code, verifier) = code_for(&server, &id).await;
    assert_eq!(
        exchange(&server, &reused, &code, &verifier).await.status(),
        StatusCode::OK
    );

    let mut expired = valid();
    expired.issued_at = Some(Duration::from_secs(now - 900));
    expired.invalid_before = expired.issued_at;
    expired.expires_at = Some(Duration::from_secs(now - 600));
    let mut far = valid();
    far.expires_at = Some(Duration::from_secs(now + 7200));
    let mut early = valid();
    early.invalid_before = Some(Duration::from_secs(now + 600));
    let mut no_jti = valid();
    no_jti.jwt_id = None;
    let unsigned = {
        let header = Base64UrlSafeNoPadding::encode_to_string(br#"{"alg":"none"}"#).unwrap();
        let body = serde_json::to_vec(&valid()).unwrap();
        let body = Base64UrlSafeNoPadding::encode_to_string(body).unwrap();
        format!("{header}.{body}.")
    };
    let unknown_key = "not signed by a key of the client";
    let cases: Vec<(&str, String, &str)> = vec![
        ("a replayed assertion", reused, "already used"),
        (
            "another audience",
            key.sign(claims(&server, &id, "https://elsewhere.example/token")),
            "another audience",
        ),
        ("expired", key.sign(expired), "has expired"),
        ("expiring in two hours", key.sign(far), "more than an hour"),
        ("not valid yet", key.sign(early), "not valid yet"),
        (
            "without a jti",
            key.sign(no_jti),
            "lacks iss, sub, aud, exp or jti",
        ),
        (
            "signed by another key",
            ClientKey::es256("ec-1").sign(valid()),
            unknown_key,
        ),
        (
            "made by another client",
            key.sign(claims(&server, &other_id, &token_endpoint)),
            unknown_key,
        ),
        ("alg none", unsigned, "not a signed JWT"),
        (
            "an HMAC",
            HS256Key::generate()
                .with_key_id("ec-1")
                .authenticate(valid())
                .unwrap(),
            "RS256, ES256 or EdDSA",
        ),
        ("not a JWT", "garbage".to_owned(), "not a JWT"),
    ];
    for (case, assertion, why) in cases {
        let (code, verifier) = code_for(&server, &id).await;
        let response = exchange(&server, &assertion, &code, &verifier).await;
        let body = expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(why), "{case}: {description}");

        // The code was not spent by the refused request: a valid assertion still redeems it.
        if case == "another audience" {
            let response = exchange(&server, &key.sign(valid()), &code, &verifier).await;
            assert_eq!(response.status(), StatusCode::OK, "{case}");
        }
    }

    // A private_key_jwt client cannot pass for a public one, nor use a secret.
    let (code, verifier) = code_for(&server, &id).await;
    let bare = exchange_without_assertion(&server, &id, &code, &verifier, &[]).await;
    expect_error(bare, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let with_secret = exchange_without_assertion(
        &server,
        &id,
        &code,
        &verifier,
        &[("client_secret", "guess")],
    )
    .await;
    expect_error(with_secret, StatusCode::UNAUTHORIZED, "invalid_client").await;

    // The form's shape: the two assertion fields go together, with the JWT bearer type, beside
    // no other credential, and a client_id that is the assertion's.
    let assertion = key.sign(valid());
    let shapes: Vec<(Form, StatusCode, &str)> = vec![
        (
            vec![("client_assertion", &assertion)],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            vec![
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
                ),
                ("client_assertion", &assertion),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            vec![
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", &assertion),
                ("client_secret", "x"),
            ],
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            vec![
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", &assertion),
                ("client_id", &other_id),
            ],
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
    ];
    for (fields, status, error) in shapes {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier.as_str()),
        ];
        form.extend(fields);
        let response = server.token(&form).await;
        expect_error(response, status, error).await;
    }
    // None of those spent the assertion or the code: the client_id that matches is accepted.
    let response = post_with(
        &server,
        "/oauth/token",
        &assertion,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", &id),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn registration_takes_usable_public_keys_only() {
    let server = TestServer::start(&[]).await;
    let key = ClientKey::es256("ec-1");
    let private = match &key {
        ClientKey::Es256(pair) => serde_json::from_str::<Value>(&pair.to_jwk()).unwrap(),
        _ => unreachable!(),
    };
    let refused = [
        json!({}),
        json!({"jwks": {"keys": [key.jwk()]}, "jwks_uri": "https://keys.example/jwks.json"}),
        json!({"jwks": {"keys": []}}),
        json!({"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}),
        json!({"jwks": {"keys": [private]}}),
        json!({"jwks": "not a set"}),
        json!({"jwks_uri": "http://keys.example/jwks.json"}),
        json!({"jwks_uri": "https://user:pass@keys.example/jwks.json"}),
        json!({"jwks_uri": "not a url"}),
    ];
    for keys in refused {
        let mut metadata = json!({
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "private_key_jwt",
        });
        metadata
            .as_object_mut()
            .unwrap()
            .extend(keys.as_object().unwrap().clone());
        let response = server.register_raw(metadata.clone()).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    }
    // Keys sent with another method are not kept: the answer shows what was stored.
    let confidential = server
        .register(json!({
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "client_secret_basic",
            "jwks": {"keys": [key.jwk()]},
        }))
        .await;
    assert!(confidential.get("jwks").is_none(), "{confidential}");
    assert!(confidential["client_secret"].is_string());
}

/// Serves a JWK set that the test can replace, on 127.0.0.1; returns its URL and the set.
pub(super) async fn key_host(keys: Value) -> (String, Arc<Mutex<Value>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let served = Arc::new(Mutex::new(keys));
    let shared = served.clone();
    let app = Route::new().at(
        "/jwks.json",
        get(poem::endpoint::make_sync(move |_| {
            poem::web::Json(shared.lock().unwrap().clone())
        })),
    );
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    (format!("{base}/jwks.json"), served)
}

#[tokio::test]
async fn keys_published_at_a_jwks_uri_are_fetched_and_a_rotated_key_is_picked_up() {
    let first = ClientKey::eddsa("2026-11");
    let (jwks_uri, served) = key_host(json!({"keys": [first.jwk()]})).await;
    let server = TestServer::start(&["--client-metadata-allow-loopback", "true"]).await;
    let client = register(&server, json!({"jwks_uri": jwks_uri})).await;
    assert_eq!(client["jwks_uri"], jwks_uri);
    let id = client["client_id"].as_str().unwrap();
    let token_endpoint = server.url("/oauth/token");

    let (code, verifier) = code_for(&server, id).await;
    let response = exchange(
        &server,
        &first.sign(claims(&server, id, &token_endpoint)),
        &code,
        &verifier,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    // The client rotates: its new key signs, the old one is gone from its set. Within a minute of
    // the last fetch the cached set stands (a flood of bad assertions cannot make the server hit
    // the client's host); after it, the unknown key makes the server fetch the set again.
    let second = ClientKey::eddsa("2026-12");
    *served.lock().unwrap() = json!({"keys": [second.jwk()]});
    let (code, verifier) = code_for(&server, id).await;
    let response = exchange(
        &server,
        &second.sign(claims(&server, id, &token_endpoint)),
        &code,
        &verifier,
    )
    .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    server.clock.advance(61);
    let (code, verifier) = code_for(&server, id).await;
    let response = exchange(
        &server,
        &second.sign(claims(&server, id, &token_endpoint)),
        &code,
        &verifier,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let (code, verifier) = code_for(&server, id).await;
    let retired = exchange(
        &server,
        &first.sign(claims(&server, id, &token_endpoint)),
        &code,
        &verifier,
    )
    .await;
    expect_error(retired, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn key_urls_inside_the_network_are_never_fetched() {
    // Without the test setting, loopback and private addresses are refused at each fetch.
    let server = TestServer::start(&[]).await;
    let key = ClientKey::es256("ec-1");
    let (jwks_uri, _) = key_host(json!({"keys": [key.jwk()]})).await;
    let plain = server
        .register_raw(json!({
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": jwks_uri,
        }))
        .await;
    expect_error(plain, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let token_endpoint = server.url("/oauth/token");
    for inside in [
        "https://127.0.0.1:9/jwks.json",
        "https://10.0.0.1/jwks.json",
        "https://[::1]/jwks.json",
        "https://169.254.169.254/latest/meta-data",
    ] {
        let client = register(&server, json!({"jwks_uri": inside})).await;
        let id = client["client_id"].as_str().unwrap();
        let (code, verifier) = code_for(&server, id).await;
        let response = exchange(
            &server,
            &key.sign(claims(&server, id, &token_endpoint)),
            &code,
            &verifier,
        )
        .await;
        let body = expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("inside the network"),
            "{inside}: {body}"
        );
    }
}

/// Serves a metadata document like ChatGPT's per-app ones (only `private_key_jwt`, an RS256
/// `jwks_uri`) and its key set, on 127.0.0.1; returns the document's URL.
async fn per_app_document(key: &ClientKey) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let client_id = format!("{base}/connector/app-1.json");
    let document = json!({
        "client_id": client_id,
        "client_name": "ChatGPT app",
        "redirect_uris": [REDIRECT],
        "grant_types": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_method": "private_key_jwt",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "jwks_uri": format!("{base}/connector/jwks.json"),
    });
    let jwks = json!({"keys": [key.jwk()]});
    let app = Route::new()
        .at(
            "/connector/app-1.json",
            get(poem::endpoint::make_sync(move |_| {
                poem::web::Json(document.clone())
            })),
        )
        .at(
            "/connector/jwks.json",
            get(poem::endpoint::make_sync(move |_| {
                poem::web::Json(jwks.clone())
            })),
        );
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    client_id
}

#[tokio::test]
async fn a_metadata_document_that_offers_only_private_key_jwt_authenticates_with_its_key() {
    let key = ClientKey::rs256("app-key");
    let client_id = per_app_document(&key).await;
    let server = TestServer::start(&["--client-metadata-allow-loopback", "true"]).await;
    let (code, verifier) = code_for(&server, &client_id).await;

    // Without its assertion the client is refused; with it, served.
    let bare = exchange_without_assertion(&server, &client_id, &code, &verifier, &[]).await;
    expect_error(bare, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let assertion = key.sign(claims(&server, &client_id, &server.url("/oauth/token")));
    let response = exchange(&server, &assertion, &code, &verifier).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(
        server
            .get_with_token("/api/memories", tokens["access_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );
}
