//! People, not one shared key: a team with local accounts (made with the CLI's own code) signs in
//! on the consent page, each token names its person, a browser session asks nothing but consent
//! the second time, consent for a web client is remembered, and each person sees and revokes the
//! apps they connected (an admin sees everyone's).

#![cfg(all(feature = "store-surrealdb", feature = "authn-local"))]

use clap::Parser as _;
use mcp_oauth_core::PluginSettings;
use mcp_oauth_server::{Cli, Command};
use mcp_oauth_tests::{Pkce, START, TestServer, expect_error, hidden_field, redirect_param};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

/// The team: name, role, password.
const TEAM: [(&str, &str, &str); 3] = [
    ("alice", "writer", "alice's long password"),
    ("bob", "reader", "bob's long password"),
    ("carol", "admin", "carol's long password"),
];

/// An embedded database holding the team's accounts.
pub(super) struct Team {
    url: String,
}

impl Team {
    /// Makes the team's accounts with `memory users add`'s code, on a fresh directory.
    pub(super) async fn new() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "mcp-people-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        let team = Self {
            url: format!("surrealkv://{}", dir.display()),
        };
        for (name, role, password) in TEAM {
            let out = team
                .users(&["add", name, "--role", role], password)
                .await
                .expect("the account is made");
            assert_eq!(out, format!("added {name} ({role})\n"));
        }
        team
    }

    /// Runs `memory users ARGS` with `password` on standard input.
    async fn users(&self, args: &[&str], password: &str) -> Result<String, mcp_oauth_core::Error> {
        let mut argv = vec!["memory", "users", "--oauth-storage-backend", "surrealdb"];
        argv.extend_from_slice(args);
        let Command::Users { action, storage } = Cli::try_parse_from(argv).unwrap().command else {
            unreachable!("the users subcommand was given");
        };
        for _ in 0..50 {
            let password = password.to_owned();
            let outcome = mcp_oauth_server::users::run(
                action.clone(),
                &storage,
                self.settings(),
                move || Ok(password),
                START,
            )
            .await;
            match outcome {
                // The previous command or server may still be closing the directory.
                Err(error) if error.to_string().contains("in use by a running server") => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                done => return done,
            }
        }
        panic!("the database stayed locked");
    }

    fn settings(&self) -> PluginSettings {
        let mut settings = PluginSettings::default();
        settings.set("MCP_OAUTH_STORAGE_URL", &self.url);
        settings
    }

    /// The server on the team's database, people signing in with `authenticators`.
    pub(super) async fn server(&self, authenticators: &str, extra: &[&str]) -> TestServer {
        let mut flags = vec![
            "--oauth-storage-backend",
            "surrealdb",
            "--oauth-authenticator",
            authenticators,
        ];
        flags.extend_from_slice(extra);
        for _ in 0..50 {
            if let Ok(server) = TestServer::start_with(&flags, self.settings()).await {
                return server;
            }
            // The previous server may still be closing the directory.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        TestServer::start_with(&flags, self.settings())
            .await
            .expect("the server starts")
    }
}

/// One browser: its session cookie, once it has one.
#[derive(Default)]
struct Browser {
    cookie: Option<String>,
}

impl Browser {
    /// Keeps the session cookie a response sets (or clears).
    fn keep(&mut self, response: &Response) {
        if let Some(set) = response.headers().get("set-cookie") {
            let set = set.to_str().unwrap();
            let value = set.split(';').next().unwrap().to_owned();
            self.cookie = (!value.ends_with('=')).then_some(value);
        }
    }

    fn with(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.cookie {
            Some(cookie) => request.header("cookie", cookie),
            None => request,
        }
    }
}

/// An authorization request of `client_id` to `redirect_uri` for `scope`.
struct Authorization {
    params: Vec<(String, String)>,
    pkce: Pkce,
}

