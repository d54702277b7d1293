//! What people do in a browser, in real headless Chromium (Debian's `chromium`) driven over the
//! DevTools protocol: the consent page's Approve and Deny reaching the client (CSP `form-action`
//! governs the redirect after the POST, which an HTTP client ignores), the wrong-key retry, the
//! error page for an unknown client, Swagger UI's Authorize and "Try it out" from `localhost` and
//! `127.0.0.1`, and a page on another origin using discovery, registration and the token endpoint
//! through CORS; signing in with a local account, the session that spares the second sign-in,
//! and revoking an app on the connected-apps page; signing in at a real OpenID provider's own
//! login page and coming back to consent.
//!
//! Without Chromium the tests print a note and pass, unless `MCP_REQUIRE_BROWSER` is set (CI sets
//! it). `MCP_SCREENSHOT_DIR=DIR` saves the consent page and Swagger UI as PNG files there.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::cdp::browser_protocol::fetch::{
    self, EventRequestPaused, FulfillRequestParams, RequestPattern,
};
use chromiumoxide::cdp::browser_protocol::log::{self, EventEntryAdded};
use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
use chromiumoxide::page::{Page, ScreenshotParams};
use futures::StreamExt;
use mcp_oauth_tests::{Pkce, TestServer};
use poem::listener::{Acceptor, Listener, TcpListener};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const KEY: &str = "owner-key-0123456789";
/// How long any one step may take in the browser.
const STEP: Duration = Duration::from_secs(20);

/// A headless Chromium with its own profile; closed when dropped.
struct Chromium {
    browser: Browser,
    events: tokio::task::JoinHandle<()>,
    profile: PathBuf,
}

impl Chromium {
    /// Starts Chromium; `None` (with a note) when it is not installed, unless
    /// `MCP_REQUIRE_BROWSER` is set, which makes that a failure.
    async fn launch() -> Option<Self> {
        static LAUNCHES: AtomicUsize = AtomicUsize::new(0);
        let executable = std::env::var("MCP_TEST_CHROMIUM")
            .map(PathBuf::from)
            .unwrap_or_else(|_| PathBuf::from("/usr/bin/chromium"));
        if !executable.exists() {
            assert!(
                std::env::var_os("MCP_REQUIRE_BROWSER").is_none(),
                "no Chromium at {}: apt-get install chromium (.ci/run does)",
                executable.display()
            );
            eprintln!(
                "skipped: no Chromium at {} (apt-get install chromium)",
                executable.display()
            );
            return None;
        }
        let profile = std::env::temp_dir().join(format!(
            "mcp-chromium-{}-{}",
            std::process::id(),
            LAUNCHES.fetch_add(1, Ordering::Relaxed)
        ));
        let config = BrowserConfig::builder()
            .chrome_executable(&executable)
            .new_headless_mode()
            .no_sandbox()
            .user_data_dir(&profile)
            .window_size(1000, 1100)
            .viewport(None)
            .args([
                "--disable-gpu",
                "--disable-quic",
                "--disable-component-update",
                "--no-default-browser-check",
            ])
            .launch_timeout(STEP)
            .request_timeout(STEP)
            .build()
            .expect("browser settings");
        let (browser, mut handler) = Browser::launch(config).await.expect("Chromium starts");
        let events = tokio::spawn(async move { while handler.next().await.is_some() {} });
        Some(Self {
            browser,
            events,
            profile,
        })
    }

