//! The consent page: names the client, where the answer goes and each scope; every value from the
//! client is HTML-escaped.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use mcp_oauth_core::engine::{AuthorizationRequest, ValidatedAuthorization};

/// The canonical form of an authorization request: what the consent form's anti-forgery token
/// binds. Absent and empty parameters differ.
pub fn canonical(request: &AuthorizationRequest) -> String {
    let fields = [
        &request.response_type,
        &request.client_id,
        &request.redirect_uri,
        &request.scope,
        &request.state,
        &request.code_challenge,
        &request.code_challenge_method,
        &request.resource,
    ];
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (index, field) in fields.into_iter().enumerate() {
        match field {
            Some(value) => out.append_pair(&index.to_string(), value),
            None => out.append_key_only(&index.to_string()),
        };
    }
    out.finish()
}

/// The page for one pending authorization.
pub struct ConsentPage<'a> {
    /// The request as received (re-posted in hidden fields).
    pub request: &'a AuthorizationRequest,
    /// The validated request (what is shown).
    pub validated: &'a ValidatedAuthorization,
    /// The anti-forgery token.
    pub csrf_token: &'a str,
}

impl ConsentPage<'_> {
    /// The HTML, with an optional error line.
    pub fn render(&self, error: Option<&str>) -> String {
        let client = &self.validated.client;
        let name = client
            .profile
            .client_name
            .as_deref()
            .unwrap_or("An unnamed application");
        let homepage = client
            .profile
            .client_uri
            .as_deref()
            .map(|uri| format!("<p class=\"muted\">Home page: {}</p>", text(uri)))
            .unwrap_or_default();
        let scopes: String = self
            .validated
            .scope
            .iter()
            .map(|scope| {
                format!(
                    "<li><b>{}</b>: {}</li>",
                    scope.as_str(),
                    scope.description()
                )
            })
            .collect();
        // The registered URI the request matched has the same host (only loopback ports vary).
        let host = client
            .redirect_uri_for(&self.validated.redirect_uri)
            .map(|uri| uri.host())
            .unwrap_or_else(|| self.validated.redirect_uri.clone());
        let hidden: String = [
            ("response_type", &self.request.response_type),
            ("client_id", &self.request.client_id),
            ("redirect_uri", &self.request.redirect_uri),
            ("scope", &self.request.scope),
            ("state", &self.request.state),
            ("code_challenge", &self.request.code_challenge),
            ("code_challenge_method", &self.request.code_challenge_method),
            ("resource", &self.request.resource),
        ]
        .into_iter()
        .filter_map(|(field, value)| {
            value.as_ref().map(|value| {
                format!(
                    "<input type=\"hidden\" name=\"{field}\" value=\"{}\">",
                    attr(value)
                )
            })
        })
        .collect();
        let error = error
            .map(|e| format!("<p class=\"error\">{}</p>", text(e)))
            .unwrap_or_default();
        format!(
            r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Authorize {name}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
.muted{{color:#555}}.error{{color:#b00020;font-weight:bold}}button{{padding:.5rem 1rem;margin-right:.5rem}}
input[type=password]{{width:100%;padding:.4rem}}</style></head>
<body>
<h1>Authorize {name}</h1>
<p><b>{name}</b> (client id <code>{client_id}</code>) wants access to your memory service.</p>
{homepage}
<p>It asks for:</p><ul>{scopes}</ul>
<p>If you approve, you will be sent back to <b>{host}</b>.</p>
{error}
<form method="post" action="authorize">
{hidden}<input type="hidden" name="csrf_token" value="{csrf}">
<p><label>API key (MCP_API_KEY)<br><input type="password" name="api_key" autocomplete="current-password"></label></p>
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>
</body></html>"#,
            name = text(name),
            client_id = text(client.client_id.as_str()),
            host = text(&host),
            csrf = attr(self.csrf_token),
        )
    }
}
