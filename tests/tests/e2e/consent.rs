//! The consent page: shown when auto-approve is off, approved only with the owner's API key,
//! protected against forgery, and safe against hostile client metadata.

use mcp_oauth_tests::{Pkce, TestServer, expect_error, hidden_field, location, redirect_param};
use reqwest::StatusCode;
use serde_json::json;

const KEY: &str = "owner-key-0123456789";

#[tokio::test]
async fn the_owner_approves_with_the_api_key_and_denials_go_back_with_state() {
    let server = TestServer::start(&["--api-key", KEY]).await;
    let hostile = "<script>alert('pwned')</script>";
    let client = server
        .register(json!({
            "client_name": hostile,
            "client_uri": "https://app.example/\"><img src=x onerror=alert(1)>",
            "redirect_uris": ["http://localhost/cb"],
            "token_endpoint_auth_method": "none",
        }))
        .await;
    let client_id = client["client_id"].as_str().unwrap();
    let pkce = Pkce::new();
    let query = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", "http://localhost:7777/cb"),
        ("scope", "read write"),
        ("state", "consent-state"),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let response = server.authorize(&query).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert_eq!(response.headers()["referrer-policy"], "same-origin");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    // form-action also governs the redirect after the POST: exactly the requested target.
    assert!(
        csp.contains("form-action 'self' http://localhost:7777;"),
        "{csp}"
    );
    let page = response.text().await.unwrap();
    assert!(!page.contains(hostile), "the client name is escaped");
    assert!(page.contains("&lt;script&gt;"), "the client name is shown");
    assert!(!page.contains("<img src=x"), "the client URI is escaped");
    assert!(
        page.contains("localhost") && page.contains("<b>read</b>") && page.contains("<b>write</b>")
    );

    let form = |decision: &str, key: Option<&str>, csrf: &str| {
        let mut fields: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        fields.push(("csrf_token".into(), csrf.to_owned()));
        fields.push(("decision".into(), decision.to_owned()));
        if let Some(key) = key {
            fields.push(("api_key".into(), key.to_owned()));
        }
        fields
    };
    let http = &server;
    let post = |fields: Vec<(String, String)>| async move {
        let server = http;
        server
            .http
            .post(server.url("/oauth/authorize"))
            .form(&fields)
            .send()
            .await
            .unwrap()
    };
    let csrf = hidden_field(&page, "csrf_token");

    // A wrong key shows the page again, with no code.
    let response = post(form("approve", Some("wrong-key"), &csrf)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.headers().get("location").is_none());
    assert!(response.text().await.unwrap().contains("not correct"));

    // A forged or altered form is refused.
    let response = post(form("approve", Some(KEY), "1800000000.deadbeef")).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    let mut altered = form("approve", Some(KEY), &csrf);
    altered.iter_mut().find(|(k, _)| k == "scope").unwrap().1 = "read write admin".into();
    expect_error(
        post(altered).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;

    // Approval: 303 to the client with the code, state and iss; the code works.
    let response = post(form("approve", Some(KEY), &csrf)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&response)
            .unwrap()
            .as_str()
            .starts_with("http://localhost:7777/cb?")
    );
    assert_eq!(
        redirect_param(&response, "state").as_deref(),
        Some("consent-state")
    );
    let code = redirect_param(&response, "code").unwrap();
    let token = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("client_id", client_id),
            ("redirect_uri", "http://localhost:7777/cb"),
            ("code_verifier", &pkce.verifier),
        ])
        .await;
    assert_eq!(token.status(), StatusCode::OK);

    // Denial: access_denied with state.
    let response = post(form("deny", None, &csrf)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        redirect_param(&response, "error").as_deref(),
        Some("access_denied")
    );
    assert_eq!(
        redirect_param(&response, "state").as_deref(),
        Some("consent-state")
    );

    // The form expires.
    server.clock.advance(601);
    expect_error(
        post(form("approve", Some(KEY), &csrf)).await,
        StatusCode::BAD_REQUEST,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn the_api_key_cannot_be_guessed_through_the_consent_form() {
    let server = TestServer::start(&["--api-key", KEY]).await;
    let client = server
        .register(
            json!({"redirect_uris": ["http://localhost/cb"], "token_endpoint_auth_method": "none"}),
        )
        .await;
    let client_id = client["client_id"].as_str().unwrap();
    let pkce = Pkce::new();
    let query = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", "http://localhost:7777/cb"),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let page = server.authorize(&query).await.text().await.unwrap();
    let csrf = hidden_field(&page, "csrf_token");
    let attempt = |key: &'static str| {
        let mut fields: Vec<(String, String)> = query
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        fields.push(("csrf_token".into(), csrf.clone()));
        fields.push(("decision".into(), "approve".into()));
        fields.push(("api_key".into(), key.into()));
        server
            .http
            .post(server.url("/oauth/authorize"))
            .form(&fields)
            .send()
    };
    for guess in 0..10 {
        assert_eq!(
            attempt("guess").await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "guess {guess}"
        );
    }
    // The budget is spent: even the right key waits.
    let response = attempt(KEY).await.unwrap();
    assert!(response.headers().get("location").is_none());
    expect_error(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "temporarily_unavailable",
    )
    .await;
}