    /// A new tab whose console and CSP reports are collected.
    async fn tab(&self) -> Tab {
        let page = self.browser.new_page("about:blank").await.expect("a tab");
        page.execute(log::EnableParams::default())
            .await
            .expect("Log domain");
        let mut entries = page
            .event_listener::<EventEntryAdded>()
            .await
            .expect("log events");
        let log = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = log.clone();
        tokio::spawn(async move {
            while let Some(event) = entries.next().await {
                sink.lock().expect("log").push(event.entry.text.clone());
            }
        });
        Tab { page, log }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        self.events.abort();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// A browser tab and what its console said.
struct Tab {
    page: Page,
    log: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Tab {
    async fn open(&self, url: &str) {
        self.page.goto(url).await.expect("navigation");
    }

    /// Evaluates `script` (an expression; promises are awaited) and returns its JSON value.
    async fn eval(&self, script: &str) -> Value {
        self.page
            .evaluate(script)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
            .into_value()
            .unwrap_or(Value::Null)
    }

    /// Waits until `script` evaluates to a truthy value other than `false`/`null`; its value.
    async fn wait_for(&self, what: &str, script: &str) -> Value {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            if let Ok(result) = self.page.evaluate(script).await
                && let Ok(value) = result.into_value::<Value>()
                && !matches!(value, Value::Null | Value::Bool(false))
            {
                return value;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}; page {:?}; console {:?}",
                self.page.url().await.ok().flatten(),
                self.log.lock().expect("log")
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `text` into the element `selector` with real key events.
    async fn type_into(&self, selector: &str, text: &str) {
        let element = self.page.find_element(selector).await.expect(selector);
        element.click().await.expect("focus");
        element.type_str(text).await.expect("typing");
    }

    /// Clicks the element `selector` with a real mouse event.
    async fn click(&self, selector: &str) {
        self.page
            .find_element(selector)
            .await
            .expect(selector)
            .click()
            .await
            .expect("click");
    }

    /// The HTTP status of the document shown.
    async fn status(&self) -> u64 {
        self.eval("performance.getEntriesByType('navigation')[0].responseStatus")
            .await
            .as_u64()
            .expect("a status")
    }

    /// Console lines that report a Content-Security-Policy violation.
    fn csp_violations(&self) -> Vec<String> {
        self.log
            .lock()
            .expect("log")
            .iter()
            .filter(|line| line.contains("Content Security Policy"))
            .cloned()
            .collect()
    }

    /// Saves the page as `MCP_SCREENSHOT_DIR/name` when that is set.
    async fn screenshot(&self, name: &str) {
        let Some(dir) = std::env::var_os("MCP_SCREENSHOT_DIR") else {
            return;
        };
        let params = ScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Png)
            .full_page(false)
            .build();
        self.page
            .save_screenshot(params, PathBuf::from(dir).join(name))
            .await
            .expect("screenshot");
    }

    /// Answers every navigation to `prefix…` itself, as the web client there would, and reports
    /// each URL asked for: an https redirect target without a server on the internet.
    async fn intercept(&self, prefix: &str) -> mpsc::UnboundedReceiver<String> {
        let pattern = RequestPattern {
            url_pattern: Some(format!("{prefix}*")),
            resource_type: None,
            request_stage: None,
        };
        self.page
            .execute(fetch::EnableParams {
                patterns: Some(vec![pattern]),
                handle_auth_requests: None,
            })
            .await
            .expect("Fetch domain");
        let mut paused = self
            .page
            .event_listener::<EventRequestPaused>()
            .await
            .expect("paused requests");
        let (seen, urls) = mpsc::unbounded_channel();
        let page = self.page.clone();
        tokio::spawn(async move {
            while let Some(event) = paused.next().await {
                let _ = seen.send(event.request.url.clone());
                let body = base64::engine::general_purpose::STANDARD
                    .encode("<!doctype html><title>client</title><p>signed in</p>");
                let answer = FulfillRequestParams::builder()
                    .request_id(event.request_id.clone())
                    .response_code(200)
                    .body(body)
                    .build()
                    .expect("fulfil");
                let _ = page.execute(answer).await;
            }
        });
        urls
    }
}

/// A loopback HTTP listener standing in for a native client's redirect listener (or any page on
/// another origin): it answers every request with `page` and reports the path and query asked for.
async fn loopback_client(page: &'static str) -> (u16, mpsc::UnboundedReceiver<String>) {
    loopback_client_at("127.0.0.1:0", page).await
}

/// Like [`loopback_client`], listening on `address`.
async fn loopback_client_at(
    address: &'static str,
    page: &'static str,
) -> (u16, mpsc::UnboundedReceiver<String>) {
    let acceptor = TcpListener::bind(address)
        .into_acceptor()
        .await
        .expect("bind loopback");
    let port = acceptor.local_addr()[0]
        .as_socket_addr()
        .expect("a socket address")
        .port();
    let (seen, requests) = mpsc::unbounded_channel();
    let app = poem::endpoint::make_sync(move |req: poem::Request| {
        // The browser asks any site it shows for its icon: that is not the client's callback.
        if req.uri().path() != "/favicon.ico" {
            let _ = seen.send(req.uri().to_string());
        }
        poem::web::Html(page)
    });
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    (port, requests)
}

async fn next(tab: &Tab, urls: &mut mpsc::UnboundedReceiver<String>, what: &str) -> String {
    match tokio::time::timeout(STEP, urls.recv()).await {
        Ok(url) => url.expect("the listener runs"),
        Err(_) => panic!(
            "{what} never arrived; page {:?}; console {:?}",
            tab.page.url().await.ok().flatten(),
            tab.log.lock().expect("log")
        ),
    }
}

/// The authorize URL of a PKCE request by `client_id` to `redirect_uri`.
fn authorize_url(server: &TestServer, client_id: &str, redirect_uri: &str) -> String {
    let pkce = Pkce::new();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("scope", "read write")
        .append_pair("state", "browser-state")
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256")
        .finish();
    server.url(&format!("/oauth/authorize?{query}"))
}

async fn public_client(server: &TestServer, name: &str, redirect_uri: &str) -> String {
    let body = server
        .register(json!({
            "client_name": name,
            "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "none",
        }))
        .await;
    body["client_id"].as_str().expect("client_id").to_owned()
}

/// The query parameter `name` of `url`, a full URL or a path with its query.
fn query_param(url: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(url)
        .or_else(|_| url::Url::parse(&format!("http://client{url}")))
        .ok()?;
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[tokio::test]
async fn approving_in_chromium_delivers_the_code_to_a_loopback_client() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let server = TestServer::start(&["--api-key", KEY]).await;
    let (port, mut callbacks) = loopback_client("<p>You may close this window.</p>").await;
    // Claude Code registers a portless loopback URI and listens on a port of its choosing.
    let client_id = public_client(&server, "Claude Code", "http://localhost/callback").await;
    let redirect = format!("http://localhost:{port}/callback");
    let tab = chromium.tab().await;
    tab.open(&authorize_url(&server, &client_id, &redirect))
        .await;
    let text = tab.eval("document.body.innerText").await;
    let text = text.as_str().unwrap_or_default();
    assert!(text.contains("Claude Code"), "the client is named: {text}");
    assert!(
        text.contains("this computer"),
        "a loopback-only target is warned about: {text}"
    );
    assert!(
        text.contains(&server.base),
        "the server names itself: {text}"
    );
    tab.screenshot("consent.png").await;

    // A wrong key first: the page comes back saying so, and nothing reaches the client.
    tab.type_into("input[name=api_key]", "not-the-key").await;
    tab.click("button[value=approve]").await;
    tab.wait_for(
        "the wrong-key message",
        "document.body.innerText.includes('That API key is not correct')",
    )
    .await;
    assert_eq!(tab.status().await, 403);
    assert!(
        callbacks.try_recv().is_err(),
        "no answer went to the client"
    );

    tab.type_into("input[name=api_key]", KEY).await;
    tab.click("button[value=approve]").await;
    let callback = next(&tab, &mut callbacks, "the client's callback").await;
    assert!(callback.starts_with("/callback?"), "{callback}");
    assert!(query_param(&callback, "code").is_some(), "{callback}");
    assert_eq!(
        query_param(&callback, "state").as_deref(),
        Some("browser-state")
    );
    assert_eq!(
        query_param(&callback, "iss").as_deref(),
        Some(server.base.as_str())
    );
    tab.wait_for(
        "the client's page",
        "document.body.innerText.includes('You may close this window')",
    )
    .await;
    assert_eq!(tab.csp_violations(), Vec::<String>::new());
}

#[tokio::test]
async fn approving_in_chromium_reaches_a_client_listening_on_ipv6_loopback() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let server = TestServer::start(&["--api-key", KEY]).await;
    let (port, mut callbacks) = loopback_client_at("[::1]:0", "<p>done</p>").await;
    let client_id = public_client(&server, "IPv6 client", "http://[::1]/callback").await;
    let tab = chromium.tab().await;
    let redirect = format!("http://[::1]:{port}/callback");
    tab.open(&authorize_url(&server, &client_id, &redirect))
        .await;
    tab.type_into("input[name=api_key]", KEY).await;
    tab.click("button[value=approve]").await;
    let callback = next(&tab, &mut callbacks, "the client's callback").await;
    assert!(query_param(&callback, "code").is_some(), "{callback}");
    assert_eq!(tab.csp_violations(), Vec::<String>::new());
}

#[tokio::test]
async fn denying_in_chromium_sends_access_denied_to_an_https_client() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let server = TestServer::start(&["--api-key", KEY]).await;
    let redirect = "https://claude.ai/api/mcp/auth_callback";
    let client_id = public_client(&server, "claude.ai", redirect).await;
    let tab = chromium.tab().await;
    let mut arrivals = tab.intercept("https://claude.ai/").await;
    tab.open(&authorize_url(&server, &client_id, redirect))
        .await;
    let text = tab.eval("document.body.innerText").await;
    assert!(
        text.as_str().unwrap_or_default().contains("claude.ai"),
        "the redirect host is named: {text}"
    );
    // Deny needs no key; without it, a client the owner never approved is not redirected to
    // (anyone can register one): the browser shows that the request was denied.
    tab.click("button[value=deny]").await;
    tab.wait_for(
        "the denial page",
        "document.body.innerText.includes('you denied the request')",
    )
    .await;
    assert_eq!(tab.status().await, 403);
    assert_eq!(tab.csp_violations(), Vec::<String>::new());
    // With the owner's key typed in, the denial goes back to the client.
    tab.open(&authorize_url(&server, &client_id, redirect))
        .await;
    tab.type_into("input[name=api_key]", KEY).await;
    tab.click("button[value=deny]").await;
    let arrived = next(&tab, &mut arrivals, "the client's callback").await;
    assert!(arrived.starts_with(redirect), "{arrived}");
    assert_eq!(
        query_param(&arrived, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        query_param(&arrived, "state").as_deref(),
        Some("browser-state")
    );
    assert_eq!(query_param(&arrived, "code"), None);
    tab.wait_for(
        "the client's page",
        "location.href.startsWith('https://claude.ai/')",
    )
    .await;
    assert_eq!(tab.csp_violations(), Vec::<String>::new());
}

#[tokio::test]
async fn an_unknown_client_gets_an_error_page_not_a_password_dialog() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let server = TestServer::start(&["--api-key", KEY]).await;
    let tab = chromium.tab().await;
    tab.open(&authorize_url(
        &server,
        "mcp_client_forgotten",
        "http://localhost:3118/callback",
    ))
    .await;
    assert_eq!(tab.status().await, 400);
    let heading = tab.eval("document.querySelector('h1').innerText").await;
    assert_eq!(heading, "This authorization cannot go on");
    let text = tab.eval("document.body.innerText").await;
    assert!(
        text.as_str().unwrap_or_default().contains("connect again"),
        "the page says what to do: {text}"
    );
    // The page loaded its favicon under its own policy.
    assert_eq!(tab.csp_violations(), Vec::<String>::new());
}

/// Swagger UI's Authorize (the built-in `swagger-ui` client, PKCE) and "Try it out" on
/// `GET /api/memories`, from the page at `origin`.
async fn swagger_authorize_and_try(chromium: &Chromium, origin: &str, shot: Option<&str>) {
    let tab = chromium.tab().await;
    tab.open(&format!("{origin}/docs")).await;
    tab.wait_for(
        "Swagger UI",
        "document.querySelector('.btn.authorize') !== null",
    )
    .await;
    tab.click(".btn.authorize").await;
    tab.wait_for(
        "the Authorize dialog",
        "document.querySelector('.auth-container input#client_id_authorizationCode') !== null",
    )
    .await;
    let client_id = tab
        .eval("document.querySelector('.auth-container input#client_id_authorizationCode').value")
        .await;
    assert_eq!(client_id, "swagger-ui");
    // The oauth2 section's own Authorize button opens the authorization in a popup.
    tab.eval(
        "[...document.querySelectorAll('.auth-container')]
            .find(c => c.querySelector('input#client_id_authorizationCode'))
            .querySelector('button.authorize').setAttribute('id', 'oauth2-authorize')",
    )
    .await;
    tab.click("#oauth2-authorize").await;
    tab.wait_for(
        "the token (a Logout button)",
        "[...document.querySelectorAll('.auth-container button')].some(b => b.innerText.trim() === 'Logout')",
    )
    .await;
    if let Some(shot) = shot {
        tab.screenshot(shot).await;
    }
    tab.click(".close-modal").await;
    tab.eval(
        "[...document.querySelectorAll('.opblock-get')]
            .find(b => b.querySelector('.opblock-summary-path')?.innerText.trim() === '/api/memories')
            .setAttribute('id', 'list-memories')",
    )
    .await;
    tab.click("#list-memories .opblock-summary").await;
    tab.wait_for(
        "Try it out",
        "document.querySelector('#list-memories .try-out__btn') !== null",
    )
    .await;
    tab.click("#list-memories .try-out__btn").await;
    tab.wait_for(
        "Execute",
        "document.querySelector('#list-memories .execute') !== null",
    )
    .await;
    tab.click("#list-memories .execute").await;
    let status = tab
        .wait_for(
            "the response",
            "document.querySelector('#list-memories .live-responses-table tr.response .response-col_status')?.innerText.trim()",
        )
        .await;
    assert_eq!(status, "200", "GET /api/memories from {origin}");
    assert_eq!(tab.csp_violations(), Vec::<String>::new());
}

#[tokio::test]
async fn swagger_ui_authorizes_and_calls_the_api_from_every_loopback_name() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    // As on a laptop: no MCP_OAUTH_ISSUER, so the issuer is http://localhost:PORT.
    let server = TestServer::start_derived(&[]).await;
    let port = server.base.rsplit(':').next().expect("a port").to_owned();
    swagger_authorize_and_try(
        &chromium,
        &format!("http://localhost:{port}"),
        Some("swagger-ui.png"),
    )
    .await;
    swagger_authorize_and_try(&chromium, &format!("http://127.0.0.1:{port}"), None).await;
}

