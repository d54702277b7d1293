//! Bad input gets an RFC-shaped JSON answer with the right status, never a 500.

use mcp_oauth_tests::{TestServer, expect_error};
use reqwest::{Method, StatusCode};

const KEY: &str = "owner-key-0123456789";

#[tokio::test]
async fn malformed_bodies_wrong_content_types_and_oversized_bodies() {
    let server = TestServer::start(&["--api-key", KEY, "--oauth-auto-approve", "true"]).await;
    let post = |path: &str, content_type: &str, body: Vec<u8>| {
        server
            .http
            .post(server.url(path))
            .header("Content-Type", content_type)
            .header("X-API-Key", KEY)
            .body(body)
            .send()
    };
    let response = post("/oauth/register", "application/json", b"{not json".to_vec())
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let response = post("/oauth/register", "text/plain", b"{}".to_vec())
        .await
        .unwrap();
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "invalid_request",
    )
    .await;
    let response = post(
        "/oauth/token",
        "application/json",
        b"{\"grant_type\":\"client_credentials\"}".to_vec(),
    )
    .await
    .unwrap();
    expect_error(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "invalid_request",
    )
    .await;
    let response = post(
        "/oauth/token",
        "application/x-www-form-urlencoded",
        b"grant_type=a&grant_type=b".to_vec(),
    )
    .await
    .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = post("/oauth/register", "application/json", vec![b' '; 64 * 1024])
        .await
        .unwrap();
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "invalid_request").await;
    let response = post(
        "/api/memories",
        "application/json",
        vec![b' '; 2 * 1024 * 1024],
    )
    .await
    .unwrap();
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "invalid_request").await;
    let response = post("/api/memories", "application/json", b"[1,2,3]".to_vec())
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = post(
        "/api/memories",
        "application/json",
        b"{\"content\":\"\"}".to_vec(),
    )
    .await
    .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = post(
        "/api/search",
        "application/json",
        b"{\"query\":\"x\",\"n_results\":0}".to_vec(),
    )
    .await
    .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let response = server
        .http
        .get(server.url("/api/memories?page=0"))
        .header("X-API-Key", KEY)
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_json() {
    let server = TestServer::start(&[]).await;
    expect_error(
        server.get("/no/such/route").await,
        StatusCode::NOT_FOUND,
        "invalid_request",
    )
    .await;
    let response = server
        .http
        .delete(server.url("/oauth/token"))
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::METHOD_NOT_ALLOWED, "invalid_request").await;
}

#[tokio::test]
async fn no_input_produces_a_server_error() {
    let server = TestServer::start(&["--api-key", KEY, "--oauth-auto-approve", "true"]).await;
    let paths = [
        "/oauth/register",
        "/oauth/token",
        "/oauth/authorize",
        "/oauth/clients/%00",
        "/api/memories",
        "/api/memories/%ff%fe",
        "/api/search",
        "/api/search/by-tag",
        "/api/tags",
        "/.well-known/oauth-authorization-server",
    ];
    let bodies: [&[u8]; 6] = [
        b"",
        b"\x00\xff\xfe",
        b"{\"a\":",
        b"null",
        b"grant_type=%ZZ&code=\xff",
        b"{\"redirect_uris\":[null]}",
    ];
    let content_types = [
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "",
    ];
    for path in paths {
        for method in [Method::GET, Method::POST, Method::PUT, Method::DELETE] {
            for body in bodies {
                for content_type in content_types {
                    let mut request = server
                        .http
                        .request(method.clone(), server.url(path))
                        .body(body.to_vec());
                    if !content_type.is_empty() {
                        request = request.header("Content-Type", content_type);
                    }
                    if path.starts_with("/api") {
                        request = request.header("X-API-Key", KEY);
                    }
                    let response = request.send().await.unwrap();
                    assert!(
                        !response.status().is_server_error(),
                        "{method} {path} {content_type} {body:?} → {}",
                        response.status()
                    );
                }
            }
        }
    }
    let response = server
        .http
        .get(server.url("/oauth/authorize?client_id=%ff&redirect_uri=%zz"))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error());
}

#[tokio::test]
async fn oauth_endpoints_are_rate_limited_per_address_and_discovery_is_not() {
    let server = TestServer::start(&["--oauth-rate-limit-per-minute", "3"]).await;
    let metadata = serde_json::json!({"redirect_uris": ["https://example.com/cb"]});
    for _ in 0..3 {
        assert_eq!(
            server.register_raw(metadata.clone()).await.status(),
            StatusCode::CREATED
        );
    }
    let response = server.register_raw(metadata.clone()).await;
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // RFC 7591 and RFC 6749 §5.2 have no "slow down" code for these endpoints: invalid_request.
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "invalid_request").await;
    // The bucket is per address across the limited endpoints; discovery and the API are not limited.
    let response = server.token(&[("grant_type", "client_credentials")]).await;
    expect_error(response, StatusCode::TOO_MANY_REQUESTS, "invalid_request").await;
    // The authorization endpoint has its registered code for it (RFC 6749 §4.1.2.1).
    let response = server.authorize(&[("client_id", "x")]).await;
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "temporarily_unavailable",
    )
    .await;
    for _ in 0..10 {
        assert_eq!(
            server
                .get("/.well-known/oauth-authorization-server")
                .await
                .status(),
            StatusCode::OK
        );
    }
    assert_eq!(server.get("/api/health").await.status(), StatusCode::OK);
}

/// An empty client id is an unknown client on every storage (SurrealDB refused it as a record
/// key, which answered 500): `MCP_TEST_STORAGE=surrealdb` runs this on SurrealDB.
#[tokio::test]
async fn an_empty_client_id_is_an_unknown_client_not_a_server_error() {
    let server = TestServer::start(&[]).await;
    let forms: [(&str, &[(&str, &str)]); 6] = [
        (
            "/oauth/token",
            &[
                ("grant_type", "refresh_token"),
                ("client_id", ""),
                ("refresh_token", "x"),
            ],
        ),
        (
            "/oauth/token",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", ""),
                ("code", "x"),
            ],
        ),
        (
            "/oauth/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", ""),
                ("client_secret", "x"),
            ],
        ),
        ("/oauth/revoke", &[("client_id", ""), ("token", "x")]),
        (
            "/oauth/introspect",
            &[("client_id", ""), ("client_secret", "x"), ("token", "x")],
        ),
        ("/oauth/introspect", &[("client_id", ""), ("token", "x")]),
    ];
    for (path, form) in forms {
        let response = server
            .http
            .post(server.url(path))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        assert!(!status.is_server_error(), "{path} {form:?}: {status}");
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    }
    let response = server
        .http
        .post(server.url("/oauth/token"))
        .basic_auth("", Some(""))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    // Ids no stored record can have (too long, a NUL) are unknown clients too, never a query.
    let long = "c".repeat(5000);
    for odd in [long.as_str(), "client\0id"] {
        let response = server
            .http
            .post(server.url("/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", odd),
                ("client_secret", "x"),
            ])
            .send()
            .await
            .unwrap();
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
        let response = server
            .get(&format!("/oauth/clients/{}", odd.replace('\0', "%00")))
            .await;
        assert!(response.status().is_client_error(), "{}", response.status());
    }
}
