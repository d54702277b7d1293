//! The pages people see: the landing page at `/`, the favicon, and the error page that stands in
//! for a JSON error on browser-facing endpoints when the browser asks for HTML. Every value that
//! did not come from this file is HTML-escaped.

use html_escape::encode_text as text;
use mcp_oauth_core::ErrorCode;
use mcp_oauth_core::authenticator::SignInField;
use poem::http::{HeaderValue, StatusCode, header};
use poem::web::Html;
use poem::{IntoResponse, Request, Response};
use poem_openapi::{ApiResponse, OpenApi};

use crate::error::ErrorBody;
use crate::state::AppState;

/// The Content-Security-Policy of pages without a form: nothing but their own inline style and
/// this server's images, never framed.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// The site's icon (16×16 ICO): a browser asks for it on every page.
const FAVICON: &[u8] = include_bytes!("../assets/favicon.ico");

/// The shared frame of every page: `title` and the `body` HTML (already escaped).
pub fn frame(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title><link rel="icon" href="/favicon.ico">
<style>body{{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;line-height:1.45}}
.muted{{color:#555}}.error{{color:#b00020;font-weight:bold}}.warning{{background:#fff4e5;border-left:4px solid #e69500;padding:.5rem .75rem}}
button,a.button{{padding:.5rem 1rem;margin-right:.5rem}}a.button{{display:inline-block;border:1px solid #767676;border-radius:3px;background:#efefef;color:#000;text-decoration:none}}input[type=password],input[type=text]{{width:100%;padding:.4rem;box-sizing:border-box}}
table{{border-collapse:collapse}}td,th{{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}}
code{{background:#f3f3f3;padding:0 .2rem}}</style></head>
<body>
{body}
</body></html>"#,
        title = text(title),
    )
}

/// The inputs of sign-in `fields`: a password input for a secret, a text input otherwise.
pub fn sign_in_inputs<'a>(fields: impl IntoIterator<Item = &'a SignInField>) -> String {
    fields
        .into_iter()
        .map(|field| {
            let (kind, autocomplete) = if field.secret {
                ("password", "current-password")
            } else {
                ("text", "username")
            };
            format!(
                "<p><label>{}<br><input type=\"{kind}\" name=\"{}\" \
                 autocomplete=\"{autocomplete}\"></label></p>",
                text(field.label),
                html_escape::encode_double_quoted_attribute(field.name)
            )
        })
        .collect()
}

/// The buttons of the sign-ins at other sites (`oidc`): links to `/oauth/sign-in/{name}` with
/// `query` (the authorization under way, `?…`, or nothing for the account page).
pub fn sign_in_elsewhere_links(
    authenticators: &[std::sync::Arc<dyn mcp_oauth_core::Authenticator>],
    query: &str,
) -> String {
    authenticators
        .iter()
        .filter_map(|authenticator| {
            let redirect = authenticator.redirect_sign_in()?;
            Some(format!(
                "<p><a class=\"button\" href=\"/oauth/sign-in/{}{}\">{}</a></p>",
                html_escape::encode_double_quoted_attribute(authenticator.name()),
                html_escape::encode_double_quoted_attribute(query),
                text(redirect.label())
            ))
        })
        .collect()
}

/// `html` as a page answer with `status` and the page security headers (`csp` as its policy).
pub fn page_response(status: StatusCode, html: String, csp: &str) -> Response {
    let mut response = Html(html).with_status(status).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Whether the request asks for HTML by name (browsers do; `*/*` alone does not count, so
/// programs keep getting JSON).
pub fn accepts_html(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let media = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.replace(' ', "") == "q=0");
            !refused
                && (media.eq_ignore_ascii_case("text/html")
                    || media.eq_ignore_ascii_case("application/xhtml+xml"))
        })
}

/// The error page for a person: what went wrong and what to do. A 401 becomes 400: nobody
/// authenticates on these pages, and a challenge would pop up the browser's password dialog.
pub fn error_page(status: StatusCode, body: &ErrorBody) -> Response {
    let status = if status == StatusCode::UNAUTHORIZED {
        StatusCode::BAD_REQUEST
    } else {
        status
    };
    let code = body.error.as_str();
    let advice = match code {
        _ if code == ErrorCode::InvalidClient.as_str() => {
            "This application is not registered with this server, or its registration was \
             removed. Go back to the application and connect again: it will register anew."
        }
        _ if code == ErrorCode::TemporarilyUnavailable.as_str() => "Wait a minute, then try again.",
        _ if code == ErrorCode::AccessDenied.as_str() => {
            "Nothing was approved. Go back to the application and connect again, signing in \
             as someone this server lets in."
        }
        _ if code == ErrorCode::ServerError.as_str() => {
            "The server could not finish this request. Try again later; if it persists, the \
             server's log says why."
        }
        _ => {
            "The link that brought you here is incomplete or was changed on the way. Nothing was \
             approved. Start the connection again from the application; if this keeps happening, \
             tell its developer what this page says."
        }
    };
    let html = frame(
        "Authorization failed",
        &format!(
            "<h1>This authorization cannot go on</h1>\n<p class=\"error\">{}</p>\n<p>{advice}</p>\n\
             <p class=\"muted\">Error code: <code>{}</code></p>",
            text(&body.error_description),
            text(&body.error),
        ),
    );
    page_response(status, html, PAGE_CSP)
}

/// The landing page, an operation of the API so that it shares its routing, hidden from the spec.
pub struct LandingApi {
    /// Shared state.
    pub state: std::sync::Arc<AppState>,
}

/// The landing page's answer.
#[derive(ApiResponse)]
pub enum LandingResponse {
    /// The page.
    #[oai(status = 200)]
    Page(
        poem_openapi::payload::Html<String>,
        #[oai(header = "Content-Security-Policy")] String,
        #[oai(header = "X-Frame-Options")] String,
    ),
}

#[OpenApi]
impl LandingApi {
    /// What this server is and where to go from here
    #[oai(path = "/", method = "get", hidden)]
    async fn landing(&self, req: &Request) -> LandingResponse {
        LandingResponse::Page(
            poem_openapi::payload::Html(landing(req, &self.state)),
            PAGE_CSP.to_owned(),
            "DENY".to_owned(),
        )
    }
}

/// The landing page's HTML: what this server is and where to go from here.
fn landing(req: &Request, state: &AppState) -> String {
    let issuer = state.site.issuer_for(req);
    let mcp = format!("{issuer}/mcp");
    frame(
        "MCP Memory Service",
        &format!(
            "<h1>MCP Memory Service</h1>\n<p>An OAuth 2.1 authorization server and the memory \
             service it protects (version {version}).</p>\n<h2>Connect an MCP client</h2>\n\
             <p>MCP endpoint: <code>{mcp}</code></p>\n<p>Claude Code: <code>claude mcp add \
             --transport http memory {mcp}</code>, then <code>/mcp</code> to sign in. Other \
             clients take the same URL and find everything else by themselves.</p>\n\
             <h2>Explore</h2>\n<ul><li><a href=\"/docs\">API documentation (Swagger UI)</a></li>\n\
             <li><a href=\"/.well-known/oauth-authorization-server\">Authorization-server \
             metadata</a></li>\n<li><a href=\"/.well-known/oauth-protected-resource/mcp\">\
             Protected-resource metadata</a></li>\n<li><a href=\"/api/health\">Health</a></li></ul>",
            version = env!("CARGO_PKG_VERSION"),
            mcp = text(&mcp),
        ),
    )
}

/// `GET /favicon.ico`.
pub fn favicon() -> Response {
    let mut response = FAVICON.with_content_type("image/x-icon").into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_accept(value: &str) -> Request {
        Request::builder().header(header::ACCEPT, value).finish()
    }

    #[test]
    fn html_is_for_those_who_ask_for_it() {
        let chromium = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,\
                        image/webp,image/apng,*/*;q=0.8";
        assert!(accepts_html(&with_accept(chromium)));
        assert!(!accepts_html(&with_accept("*/*")));
        assert!(!accepts_html(&with_accept("application/json")));
        assert!(!accepts_html(&with_accept(
            "text/html;q=0, application/json"
        )));
        assert!(!accepts_html(&Request::builder().finish()));
    }

    #[test]
    fn the_favicon_is_an_icon() {
        assert_eq!(&FAVICON[..4], &[0, 0, 1, 0], "an ICO header");
    }
}