/// A page on another loopback origin (as MCP Inspector at `http://localhost:6274`) discovers,
/// registers and gets a token with `fetch`, which only CORS lets it read.
const CORS_SCRIPT: &str = r#"(async (server) => {
    const meta = await (await fetch(server + '/.well-known/oauth-authorization-server')).json();
    const registered = await fetch(meta.registration_endpoint, {
        method: 'POST',
        headers: {'content-type': 'application/json'},
        body: JSON.stringify({client_name: 'Inspector', redirect_uris: [location.origin + '/cb'],
                              token_endpoint_auth_method: 'none'}),
    });
    const client = await registered.json();
    const refused = await fetch(meta.token_endpoint, {
        method: 'POST',
        headers: {'content-type': 'application/x-www-form-urlencoded'},
        body: 'grant_type=authorization_code&code=nope&code_verifier=' + 'a'.repeat(43) +
              '&client_id=' + encodeURIComponent(client.client_id),
    });
    const mcp = await fetch(server + '/mcp', {method: 'POST',
        headers: {'content-type': 'application/json', 'mcp-protocol-version': '2025-11-25'},
        body: '{}'});
    return {issuer: meta.issuer, status: registered.status, client_id: client.client_id,
            token_status: refused.status, token_error: (await refused.json()).error,
            mcp_status: mcp.status, challenge: mcp.headers.get('www-authenticate')};
})"#;

