//! Client ID metadata documents: a client whose id is a URL needs no registration. The documents are
//! served by a loopback server of the test; the setting that admits loopback is for tests only.

use mcp_oauth_tests::{Pkce, TestServer, location, redirect_param};
use poem::web::Json;
use poem::{Response, Route, get};
use reqwest::StatusCode;
use rmcp::ServiceExt as _;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::auth::{AuthClient, AuthorizationRequest, OAuthState};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};

/// Serves documents on 127.0.0.1; returns the base URL.
async fn document_host() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let document = |path: &str, client_id: &str| {
        json!({
            "client_id": client_id,
            "client_name": format!("Document client {path}"),
            "redirect_uris": ["http://localhost/callback", "http://127.0.0.1/callback"],
            "grant_types": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_method": "none",
        })
    };
    let valid = document("valid", &format!("{base}/client.json"));
    let mismatch = document("mismatch", "https://elsewhere.example/client.json");
    let big = json!({"client_id": format!("{base}/big.json"), "redirect_uris": ["http://localhost/callback"], "padding": "x".repeat(6000)});
    let target = format!("{base}/client.json");
    let app = Route::new()
        .at(
            "/client.json",
            get(poem::endpoint::make_sync(move |_| Json(valid.clone()))),
        )
        .at(
            "/mismatch.json",
            get(poem::endpoint::make_sync(move |_| Json(mismatch.clone()))),
        )
        .at(
            "/big.json",
            get(poem::endpoint::make_sync(move |_| Json(big.clone()))),
        )
        .at(
            "/redirect.json",
            get(poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .status(poem::http::StatusCode::FOUND)
                    .header("Location", target.clone())
                    .finish()
            })),
        );
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    base
}

async fn authorize_with(server: &TestServer, client_id: &str, redirect: &str) -> reqwest::Response {
    let pkce = Pkce::new();
    server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ])
        .await
}

#[tokio::test]
async fn a_client_id_metadata_document_replaces_registration_for_the_official_sdk() {
    let documents = document_host().await;
    let server = TestServer::start(&["--client-metadata-allow-loopback", "true"]).await;
    let metadata: Value = server
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["client_id_metadata_document_supported"], true);

    let client_id = format!("{documents}/client.json");
    let mut oauth = OAuthState::new(server.url("/mcp"), None).await.unwrap();
    // The SDK insists on https for its own document URL, and the test's document host speaks plain
    // http on loopback; so the SDK is given the URL as its client id, exactly the id it would send
    // in document mode, and the server resolves it through the document.
    let request = AuthorizationRequest::new("http://localhost/callback")
        .with_preregistered_client(client_id.clone())
        .with_scopes(["read", "write"]);
    oauth.start_authorization(request).await.expect("discovery");
    let url = oauth.get_authorization_url().await.unwrap();
    assert!(
        url.contains(&format!(
            "client_id={}",
            url::form_urlencoded::byte_serialize(client_id.as_bytes()).collect::<String>()
        )),
        "{url}"
    );
    let response = server.http.get(&url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    oauth
        .handle_callback_url(location(&response).unwrap().as_str())
        .await
        .expect("token");
    let client = AuthClient::new(
        reqwest::Client::default(),
        oauth.into_authorization_manager().unwrap(),
    );
    let transport = StreamableHttpClientTransport::with_client(
        client,
        StreamableHttpClientTransportConfig::with_uri(server.url("/mcp")),
    );
    let mcp = ().serve(transport).await.expect("initialize");
    let arguments = json!({"content": "registered by document"})
        .as_object()
        .cloned()
        .unwrap();
    let stored = mcp
        .call_tool(CallToolRequestParams::new("store_memory").with_arguments(arguments))
        .await
        .unwrap();
    assert_eq!(stored.is_error, Some(false));
    mcp.cancel().await.unwrap();

    // Claude Code's case: a portless loopback registration, a random port at authorization.
    let response = authorize_with(&server, &client_id, "http://127.0.0.1:61234/callback").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert!(redirect_param(&response, "code").is_some());
}

#[tokio::test]
async fn documents_that_break_the_rules_are_refused_and_never_redirected() {
    let documents = document_host().await;
    let server = TestServer::start(&["--client-metadata-allow-loopback", "true"]).await;
    for path in [
        "/mismatch.json",
        "/big.json",
        "/redirect.json",
        "/missing.json",
        "/",
    ] {
        let response = authorize_with(
            &server,
            &format!("{documents}{path}"),
            "http://localhost/callback",
        )
        .await;
        assert!(
            response.headers().get("location").is_none(),
            "{path} must not redirect"
        );
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert!(status.is_client_error(), "{path}: {status}");
        assert_eq!(body["error"], "invalid_client", "{path}: {body}");
    }
    // An unregistered redirect URI of a valid document.
    let response = authorize_with(
        &server,
        &format!("{documents}/client.json"),
        "http://localhost/elsewhere",
    )
    .await;
    assert!(response.headers().get("location").is_none());

    // Without the test setting, loopback and plain http are refused.
    let strict = TestServer::start(&[]).await;
    let response = authorize_with(
        &strict,
        &format!("{documents}/client.json"),
        "http://localhost/callback",
    )
    .await;
    assert!(response.headers().get("location").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    // Dot segments in any encoding: the id would name one document and fetch another. Refused
    // before anything is fetched (these hosts are never looked up).
    for id in [
        "https://docs.example/x/../client.json",
        "https://docs.example/x/%2e%2e/client.json",
        "https://docs.example/x/.%2E/client.json",
        "https://docs.example/x/%252e%252e/client.json",
        "https://docs.example/client.json/..",
    ] {
        let response = authorize_with(&strict, id, "http://localhost/callback").await;
        assert!(response.headers().get("location").is_none());
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("dot segments"),
            "{id}: {body}"
        );
    }
    // Private IPv4 addresses hidden in IPv6 forms (mapped, compatible, NAT64, 6to4) and
    // translations whose IPv4 end cannot be read (Teredo, local-use NAT64) are inside too.
    for host in [
        "127.0.0.1",
        "[::ffff:10.0.0.1]",
        "[::10.0.0.1]",
        "[64:ff9b::a00:1]",
        "[64:ff9b::a9fe:a9fe]",
        "[64:ff9b:1::102:304]",
        "[2002:a00:1::1]",
        "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
    ] {
        let response = authorize_with(
            &strict,
            &format!("https://{host}/client.json"),
            "http://localhost/callback",
        )
        .await;
        let body: Value = response.json().await.unwrap();
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("inside the network"),
            "{host}: {body}"
        );
    }
}

