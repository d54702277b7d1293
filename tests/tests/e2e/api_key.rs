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

#[tokio::test]
async fn wrong_credentials_share_one_budget_across_routes_and_tokens_of_ours_are_never_locked_out()
{
    let server = TestServer::start(&["--api-key", KEY, "--oauth-auto-approve", "true"]).await;
    let token = server.admin_token().await;
    let get = |path: &str| server.http.get(server.url(path));
    // Ten wrong guesses, on every carrier and route that takes the key.
    let guesses = vec![
        get("/api/memories").header("X-API-Key", "guess-1"),
        get("/api/memories").query(&[("api_key", "guess-2")]),
        get("/api/memories").bearer_auth("guess-3"),
        get("/oauth/keys").header("X-API-Key", "guess-4"),
        get("/oauth/keys").bearer_auth("guess-5"),
        server.http.post(server.url("/mcp")).bearer_auth("guess-6"),
        server
            .http
            .post(server.url("/mcp"))
            .header("X-API-Key", "guess-7"),
        get("/api/tags").header("Authorization", "Basic Z3Vlc3M6OA=="),
        server
            .http
            .post(server.url("/api/search"))
            .query(&[("api_key", "guess-9")])
            .json(&json!({"query": "x"})),
        get("/api/memories").bearer_auth("guess-10"),
    ];
    for (index, guess) in guesses.into_iter().enumerate() {
        let status = guess.send().await.unwrap().status();
        assert_eq!(status, StatusCode::UNAUTHORIZED, "guess {index}");
    }
    // The budget is spent: the next key, even the right one, waits, and says how long.
    for request in [
        get("/api/memories").header("X-API-Key", KEY),
        get("/oauth/keys").query(&[("api_key", "guess-11")]),
    ] {
        let response = request.send().await.unwrap();
        let wait: u64 = response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        expect_error(response, StatusCode::TOO_MANY_REQUESTS, "invalid_request").await;
    }
    // An access token this server signed cannot be guessed: it still works from the address.
    let response = get("/api/memories")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_short_api_key_is_warned_about_at_start() {
    let short = TestServer::start(&["--api-key", "letmein123"]).await;
    assert!(
        short
            .warnings
            .iter()
            .any(|warning| warning.contains("MCP_API_KEY holds about")),
        "{:?}",
        short.warnings
    );
    let long =
        TestServer::start(&["--api-key", "kO9x3vQ7bT1mZ8rW2yL5nC4pF6hJ0sD_aE-uG3iV7qM"]).await;
    assert!(
        !long.warnings.iter().any(|w| w.contains("MCP_API_KEY")),
        "{:?}",
        long.warnings
    );
}
