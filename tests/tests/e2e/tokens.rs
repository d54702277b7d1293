//! The token endpoint beyond the first code: client authentication methods, refresh rotation,
//! client credentials, registered grant types, and access tokens judged by the resource endpoints.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_tests::{Pkce, TestServer, expect_error, readable_claims, redirect_param};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A confidential client; registered as the owner when it asks for `client_credentials`.
async fn confidential(server: &TestServer, metadata: Value) -> (String, String) {
    let body = if metadata.to_string().contains("client_credentials") {
        server.register_as_owner(metadata).await
    } else {
        server.register(metadata).await
    };
    (
        body["client_id"].as_str().unwrap().to_owned(),
        body["client_secret"].as_str().unwrap().to_owned(),
    )
}

async fn code_for(server: &TestServer, client_id: &str, scope: &str) -> String {
    let response = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", "https://example.com/cb"),
            ("scope", scope),
        ])
        .await;
    redirect_param(&response, "code").expect("code")
}

#[tokio::test]
async fn client_secret_basic_authenticates_and_wrong_secrets_are_invalid_client() {
    let server = TestServer::start(&[]).await;
    let (id, secret) = confidential(
        &server,
        json!({"redirect_uris": ["https://example.com/cb"]}),
    )
    .await;
    let form = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", "https://example.com/cb".to_owned()),
        ]
    };
    let code = code_for(&server, &id, "read").await;
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&form(&code))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let code = code_for(&server, &id, "read").await;
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&id, Some("wrong"))
        .form(&form(&code))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Basic realm=\"mcp-oauth\""
    );
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;

    // Both methods at once is refused (RFC 6749 §2.3).
    let code = code_for(&server, &id, "read").await;
    let mut both = form(&code);
    both.push(("client_secret", secret.clone()));
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth(&id, Some(&secret))
        .form(&both)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;

    // Malformed Basic credentials and a confidential client without its secret.
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .header("Authorization", "Basic !!!not-base64")
        .form(&form("x"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let mut no_secret = form("x");
    no_secret.push(("client_id", id.clone()));
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .form(&no_secret)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn refresh_tokens_rotate_and_reuse_revokes_the_family() {
    // Strict: any second use of a rotated token revokes the grant.
    let server = TestServer::start(&["--oauth-refresh-reuse-grace", "false"]).await;
    let (refresh, refresh_1) = Refresher::signed_in(&server).await;
    let refresh_1 = refresh_1.as_str();
    let response = refresh.send(refresh_1, Some("read")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: Value = response.json().await.unwrap();
    assert_eq!(second["scope"], "read", "a refresh may narrow the scope");
    let refresh_2 = second["refresh_token"].as_str().expect("rotated");
    assert_ne!(refresh_1, refresh_2);

    // Widening is refused; the token stays usable.
    let response = refresh.send(refresh_2, Some("read write admin")).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_scope").await;

    // Reusing the rotated token is refused and revokes the family, including the current token.
    refresh.refused(refresh_1).await;
    refresh.refused(refresh_2).await;
}

/// A refresh request of one public client.
struct Refresher<'a> {
    server: &'a TestServer,
    client_id: String,
}

impl<'a> Refresher<'a> {
    /// A public client registered for refresh tokens that completed the code flow, and its first
    /// refresh token.
    async fn signed_in(server: &'a TestServer) -> (Self, String) {
        let client_id = server
            .register_public(
                "http://localhost/cb",
                &["authorization_code", "refresh_token"],
            )
            .await;
        let first = server
            .public_code_flow(&client_id, "http://localhost:3000/cb", None)
            .await;
        let token = first["refresh_token"].as_str().expect("refresh token");
        (Self { server, client_id }, token.to_owned())
    }

    async fn send(&self, token: &str, scope: Option<&str>) -> reqwest::Response {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", token),
            ("client_id", self.client_id.as_str()),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        self.server.token(&form).await
    }

    /// Refreshes with `token`; the new refresh token.
    async fn rotated(&self, token: &str) -> String {
        let response = self.send(token, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{token} refreshes");
        let body: Value = response.json().await.unwrap();
        body["refresh_token"].as_str().expect("rotated").to_owned()
    }

    async fn refused(&self, token: &str) {
        let response = self.send(token, None).await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    }
}

#[tokio::test]
async fn a_rotated_refresh_token_works_until_its_successor_is_used() {
    // The default: MCP_OAUTH_REFRESH_REUSE_GRACE=true.
    let server = TestServer::start(&[]).await;
    let (refresh, refresh_1) = Refresher::signed_in(&server).await;
    let refresh_1 = refresh_1.as_str();
    let lost = refresh.rotated(refresh_1).await;
    // The response carrying `lost` never arrived: the client sends its old token again, and gets
    // a new successor; the unused one is discarded (presenting it now counts as reuse).
    let refresh_2 = refresh.rotated(refresh_1).await;
    assert_ne!(refresh_2, lost);
    let refresh_3 = refresh.rotated(&refresh_2).await;
    // Its successor was used: the old token is now a replay, and the whole grant is revoked.
    refresh.refused(refresh_1).await;
    refresh.refused(&refresh_3).await;
}

#[tokio::test]
async fn offline_access_brings_a_refresh_token_without_the_refresh_grant() {
    let server = TestServer::start(&[]).await;
    let client_id = server
        .register_public("http://localhost/cb", &["authorization_code"])
        .await;
    let tokens = server
        .public_code_flow(
            &client_id,
            "http://localhost:3000/cb",
            Some("read offline_access"),
        )
        .await;
    let refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh token for offline_access");
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &client_id),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn client_credentials_and_registered_grant_types_are_enforced() {
    let server = TestServer::start(&[]).await;
    let (id, secret) = confidential(
        &server,
        json!({"grant_types": ["client_credentials"], "scope": "read write"}),
    )
    .await;
    let response = server
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "read"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["scope"], "read");
    assert!(tokens.get("refresh_token").is_none());
    let read_token = tokens["access_token"].as_str().unwrap().to_owned();
    // The token speaks for the client itself, never for the owner (RFC 9700 §4.15).
    let introspection: Value = server
        .http
        .post(server.url("/oauth/introspect"))
        .basic_auth(&id, Some(&secret))
        .form(&[("token", read_token.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(introspection["active"], true);
    assert_eq!(introspection["sub"], id.as_str());
    assert_eq!(introspection["client_id"], id.as_str());

    // The client did not register authorization_code or refresh_token.
    for form in [
        vec![
            ("grant_type", "authorization_code"),
            ("code", "abc"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ],
        vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", "abc"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
        ],
    ] {
        let response = server.token(&form).await;
        let code = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert!(
            body["error"] == "unauthorized_client" || body["error"] == "invalid_grant",
            "{body}"
        );
    }
    let response = server
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "admin"),
        ])
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_scope").await;
    let response = server
        .token(&[
            ("grant_type", "password"),
            ("client_id", &id),
            ("client_secret", &secret),
        ])
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    let response = server
        .token(&[("client_id", &id), ("client_secret", &secret)])
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;

    // An authorization-code client may not use client_credentials.
    let (code_client, code_secret) = confidential(
        &server,
        json!({"redirect_uris": ["https://example.com/cb"]}),
    )
    .await;
    let response = server
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &code_client),
            ("client_secret", &code_secret),
        ])
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "unauthorized_client").await;

    // Scope is enforced per route: a read token cannot write.
    let response = server.get_with_token("/api/memories", &read_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = server
        .http
        .post(server.url("/api/memories"))
        .bearer_auth(&read_token)
        .json(&json!({"content": "should not be stored"}))
        .send()
        .await
        .unwrap();
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    expect_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
    assert!(
        challenge.contains("error=\"insufficient_scope\"") && challenge.contains("scope=\"write\""),
        "{challenge}"
    );
    // Admin routes need admin.
    let response = server
        .get_with_token(&format!("/oauth/clients/{id}"), &read_token)
        .await;
    expect_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
}