impl Authorization {
    fn new(client_id: &str, redirect_uri: &str, scope: &str) -> Self {
        let pkce = Pkce::new();
        let params = [
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", scope),
            ("state", "people-state"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        Self { params, pkce }
    }

    async fn open(&self, server: &TestServer, browser: &Browser) -> Response {
        browser
            .with(
                server
                    .http
                    .get(server.url("/oauth/authorize"))
                    .query(&self.params),
            )
            .send()
            .await
            .unwrap()
    }

    /// Posts the consent form of `page` with `decision` and the sign-in `fields`.
    async fn decide(
        &self,
        server: &TestServer,
        browser: &mut Browser,
        page: &str,
        decision: &str,
        fields: &[(&str, &str)],
    ) -> Response {
        let mut form = self.params.clone();
        form.push(("csrf_token".into(), hidden_field(page, "csrf_token")));
        form.push(("decision".into(), decision.into()));
        form.extend(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let response = browser
            .with(server.http.post(server.url("/oauth/authorize")).form(&form))
            .send()
            .await
            .unwrap();
        browser.keep(&response);
        response
    }

    /// Exchanges the code of the redirect `response`; the token response.
    async fn tokens(&self, server: &TestServer, response: &Response) -> Value {
        let code = redirect_param(response, "code").expect("a code");
        let param = |name: &str| {
            self.params
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let answer = server
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &param("client_id")),
                ("redirect_uri", &param("redirect_uri")),
                ("code_verifier", &self.pkce.verifier),
            ])
            .await;
        assert_eq!(answer.status(), StatusCode::OK);
        answer.json().await.unwrap()
    }
}

/// Signs `name` in on a fresh consent page and approves; their tokens.
async fn sign_in_and_approve(
    server: &TestServer,
    browser: &mut Browser,
    authorization: &Authorization,
    name: &str,
) -> Value {
    let password = TEAM.iter().find(|(n, _, _)| *n == name).unwrap().2;
    let page = authorization
        .open(server, browser)
        .await
        .text()
        .await
        .unwrap();
    let approved = authorization
        .decide(
            server,
            browser,
            &page,
            "approve",
            &[("username", name), ("password", password)],
        )
        .await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER, "{name} approved");
    authorization.tokens(server, &approved).await
}

/// A public client that may ask for every scope.
async fn team_client(server: &TestServer, redirect_uri: &str) -> String {
    let body = server
        .register(json!({
            "client_name": "Team client",
            "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
            "scope": "read write admin",
        }))
        .await;
    body["client_id"].as_str().unwrap().to_owned()
}

fn access(tokens: &Value) -> &str {
    tokens["access_token"].as_str().unwrap()
}

#[tokio::test]
async fn each_person_signs_in_and_their_tokens_and_memories_name_them() {
    let team = Team::new().await;
    let server = team.server("local", &[]).await;
    assert!(
        !server.warnings.iter().any(|w| w.contains("auto-approve")),
        "people who sign in are asked: {:?}",
        server.warnings
    );
    let client = team_client(&server, "http://localhost/callback").await;

    // The page asks for a user name and a password; a wrong password shows it again.
    let mut browser = Browser::default();
    let authorization = Authorization::new(&client, "http://localhost:7001/callback", "read write");
    let page = authorization.open(&server, &browser).await;
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("name=\"username\"") && page.contains("type=\"password\""));
    let refused = authorization
        .decide(
            &server,
            &mut browser,
            &page,
            "approve",
            &[("username", "alice"), ("password", "not her password")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.headers().get("set-cookie").is_none());
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("user name or password is not correct")
    );
    assert!(browser.cookie.is_none());

    // Each person's token names them, with the scopes their role allows; the client stays in
    // client_id; memories record who stored them.
    let mut tokens = Vec::new();
    for (name, _, _) in TEAM {
        let mut browser = Browser::default();
        let authorization = Authorization::new(
            &client,
            "http://localhost:7001/callback",
            "read write admin",
        );
        tokens.push(sign_in_and_approve(&server, &mut browser, &authorization, name).await);
    }
    let scopes: Vec<_> = tokens
        .iter()
        .map(|t| t["scope"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, ["read write", "read", "read write admin"]);
    let carol = access(&tokens[2]).to_owned();
    for ((name, role, _), tokens) in TEAM.iter().zip(&tokens) {
        let introspection: Value = server
            .http
            .post(server.url("/oauth/introspect"))
            .bearer_auth(&carol)
            .form(&[("token", access(tokens))])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(introspection["sub"], *name, "{introspection}");
        assert_eq!(introspection["client_id"], client.as_str());
        let stored = server
            .store_memory(
                access(tokens),
                &json!({"content": format!("{name} was here"), "tags": ["team"]}),
            )
            .await;
        if *role == "reader" {
            expect_error(stored, StatusCode::FORBIDDEN, "insufficient_scope").await;
        } else {
            assert_eq!(stored.status(), StatusCode::CREATED, "{name} stores");
            let body: Value = stored.json().await.unwrap();
            assert_eq!(body["memory"]["stored_by"]["subject"], *name, "{body}");
            assert_eq!(body["memory"]["created_by"], *name, "{body}");
        }
    }

    // A reader asked for nothing they may grant: the client hears access_denied.
    let mut browser = Browser::default();
    let authorization = Authorization::new(&client, "http://localhost:7001/callback", "write");
    let page = authorization
        .open(&server, &browser)
        .await
        .text()
        .await
        .unwrap();
    let denied = authorization
        .decide(
            &server,
            &mut browser,
            &page,
            "approve",
            &[("username", "bob"), ("password", "bob's long password")],
        )
        .await;
    assert_eq!(denied.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        redirect_param(&denied, "error").as_deref(),
        Some("access_denied")
    );
    assert!(redirect_param(&denied, "code").is_none());
}

