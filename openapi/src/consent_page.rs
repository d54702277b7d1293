//! The consent page: names this server, the client, the host the answer goes to (with a warning
//! when that is this very machine) and each scope; every value from the client is HTML-escaped.
//! Its Content-Security-Policy lets the form reach this server and, after it, exactly the
//! validated redirect target: `form-action` also governs the redirect that follows the POST.

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use mcp_oauth_core::authenticator::{SignInField, User};
use mcp_oauth_core::engine::{AuthorizationRequest, ValidatedAuthorization};
use mcp_oauth_core::model::{RedirectKind, RedirectUri};
use url::{Host, Url};

use crate::pages::{frame, sign_in_inputs};

/// The consent page's Content-Security-Policy for an answer sent to `redirect_uri`: no script,
/// its own inline style, this server's images, never framed, and the form allowed to post here
/// and to be redirected to the redirect target's origin (or, for a private-use scheme, that
/// scheme) and nowhere else. CSP host sources cannot name an IPv6 address (Chromium ignores
/// `http://[::1]:5000` and then blocks the redirect), so such a target gets its scheme
/// (`http:`): the server alone chooses where the form's answer redirects, to the URI it validated.
pub fn policy(redirect_uri: &str) -> String {
    let target = Url::parse(redirect_uri)
        .ok()
        .and_then(|url| match (url.scheme(), url.host()) {
            (scheme, Some(Host::Ipv6(_))) => Some(format!("{scheme}:")),
            ("http" | "https", Some(host)) => Some(match url.port() {
                Some(port) => format!("{}://{host}:{port}", url.scheme()),
                None => format!("{}://{host}", url.scheme()),
            }),
            ("http" | "https", None) => None,
            (scheme, _) => Some(format!("{scheme}:")),
        })
        // Parsed hosts and schemes hold no spaces or semicolons; refuse anything else anyway.
        .filter(|source| !source.contains([' ', ';', ',', '\'', '"']))
        .unwrap_or_default();
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; \
         form-action 'self' {target}; frame-ancestors 'none'"
    )
}

/// The canonical form of an authorization request: what the consent form's anti-forgery token
/// binds. Absent and empty parameters differ.
pub fn canonical(request: &AuthorizationRequest) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (index, (_, field)) in request.parameters().into_iter().enumerate() {
        match field {
            Some(value) => out.append_pair(&index.to_string(), value),
            None => out.append_key_only(&index.to_string()),
        };
    }
    out.finish()
}

/// The page for one pending authorization.
pub struct ConsentPage<'a> {
    /// This server's issuer, as the browser reached it: the page names the server.
    pub issuer: &'a str,
    /// The request as received (re-posted in hidden fields).
    pub request: &'a AuthorizationRequest,
    /// The validated request (what is shown).
    pub validated: &'a ValidatedAuthorization,
    /// The anti-forgery token.
    pub csrf_token: &'a str,
    /// The fields of the authenticators' sign-ins.
    pub sign_in: &'a [SignInField],
    /// The buttons of the sign-ins at other sites (HTML), shown above the form.
    pub sign_in_elsewhere: &'a str,
    /// Who the browser session says is deciding; then no sign-in is asked for.
    pub signed_in: Option<&'a User>,
}