#[tokio::test]
async fn a_page_on_another_origin_registers_and_calls_the_token_endpoint_through_cors() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let server = TestServer::start(&[]).await;
    let (port, _requests) = loopback_client("<p>Inspector</p>").await;
    let tab = chromium.tab().await;
    tab.open(&format!("http://localhost:{port}/")).await;
    let result = tab.eval(&format!("{CORS_SCRIPT}({:?})", server.base)).await;
    assert_eq!(result["issuer"], json!(server.base));
    assert_eq!(result["status"], 201, "{result}");
    assert!(result["client_id"].as_str().is_some(), "{result}");
    assert_eq!(result["token_status"], 400, "{result}");
    assert_eq!(result["token_error"], "invalid_grant", "{result}");
    assert_eq!(result["mcp_status"], 401, "{result}");
    assert!(
        result["challenge"]
            .as_str()
            .is_some_and(|c| c.contains("resource_metadata=")),
        "WWW-Authenticate is exposed: {result}"
    );

    // An origin MCP_CORS_ORIGINS does not name cannot even read discovery.
    let strict = TestServer::start(&["--cors-origins", "https://inspector.example.com"]).await;
    let blocked = tab
        .eval(&format!(
            "fetch({:?} + '/.well-known/oauth-authorization-server').then(() => 'read', e => e.name)",
            strict.base
        ))
        .await;
    assert_eq!(blocked, "TypeError");
}