#[tokio::test]
async fn a_browser_session_asks_only_consent_and_a_web_clients_consent_is_remembered() {
    let team = Team::new().await;
    let server = team.server("local", &[]).await;
    let native = server
        .register_public(
            "http://localhost/callback",
            &["authorization_code", "refresh_token"],
        )
        .await;
    let web = server
        .register_public(
            "https://app.example/callback",
            &["authorization_code", "refresh_token"],
        )
        .await;

    let mut browser = Browser::default();
    let first = Authorization::new(&native, "http://localhost:7002/callback", "read");
    sign_in_and_approve(&server, &mut browser, &first, "alice").await;
    let cookie = browser.cookie.clone().expect("signing in starts a session");
    assert!(cookie.starts_with("mcp_session="), "{cookie}");

    // The cookie is HttpOnly and SameSite=Lax (and, over plain HTTP on loopback, not Secure).
    let again = Authorization::new(&native, "http://localhost:7002/callback", "read");
    let page = again.open(&server, &browser).await;
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "a native client's request is asked again"
    );
    let page = page.text().await.unwrap();
    assert!(page.contains("Signed in as <b>alice</b>"), "{page}");
    assert!(
        !page.contains("type=\"password\""),
        "no sign-in within the session"
    );
    let approved = again
        .decide(&server, &mut browser, &page, "approve", &[])
        .await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    assert!(
        approved.headers().get("set-cookie").is_none(),
        "the session goes on"
    );
    let tokens = again.tokens(&server, &approved).await;
    assert_eq!(
        server
            .get_with_token("/api/memories", access(&tokens))
            .await
            .status(),
        StatusCode::OK
    );

    // A web client approved once is answered at once within the session...
    let web_first = Authorization::new(&web, "https://app.example/callback", "read");
    let page = web_first
        .open(&server, &browser)
        .await
        .text()
        .await
        .unwrap();
    let approved = web_first
        .decide(&server, &mut browser, &page, "approve", &[])
        .await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let remembered = Authorization::new(&web, "https://app.example/callback", "read");
    let answer = remembered.open(&server, &browser).await;
    assert_eq!(answer.status(), StatusCode::FOUND, "consent remembered");
    remembered.tokens(&server, &answer).await;
    // ...but a new scope asks again, and so does a browser without the session.
    let wider = Authorization::new(&web, "https://app.example/callback", "read write");
    assert_eq!(wider.open(&server, &browser).await.status(), StatusCode::OK);
    let stranger = Browser::default();
    assert_eq!(
        remembered.open(&server, &stranger).await.status(),
        StatusCode::OK
    );
    // A forged cookie is nobody.
    let forged = Browser {
        cookie: Some(format!("{}x", cookie)),
    };
    let page = remembered
        .open(&server, &forged)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("type=\"password\""));

    // Signing out ends the session and returns to the authorization, which asks to sign in.
    let mut form = remembered.params.clone();
    form.truncate(7);
    let signed_out = browser
        .with(server.http.post(server.url("/oauth/sign-out")).form(&form))
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), StatusCode::SEE_OTHER);
    let set = signed_out.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set.starts_with("mcp_session=;") && set.contains("Max-Age=0"),
        "{set}"
    );
    let back = signed_out.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        back.starts_with("/oauth/authorize?response_type=code&client_id="),
        "{back}"
    );
    browser.keep(&signed_out);
    assert!(browser.cookie.is_none());
    let page = remembered
        .open(&server, &browser)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("type=\"password\""));
}