/// A document host the test controls: it counts fetches, answers after 300 ms (so that requests
/// overlap), and can be switched to failing, as in an outage.
struct ControlledHost {
    client_id: String,
    fetches: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    failing: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

async fn controlled_host() -> ControlledHost {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client_id = format!(
        "http://127.0.0.1:{}/client.json",
        listener.local_addr().unwrap().port()
    );
    let fetches = Arc::new(AtomicUsize::new(0));
    let failing = Arc::new(AtomicBool::new(false));
    let document = json!({
        "client_id": client_id,
        "client_name": "Controlled",
        "redirect_uris": ["http://localhost/callback"],
        "token_endpoint_auth_method": "none",
    })
    .to_string();
    let (count, fail) = (fetches.clone(), failing.clone());
    let app = Route::new().at(
        "/client.json",
        get(poem::endpoint::make(move |_| {
            let (count, fail, document) = (count.clone(), fail.clone(), document.clone());
            async move {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                if fail.load(Ordering::SeqCst) {
                    return Response::builder()
                        .status(poem::http::StatusCode::SERVICE_UNAVAILABLE)
                        .finish();
                }
                Response::builder()
                    .header("Content-Type", "application/json")
                    .header("Cache-Control", "max-age=60")
                    .body(document)
            }
        })),
    );
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).unwrap();
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    ControlledHost {
        client_id,
        fetches,
        failing,
    }
}

#[tokio::test]
async fn concurrent_requests_share_one_fetch_and_a_recent_copy_outlives_an_outage() {
    use std::sync::atomic::Ordering;
    let host = controlled_host().await;
    let server = TestServer::start(&["--client-metadata-allow-loopback", "true"]).await;
    let requests =
        (0..8).map(|_| authorize_with(&server, &host.client_id, "http://localhost/callback"));
    for response in futures::future::join_all(requests).await {
        assert!(
            location(&response).is_some(),
            "every request is answered: {}",
            response.status()
        );
    }
    assert_eq!(
        host.fetches.load(Ordering::SeqCst),
        1,
        "one fetch for eight requests"
    );

    // Past its freshness, with the host down: the copy fetched earlier still serves the client.
    server.clock.advance(3600);
    host.failing.store(true, Ordering::SeqCst);
    let response = authorize_with(&server, &host.client_id, "http://localhost/callback").await;
    assert!(location(&response).is_some(), "{}", response.status());
    assert_eq!(
        host.fetches.load(Ordering::SeqCst),
        2,
        "the host was asked again"
    );

    // Beyond a day stale, the outage is the client's answer.
    server.clock.advance(2 * 86_400);
    let response = authorize_with(&server, &host.client_id, "http://localhost/callback").await;
    assert!(location(&response).is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");
}

#[tokio::test]
async fn document_urls_with_encoded_dot_segments_are_refused() {
    let server = TestServer::start(&[]).await;
    for id in [
        "https://app.example/x/%2e%2e/client.json",
        "https://app.example/x/%252E%252E/client.json",
        "https://app.example/x/..%2fclient.json",
    ] {
        let response = authorize_with(&server, id, "http://localhost/callback").await;
        assert!(location(&response).is_none(), "{id}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client", "{id}: {body}");
        assert!(
            body["error_description"]
                .as_str()
                .is_some_and(|d| d.contains("dot segments")),
            "{id}: {body}"
        );
    }
}

#[tokio::test]
async fn a_trust_policy_admits_documents_from_its_domains_only() {
    let documents = document_host().await;
    let client_id = format!("{documents}/client.json");
    let elsewhere = TestServer::start(&[
        "--client-metadata-allow-loopback",
        "true",
        "--cimd-trusted-domains",
        "claude.ai,vscode.dev",
    ])
    .await;
    let response = authorize_with(&elsewhere, &client_id, "http://localhost/callback").await;
    assert!(location(&response).is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .is_some_and(|d| d.contains("MCP_OAUTH_CIMD_TRUSTED_DOMAINS")),
        "{body}"
    );
    let trusting = TestServer::start(&[
        "--client-metadata-allow-loopback",
        "true",
        "--cimd-trusted-domains",
        "example.org, 127.0.0.1",
    ])
    .await;
    let response = authorize_with(&trusting, &client_id, "http://localhost/callback").await;
    assert!(location(&response).is_some(), "{}", response.status());
}
