//! The test harness: a real `memory` server on 127.0.0.1 with an ephemeral port and a pinned clock,
//! and an HTTP client that talks to it the way an OAuth client would.

use std::sync::Arc;

mod logs;
mod oidc;
mod surreal;
pub use logs::CapturedLogs;
pub use oidc::{OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OidcProvider};
pub use surreal::SurrealServer;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Parser as _;
use mcp_oauth_core::{ManualClock, PluginSettings};
use mcp_oauth_server::{App, Cli, Command};
use rand::RngCore as _;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::oneshot;

/// The time the pinned clock starts at.
pub const START: i64 = 1_800_000_000;

/// A running server and a client for it. Dropping it shuts the server down.
pub struct TestServer {
    /// `http://127.0.0.1:PORT` (`https://` when serving TLS), also the issuer.
    pub base: String,
    /// The server's clock: move it instead of sleeping.
    pub clock: Arc<ManualClock>,
    /// An HTTP client that does not follow redirects.
    pub http: reqwest::Client,
    /// The warnings of the start-up block.
    pub warnings: Vec<String>,
    stop: Option<oneshot::Sender<()>>,
    serving: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl TestServer {
    /// Starts a server with `memory server --http` and the extra `flags`.
    pub async fn start(flags: &[&str]) -> Self {
        Self::start_with(flags, PluginSettings::default())
            .await
            .expect("the server starts")
    }

    /// Starts a server with `flags` and plugin settings; the start-up error otherwise.
    pub async fn start_with(
        flags: &[&str],
        plugin_settings: PluginSettings,
    ) -> Result<Self, mcp_oauth_core::Error> {
        Self::start_at(flags, plugin_settings, START).await
    }

    /// Starts a server whose clock shows `now`, signing with [`test_signer`] unless `flags` name
    /// another.
    pub async fn start_at(
        flags: &[&str],
        plugin_settings: PluginSettings,
        now: i64,
    ) -> Result<Self, mcp_oauth_core::Error> {
        Self::launch(flags, plugin_settings, now, None, None).await
    }

    /// Starts a server with `flags` whose issuer is derived, as on a laptop with no
    /// `MCP_OAUTH_ISSUER`: `http://localhost:PORT`, with `127.0.0.1` and `[::1]` as aliases.
    /// [`base`](Self::base) stays `http://127.0.0.1:PORT`.
    pub async fn start_derived(flags: &[&str]) -> Self {
        Self::start_derived_at("127.0.0.1", flags).await
    }

    /// Like [`start_derived`](Self::start_derived), listening on the loopback address `ip`
    /// (`127.0.0.1` or `::1`, given as `MCP_HTTP_HOST` unless `flags` name another).
    pub async fn start_derived_at(ip: &str, flags: &[&str]) -> Self {
        Self::launch(flags, PluginSettings::default(), START, None, Some(ip))
            .await
            .expect("the server starts")
    }

    /// Starts a server serving HTTPS (`flags` plus `--https-enabled true`) with a client that
    /// trusts `root` (PEM) and nothing else; with `root` `None`, a client that accepts any
    /// certificate, for self-signed ones.
    pub async fn start_https(
        flags: &[&str],
        plugin_settings: PluginSettings,
        root: Option<&[u8]>,
    ) -> Result<Self, mcp_oauth_core::Error> {
        let mut all = vec!["--https-enabled", "true"];
        all.extend_from_slice(flags);
        Self::launch(&all, plugin_settings, START, Some(root), None).await
    }

    async fn launch(
        flags: &[&str],
        plugin_settings: PluginSettings,
        now: i64,
        https: Option<Option<&[u8]>>,
        derived_issuer_at: Option<&str>,
    ) -> Result<Self, mcp_oauth_core::Error> {
        let ip: std::net::IpAddr = derived_issuer_at
            .unwrap_or("127.0.0.1")
            .parse()
            .expect("an IP address");
        let listener = tokio::net::TcpListener::bind((ip, 0))
            .await
            .expect("bind loopback");
        let local = listener.local_addr().expect("local address");
        let scheme = if https.is_some() { "https" } else { "http" };
        let base = format!("{scheme}://{local}");
        let port = local.port().to_string();
        let signer = test_signer();
        let mut args = vec!["memory", "server", "--http", "--http-port", &port];
        let host = ip.to_string();
        if derived_issuer_at.is_some() {
            if !flags.contains(&"--http-host") {
                args.extend(["--http-host", host.as_str()]);
            }
        } else if !flags.contains(&"--oauth-issuer") {
            args.extend(["--oauth-issuer", base.as_str()]);
        }
        // The suite makes many OAuth requests from one address; the rate-limit test sets its own.
        if !flags.contains(&"--oauth-rate-limit-per-minute") {
            args.extend(["--oauth-rate-limit-per-minute", "0"]);
        }
        if !flags.contains(&"--oauth-signer") {
            args.extend(["--oauth-signer", signer.as_str()]);
        }
        let storage = test_storage();
        let mut plugin_settings = plugin_settings;
        if !flags.contains(&"--oauth-storage-backend") {
            args.extend(["--oauth-storage-backend", storage.as_str()]);
            if storage == "surrealdb" && plugin_settings.get("MCP_OAUTH_STORAGE_URL").is_none() {
                plugin_settings.set("MCP_OAUTH_STORAGE_URL", "mem://");
            }
        }
        args.extend_from_slice(flags);
        let Command::Server(server) = Cli::try_parse_from(args).expect("valid flags").command
        else {
            unreachable!("the server subcommand was given");
        };
        let clock = Arc::new(ManualClock::new(now));
        let app = App::build(&server.settings, plugin_settings, local, clock.clone()).await?;
        let warnings = app.warnings.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = tokio::spawn(app.serve(listener, async move {
            let _ = stopped.await;
        }));
        let mut http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
        match https {
            Some(Some(root)) => {
                let root = reqwest::Certificate::from_pem(root).expect("a PEM certificate");
                http = http.tls_certs_only([root]);
            }
            Some(None) => http = http.tls_danger_accept_invalid_certs(true),
            None => {}
        }
        let http = http.build().expect("HTTP client");
        Ok(Self {
            base,
            clock,
            http,
            warnings,
            stop: Some(stop),
            serving: Some(serving),
        })
    }

    /// Shuts the server down and waits until it has stopped and let go of its storage.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(serving) = self.serving.take() {
            let _ = serving.await;
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    /// `POST /oauth/register` with `metadata`; the response.
    pub async fn register_raw(&self, metadata: Value) -> Response {
        self.http
            .post(self.url("/oauth/register"))
            .json(&metadata)
            .send()
            .await
            .expect("register")
    }

    /// Registers a client, asserting 201; its registration response.
    pub async fn register(&self, metadata: Value) -> Value {
        let response = self.register_raw(metadata).await;
        let status = response.status();
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(status, StatusCode::CREATED, "registration refused: {body}");
        body
    }

    /// An `admin` access token, got as the owner of an auto-approving server gets one: the code
    /// flow of a public client that asked for `admin`.
    pub async fn admin_token(&self) -> String {
        let redirect = "http://localhost/owner-callback";
        let body = self
            .register(json!({
                "client_name": "Owner's console",
                "redirect_uris": [redirect],
                "token_endpoint_auth_method": "none",
                "scope": "read write admin",
            }))
            .await;
        let client_id = body["client_id"].as_str().expect("client_id");
        let tokens = self
            .public_code_flow(client_id, redirect, Some("read write admin"))
            .await;
        tokens["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// Registers a client as the owner (with an [`admin_token`](Self::admin_token)), as a
    /// `client_credentials` client must be; asserts 201 and returns the registration response.
    pub async fn register_as_owner(&self, metadata: Value) -> Value {
        let response = self
            .http
            .post(self.url("/oauth/register"))
            .bearer_auth(self.admin_token().await)
            .json(&metadata)
            .send()
            .await
            .expect("register");
        let status = response.status();
        let body: Value = response.json().await.expect("JSON");
        assert_eq!(status, StatusCode::CREATED, "registration refused: {body}");
        body
    }

    /// Registers a public client (PKCE, no secret) with `redirect_uri` and `grant_types`.
    pub async fn register_public(&self, redirect_uri: &str, grant_types: &[&str]) -> String {
        let body = self
            .register(json!({
                "client_name": "Public test client",
                "redirect_uris": [redirect_uri],
                "grant_types": grant_types,
                "token_endpoint_auth_method": "none",
            }))
            .await;
        body["client_id"].as_str().expect("client_id").to_owned()
    }

    /// `GET /oauth/authorize` with `params`.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> Response {
        self.http
            .get(self.url("/oauth/authorize"))
            .query(params)
            .send()
            .await
            .expect("authorize")
    }

    /// `POST /oauth/token` with the form `params`.
    pub async fn token(&self, params: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url("/oauth/token"))
            .form(params)
            .send()
            .await
            .expect("token")
    }

    /// Runs authorize (auto-approved) for a public client with PKCE and exchanges the code;
    /// the token response body.
    pub async fn public_code_flow(
        &self,
        client_id: &str,
        redirect_uri: &str,
        scope: Option<&str>,
    ) -> Value {
        let pkce = Pkce::new();
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("state", "xyz"),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        if let Some(scope) = scope {
            params.push(("scope", scope));
        }
        let code = redirect_param(&self.authorize(&params).await, "code").expect("a code");
        let response = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect_uri),
                ("client_id", client_id),
                ("code_verifier", &pkce.verifier),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("JSON")
    }

