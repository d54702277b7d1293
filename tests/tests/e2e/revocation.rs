//! Revocation (RFC 7009) and introspection (RFC 7662), as clients and resource servers see them.

use mcp_oauth_tests::{TestServer, expect_error};
use reqwest::StatusCode;
use serde_json::{Value, json};

const KEY: &str = "owner-key-0123456789";

async fn confidential(server: &TestServer) -> (String, String) {
    let body = server
        .register_as_owner(json!({"grant_types": ["client_credentials"], "scope": "read write"}))
        .await;
    (
        body["client_id"].as_str().unwrap().to_owned(),
        body["client_secret"].as_str().unwrap().to_owned(),
    )
}

async fn token_of(server: &TestServer, id: &str, secret: &str) -> String {
    let body: Value = server
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ])
        .await
        .json()
        .await
        .unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

async fn post(
    server: &TestServer,
    path: &str,
    id: &str,
    secret: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    server
        .http
        .post(server.url(path))
        .basic_auth(id, Some(secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_revoked_access_token_is_refused_by_the_resource_endpoints() {
    let server = TestServer::start(&[]).await;
    let (id, secret) = confidential(&server).await;
    let token = token_of(&server, &id, &secret).await;
    assert_eq!(
        server
            .get_with_token("/api/memories", &token)
            .await
            .status(),
        StatusCode::OK
    );

    let response = post(
        &server,
        "/oauth/revoke",
        &id,
        &secret,
        &[("token", &token), ("token_type_hint", "access_token")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = expect_error(
        server.get_with_token("/api/memories", &token).await,
        StatusCode::UNAUTHORIZED,
        "invalid_token",
    )
    .await;
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked")
    );
    let introspected: Value = post(
        &server,
        "/oauth/introspect",
        &id,
        &secret,
        &[("token", &token)],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(introspected, json!({"active": false}));
}

#[tokio::test]
async fn unknown_tokens_and_tokens_of_other_clients_get_200_and_stay_untouched() {
    let server = TestServer::start(&[]).await;
    let (id, secret) = confidential(&server).await;
    let (other_id, other_secret) = confidential(&server).await;
    let others = token_of(&server, &other_id, &other_secret).await;
    for token in ["no-such-token", others.as_str()] {
        assert_eq!(
            post(&server, "/oauth/revoke", &id, &secret, &[("token", token)])
                .await
                .status(),
            StatusCode::OK
        );
    }
    assert_eq!(
        server
            .get_with_token("/api/memories", &others)
            .await
            .status(),
        StatusCode::OK
    );

    // Revocation needs client authentication and a token.
    let response = server
        .http
        .post(server.url("/oauth/revoke"))
        .form(&[("token", others.as_str())])
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let response = post(&server, "/oauth/revoke", &id, &secret, &[]).await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family() {
    let server = TestServer::start(&[]).await;
    let client_id = server
        .register_public(
            "http://localhost/cb",
            &["authorization_code", "refresh_token"],
        )
        .await;
    let tokens = server
        .public_code_flow(&client_id, "http://localhost:4000/cb", None)
        .await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let rotated: Value = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first),
            ("client_id", &client_id),
        ])
        .await
        .json()
        .await
        .unwrap();
    let current = rotated["refresh_token"].as_str().unwrap().to_owned();
    let response = server
        .http
        .post(server.url("/oauth/revoke"))
        .form(&[
            ("token", current.as_str()),
            ("client_id", client_id.as_str()),
            ("token_type_hint", "refresh_token"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &current),
            ("client_id", &client_id),
        ])
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // Nor does the rotated token before it revive the grant (its reuse grace needs a live successor).
    let response = server
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &first),
            ("client_id", &client_id),
        ])
        .await;
    expect_error(response, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn introspection_describes_active_tokens_to_confidential_clients_and_the_owner() {
    let server = TestServer::start(&["--api-key", KEY, "--oauth-auto-approve", "true"]).await;
    let (id, secret) = confidential(&server).await;
    let token = token_of(&server, &id, &secret).await;
    let body: Value = post(
        &server,
        "/oauth/introspect",
        &id,
        &secret,
        &[("token", &token)],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "access_token");
    assert_eq!(body["client_id"], id);
    assert_eq!(body["scope"], "read write");
    assert_eq!(body["iss"], server.base);
    assert_eq!(body["aud"], server.url("/mcp"));
    assert!(body["exp"].as_i64().unwrap() > body["iat"].as_i64().unwrap());

    let as_owner = server
        .http
        .post(server.url("/oauth/introspect"))
        .bearer_auth(KEY)
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(as_owner.json::<Value>().await.unwrap()["active"], true);
    // The API key in its header works as on every protected route; a wrong one is refused.
    for (key, status) in [
        (KEY, StatusCode::OK),
        ("not-the-key", StatusCode::UNAUTHORIZED),
    ] {
        let response = server
            .http
            .post(server.url("/oauth/introspect"))
            .header("X-API-Key", key)
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "X-API-Key: {key}");
        if status == StatusCode::OK {
            assert_eq!(response.json::<Value>().await.unwrap()["active"], true);
        }
    }
    let garbage: Value = post(
        &server,
        "/oauth/introspect",
        &id,
        &secret,
        &[("token", "garbage")],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(garbage, json!({"active": false}));

    // A refresh token is described too.
    let public = server
        .register_public(
            "http://localhost/cb",
            &["authorization_code", "refresh_token"],
        )
        .await;
    let tokens = server
        .public_code_flow(&public, "http://localhost:4000/cb", None)
        .await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let as_owner: Value = server
        .http
        .post(server.url("/oauth/introspect"))
        .bearer_auth(KEY)
        .form(&[("token", refresh)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            as_owner["active"].as_bool(),
            as_owner["token_type"].as_str()
        ),
        (Some(true), Some("refresh_token"))
    );

    // A client learns about its own tokens only (RFC 7662 §4): another client's refresh and
    // access tokens read as inactive, exactly like unknown ones.
    let other_access = tokens["access_token"].as_str().unwrap();
    for theirs in [refresh, other_access] {
        let body: Value = post(
            &server,
            "/oauth/introspect",
            &id,
            &secret,
            &[("token", theirs)],
        )
        .await
        .json()
        .await
        .unwrap();
        assert_eq!(body, json!({"active": false}), "another client's token");
    }

    // Public clients and tokens without admin may not introspect.
    let response = server
        .http
        .post(server.url("/oauth/introspect"))
        .form(&[("token", token.as_str()), ("client_id", public.as_str())])
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let response = server
        .http
        .post(server.url("/oauth/introspect"))
        .bearer_auth(&token)
        .form(&[("token", token.as_str())])
        .send()
        .await
        .unwrap();
    expect_error(response, StatusCode::FORBIDDEN, "insufficient_scope").await;
}
