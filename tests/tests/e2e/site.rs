//! The server as browsers and local clients meet it, over plain HTTP: loopback names are one
//! host for a derived issuer, CORS preflights and the `Origin` check, the `Host` allow-list on
//! every route (DNS rebinding), `/mcp/`, error pages for people and JSON for programs, the landing
//! page and the favicon.

use mcp_oauth_tests::{Pkce, TestServer, expect_error, location, redirect_param};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CHROMIUM_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

fn port_of(server: &TestServer) -> String {
    server.base.rsplit(':').next().expect("a port").to_owned()
}

/// `GET path` with `Host: host`.
async fn get_as(server: &TestServer, host: &str, path: &str) -> reqwest::Response {
    server
        .http
        .get(server.url(path))
        .header("Host", host)
        .send()
        .await
        .expect("GET")
}

#[tokio::test]
async fn each_loopback_name_reads_metadata_naming_itself() {
    let server = TestServer::start_derived(&[]).await;
    let port = port_of(&server);
    for host in ["localhost", "127.0.0.1", "[::1]"] {
        let origin = format!("http://{host}:{port}");
        let authority = format!("{host}:{port}");
        let resource: Value = get_as(
            &server,
            &authority,
            "/.well-known/oauth-protected-resource/mcp",
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(
            resource["resource"],
            json!(format!("{origin}/mcp")),
            "{host}"
        );
        assert_eq!(resource["authorization_servers"], json!([origin]), "{host}");
        let metadata: Value = get_as(
            &server,
            &authority,
            "/.well-known/oauth-authorization-server",
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(metadata["issuer"], json!(origin), "{host}");
        assert_eq!(
            metadata["token_endpoint"],
            json!(format!("{origin}/oauth/token")),
            "{host}"
        );
        // The challenge points at the metadata of the name the client used.
        let response = server
            .http
            .post(server.url("/mcp"))
            .header("Host", &authority)
            .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
            .send()
            .await
            .unwrap();
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.contains(&format!(
                "resource_metadata=\"{origin}/.well-known/oauth-protected-resource/mcp\""
            )),
            "{challenge}"
        );
    }
}

#[tokio::test]
async fn a_token_for_one_loopback_name_works_on_the_others() {
    let server = TestServer::start_derived(&[]).await;
    let port = port_of(&server);
    let redirect = "http://127.0.0.1/callback";
    let client_id = server
        .register_public(redirect, &["authorization_code"])
        .await;
    let pkce = Pkce::new();
    // Reached as 127.0.0.1 and naming its resource so: accepted, and answered with that issuer.
    let resource = format!("http://127.0.0.1:{port}/mcp");
    let response = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "http://127.0.0.1:5000/callback"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
            ("resource", &resource),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        redirect_param(&response, "iss"),
        Some(format!("http://127.0.0.1:{port}"))
    );
    let code = redirect_param(&response, "code").expect("a code");
    let body: Value = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:5000/callback"),
            ("client_id", &client_id),
            ("code_verifier", &pkce.verifier),
            ("resource", &resource),
        ])
        .await
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().expect("a token");
    for host in ["localhost", "127.0.0.1", "[::1]"] {
        let response = server
            .http
            .get(server.url("/api/memories"))
            .header("Host", format!("{host}:{port}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{host}");
    }
    // Another machine's name is still another resource.
    let response = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
            ("resource", "http://192.0.2.1:8000/mcp"),
        ])
        .await;
    assert_eq!(
        redirect_param(&response, "error").as_deref(),
        Some("invalid_target")
    );
}

#[tokio::test]
async fn every_interface_without_an_issuer_is_warned_about() {
    let server = TestServer::start_derived(&[
        "--http-host",
        "0.0.0.0",
        "--api-key",
        "owner-key-0123456789",
    ])
    .await;
    assert!(
        server
            .warnings
            .iter()
            .any(|w| w.contains("0.0.0.0") && w.contains("MCP_OAUTH_ISSUER")),
        "{:?}",
        server.warnings
    );
    let quiet = TestServer::start_derived(&[]).await;
    assert!(
        !quiet
            .warnings
            .iter()
            .any(|w| w.contains("MCP_OAUTH_ISSUER")),
        "{:?}",
        quiet.warnings
    );
}

#[tokio::test]
async fn a_set_issuer_has_no_aliases() {
    let server = TestServer::start(&[]).await;
    let metadata: Value = get_as(
        &server,
        "localhost",
        "/.well-known/oauth-authorization-server",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(metadata["issuer"], json!(server.base));
}

#[tokio::test]
async fn preflights_are_answered_before_authentication_for_loopback_origins() {
    let server = TestServer::start(&[]).await;
    for (path, method) in [
        ("/.well-known/oauth-authorization-server", "GET"),
        ("/.well-known/oauth-protected-resource/mcp", "GET"),
        ("/oauth/register", "POST"),
        ("/oauth/token", "POST"),
        ("/oauth/revoke", "POST"),
        ("/oauth/jwks.json", "GET"),
        ("/mcp", "POST"),
    ] {
        let response = server
            .http
            .request(Method::OPTIONS, server.url(path))
            .header("Origin", "http://localhost:6274")
            .header("Access-Control-Request-Method", method)
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type, mcp-protocol-version, mcp-session-id",
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        assert_eq!(
            headers["access-control-allow-origin"], "http://localhost:6274",
            "{path}"
        );
        let allowed = headers["access-control-allow-headers"].to_str().unwrap();
        for header in [
            "authorization",
            "content-type",
            "mcp-protocol-version",
            "mcp-session-id",
            "last-event-id",
        ] {
            assert!(allowed.contains(header), "{path}: {allowed}");
        }
        assert!(
            headers.get("access-control-allow-credentials").is_none(),
            "{path}"
        );
    }
    // The answer itself names the origin and exposes what MCP clients read.
    let response = server
        .http
        .post(server.url("/mcp"))
        .header("Origin", "http://127.0.0.1:6274")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://127.0.0.1:6274"
    );
    let exposed = response.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(
        exposed.contains("www-authenticate") && exposed.contains("mcp-session-id"),
        "{exposed}"
    );
}

