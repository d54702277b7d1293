//! Client authentication on the token, revocation and introspection endpoints, read from the
//! request in one place: `client_secret_basic` (HTTP Basic, form-encoded id and secret),
//! `client_secret_post` or `none` (credentials in the form). Core decides whether they prove a
//! client ([`AuthorizationServer::authenticate_client`](mcp_oauth_core::AuthorizationServer)).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mcp_oauth_core::OAuthError;
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

/// The client credentials a form may carry (`client_secret_post`, `none`).
pub(crate) struct FormCredentials {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `client_secret`.
    pub client_secret: Option<String>,
}

/// The client's credentials from Basic auth or the form; using both is `invalid_request`
/// (RFC 6749 §2.3: one method per request).
pub(crate) fn client_credentials(
    req: &Request,
    auth: ClientAuth,
    form: &FormCredentials,
) -> Result<ClientCredentials, OAuthError> {
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
            })
        }
        None => {
            let client_id = form.client_id.clone().ok_or_else(|| {
                OAuthError::invalid_client("client authentication failed: no client_id")
            })?;
            let secret = form.client_secret.clone().map(Secret::new);
            Ok(ClientCredentials { client_id, secret })
        }
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
