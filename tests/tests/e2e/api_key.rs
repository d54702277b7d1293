//! The legacy API key on all three carriers, anonymous access, and `MCP_OAUTH_ENABLED=false`.

use mcp_oauth_tests::{TestServer, expect_error};
use reqwest::StatusCode;
use serde_json::json;

const KEY: &str = "owner-key-0123456789";

#[tokio::test]
async fn the_api_key_works_on_all_three_carriers_with_every_scope() {
    let server = TestServer::start(&["--api-key", KEY, "--oauth-auto-approve", "true"]).await;
    let bearer = server
        .http
        .post(server.url("/api/memories"))
        .bearer_auth(KEY);
    let header = server
        .http
        .post(server.url("/api/memories"))
        .header("X-API-Key", KEY);
    let query = server
        .http
        .post(server.url("/api/memories"))
        .query(&[("api_key", KEY)]);
    for (index, request) in [bearer, header, query].into_iter().enumerate() {
        let response = request
            .json(&json!({"content": format!("memory number {index}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "carrier {index}");
    }
    let wrong = server
        .http
        .get(server.url("/api/memories"))
        .header("X-API-Key", "wrong")
        .send()
        .await
        .unwrap();
    expect_error(wrong, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let wrong = server
        .http
        .get(server.url("/api/memories"))
        .query(&[("api_key", "wrong")])
        .send()
        .await
        .unwrap();
    expect_error(wrong, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let wrong = server
        .http
        .get(server.url("/api/memories"))
        .basic_auth("user", Some(KEY))
        .send()
        .await
        .unwrap();
    expect_error(wrong, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn anonymous_access_reads_and_writes_but_never_administers() {
    let server = TestServer::start(&["--allow-anonymous-access", "true"]).await;
    let response = server
        .http
        .post(server.url("/api/memories"))
        .json(&json!({"content": "anonymous note"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let response = server.get("/oauth/clients/swagger-ui").await;
    expect_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
}

#[tokio::test]
async fn with_oauth_disabled_only_the_api_key_works() {
    let server = TestServer::start(&[
        "--oauth-enabled",
        "false",
        "--api-key",
        KEY,
        "--oauth-auto-approve",
        "false",
    ])
    .await;
    for path in [
        "/.well-known/oauth-authorization-server/mcp",
        "/oauth/authorize",
    ] {
        expect_error(
            server.get(path).await,
            StatusCode::NOT_FOUND,
            "invalid_request",
        )
        .await;
    }
    let response = server
        .register_raw(json!({"redirect_uris": ["https://example.com/cb"]}))
        .await;
    expect_error(response, StatusCode::NOT_FOUND, "invalid_request").await;
    let response = server
        .http
        .get(server.url("/api/memories"))
        .header("X-API-Key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(server.get("/api/health").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_key_in_the_url_is_answered_uncacheable_and_can_be_switched_off() {
    let server = TestServer::start(&["--api-key", KEY]).await;
    for key in [KEY, "wrong"] {
        let response = server
            .http
            .get(server.url("/api/memories"))
            .query(&[("api_key", key)])
            .send()
            .await
            .unwrap();
        let cache = response.headers()["cache-control"].to_str().unwrap();
        assert!(
            cache.contains("no-store") && cache.contains("private"),
            "RFC 6750 §2.3: {cache}"
        );
    }

    let strict = TestServer::start(&["--api-key", KEY, "--allow-api-key-in-query", "false"]).await;
    let in_url = strict
        .http
        .get(strict.url("/api/memories"))
        .query(&[("api_key", KEY)])
        .send()
        .await
        .unwrap();
    let body = expect_error(in_url, StatusCode::UNAUTHORIZED, "invalid_token").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("MCP_ALLOW_API_KEY_IN_QUERY"),
        "{body}"
    );
    let in_header = strict
        .http
        .get(strict.url("/api/memories"))
        .header("X-API-Key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(in_header.status(), StatusCode::OK);
}