impl ConsentPage<'_> {
    /// The client's self-asserted `client_uri` (RFC 7591 §5: nothing vouches for it), as text
    /// naming only its host, flagged when that host is not the one the answer goes to.
    fn homepage(&self, redirect_host: &str) -> String {
        let Some(host) = self
            .validated
            .client
            .profile
            .client_uri
            .as_deref()
            .and_then(|uri| Url::parse(uri).ok())
            .and_then(|url| url.host_str().map(str::to_owned))
        else {
            return String::new();
        };
        if host.eq_ignore_ascii_case(redirect_host) {
            format!(
                "<p class=\"muted\">The application says its home page is on <b>{}</b> \
                 (not verified).</p>",
                text(&host)
            )
        } else {
            format!(
                "<p class=\"warning\">The application says its home page is on <b>{}</b> \
                 (not verified), but the answer goes elsewhere: <b>{}</b>.</p>",
                text(&host),
                text(redirect_host)
            )
        }
    }

    /// The HTML, with an optional error line.
    pub fn render(&self, error: Option<&str>) -> String {
        let client = &self.validated.client;
        let name = client
            .profile
            .client_name
            .as_deref()
            .unwrap_or("An unnamed application");
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
        let registered = client.redirect_uri_for(&self.validated.redirect_uri);
        let host = registered
            .map(RedirectUri::host)
            .unwrap_or_else(|| self.validated.redirect_uri.clone());
        let homepage = self.homepage(&host);
        let destination = match registered.map(RedirectUri::kind) {
            Some(RedirectKind::Loopback) => format!(
                "<p class=\"warning\">If you approve, the answer goes to <b>{}</b>: a program on \
                 <b>this computer</b>, not a web site. Approve only if you have just started this \
                 application here yourself.</p>",
                text(&host)
            ),
            Some(RedirectKind::PrivateUse) => format!(
                "<p class=\"warning\">If you approve, the answer goes to the application that \
                 handles <b>{}</b> links on this computer. Approve only if you have just started \
                 it yourself.</p>",
                text(
                    self.validated
                        .redirect_uri
                        .split(':')
                        .next()
                        .unwrap_or_default()
                )
            ),
            _ => format!(
                "<p>If you approve, you will be sent back to <b>{}</b>.</p>",
                text(&host)
            ),
        };
        let hidden: String = self
            .request
            .parameters()
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
        let sign_in: String = match self.signed_in {
            Some(user) => format!(
                "<p class=\"muted\">Signed in as <b>{}</b> ({}).</p>",
                text(&user.subject),
                user.role
            ),
            None => sign_in_inputs(self.sign_in),
        };
        let elsewhere = match self.signed_in {
            Some(_) => "",
            None => self.sign_in_elsewhere,
        };
        // With nothing to sign in with on the form, approving starts at a button above it.
        let approve = if self.signed_in.is_some() || !self.sign_in.is_empty() {
            "<button type=\"submit\" name=\"decision\" value=\"approve\">Approve</button>"
        } else {
            ""
        };
        let sign_out = match self.signed_in {
            Some(_) => format!(
                "<form method=\"post\" action=\"sign-out\">{hidden}\
                 <button type=\"submit\">Not you? Sign out</button></form>"
            ),
            None => String::new(),
        };
        let body = format!(
            r#"<h1>Authorize {name}</h1>
<p class="muted">MCP Memory Service at <b>{issuer}</b></p>
<p><b>{name}</b> (client id <code>{client_id}</code>) wants access to your memory service.</p>
{homepage}
<p>It asks for:</p><ul>{scopes}</ul>
{destination}
{error}
{elsewhere}
<form method="post" action="authorize">
{hidden}<input type="hidden" name="csrf_token" value="{csrf}">
{sign_in}
{approve}
<button type="submit" name="decision" value="deny">Deny</button>
</form>
{sign_out}"#,
            name = text(name),
            issuer = text(self.issuer),
            client_id = text(client.client_id.as_str()),
            csrf = attr(self.csrf_token),
        );
        frame(&format!("Authorize {name}"), &body)
    }
}

#[cfg(test)]
mod tests {
    use super::policy;

    #[test]
    fn the_form_may_reach_exactly_the_redirect_target() {
        let csp = |uri: &str| {
            policy(uri)
                .split("; ")
                .find(|d| d.starts_with("form-action"))
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            csp("http://localhost:3118/callback"),
            "form-action 'self' http://localhost:3118"
        );
        assert_eq!(
            csp("https://claude.ai/api/mcp/auth_callback"),
            "form-action 'self' https://claude.ai"
        );
        assert_eq!(
            csp("cursor://anysphere.cursor-mcp/oauth/callback"),
            "form-action 'self' cursor:"
        );
        assert_eq!(csp("http://[::1]:5000/cb"), "form-action 'self' http:");
        assert!(policy("https://a.example/").contains("frame-ancestors 'none'"));
    }
}