#[tokio::test]
async fn other_origins_are_refused_unless_listed() {
    let server = TestServer::start(&[]).await;
    let response = server
        .http
        .post(server.url("/oauth/register"))
        .header("Origin", "https://evil.example")
        .json(&json!({"redirect_uris": ["https://evil.example/cb"]}))
        .send()
        .await
        .unwrap();
    let body = expect_error(response, StatusCode::FORBIDDEN, "invalid_request").await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("MCP_CORS_ORIGINS"),
        "{body}"
    );

    let listed = TestServer::start(&["--cors-origins", "https://inspector.example.com"]).await;
    let preflight = |server: &TestServer, origin: &'static str| {
        server
            .http
            .request(Method::OPTIONS, server.url("/oauth/token"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .send()
    };
    assert_eq!(
        preflight(&listed, "https://inspector.example.com")
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        preflight(&listed, "http://localhost:6274")
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN,
        "a list replaces the loopback default"
    );
    let any = TestServer::start(&["--cors-origins", "*"]).await;
    let response = preflight(&any, "https://anything.example").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
}

#[tokio::test]
async fn a_rebinding_page_reaches_nothing_but_health() {
    // The laptop default: loopback, no key, auto-approve on.
    let server = TestServer::start_derived(&[]).await;
    let rebound = format!("rebind.evil.example:{}", port_of(&server));
    let attempts = [
        (
            Method::POST,
            "/oauth/register",
            Some(json!({"grant_types": ["client_credentials"]})),
        ),
        (Method::GET, "/api/memories", None),
        (Method::GET, "/oauth/keys", None),
        (Method::GET, "/.well-known/oauth-authorization-server", None),
        (Method::GET, "/docs", None),
        (
            Method::POST,
            "/mcp",
            Some(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})),
        ),
    ];
    for (method, path, body) in attempts {
        let mut request = server
            .http
            .request(method, server.url(path))
            .header("Host", &rebound);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let body = expect_error(response, StatusCode::FORBIDDEN, "invalid_request").await;
        assert!(
            body["error_description"].as_str().unwrap().contains("Host"),
            "{path}: {body}"
        );
    }
    let health = get_as(&server, &rebound, "/api/health").await;
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "load balancers probe by address"
    );
}

#[tokio::test]
async fn mcp_with_a_trailing_slash_is_mcp() {
    let server = TestServer::start(&[]).await;
    let response = server
        .http
        .post(server.url("/mcp/"))
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("resource_metadata")
    );
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
}

#[tokio::test]
async fn authorization_errors_are_pages_for_people_and_json_for_programs() {
    let server = TestServer::start(&["--api-key", "owner-key-0123456789"]).await;
    let query = [
        ("response_type", "code"),
        ("client_id", "mcp_client_unknown"),
        ("redirect_uri", "http://localhost:3118/callback"),
    ];
    // A program: JSON, 400, and no Basic challenge (nobody authenticates a client here).
    let response = server.authorize(&query).await;
    assert!(response.headers().get("www-authenticate").is_none());
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_client").await;
    // A person: an HTML page with the same status.
    let response = server
        .http
        .get(server.url("/oauth/authorize"))
        .query(&query)
        .header("Accept", CHROMIUM_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.headers().get("www-authenticate").is_none());
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let page = response.text().await.unwrap();
    assert!(
        page.contains("unknown client_id") && page.contains("connect again"),
        "{page}"
    );

    // A redirect URI the client never registered: a page too, never a redirect.
    let client_id = server
        .register_public("https://app.example/cb", &["authorization_code"])
        .await;
    let response = server
        .http
        .get(server.url("/oauth/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", "https://evil.example/cb"),
        ])
        .header("Accept", CHROMIUM_ACCEPT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(location(&response).is_none());
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("redirect_uri is not registered")
    );
    // A forged consent form, posted by a browser.
    let response = server
        .http
        .post(server.url("/oauth/authorize"))
        .header("Accept", CHROMIUM_ACCEPT)
        .form(&[
            ("client_id", client_id.as_str()),
            ("csrf_token", "forged"),
            ("decision", "approve"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.unwrap().contains("forged"));
}

#[tokio::test]
async fn the_landing_page_points_at_the_docs_and_the_mcp_url() {
    let server = TestServer::start_derived(&[]).await;
    let port = port_of(&server);
    let response = get_as(&server, &format!("127.0.0.1:{port}"), "/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("href=\"/docs\""), "{page}");
    assert!(
        page.contains(&format!("http://127.0.0.1:{port}/mcp")),
        "{page}"
    );
    let icon = server.get("/favicon.ico").await;
    assert_eq!(icon.status(), StatusCode::OK);
    assert_eq!(icon.headers()["content-type"], "image/x-icon");
}
