//! Client authentication on the token, revocation and introspection endpoints, read from the
//! request in one place: `client_secret_basic` (HTTP Basic, form-encoded id and secret),
//! `client_secret_post` or `none` (credentials in the form), `private_key_jwt` (a JWT assertion
//! in the form, RFC 7523 §2.2). Core decides whether they prove a
//! client ([`AuthorizationServer::authenticate_client`](mcp_oauth_core::AuthorizationServer)).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mcp_oauth_core::OAuthError;
use mcp_oauth_core::assertion::{self, JWT_BEARER_ASSERTION};
use mcp_oauth_core::engine::ClientCredentials;
use mcp_oauth_core::secret::Secret;
use poem::Request;
use poem_openapi::SecurityScheme;

/// HTTP Basic client authentication (`client_secret_basic`).
#[derive(SecurityScheme)]
#[oai(rename = "client_secret_basic", ty = "basic")]
pub struct ClientBasic(poem_openapi::auth::Basic);

/// Client authentication on the token endpoint: Basic, or credentials in the form.
#[derive(SecurityScheme)]
pub enum ClientAuth {
    /// `client_secret_basic`.
    Basic(ClientBasic),
    /// `client_secret_post` or `none`: the credentials are in the form.
    #[oai(fallback)]
    InForm,
}

/// The client credentials a form may carry (`client_secret_post`, `none`, `private_key_jwt`).
pub(crate) struct FormCredentials {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<String>,
    /// `client_assertion_type`: `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`.
    pub client_assertion_type: Option<String>,
    /// `client_assertion`: the signed JWT.
    pub client_assertion: Option<String>,
}

/// The client's credentials from Basic auth, a secret or an assertion in the form; using two is
/// `invalid_request` (RFC 6749 §2.3: one method per request).
pub(crate) fn client_credentials(
    req: &Request,
    auth: ClientAuth,
    form: &FormCredentials,
) -> Result<ClientCredentials, OAuthError> {
    if let Some(assertion) = client_assertion(form)? {
        if form.client_secret.is_some()
            || req
                .headers()
                .contains_key(poem::http::header::AUTHORIZATION)
        {
            return Err(OAuthError::invalid_request(
                "use one client authentication method: a client assertion, or a secret",
            ));
        }
        return ClientCredentials::from_assertion(form.client_id.clone(), assertion);
    }
    let basic = match auth {
        ClientAuth::Basic(ClientBasic(basic)) => Some(basic),
        ClientAuth::InForm
            if req
                .headers()
                .contains_key(poem::http::header::AUTHORIZATION) =>
        {
            return Err(basic_header_error(req));
        }
        ClientAuth::InForm => None,
    };
    match basic {
        Some(basic) => {
            if form.client_secret.is_some() {
                return Err(OAuthError::invalid_request(
                    "send the client secret in the Authorization header or in the form, not both",
                ));
            }
            // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
            let client_id = form_decode(&basic.username)?;
            if form.client_id.as_ref().is_some_and(|id| *id != client_id) {
                return Err(OAuthError::invalid_request(
                    "client_id in the form differs from the Authorization header",
                ));
            }
            Ok(ClientCredentials {
                client_id,
                secret: Some(Secret::new(form_decode(&basic.password)?)),
                assertion: None,
            })
        }
        None => {
            let client_id = form.client_id.clone().ok_or_else(|| {
                OAuthError::invalid_client("client authentication failed: no client_id")
            })?;
            let secret = form.client_secret.clone().map(Secret::new);
            Ok(ClientCredentials {
                client_id,
                secret,
                assertion: None,
            })
        }
    }
}

/// The form's JWT client assertion, if it carries one (RFC 7521 §4.2: both fields, and the JWT
/// bearer type, the only one this server takes).
fn client_assertion(form: &FormCredentials) -> Result<Option<String>, OAuthError> {
    match (&form.client_assertion_type, &form.client_assertion) {
        (None, None) => Ok(None),
        (Some(kind), Some(assertion)) if kind == JWT_BEARER_ASSERTION => {
            Ok(Some(assertion.clone()))
        }
        (Some(_), Some(_)) => Err(assertion::refused(&format!(
            "client_assertion_type must be {JWT_BEARER_ASSERTION}"
        ))),
        _ => Err(OAuthError::invalid_request(
            "client_assertion and client_assertion_type are sent together",
        )),
    }
}

/// Why an Authorization header that is not valid Basic auth was refused.
fn basic_header_error(req: &Request) -> OAuthError {
    let value = req.headers().get(poem::http::header::AUTHORIZATION);
    let is_basic = value
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.len() >= 6 && v[..6].eq_ignore_ascii_case("basic "));
    if is_basic {
        let decodable = value
            .and_then(|v| v.to_str().ok())
            .and_then(|v| STANDARD.decode(v[6..].trim()).ok())
            .is_some_and(|bytes| String::from_utf8(bytes).is_ok_and(|s| s.contains(':')));
        if !decodable {
            return OAuthError::invalid_client("the Basic credentials are malformed");
        }
    }
    OAuthError::invalid_client("client authentication must use HTTP Basic or the form")
}

/// Undoes the `application/x-www-form-urlencoded` encoding of a Basic credential.
fn form_decode(text: &str) -> Result<String, OAuthError> {
    percent_encoding::percent_decode_str(&text.replace('+', " "))
        .decode_utf8()
        .map(|decoded| decoded.into_owned())
        .map_err(|_| OAuthError::invalid_client("the Basic credentials are malformed"))
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::form_decode;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Basic credentials are form-encoded before base64 (RFC 6749 §2.3.1): whatever text a
        /// client encodes, including `+`, `%`, `:` and non-ASCII, decodes to the same text.
        #[test]
        fn basic_credentials_round_trip(text in "\\PC{0,40}") {
            let encoded: String = url::form_urlencoded::byte_serialize(text.as_bytes()).collect();
            prop_assert_eq!(form_decode(&encoded).expect("decodes"), text);
        }

        /// Decoding never panics, and a literal `+` means a space: a `+` in the result can only
        /// come from an encoded `%2B`.
        #[test]
        fn decoding_never_panics(text in "[%0-9A-Fa-f+ a-z\\u{80}-\\u{ff}]{0,60}") {
            if let Ok(decoded) = form_decode(&text) {
                let encoded_plus = text.to_ascii_lowercase().matches("%2b").count();
                prop_assert!(decoded.matches('+').count() <= encoded_plus);
            }
        }
    }
}