#[cfg(all(feature = "store-surrealdb", feature = "authn-local"))]
#[tokio::test]
async fn a_person_signs_in_once_then_revokes_the_app_on_the_connected_apps_page() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let team = super::people::Team::new().await;
    let server = team.server("local", &[]).await;
    let (port, mut callbacks) = loopback_client("<p>Connected.</p>").await;
    let client_id = public_client(&server, "Claude Code", "http://localhost/callback").await;
    let redirect = format!("http://localhost:{port}/callback");
    let tab = chromium.tab().await;

    // First authorization: a user name and a password.
    tab.open(&authorize_url(&server, &client_id, &redirect))
        .await;
    tab.type_into("input[name=username]", "alice").await;
    tab.type_into("input[name=password]", "alice's long password")
        .await;
    tab.screenshot("sign-in.png").await;
    tab.click("button[value=approve]").await;
    let callback = next(&tab, &mut callbacks, "the first callback").await;
    assert!(query_param(&callback, "code").is_some(), "{callback}");

    // Second authorization within the session: consent only.
    tab.open(&authorize_url(&server, &client_id, &redirect))
        .await;
    tab.wait_for(
        "the signed-in consent page",
        "document.body.innerText.includes('Signed in as alice')",
    )
    .await;
    assert_eq!(
        tab.eval("document.querySelectorAll('input[type=password]').length")
            .await,
        json!(0)
    );
    let cookies = tab.page.get_cookies().await.expect("cookies");
    let session = cookies
        .iter()
        .find(|cookie| cookie.name == "mcp_session")
        .expect("the session cookie");
    assert!(session.http_only, "scripts never see the session");
    assert_eq!(
        session.same_site,
        Some(chromiumoxide::cdp::browser_protocol::network::CookieSameSite::Lax)
    );
    assert_eq!(tab.eval("document.cookie").await, json!(""));
    tab.click("button[value=approve]").await;
    let callback = next(&tab, &mut callbacks, "the second callback").await;
    assert!(query_param(&callback, "code").is_some(), "{callback}");

    // The connected-apps page lists Claude Code; Revoke removes it.
    tab.open(&server.url("/account")).await;
    tab.wait_for(
        "the connected app",
        "document.body.innerText.includes('Claude Code')",
    )
    .await;
    tab.screenshot("account.png").await;
    tab.click("button[type=submit]").await;
    tab.wait_for(
        "the emptied list",
        "document.body.innerText.includes('No application is connected')",
    )
    .await;
    let grants: Value = server
        .http
        .get(server.url("/oauth/grants"))
        .query(&[("subject", "alice")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        grants["error"], "invalid_token",
        "listing needs credentials: {grants}"
    );

    // Signing out: the page asks to sign in again.
    tab.click("form[action='/oauth/sign-out'] button").await;
    tab.wait_for(
        "the sign-in form",
        "document.querySelectorAll('input[name=password]').length === 1",
    )
    .await;
    assert_eq!(tab.csp_violations(), Vec::<String>::new());
}