#[tokio::test]
async fn each_person_sees_and_revokes_their_connected_apps_and_an_admin_sees_everyones() {
    let team = Team::new().await;
    let server = team.server("local", &[]).await;
    let client = team_client(&server, "http://localhost/callback").await;
    let mut grants = Vec::new();
    for name in ["alice", "bob", "carol"] {
        let mut browser = Browser::default();
        let authorization = Authorization::new(
            &client,
            "http://localhost:7003/callback",
            "read admin offline_access",
        );
        grants.push(sign_in_and_approve(&server, &mut browser, &authorization, name).await);
    }
    let [alice, bob, carol] = [&grants[0], &grants[1], &grants[2]];
    let list = |token: &str, query: &'static str| {
        let request = server
            .http
            .get(server.url(&format!("/oauth/grants{query}")))
            .bearer_auth(token)
            .send();
        async move { request.await.unwrap() }
    };

    // Alice sees her own grant, with its scope and times; Carol (admin) sees all three.
    let own: Value = list(access(alice), "").await.json().await.unwrap();
    let own = own["grants"].as_array().unwrap().clone();
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own[0]["subject"], "alice");
    assert_eq!(own[0]["client_id"], client.as_str());
    assert_eq!(
        own[0]["scope"], "read offline_access",
        "alice may not grant admin"
    );
    assert_eq!(own[0]["granted_at"], START);
    let everyone: Value = list(access(carol), "").await.json().await.unwrap();
    let subjects: Vec<_> = everyone["grants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["subject"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(subjects, ["alice", "bob", "carol"]);
    expect_error(
        list(access(bob), "?subject=alice").await,
        StatusCode::FORBIDDEN,
        "insufficient_scope",
    )
    .await;

    // Alice revokes her app: her access and refresh tokens stop at once; Bob's keep working.
    let revoked = server
        .http
        .delete(server.url("/oauth/grants"))
        .query(&[("client_id", client.as_str())])
        .bearer_auth(access(alice))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    expect_error(
        server.get_with_token("/api/memories", access(alice)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    let refreshed = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", alice["refresh_token"].as_str().unwrap()),
            ("client_id", client.as_str()),
        ])
        .await;
    expect_error(refreshed, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(
        server
            .get_with_token("/api/memories", access(bob))
            .await
            .status(),
        StatusCode::OK
    );
    // Bob may not revoke Alice's or Carol's; a grant no longer in force is 404.
    let by_bob = server
        .http
        .delete(server.url("/oauth/grants"))
        .query(&[("client_id", client.as_str()), ("subject", "carol")])
        .bearer_auth(access(bob))
        .send()
        .await
        .unwrap();
    expect_error(by_bob, StatusCode::FORBIDDEN, "insufficient_scope").await;
    let again = server
        .http
        .delete(server.url("/oauth/grants"))
        .query(&[("client_id", client.as_str()), ("subject", "alice")])
        .bearer_auth(access(carol))
        .send()
        .await
        .unwrap();
    expect_error(again, StatusCode::NOT_FOUND, "invalid_request").await;

    // Approving again starts a new grant: new tokens work, the revoked ones stay revoked.
    let mut browser = Browser::default();
    let authorization = Authorization::new(&client, "http://localhost:7003/callback", "read");
    server.clock.advance(2);
    let fresh = sign_in_and_approve(&server, &mut browser, &authorization, "alice").await;
    assert_eq!(
        server
            .get_with_token("/api/memories", access(&fresh))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        server
            .get_with_token("/api/memories", access(alice))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_cli_lists_changes_and_removes_accounts_and_revokes_their_grants() {
    let team = Team::new().await;
    let listed = team.users(&["list"], "").await.unwrap();
    let lines: Vec<_> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "{listed}");
    assert!(lines[0].starts_with("alice\twriter\tcreated "), "{listed}");
    assert!(!listed.contains("argon2"), "never a hash");
    let taken = team
        .users(&["add", "alice", "--role", "admin"], "another long one")
        .await;
    assert!(
        taken
            .unwrap_err()
            .to_string()
            .contains("a name no account has")
    );
    let short = team
        .users(&["add", "dave", "--role", "reader"], "short")
        .await;
    assert!(
        short
            .unwrap_err()
            .to_string()
            .contains("at least 8 characters")
    );
    let owner = team
        .users(&["add", "owner", "--role", "admin"], "long enough pw")
        .await;
    assert!(owner.unwrap_err().to_string().contains("reserved"));

    // A changed password: the old one no longer signs in, the new one does.
    team.users(&["passwd", "alice"], "alice's new password")
        .await
        .unwrap();
    let server = team.server("local", &[]).await;
    let client = server
        .register_public(
            "http://localhost/callback",
            &["authorization_code", "refresh_token"],
        )
        .await;
    let authorization = Authorization::new(&client, "http://localhost:7004/callback", "read");
    let mut browser = Browser::default();
    let page = authorization
        .open(&server, &browser)
        .await
        .text()
        .await
        .unwrap();
    let old = authorization
        .decide(
            &server,
            &mut browser,
            &page,
            "approve",
            &[("username", "alice"), ("password", "alice's long password")],
        )
        .await;
    assert_eq!(old.status(), StatusCode::FORBIDDEN);
    let page = authorization
        .open(&server, &browser)
        .await
        .text()
        .await
        .unwrap();
    let new = authorization
        .decide(
            &server,
            &mut browser,
            &page,
            "approve",
            &[("username", "alice"), ("password", "alice's new password")],
        )
        .await;
    assert_eq!(new.status(), StatusCode::SEE_OTHER);
    let tokens = authorization.tokens(&server, &new).await;
    server.stop().await;

    // Removing her revokes her grants: her token fails on the next start.
    let removed = team.users(&["remove", "alice"], "").await.unwrap();
    assert_eq!(removed, "removed alice; revoked 1 grant\n");
    let server = team.server("local", &[]).await;
    assert_eq!(
        server
            .get_with_token("/api/memories", access(&tokens))
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // Her session is gone too: the page asks to sign in.
    let page = authorization
        .open(&server, &browser)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("type=\"password\""));
}

#[tokio::test]
async fn local_accounts_and_the_owner_key_can_be_offered_together() {
    let team = Team::new().await;
    let server = team
        .server("local,owner-key", &["--api-key", "owner-key-0123456789"])
        .await;
    let client = team_client(&server, "http://localhost/callback").await;
    let authorization = Authorization::new(&client, "http://localhost:7005/callback", "read admin");
    let mut browser = Browser::default();
    let page = authorization
        .open(&server, &browser)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"username\"") && page.contains("name=\"api_key\""));
    let approved = authorization
        .decide(
            &server,
            &mut browser,
            &page,
            "approve",
            &[("api_key", "owner-key-0123456789")],
        )
        .await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let tokens = authorization.tokens(&server, &approved).await;
    let claims: Value = server
        .http
        .post(server.url("/oauth/introspect"))
        .bearer_auth(access(&tokens))
        .form(&[("token", access(&tokens))])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(claims["sub"], "owner", "{claims}");
}

