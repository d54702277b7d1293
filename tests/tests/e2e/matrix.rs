//! The client matrix: each client of `shared/CLIENTS.md` that registers dynamically, registering
//! exactly as it does (its redirect URIs, authentication method, `application_type`, and its
//! habits with `resource`: sent, missing, with a trailing slash, left out on refresh), then
//! authorizing, exchanging the code, calling a tool over MCP and refreshing.

use mcp_oauth_tests::{Pkce, TestServer, location, redirect_param};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// How a client authenticates at the token endpoint.
#[derive(Clone, Copy)]
enum Auth {
    None,
    Post,
    Basic,
}

/// What a client does with `resource`.
#[derive(Clone, Copy)]
enum Resource {
    /// Sends `{issuer}/mcp` everywhere.
    Exact,
    /// Sends it with a trailing slash.
    TrailingSlash,
    /// Never sends it.
    Missing,
    /// Sends it on authorization and the code exchange, not on refresh (Codex).
    NotOnRefresh,
}

struct Client {
    name: &'static str,
    registration: Value,
    /// The redirect URI it uses at run time (a port of its choosing for loopback ones).
    redirect: &'static str,
    auth: Auth,
    resource: Resource,
    application_type: &'static str,
}

fn clients() -> Vec<Client> {
    vec![
        Client {
            name: "Claude Code",
            registration: json!({
                "client_name": "Claude Code", "application_type": "native",
                "redirect_uris": ["http://localhost:3118/callback", "http://127.0.0.1:3118/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"], "token_endpoint_auth_method": "none",
            }),
            redirect: "http://localhost:3118/callback",
            auth: Auth::None,
            resource: Resource::TrailingSlash,
            application_type: "native",
        },
        Client {
            name: "claude.ai (DCR)",
            registration: json!({
                "client_name": "Claude",
                "redirect_uris": ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "client_secret_post",
            }),
            redirect: "https://claude.ai/api/mcp/auth_callback",
            auth: Auth::Post,
            resource: Resource::Exact,
            application_type: "web",
        },
        Client {
            name: "Cursor",
            registration: json!({
                "client_name": "Cursor", "application_type": "web",
                "redirect_uris": [
                    "http://localhost:8787/callback",
                    "https://www.cursor.com/agents/mcp/oauth/callback",
                    "cursor://anysphere.cursor-mcp/oauth/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "none",
            }),
            redirect: "cursor://anysphere.cursor-mcp/oauth/callback",
            auth: Auth::None,
            resource: Resource::Missing,
            application_type: "native",
        },
        Client {
            name: "VS Code (DCR)",
            registration: json!({
                "client_name": "Visual Studio Code", "application_type": "native",
                "redirect_uris": ["http://127.0.0.1:33418/", "https://vscode.dev/redirect"],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "none",
            }),
            redirect: "http://127.0.0.1:33418/",
            auth: Auth::None,
            resource: Resource::Exact,
            application_type: "native",
        },
        Client {
            name: "Codex CLI (DCR)",
            registration: json!({
                "client_name": "Codex", "application_type": "native",
                "redirect_uris": ["http://127.0.0.1:1455/callback/codex"],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "none",
            }),
            redirect: "http://127.0.0.1:40123/callback/codex",
            auth: Auth::None,
            resource: Resource::NotOnRefresh,
            application_type: "native",
        },
        Client {
            name: "MCP Inspector",
            registration: json!({
                "client_name": "MCP Inspector",
                "redirect_uris": ["http://localhost:6274/oauth/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
                "token_endpoint_auth_method": "none", "scope": "read write",
            }),
            redirect: "http://localhost:6274/oauth/callback",
            auth: Auth::None,
            resource: Resource::Exact,
            application_type: "native",
        },
        Client {
            name: "a confidential SDK client (Basic)",
            registration: json!({
                "client_name": "SDK", "redirect_uris": ["https://app.example/callback"],
                "grant_types": ["authorization_code", "refresh_token"],
            }),
            redirect: "https://app.example/callback",
            auth: Auth::Basic,
            resource: Resource::Exact,
            application_type: "web",
        },
    ]
}

/// A token request with the client's authentication.
async fn token(
    server: &TestServer,
    client: &Client,
    id: &str,
    secret: Option<&str>,
    form: &[(&str, &str)],
) -> Value {
    let mut form: Vec<(&str, &str)> = form.to_vec();
    let mut request = server.http.post(server.url("/oauth/token"));
    match (client.auth, secret) {
        (Auth::Basic, Some(secret)) => request = request.basic_auth(id, Some(secret)),
        (Auth::Post, Some(secret)) => form.extend([("client_id", id), ("client_secret", secret)]),
        _ => form.push(("client_id", id)),
    }
    let response = request.form(&form).send().await.unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{}: {body}", client.name);
    assert_eq!(body["token_type"], "Bearer", "{}", client.name);
    body
}

/// Initializes an MCP session with `access` and stores a memory through the tool.
async fn store_through_mcp(server: &TestServer, access: &str, content: &str) -> String {
    let post = |body: Value, session: Option<&str>| {
        let mut request = server
            .http
            .post(server.url("/mcp"))
            .bearer_auth(access)
            .header("Accept", "application/json, text/event-stream")
            .header("MCP-Protocol-Version", "2025-11-25")
            .json(&body);
        if let Some(session) = session {
            request = request.header("Mcp-Session-Id", session);
        }
        request.send()
    };
    let initialize = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "matrix", "version": "1"}}});
    let response = post(initialize, None).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let session = response.headers()["mcp-session-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let _ = response.text().await;
    let initialized = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    let response = post(initialized, Some(&session)).await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    let call = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {
        "name": "store_memory", "arguments": {"content": content}}});
    let response = post(call, Some(&session)).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