#[tokio::test]
async fn a_self_asserted_home_page_is_shown_as_its_host_and_flagged_when_the_answer_goes_elsewhere()
{
    let server = TestServer::start(&["--api-key", KEY]).await;
    let page_for = |client_uri: &'static str, redirect: &'static str| {
        let server = &server;
        async move {
            let client = server
                .register(json!({
                    "client_name": "Bank",
                    "client_uri": client_uri,
                    "redirect_uris": [redirect],
                    "token_endpoint_auth_method": "none",
                }))
                .await;
            let pkce = Pkce::new();
            server
                .authorize(&[
                    ("response_type", "code"),
                    ("client_id", client["client_id"].as_str().unwrap()),
                    ("redirect_uri", redirect),
                    ("code_challenge", &pkce.challenge),
                    ("code_challenge_method", "S256"),
                ])
                .await
                .text()
                .await
                .unwrap()
        }
    };
    let misleading = page_for(
        "https://bank.example/about/security",
        "https://collector.example/cb",
    )
    .await;
    assert!(
        misleading.contains("<b>bank.example</b> (not verified)"),
        "{misleading}"
    );
    assert!(
        misleading.contains("the answer goes elsewhere: <b>collector.example</b>"),
        "{misleading}"
    );
    assert!(
        !misleading.contains("/about/security"),
        "only the host is shown"
    );
    assert!(!misleading.contains("href=\"https://bank"), "never a link");

    let consistent = page_for("https://app.example/", "https://app.example/cb").await;
    assert!(consistent.contains("<b>app.example</b> (not verified)"));
    assert!(!consistent.contains("goes elsewhere"));
}

#[tokio::test]
async fn errors_are_redirected_only_to_clients_the_owner_approved_before() {
    let server = TestServer::start(&["--api-key", KEY]).await;
    let redirect = "https://evil.example.net/cb";
    let client = server
        .register(json!({"redirect_uris": [redirect], "token_endpoint_auth_method": "none"}))
        .await;
    let client_id = client["client_id"].as_str().unwrap();
    let pkce = Pkce::new();
    let query = |scope: &'static str| {
        vec![
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("scope", scope),
            ("state", "s"),
            ("code_challenge", pkce.challenge.as_str()),
            ("code_challenge_method", "S256"),
        ]
    };
    // Anyone can register this client: its errors are shown here, never sent there.
    let response = server.authorize(&query("nope")).await;
    assert!(location(&response).is_none(), "not redirected");
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_scope").await;
    let page = server
        .http
        .get(server.url("/oauth/authorize"))
        .query(&query("nope"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(location(&page).is_none());
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );

    // Deny needs no key, so it does not redirect to a client never approved.
    let consent = server.authorize(&query("read")).await.text().await.unwrap();
    let csrf = hidden_field(&consent, "csrf_token");
    let decide = |decision: &str, key: Option<&str>| {
        let mut fields: Vec<(String, String)> = query("read")
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        fields.push(("csrf_token".into(), csrf.clone()));
        fields.push(("decision".into(), decision.to_owned()));
        if let Some(key) = key {
            fields.push(("api_key".into(), key.to_owned()));
        }
        server
            .http
            .post(server.url("/oauth/authorize"))
            .form(&fields)
            .send()
    };
    let denied = decide("deny", None).await.unwrap();
    assert!(location(&denied).is_none());
    expect_error(denied, StatusCode::FORBIDDEN, "access_denied").await;
    // The owner, authenticated, may send the denial back.
    let denied = decide("deny", Some(KEY)).await.unwrap();
    assert_eq!(
        redirect_param(&denied, "error").as_deref(),
        Some("access_denied")
    );

    // Once the owner approved the client and it used its grant, its errors go back to it.
    let approved = decide("approve", Some(KEY)).await.unwrap();
    let code = redirect_param(&approved, "code").expect("a code");
    let token = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("client_id", client_id),
            ("code_verifier", &pkce.verifier),
        ])
        .await;
    assert_eq!(token.status(), StatusCode::OK);
    let response = server.authorize(&query("nope")).await;
    assert_eq!(
        redirect_param(&response, "error").as_deref(),
        Some("invalid_scope")
    );
}