#[cfg(feature = "authn-oidc")]
#[tokio::test]
async fn a_person_signs_in_at_the_openid_provider_in_chromium_and_the_app_gets_its_code() {
    let Some(chromium) = Chromium::launch().await else {
        return;
    };
    let Some(provider) = mcp_oauth_tests::OidcProvider::start() else {
        return;
    };
    let server = TestServer::start_with(
        &["--oauth-authenticator", "oidc"],
        provider.settings(&[("MCP_OIDC_ALLOWED_DOMAINS", "example.test")]),
    )
    .await
    .expect("the server starts");
    let (port, mut callbacks) = loopback_client("<p>Connected.</p>").await;
    let client_id = public_client(&server, "Claude Code", "http://localhost/callback").await;
    let redirect = format!("http://localhost:{port}/callback");
    let tab = chromium.tab().await;

    // The consent page offers the provider's button and nothing to approve with yet.
    tab.open(&authorize_url(&server, &client_id, &redirect))
        .await;
    assert_eq!(
        tab.eval("document.querySelectorAll('button[value=approve]').length")
            .await,
        json!(0)
    );
    tab.screenshot("sign-in-elsewhere.png").await;
    tab.click("a.button").await;

    // The provider's own login page, then back: our consent, signed in by the provider.
    tab.wait_for(
        "the provider's login page",
        "document.querySelectorAll('input[name=login]').length === 1",
    )
    .await;
    tab.type_into("input[name=login]", "ann").await;
    tab.type_into("input[name=password]", "any password").await;
    tab.click("button[type=submit]").await;
    // The provider asks its own consent for this server (a native client, RFC 8252).
    tab.wait_for(
        "the provider's consent",
        "document.querySelector('input[name=prompt]')?.value === 'consent'",
    )
    .await;
    tab.click("button[type=submit]").await;
    tab.wait_for(
        "the consent page, signed in",
        "document.body.innerText.includes('Signed in as ann@example.test')",
    )
    .await;
    let cookies = tab.page.get_cookies().await.expect("cookies");
    let session = cookies
        .iter()
        .find(|cookie| cookie.name == "mcp_session")
        .expect("the session cookie survived the trip through the provider");
    assert!(session.http_only);
    tab.click("button[value=approve]").await;
    let callback = next(&tab, &mut callbacks, "the callback").await;
    assert!(query_param(&callback, "code").is_some(), "{callback}");
    assert_eq!(tab.csp_violations(), Vec::<String>::new());
}
