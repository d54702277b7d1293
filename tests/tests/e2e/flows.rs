//! The authorization-code flow: public clients with PKCE, confidential clients as the Python
//! service's own integration test drives them, and every refusal of OAuth 2.1 / RFC 9700.

use mcp_oauth_tests::{Pkce, TestServer, expect_error, location, redirect_param};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Exactly the Python service's `tests/integration/test_oauth_flow.py`: register with a redirect
/// URI and no auth method, authorize without PKCE, exchange with the secret in the form, call the
/// API with and without the token.
#[tokio::test]
async fn the_python_services_integration_test_passes() {
    let server = TestServer::start(&[]).await;
    let client = server
        .register(json!({"client_name": "Test Client", "redirect_uris": ["https://example.com/callback"]}))
        .await;
    let client_id = client["client_id"].as_str().unwrap();
    let client_secret = client["client_secret"].as_str().unwrap();

    let response = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", "https://example.com/callback"),
            ("state", "test_state_123"),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let redirect = location(&response).unwrap();
    assert!(
        redirect
            .as_str()
            .starts_with("https://example.com/callback?")
    );
    assert_eq!(
        redirect_param(&response, "state").as_deref(),
        Some("test_state_123")
    );
    assert_eq!(
        redirect_param(&response, "iss").as_deref(),
        Some(server.base.as_str()),
        "RFC 9207"
    );
    let code = redirect_param(&response, "code").expect("code in the redirect");
    assert!(code.len() >= 43, "≥256-bit code");

    let response = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://example.com/callback"),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "read write");
    let access_token = tokens["access_token"].as_str().unwrap();

    let response = server.get_with_token("/api/memories", access_token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = server.get("/api/memories").await;
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    // RFC 6750 §3.1: no credentials, no error code in the challenge; where to get a token stays.
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(!challenge.contains("error="), "{challenge}");
    assert!(challenge.contains("scope=\"read write\""), "{challenge}");
    assert!(
        challenge.contains(&format!(
            "resource_metadata=\"{}/.well-known/oauth-protected-resource/mcp\"",
            server.base
        )),
        "{challenge}"
    );
    // A token that does not verify names the error.
    let response = server.get_with_token("/api/memories", "not-a-token").await;
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );
}

#[tokio::test]
async fn a_public_client_completes_the_flow_with_pkce_on_any_loopback_port() {
    let server = TestServer::start(&[]).await;
    // Claude Code registers portless loopback URIs and listens on a random port.
    let client_id = server
        .register_public("http://localhost/callback", &["authorization_code"])
        .await;
    let tokens = server
        .public_code_flow(&client_id, "http://localhost:54321/callback", Some("read"))
        .await;
    assert_eq!(tokens["scope"], "read");
    assert!(
        tokens.get("refresh_token").is_none(),
        "no refresh grant, no offline_access"
    );
    let response = server
        .get_with_token("/api/memories", tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn pkce_is_required_from_public_clients_and_plain_is_refused() {
    let server = TestServer::start(&[]).await;
    let client_id = server
        .register_public("http://127.0.0.1/cb", &["authorization_code"])
        .await;
    let base = [
        ("response_type", "code"),
        ("client_id", client_id.as_str()),
        ("redirect_uri", "http://127.0.0.1:4000/cb"),
        ("state", "s1"),
    ];
    // No challenge: the error goes back to the client, with state and iss.
    let response = server.authorize(&base).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(
        redirect_param(&response, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(redirect_param(&response, "state").as_deref(), Some("s1"));
    assert_eq!(
        redirect_param(&response, "iss").as_deref(),
        Some(server.base.as_str())
    );
    assert!(redirect_param(&response, "code").is_none());

    let pkce = Pkce::new();
    for method in [None, Some("plain"), Some("S512")] {
        let mut params = base.to_vec();
        params.push(("code_challenge", &pkce.challenge));
        if let Some(method) = method {
            params.push(("code_challenge_method", method));
        }
        let response = server.authorize(&params).await;
        assert_eq!(
            redirect_param(&response, "error").as_deref(),
            Some("invalid_request"),
            "{method:?}"
        );
    }
}

#[tokio::test]
async fn the_code_is_bound_to_verifier_client_and_redirect_and_single_use() {
    let server = TestServer::start(&[]).await;
    let redirect = "http://127.0.0.1:4000/cb";
    let client_id = server
        .register_public("http://127.0.0.1/cb", &["authorization_code"])
        .await;
    let other_client = server
        .register_public("http://127.0.0.1/cb", &["authorization_code"])
        .await;
    let pkce = Pkce::new();
    let new_code = || async {
        let response = server
            .authorize(&[
                ("response_type", "code"),
                ("client_id", client_id.as_str()),
                ("redirect_uri", redirect),
                ("code_challenge", pkce.challenge.as_str()),
                ("code_challenge_method", "S256"),
            ])
            .await;
        redirect_param(&response, "code").unwrap()
    };
    let http = &server;
    let exchange = |code: String, client: String, redirect: String, verifier: Option<String>| async move {
        let server = http;
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code),
            ("client_id", client),
            ("redirect_uri", redirect),
        ];
        if let Some(verifier) = verifier {
            form.push(("code_verifier", verifier));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        server.token(&form).await
    };

    let wrong_verifier = Pkce::new().verifier;
    let response = exchange(
        new_code().await,
        client_id.clone(),
        redirect.into(),
        Some(wrong_verifier),
    )
    .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let response = exchange(new_code().await, client_id.clone(), redirect.into(), None).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let response = exchange(
        new_code().await,
        other_client,
        redirect.into(),
        Some(pkce.verifier.clone()),
    )
    .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let response = exchange(
        new_code().await,
        client_id.clone(),
        "http://127.0.0.1:4001/cb".into(),
        Some(pkce.verifier.clone()),
    )
    .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;

    let code = new_code().await;
    let response = exchange(
        code.clone(),
        client_id.clone(),
        redirect.into(),
        Some(pkce.verifier.clone()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let replay = exchange(
        code,
        client_id.clone(),
        redirect.into(),
        Some(pkce.verifier.clone()),
    )
    .await;
    expect_error(replay, StatusCode::BAD_REQUEST, "invalid_grant").await;

    // A code expires: the clock moves past its 10 minutes.
    let code = new_code().await;
    server.clock.advance(601);
    let response = exchange(
        code,
        client_id,
        redirect.into(),
        Some(pkce.verifier.clone()),
    )
    .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_verifier_without_a_challenge_is_a_downgrade_and_refused() {
    let server = TestServer::start(&[]).await;
    let client = server
        .register(json!({"redirect_uris": ["https://example.com/cb"]}))
        .await;
    let (id, secret) = (
        client["client_id"].as_str().unwrap(),
        client["client_secret"].as_str().unwrap(),
    );
    let response = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", id),
            ("redirect_uri", "https://example.com/cb"),
        ])
        .await;
    let code = redirect_param(&response, "code").unwrap();
    let response = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://example.com/cb"),
            ("client_id", id),
            ("client_secret", secret),
            ("code_verifier", &Pkce::new().verifier),
        ])
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn unknown_clients_and_unregistered_redirects_are_never_redirected() {
    let server = TestServer::start(&[]).await;
    let client_id = server
        .register_public("https://app.example/cb", &["authorization_code"])
        .await;
    let pkce = Pkce::new();
    let cases: [Vec<(&str, &str)>; 5] = [
        vec![
            ("response_type", "code"),
            ("client_id", "mcp_client_unknown"),
            ("redirect_uri", "https://evil.example/cb"),
        ],
        vec![
            ("response_type", "code"),
            ("redirect_uri", "https://evil.example/cb"),
        ],
        vec![
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "https://evil.example/cb"),
        ],
        vec![
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "https://app.example/cb/../evil"),
        ],
        vec![
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "https://app.example:8443/cb"),
        ],
    ];
    for params in cases {
        let mut params = params.clone();
        params.push(("code_challenge", &pkce.challenge));
        params.push(("code_challenge_method", "S256"));
        let response = server.authorize(&params).await;
        assert!(
            response.headers().get("location").is_none(),
            "{params:?} must not redirect"
        );
        let status = response.status();
        assert!(
            status == StatusCode::BAD_REQUEST || status == StatusCode::UNAUTHORIZED,
            "{status}"
        );
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].is_string());
    }
}