#[tokio::test]
async fn every_client_registers_authorizes_calls_a_tool_and_refreshes_as_it_does() {
    let server = TestServer::start(&[]).await;
    let mcp = server.url("/mcp");
    let with_slash = format!("{mcp}/");
    for client in clients() {
        let name = client.name;
        let registered = server.register(client.registration.clone()).await;
        assert_eq!(
            registered["application_type"], client.application_type,
            "{name}"
        );
        let id = registered["client_id"].as_str().unwrap().to_owned();
        let secret = registered["client_secret"].as_str().map(str::to_owned);
        assert_eq!(
            secret.is_some(),
            !matches!(client.auth, Auth::None),
            "{name}"
        );

        let resource = match client.resource {
            Resource::Exact | Resource::NotOnRefresh => Some(mcp.as_str()),
            Resource::TrailingSlash => Some(with_slash.as_str()),
            Resource::Missing => None,
        };
        let pkce = Pkce::new();
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", id.as_str()),
            ("redirect_uri", client.redirect),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("state", "matrix-state"),
            ("scope", "read write"),
        ];
        params.extend(resource.map(|r| ("resource", r)));
        let response = server.authorize(&params).await;
        let redirect =
            location(&response).unwrap_or_else(|| panic!("{name}: {}", response.status()));
        assert!(
            redirect.as_str().starts_with(client.redirect),
            "{name}: {redirect}"
        );
        assert_eq!(
            redirect_param(&response, "state").as_deref(),
            Some("matrix-state"),
            "{name}"
        );
        assert_eq!(
            redirect_param(&response, "iss").as_deref(),
            Some(server.base.as_str()),
            "{name}: RFC 9207 iss"
        );
        let code = redirect_param(&response, "code").expect("a code");

        let mut exchange = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", client.redirect),
            ("code_verifier", pkce.verifier.as_str()),
        ];
        exchange.extend(resource.map(|r| ("resource", r)));
        let tokens = token(&server, &client, &id, secret.as_deref(), &exchange).await;
        let access = tokens["access_token"].as_str().unwrap();
        let body = store_through_mcp(&server, access, &format!("stored by {name}")).await;
        assert!(body.contains("\\\"stored\\\":true"), "{name}: {body}");

        let refresh_token = tokens["refresh_token"].as_str().expect("a refresh token");
        let mut refresh = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        if matches!(client.resource, Resource::Exact | Resource::TrailingSlash) {
            refresh.extend(resource.map(|r| ("resource", r)));
        }
        let refreshed = token(&server, &client, &id, secret.as_deref(), &refresh).await;
        let access = refreshed["access_token"].as_str().unwrap();
        let listed = server.get_with_token("/api/memories", access).await;
        assert_eq!(
            listed.status(),
            StatusCode::OK,
            "{name}: the refreshed token works"
        );
    }
}
