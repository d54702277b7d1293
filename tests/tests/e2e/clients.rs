//! Client management (RFC 7592): a client reads, updates and deletes its own registration with its
//! registration access token; the owner manages every client; deleting a client revokes its tokens.

use mcp_oauth_tests::{Pkce, TestServer, expect_error, redirect_param};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

const KEY: &str = "owner-key-0123456789";

/// How a request to a client's registration URI authenticates.
enum As<'a> {
    Token(&'a str),
    Owner,
    Nobody,
}

async fn manage(
    server: &TestServer,
    method: Method,
    id: &str,
    who: As<'_>,
    body: Option<Value>,
) -> Response {
    let mut request = server
        .http
        .request(method, server.url(&format!("/oauth/clients/{id}")));
    request = match who {
        As::Token(token) => request.bearer_auth(token),
        As::Owner => request.header("X-API-Key", KEY),
        As::Nobody => request,
    };
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// Authorizes `client` for `redirect` (auto-approved) and exchanges the code: the token response.
async fn code_flow(server: &TestServer, client: &str, redirect: &str) -> Value {
    let pkce = Pkce::new();
    let response = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", client),
            ("redirect_uri", redirect),
            ("scope", "read offline_access"),
            ("state", "s"),
            ("code_challenge", &pkce.challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    let code = redirect_param(&response, "code").expect("a code");
    let response = server
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect),
            ("client_id", client),
            ("code_verifier", &pkce.verifier),
        ])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_registration_access_token_reads_and_updates_its_client() {
    let server = TestServer::start(&[]).await;
    let registered = server
        .register(json!({
            "client_name": "Editor",
            "redirect_uris": ["https://app.example/cb"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
        }))
        .await;
    let id = registered["client_id"].as_str().unwrap();
    let token = registered["registration_access_token"].as_str().unwrap();
    assert!(token.len() >= 43, "≥256-bit registration access token");
    assert_eq!(
        registered["registration_client_uri"],
        server.url(&format!("/oauth/clients/{id}"))
    );

    let response = manage(&server, Method::GET, id, As::Token(token), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let read: Value = response.json().await.unwrap();
    assert_eq!(read["client_name"], "Editor");
    assert_eq!(read["redirect_uris"], json!(["https://app.example/cb"]));
    assert_eq!(
        read["registration_client_uri"],
        registered["registration_client_uri"]
    );
    assert!(read.get("client_secret").is_none());
    // RFC 7592 §3: the answer carries a registration access token; a fresh one, which replaces
    // the one just used (only its hash was kept, so the old one cannot be shown again).
    let renewed = read["registration_access_token"]
        .as_str()
        .expect("a registration access token")
        .to_owned();
    assert_ne!(renewed, token);
    let response = manage(&server, Method::GET, id, As::Token(token), None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let token = renewed.as_str();

    // An update replaces the metadata; the id and issue time stay, the token is renewed again.
    let update = json!({
        "client_id": id,
        "client_name": "Editor 2",
        "redirect_uris": ["https://app.example/new-cb"],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
    });
    let response = manage(&server, Method::PUT, id, As::Token(token), Some(update)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut updated: Value = response.json().await.unwrap();
    assert_eq!(updated["client_id"], id);
    assert_eq!(updated["client_name"], "Editor 2");
    assert_eq!(
        updated["redirect_uris"],
        json!(["https://app.example/new-cb"])
    );
    assert_eq!(
        updated["client_id_issued_at"],
        registered["client_id_issued_at"]
    );
    assert!(
        updated.get("client_secret").is_none(),
        "still a public client"
    );
    let renewed = updated
        .as_object_mut()
        .unwrap()
        .remove("registration_access_token")
        .expect("renewed by the update");
    let response = manage(&server, Method::GET, id, As::Token(token), None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let token = renewed.as_str().unwrap();

    // The old redirect URI is no longer honoured; the new one is.
    let old = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", id),
            ("redirect_uri", "https://app.example/cb"),
            ("code_challenge", &Pkce::new().challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    expect_error(old, StatusCode::BAD_REQUEST, "invalid_request").await;
    code_flow(&server, id, "https://app.example/new-cb").await;

    // Bad updates are refused and change nothing.
    let foreign_id =
        json!({"client_id": "mcp_client_other", "redirect_uris": ["https://a.example/cb"]});
    let response = manage(&server, Method::PUT, id, As::Token(token), Some(foreign_id)).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let open_redirect = json!({"client_id": id, "redirect_uris": ["http://evil.example/cb"], "token_endpoint_auth_method": "none"});
    let response = manage(
        &server,
        Method::PUT,
        id,
        As::Token(token),
        Some(open_redirect),
    )
    .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_redirect_uri").await;
    let response = manage(
        &server,
        Method::PUT,
        id,
        As::Token(token),
        Some(json!({"client_id": 7})),
    )
    .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    let mut read: Value = manage(&server, Method::GET, id, As::Token(token), None)
        .await
        .json()
        .await
        .unwrap();
    read.as_object_mut()
        .unwrap()
        .remove("registration_access_token");
    assert_eq!(
        read, updated,
        "refused updates leave the client as it was, and its token working"
    );
}

#[tokio::test]
async fn a_client_cannot_manage_another_and_strangers_cannot_manage_any() {
    let server = TestServer::start(&[]).await;
    let mine = server
        .register(json!({"redirect_uris": ["https://mine.example/cb"]}))
        .await;
    let theirs = server
        .register(json!({"redirect_uris": ["https://theirs.example/cb"]}))
        .await;
    let my_token = mine["registration_access_token"].as_str().unwrap();
    let their_id = theirs["client_id"].as_str().unwrap();
    let my_id = mine["client_id"].as_str().unwrap();

    for method in [Method::GET, Method::DELETE] {
        let response = manage(&server, method.clone(), their_id, As::Token(my_token), None).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
        let response = manage(&server, method.clone(), their_id, As::Nobody, None).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
        // An unknown client answers exactly like a wrong token (RFC 7592 §2.1).
        let response = manage(
            &server,
            method,
            "mcp_client_nobody",
            As::Token(my_token),
            None,
        )
        .await;
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    }
    // Neither the client secret nor an access token is a registration access token.
    let secret = mine["client_secret"].as_str().unwrap();
    let response = manage(&server, Method::GET, my_id, As::Token(secret), None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let access = server.client_credentials_token("read write").await;
    let response = manage(&server, Method::GET, my_id, As::Token(&access), None).await;
    expect_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;

    // The other client is untouched.
    let response = manage(
        &server,
        Method::GET,
        their_id,
        As::Token(theirs["registration_access_token"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn deleting_a_client_revokes_its_tokens_and_its_registration() {
    let server = TestServer::start(&["--api-key", KEY, "--oauth-auto-approve", "true"]).await;
    let registered = server
        .register(json!({
            "redirect_uris": ["https://app.example/cb"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "refresh_token"],
        }))
        .await;
    let id = registered["client_id"].as_str().unwrap();
    let token = registered["registration_access_token"].as_str().unwrap();
    let tokens = code_flow(&server, id, "https://app.example/cb").await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        server
            .get_with_token("/api/memories", access)
            .await
            .status(),
        StatusCode::OK
    );
    let bystander = server.client_credentials_token("read").await;

    let response = manage(&server, Method::DELETE, id, As::Token(token), None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

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
            ("client_id", id),
        ])
        .await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    for revoked in [access, refresh] {
        let introspection: Value = server
            .http
            .post(server.url("/oauth/introspect"))
            .bearer_auth(KEY)
            .form(&[("token", revoked)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(introspection, json!({"active": false}));
    }
    let response = manage(&server, Method::GET, id, As::Token(token), None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let response = manage(&server, Method::DELETE, id, As::Token(token), None).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_token").await;
    let authorize = server
        .authorize(&[
            ("response_type", "code"),
            ("client_id", id),
            ("redirect_uri", "https://app.example/cb"),
            ("code_challenge", &Pkce::new().challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert!(
        authorize.headers().get("location").is_none(),
        "an unknown client is never redirected"
    );

    // Other clients' tokens are untouched.
    assert_eq!(
        server
            .get_with_token("/api/memories", &bystander)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_owner_manages_every_client_and_decides_on_client_credentials() {
    let server = TestServer::start(&["--api-key", KEY]).await;
    let registered = server
        .register(json!({"redirect_uris": ["https://app.example/cb"], "client_name": "App"}))
        .await;
    let id = registered["client_id"].as_str().unwrap();
    let token = registered["registration_access_token"].as_str().unwrap();
    let secret = registered["client_secret"].as_str().unwrap();

    let response = manage(&server, Method::GET, id, As::Owner, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = manage(&server, Method::GET, "mcp_client_nobody", As::Owner, None).await;
    expect_error(response, StatusCode::NOT_FOUND, "invalid_request").await;

    // The client may not grant itself client_credentials (tokens without consent)...
    let widen = json!({
        "client_id": id,
        "client_secret": secret,
        "redirect_uris": ["https://app.example/cb"],
        "grant_types": ["authorization_code", "client_credentials"],
    });
    let response = manage(
        &server,
        Method::PUT,
        id,
        As::Token(token),
        Some(widen.clone()),
    )
    .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    // ...nor present a wrong secret...
    let mut wrong = widen.clone();
    wrong["client_secret"] = json!("not-the-secret");
    let response = manage(&server, Method::PUT, id, As::Owner, Some(wrong)).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_client_metadata").await;
    // ...but the owner may grant it, and the client keeps it when it updates itself.
    let response = manage(&server, Method::PUT, id, As::Owner, Some(widen)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let keep = json!({
        "client_id": id,
        "client_name": "App with a robot",
        "redirect_uris": ["https://app.example/cb"],
        "grant_types": ["authorization_code", "client_credentials"],
    });
    let response = manage(&server, Method::PUT, id, As::Token(token), Some(keep)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = server
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the secret survived both updates"
    );

    // Turning public drops the secret; turning confidential again issues a new one, shown once.
    let public = json!({"client_id": id, "redirect_uris": ["https://app.example/cb"], "token_endpoint_auth_method": "none"});
    let response = manage(&server, Method::PUT, id, As::Owner, Some(public)).await;
    let body: Value = response.json().await.unwrap();
    assert!(body.get("client_secret").is_none());
    let confidential = json!({"client_id": id, "redirect_uris": ["https://app.example/cb"]});
    let response = manage(&server, Method::PUT, id, As::Owner, Some(confidential)).await;
    let body: Value = response.json().await.unwrap();
    let new_secret = body["client_secret"].as_str().expect("a new secret");
    assert_ne!(new_secret, secret);
    assert_eq!(body["client_secret_expires_at"], 0);

    let response = manage(&server, Method::DELETE, id, As::Owner, None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = manage(&server, Method::GET, id, As::Owner, None).await;
    expect_error(response, StatusCode::NOT_FOUND, "invalid_request").await;
}