#[tokio::test]
async fn errors_after_the_redirect_check_go_back_to_the_client() {
    let server = TestServer::start(&[]).await;
    let client_id = server
        .register_public("https://app.example/cb", &["authorization_code"])
        .await;
    let pkce = Pkce::new();
    let with = |extra: Vec<(&'static str, &'static str)>| {
        let mut params: Vec<(String, String)> = vec![
            ("client_id".into(), client_id.clone()),
            ("redirect_uri".into(), "https://app.example/cb".into()),
            ("state".into(), "st".into()),
            ("code_challenge".into(), pkce.challenge.clone()),
            ("code_challenge_method".into(), "S256".into()),
        ];
        params.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())));
        params
    };
    for (extra, expected) in [
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![], "invalid_request"),
        (
            vec![("response_type", "code"), ("scope", "read admin")],
            "invalid_scope",
        ),
        (
            vec![("response_type", "code"), ("scope", "launch-missiles")],
            "invalid_scope",
        ),
        (
            vec![
                ("response_type", "code"),
                ("resource", "https://other.example/mcp"),
            ],
            "invalid_target",
        ),
    ] {
        let params = with(extra);
        let params: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let response = server.authorize(&params).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(
            redirect_param(&response, "error").as_deref(),
            Some(expected)
        );
        assert_eq!(redirect_param(&response, "state").as_deref(), Some("st"));
        assert_eq!(
            redirect_param(&response, "iss").as_deref(),
            Some(server.base.as_str())
        );
    }
    // Repeated parameters are refused outright (RFC 6749 §3.1).
    let response = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("client_id", "other"),
        ])
        .await;
    assert!(response.headers().get("location").is_none());
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn a_replayed_code_revokes_every_token_issued_for_it() {
    let server = TestServer::start(&[]).await;
    let client_id = server
        .register_public(
            "http://localhost/cb",
            &["authorization_code", "refresh_token"],
        )
        .await;
    let pkce = Pkce::new();
    let response = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", &client_id),
            ("redirect_uri", "http://localhost:4000/cb"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let code = redirect_param(&response, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("client_id", client_id.as_str()),
        ("redirect_uri", "http://localhost:4000/cb"),
        ("code_verifier", pkce.verifier.as_str()),
    ];
    let tokens: Value = server.token(&form).await.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        server
            .get_with_token("/api/memories", access)
            .await
            .status(),
        StatusCode::OK
    );

    // An attacker replays the code.
    let body = expect_error(
        server.token(&form).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    )
    .await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );
    expect_error(
        server.get_with_token("/api/memories", access).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &client_id),
        ])
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}
