//! People sign in with an upstream OpenID provider (the `oidc` authenticator), a real one started
//! by the test (`oidc-provider` from npm): the plugin passes the redirect sign-in conformance
//! suite, and over HTTP a person leaves the consent page for the provider, comes back signed in,
//! approves, and their tokens and memories name them; people the allow list refuses, unverified
//! emails and answers that do not belong to the browser get a page saying why.

#![cfg(feature = "authn-oidc")]

use std::collections::HashMap;

use mcp_oauth_core::authenticator::Arrival;
use mcp_oauth_tests::{OidcProvider, Pkce, TestServer, hidden_field, redirect_param};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A browser: cookies kept, redirects not followed (the test follows them).
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a Location")
        .to_owned()
}

fn set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("a cookie")
        .to_owned()
}

#[tokio::test]
async fn the_oidc_authenticator_passes_the_redirect_sign_in_conformance_suite() {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    let settings = provider.settings(&[("MCP_OIDC_ALLOWED_DOMAINS", "example.test")]);
    let authenticator = mcp_oauth_authn_oidc::from_settings(&settings).expect("the settings work");
    // The provider matches loopback callbacks on any port, as RFC 8252 §7.3 asks.
    let callback = "http://127.0.0.1:9/oauth/sign-in/oidc/callback";
    let provider = &provider;
    mcp_oauth_core::testkit::authenticator::run_redirect(
        &authenticator,
        callback,
        "mallory@elsewhere.test",
        |location| async move {
            let answer = provider.sign_in(&browser(), &location, "ann").await;
            assert!(answer.as_str().starts_with(callback), "{answer}");
            let query: HashMap<String, String> = answer.query_pairs().into_owned().collect();
            Arrival {
                code: query.get("code").cloned(),
                state: query.get("state").cloned(),
                iss: query.get("iss").cloned(),
                error: query.get("error").cloned(),
                error_description: query.get("error_description").cloned(),
            }
        },
    )
    .await;
}

/// A server whose people sign in at `provider`, with the allow list `extra`.
async fn server(provider: &OidcProvider, extra: &[(&str, &str)]) -> TestServer {
    TestServer::start_with(&["--oauth-authenticator", "oidc"], provider.settings(extra))
        .await
        .expect("the server starts")
}

/// An authorization of a web client, as the consent page sees it.
struct Authorization {
    client_id: String,
    redirect_uri: &'static str,
    pkce: Pkce,
}

impl Authorization {
    async fn new(server: &TestServer) -> Self {
        let redirect_uri = "https://app.example.test/callback";
        let client = server
            .register(json!({
                "client_name": "Team web app",
                "redirect_uris": [redirect_uri],
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token"],
                "scope": "read write admin",
            }))
            .await;
        Self {
            client_id: client["client_id"].as_str().unwrap().to_owned(),
            redirect_uri,
            pkce: Pkce::new(),
        }
    }

    fn params(&self) -> Vec<(&str, &str)> {
        vec![
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", self.redirect_uri),
            ("scope", "read write"),
            ("state", "web-state"),
            ("code_challenge", &self.pkce.challenge),
            ("code_challenge_method", "S256"),
        ]
    }

