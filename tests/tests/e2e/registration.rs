//! Dynamic client registration (RFC 7591): what is accepted, with which defaults, and what is
//! refused with which error.

use mcp_oauth_tests::{TestServer, expect_error};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_confidential_client_gets_a_secret_and_rfc_defaults() {
    let server = TestServer::start(&[]).await;
    let response = server
        .register_raw(json!({
            "client_name": "My Application",
            "redirect_uris": ["https://myapp.com/callback"],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "scope": "read write",
            "some_unknown_field": {"ignored": true},
        }))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(
        body["client_id"]
            .as_str()
            .unwrap()
            .starts_with("mcp_client_")
    );
    assert!(
        body["client_secret"].as_str().unwrap().len() >= 43,
        "≥256-bit secret"
    );
    assert_eq!(body["client_secret_expires_at"], 0);
    assert!(body["client_id_issued_at"].as_i64().unwrap() > 0);
    assert_eq!(body["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(body["redirect_uris"], json!(["https://myapp.com/callback"]));
    assert_eq!(body["grant_types"], json!(["authorization_code"]));
    assert_eq!(body["response_types"], json!(["code"]));
    assert_eq!(body["scope"], "read write");
    assert_eq!(body["client_name"], "My Application");
    assert!(body.get("some_unknown_field").is_none());
}

#[tokio::test]
async fn public_and_native_clients_get_no_secret() {
    let server = TestServer::start(&[]).await;
    for redirect in [
        "http://localhost/callback",
        "http://127.0.0.1/callback",
        "http://[::1]:9000/cb",
        "cursor://anysphere.cursor-retrieval/oauth/callback",
    ] {
        let body = server
            .register(json!({
                "redirect_uris": [redirect],
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token"],
            }))
            .await;
        assert!(body.get("client_secret").is_none(), "{redirect}: {body}");
        assert!(body.get("client_secret_expires_at").is_none());
        assert_eq!(body["token_endpoint_auth_method"], "none");
    }
}

#[tokio::test]
async fn unacceptable_redirect_uris_are_invalid_redirect_uri() {
    let server = TestServer::start(&[]).await;
    for redirect in [
        "http://example.com/callback",
        "https://example.com/cb#fragment",
        "https://*.example.com/cb",
        "javascript:alert(document.cookie)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "/relative",
        "https://user:pass@example.com/cb",
    ] {
        let response = server
            .register_raw(json!({"redirect_uris": [redirect]}))
            .await;
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
    }
    // The seed's debug command: no redirect URI for an authorization-code client.
    let response = server
        .register_raw(json!({"client_name": "Test Client"}))
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn invalid_metadata_is_invalid_client_metadata() {
    let server = TestServer::start(&[]).await;
    let https = json!(["https://example.com/cb"]);
    for metadata in [
        json!({"redirect_uris": https, "grant_types": ["password"]}),
        json!({"redirect_uris": https, "grant_types": ["implicit"]}),
        json!({"redirect_uris": https, "grant_types": []}),
        json!({"redirect_uris": https, "grant_types": ["refresh_token"]}),
        json!({"redirect_uris": https, "response_types": ["token"]}),
        json!({"redirect_uris": https, "response_types": []}),
        json!({"grant_types": ["client_credentials"], "response_types": ["code"]}),
        json!({"redirect_uris": https, "token_endpoint_auth_method": "private_key_jwt"}),
        json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}),
        json!({"redirect_uris": https, "scope": "read delete"}),
        json!({"redirect_uris": https, "scope": "offline_access"}),
        json!({"redirect_uris": https, "client_uri": "javascript:alert(1)"}),
        json!({"redirect_uris": https, "client_name": "x".repeat(300)}),
        json!({"redirect_uris": "https://example.com/cb"}),
        json!({"redirect_uris": https, "grant_types": "authorization_code"}),
    ] {
        let response = server.register_raw(metadata.clone()).await;
        let body = expect_error(response, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
        assert!(
            !body["error_description"].as_str().unwrap().is_empty(),
            "{metadata}"
        );
    }
}

#[tokio::test]
async fn client_credentials_clients_need_the_owner_even_when_auto_approving() {
    // Auto-approve (loopback, no key) once opened this to anyone, a rebinding web page included.
    let open = TestServer::start(&[]).await;
    let response = open
        .register_raw(json!({"grant_types": ["client_credentials"]}))
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let body = open
        .register_as_owner(json!({"grant_types": ["client_credentials"]}))
        .await;
    assert_eq!(body["grant_types"], json!(["client_credentials"]));
    assert_eq!(body["response_types"], json!([]));

    let guarded = TestServer::start(&["--api-key", "owner-key-0123456789"]).await;
    let response = guarded
        .register_raw(json!({"grant_types": ["client_credentials"]}))
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let response = guarded
        .http
        .post(guarded.url("/oauth/register"))
        .bearer_auth("owner-key-0123456789")
        .json(&json!({"grant_types": ["client_credentials"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn admin_reads_a_client_without_its_secret() {
    let server = TestServer::start(&[
        "--api-key",
        "owner-key-0123456789",
        "--oauth-auto-approve",
        "true",
    ])
    .await;
    let body = server
        .register(json!({"redirect_uris": ["https://example.com/cb"], "client_name": "Reader"}))
        .await;
    let client_id = body["client_id"].as_str().unwrap();
    let path = format!("/oauth/clients/{client_id}");

    let response = server
        .http
        .get(server.url(&path))
        .header("X-API-Key", "owner-key-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let read: serde_json::Value = response.json().await.unwrap();
    assert_eq!(read["client_id"], client_id);
    assert_eq!(read["client_name"], "Reader");
    assert!(
        read.get("client_secret").is_none(),
        "the secret is never shown again"
    );
    assert!(
        !read
            .to_string()
            .contains(body["client_secret"].as_str().unwrap())
    );

    expect_error(
        server.get(&path).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    let unknown = server
        .http
        .get(server.url("/oauth/clients/mcp_client_nobody"))
        .header("X-API-Key", "owner-key-0123456789")
        .send()
        .await
        .unwrap();
    expect_error(unknown, StatusCode::NOT_FOUND, "invalid_request").await;
}

#[tokio::test]
async fn with_a_registration_key_registration_needs_it_as_the_initial_access_token() {
    let server = TestServer::start(&["--dcr-registration-key", "initial-access-0123"]).await;
    let metadata = json!({"redirect_uris": ["https://example.com/cb"]});
    let response = server.register_raw(metadata.clone()).await;
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    let wrong = server
        .http
        .post(server.url("/oauth/register"))
        .bearer_auth("nope")
        .json(&metadata)
        .send()
        .await
        .unwrap();
    expect_error(wrong, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let right = server
        .http
        .post(server.url("/oauth/register"))
        .bearer_auth("initial-access-0123")
        .json(&metadata)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), StatusCode::CREATED);
}

/// `application_type` (SEP-837) is recorded and echoed: as declared, except that a client with a
/// loopback or private-use redirect URI is `native` whatever it declares (Cursor registers `web`
/// with `http://localhost`, https and `cursor://` URIs in one request, and must not be refused).
#[tokio::test]
async fn application_type_is_recorded_and_echoed_as_the_clients_send_it() {
    let server = TestServer::start(&[]).await;
    let cases = [
        // Cursor.
        (
            json!({"application_type": "web", "token_endpoint_auth_method": "none", "redirect_uris": [
                "http://localhost:8787/callback",
                "https://www.cursor.com/agents/mcp/oauth/callback",
                "cursor://anysphere.cursor-mcp/oauth/callback"]}),
            "native",
        ),
        // Claude Code.
        (
            json!({"application_type": "native", "token_endpoint_auth_method": "none",
                   "redirect_uris": ["http://localhost:3118/callback"]}),
            "native",
        ),
        // claude.ai by DCR: hosted, https only, declaring nothing.
        (
            json!({"token_endpoint_auth_method": "client_secret_post",
                   "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"]}),
            "web",
        ),
        // A loopback client declaring nothing (older SDKs).
        (
            json!({"redirect_uris": ["http://127.0.0.1:9000/cb"]}),
            "native",
        ),
    ];
    for (metadata, recorded) in cases {
        let body = server.register(metadata.clone()).await;
        assert_eq!(body["application_type"], recorded, "{metadata}");
        let read: serde_json::Value = server
            .http
            .get(body["registration_client_uri"].as_str().unwrap())
            .bearer_auth(body["registration_access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(read["application_type"], recorded, "kept: {metadata}");
    }
    let response = server
        .register_raw(
            json!({"application_type": "desktop", "redirect_uris": ["https://a.example/cb"]}),
        )
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
}