    /// Registers a `client_credentials` client and returns an access token for it.
    pub async fn client_credentials_token(&self, scope: &str) -> String {
        let client = self
            .register_as_owner(json!({"grant_types": ["client_credentials"], "scope": scope}))
            .await;
        let response = self
            .token(&[
                ("grant_type", "client_credentials"),
                (
                    "client_id",
                    client["client_id"].as_str().expect("client_id"),
                ),
                (
                    "client_secret",
                    client["client_secret"].as_str().expect("client_secret"),
                ),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.expect("JSON");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// `GET path` with a bearer token.
    pub async fn get_with_token(&self, path: &str, token: &str) -> Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    /// `POST /api/memories` with `memory` (content, tags…) as the bearer of `token`.
    pub async fn store_memory(&self, token: &str, memory: &serde_json::Value) -> Response {
        self.http
            .post(self.url("/api/memories"))
            .bearer_auth(token)
            .json(memory)
            .send()
            .await
            .expect("POST /api/memories")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The signer the suite runs with: `MCP_TEST_SIGNER` when set (CI runs the suite once per signer),
/// else `hs256` when compiled in, else the first compiled in.
pub fn test_signer() -> String {
    std::env::var("MCP_TEST_SIGNER").unwrap_or_else(|_| mcp_oauth_server::default_signer())
}

/// The claims an observer can read from an access token without any key: the payload of a JWT or
/// of a PASETO `v4.public` token; `None` for encrypted `v4.local` tokens.
pub fn readable_claims(token: &str) -> Option<Value> {
    let payload = if let Some(rest) = token.strip_prefix("v4.public.") {
        let mut message = URL_SAFE_NO_PAD.decode(rest.split('.').next()?).ok()?;
        message.truncate(message.len().checked_sub(64)?);
        message
    } else if token.starts_with("v4.local.") {
        return None;
    } else {
        URL_SAFE_NO_PAD.decode(token.split('.').nth(1)?).ok()?
    };
    serde_json::from_slice(&payload).ok()
}

/// The storage the suite runs with: `MCP_TEST_STORAGE` when set (CI runs the suite once with
/// `surrealdb` on `mem://`), else `memory`.
pub fn test_storage() -> String {
    std::env::var("MCP_TEST_STORAGE").unwrap_or_else(|_| "memory".to_owned())
}

/// Whether `signer` publishes public keys.
pub fn signer_publishes_keys(signer: &str) -> bool {
    matches!(signer, "eddsa" | "paseto-v4-public")
}

/// A PKCE verifier and its S256 challenge, computed here independently of the server's code.
pub struct Pkce {
    /// The verifier (43 characters).
    pub verifier: String,
    /// BASE64URL(SHA256(verifier)).
    pub challenge: String,
}

impl Pkce {
    /// A fresh random pair.
    pub fn new() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let verifier = URL_SAFE_NO_PAD.encode(bytes);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// The `Location` header of a redirect.
pub fn location(response: &Response) -> Option<url::Url> {
    let value = response
        .headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?;
    url::Url::parse(value).ok()
}

/// A query parameter of a redirect's `Location`.
pub fn redirect_param(response: &Response, name: &str) -> Option<String> {
    location(response)?
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Asserts an RFC-shaped JSON error with `status` and `code`; returns the body.
pub async fn expect_error(response: Response, status: StatusCode, code: &str) -> Value {
    let actual = response.status();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("body");
    assert_eq!(actual, status, "status; body: {text}");
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}: {text}"
    );
    let body: Value = serde_json::from_str(&text).expect("JSON error body");
    assert_eq!(body["error"], code, "error code; body: {body}");
    assert!(
        body["error_description"].is_string(),
        "error_description; body: {body}"
    );
    body
}

/// The value of the hidden form field `name` in a consent page.
pub fn hidden_field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page.find(&marker).expect("hidden field") + marker.len();
    let end = start + page[start..].find('"').expect("closing quote");
    page[start..end]
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