#[tokio::test]
async fn expired_tampered_and_foreign_tokens_are_invalid_token() {
    let server = TestServer::start(&[]).await;
    let (id, secret) = confidential(&server, json!({"grant_types": ["client_credentials"]})).await;
    let tokens: Value = server
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
        ])
        .await
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        server
            .get_with_token("/api/memories", &token)
            .await
            .status(),
        StatusCode::OK
    );

    // Tampered: a JWT's payload re-encoded with a wider scope, signature unchanged; any token with
    // a character changed in its body.
    if let Some(mut claims) = readable_claims(&token).filter(|_| !token.starts_with("v4.")) {
        let parts: Vec<&str> = token.split('.').collect();
        claims["scope"] = json!("read write admin");
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            parts[2]
        );
        let response = server.get_with_token("/api/memories", &forged).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    }
    let middle = token.len() / 2;
    let flipped = if &token[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let forged = format!("{}{flipped}{}", &token[..middle], &token[middle + 1..]);
    expect_error(
        server.get_with_token("/api/memories", &forged).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    for garbage in ["garbage", "a.b.c", "", "Bearer"] {
        let response = server.get_with_token("/api/memories", garbage).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    }

    // A token of another server (same software, another key) is refused.
    let other = TestServer::start(&[]).await;
    let (oid, osecret) = confidential(&other, json!({"grant_types": ["client_credentials"]})).await;
    let foreign: Value = other
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", &oid),
            ("client_secret", &osecret),
        ])
        .await
        .json()
        .await
        .unwrap();
    let response = server
        .get_with_token("/api/memories", foreign["access_token"].as_str().unwrap())
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;

    // Expired: the pinned clock moves past the hour, no sleeping.
    server.clock.advance(3600);
    let response = server.get_with_token("/api/memories", &token).await;
    let body = expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn resource_indicators_bind_the_audience() {
    let server = TestServer::start(&[]).await;
    let client_id = server
        .register_public(
            "http://localhost/cb",
            &["authorization_code", "refresh_token"],
        )
        .await;
    let pkce = Pkce::new();
    let resource = server.url("/mcp");
    let response = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "http://localhost:9/cb"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
            ("resource", &resource),
        ])
        .await;
    let code = redirect_param(&response, "code").unwrap();
    let exchange = |resource: String, code: String| {
        let server = &server;
        let (client_id, verifier) = (client_id.clone(), pkce.verifier.clone());
        async move {
            server
                .token(&[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("client_id", &client_id),
                    ("redirect_uri", "http://localhost:9/cb"),
                    ("code_verifier", &verifier),
                    ("resource", &resource),
                ])
                .await
        }
    };
    let response = exchange(resource.clone(), code).await;
    assert_eq!(response.status(), StatusCode::OK);
    let tokens: Value = response.json().await.unwrap();
    if let Some(claims) = readable_claims(tokens["access_token"].as_str().unwrap()) {
        assert_eq!(claims["aud"], resource);
        assert_eq!(claims["iss"], server.base);
        assert_eq!(claims["client_id"], client_id);
        assert!(claims["jti"].is_string() && !claims["exp"].is_null() && !claims["iat"].is_null());
    } // A refresh for another resource is invalid_target.
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ("client_id", &client_id),
            ("resource", "https://other.example/mcp"),
        ])
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_target").await;
}