#[tokio::test]
async fn with_a_per_person_space_each_person_sees_only_what_they_stored() {
    let team = Team::new().await;
    let server = team
        .server("local", &["--memory-space", "per-person"])
        .await;
    let client = team_client(&server, "http://localhost/callback").await;
    let mut tokens = Vec::new();
    for name in ["alice", "carol"] {
        let mut browser = Browser::default();
        let authorization =
            Authorization::new(&client, "http://localhost:7001/callback", "read write");
        let issued = sign_in_and_approve(&server, &mut browser, &authorization, name).await;
        tokens.push(access(&issued).to_owned());
    }
    let (alice, carol) = (&tokens[0], &tokens[1]);
    let store = |token: &str, tag: &str| {
        server
            .http
            .post(server.url("/api/memories"))
            .bearer_auth(token)
            .json(&json!({"content": "The standup moved to ten", "tags": [tag]}))
            .send()
    };
    // The same text is one memory each: neither learns the other stored it.
    let hers: Value = store(alice, "alice-tag")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let theirs = store(carol, "carol-tag").await.unwrap();
    assert_eq!(theirs.status(), StatusCode::CREATED);
    let theirs: Value = theirs.json().await.unwrap();
    let (hers, theirs) = (
        hers["memory"]["content_hash"].as_str().unwrap().to_owned(),
        theirs["memory"]["content_hash"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    assert_ne!(hers, theirs);

    let listed: Value = server
        .get_with_token("/api/memories", alice)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(listed["memories"][0]["content_hash"], hers.as_str());
    let found: Value = server
        .http
        .post(server.url("/api/search"))
        .bearer_auth(alice)
        .json(&json!({"query": "standup"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["total_found"], 1, "{found}");
    let tags: Value = server
        .get_with_token("/api/tags", alice)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tags["tags"], json!([{"tag": "alice-tag", "count": 1}]));

    // Carol's memory does not exist for Alice: not to read, change or delete.
    let path = format!("/api/memories/{theirs}");
    assert_eq!(
        server.get_with_token(&path, alice).await.status(),
        StatusCode::NOT_FOUND
    );
    let deleted = server
        .http
        .delete(server.url(&path))
        .bearer_auth(alice)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        server.get_with_token(&path, carol).await.status(),
        StatusCode::OK,
        "still there for Carol"
    );
}