    /// Opens the consent page in `browser`, leaves for the provider by its button and signs
    /// `user` in there: the answer to bring back to the server.
    async fn sign_in_elsewhere(
        &self,
        server: &TestServer,
        provider: &OidcProvider,
        browser: &reqwest::Client,
        user: &str,
    ) -> String {
        let page = browser
            .get(server.url("/oauth/authorize"))
            .query(&self.params())
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let page = page.text().await.unwrap();
        assert!(
            !page.contains("value=\"approve\""),
            "nobody may approve before signing in: {page}"
        );
        let button = page
            .split("href=\"/oauth/sign-in/oidc")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_else(|| panic!("a sign-in button: {page}"))
            .replace("&amp;", "&");
        assert!(page.contains("Sign in with 127.0.0.1"), "{page}");
        let departure = browser
            .get(server.url(&format!("/oauth/sign-in/oidc{button}")))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(departure.status(), StatusCode::SEE_OTHER);
        let cookie = set_cookie(&departure);
        assert!(
            cookie.starts_with("mcp_sign_in=")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        let to_provider = location(&departure);
        assert!(to_provider.starts_with(&provider.issuer), "{to_provider}");
        let answer = provider.sign_in(browser, &to_provider, user).await;
        assert!(
            answer
                .as_str()
                .starts_with(&server.url("/oauth/sign-in/oidc/callback")),
            "{answer}"
        );
        answer.to_string()
    }

    /// Approves on the signed-in consent `page`; the tokens.
    async fn approve(&self, server: &TestServer, browser: &reqwest::Client, page: &str) -> Value {
        let mut form = self.params();
        let csrf = hidden_field(page, "csrf_token");
        form.extend([("csrf_token", csrf.as_str()), ("decision", "approve")]);
        let approved = browser
            .post(server.url("/oauth/authorize"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(approved.status(), StatusCode::SEE_OTHER);
        let code = redirect_param(&approved, "code").expect("a code");
        let tokens = server
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("client_id", &self.client_id),
                ("redirect_uri", self.redirect_uri),
                ("code_verifier", &self.pkce.verifier),
            ])
            .await;
        assert_eq!(tokens.status(), StatusCode::OK);
        tokens.json().await.unwrap()
    }
}

#[tokio::test]
async fn a_person_signs_in_at_the_provider_approves_and_their_memories_name_them() {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    let server = server(
        &provider,
        &[
            ("MCP_OIDC_ALLOWED_GROUPS", "engineering"),
            ("MCP_OIDC_ALLOWED_EMAILS", "boss@example.test"),
            ("MCP_OIDC_ADMINS", "boss@example.test"),
        ],
    )
    .await;
    for (user, subject, role) in [
        ("eng-ann", "eng-ann@example.test", "writer"),
        ("boss", "boss@example.test", "admin"),
    ] {
        let browser = browser();
        let authorization = Authorization::new(&server).await;
        let answer = authorization
            .sign_in_elsewhere(&server, &provider, &browser, user)
            .await;
        let back = browser.get(&answer).send().await.unwrap();
        assert_eq!(back.status(), StatusCode::SEE_OTHER, "{user} comes back");
        assert!(set_cookie(&back).starts_with("mcp_session="), "{user}");
        let resume = location(&back);
        assert!(
            resume.starts_with("/oauth/authorize?") && resume.contains(&authorization.client_id),
            "the authorization under way resumes: {resume}"
        );
        let page = browser
            .get(server.url(&resume))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            page.contains(&format!("Signed in as <b>{subject}</b> ({role})")),
            "{page}"
        );
        let tokens = authorization.approve(&server, &browser, &page).await;
        let stored: Value = server
            .store_memory(
                tokens["access_token"].as_str().unwrap(),
                &json!({"content": format!("{user} was here")}),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(stored["memory"]["created_by"], subject, "{stored}");

        // The session spares the provider the second time: the web app's consent is
        // remembered, so the answer goes straight back.
        let again = Authorization {
            pkce: Pkce::new(),
            ..authorization
        };
        let straight = browser
            .get(server.url("/oauth/authorize"))
            .query(&again.params())
            .send()
            .await
            .unwrap();
        assert_eq!(straight.status(), StatusCode::FOUND, "{user}");
        assert!(redirect_param(&straight, "code").is_some(), "{user}");
    }
}

#[tokio::test]
async fn refused_people_and_answers_from_elsewhere_get_a_page_saying_why() {
    let Some(provider) = OidcProvider::start() else {
        return;
    };
    let server = server(
        &provider,
        &[(
            "MCP_OIDC_ALLOWED_EMAILS",
            "eng-ann@example.test,unverified@example.test",
        )],
    )
    .await;
    let authorization = Authorization::new(&server).await;
    for (user, why) in [
        (
            "sales-bob",
            "sales-bob@example.test is not on this server's list",
        ),
        ("unverified", "your email address is not verified"),
    ] {
        let browser = browser();
        let answer = authorization
            .sign_in_elsewhere(&server, &provider, &browser, user)
            .await;
        let refused = browser
            .get(&answer)
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{user}");
        assert!(refused.headers().get("set-cookie").is_none(), "{user}");
        let page = refused.text().await.unwrap();
        assert!(page.contains(why), "{user}: {page}");
    }

    // An answer brought by another browser (no departure cookie), or with another state.
    let browser = browser();
    let answer = authorization
        .sign_in_elsewhere(&server, &provider, &browser, "eng-ann")
        .await;
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let elsewhere = stranger
        .get(&answer)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), StatusCode::BAD_REQUEST);
    assert!(
        elsewhere
            .text()
            .await
            .unwrap()
            .contains("not started in this browser")
    );
    let mut forged = url::Url::parse(&answer).unwrap();
    let pairs: Vec<(String, String)> = forged
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "state" { "forged".into() } else { v };
            (k.into_owned(), v.into_owned())
        })
        .collect();
    forged.query_pairs_mut().clear().extend_pairs(pairs);
    let mismatched = browser.get(forged.as_str()).send().await.unwrap();
    assert_eq!(mismatched.status(), StatusCode::BAD_REQUEST);
    let body: Value = mismatched.json().await.unwrap();
    assert_eq!(
        body["error"], "invalid_request",
        "programs get JSON: {body}"
    );
    // The real answer still works once, and only once.
    let back = browser.get(&answer).send().await.unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    let replay = browser.get(&answer).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST);
}
