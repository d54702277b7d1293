//! The names this server answers to, in one place: the `Host` allow-list every route checks
//! (against DNS rebinding), the issuer a request reached the server by (the loopback names of a
//! derived issuer are one host), and the browser origins that may call it (CORS, `Origin`).

use poem::Request;
use poem::http::header;
use poem::middleware::Cors;
use url::Url;

/// Which browser origins may call the server (`MCP_CORS_ORIGINS`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CorsOrigins {
    /// Unset: every loopback origin on any port (MCP Inspector runs at `http://localhost:6274`),
    /// plus this server's own origins.
    Loopback,
    /// `*`: any origin. Never with credentials: no cookie or HTTP authentication rides along.
    Any,
    /// These origins (`scheme://host[:port]`, normalised by [`parse_origin`]), plus this server's
    /// own.
    List(Vec<String>),
}

impl CorsOrigins {
    /// Parses `MCP_CORS_ORIGINS`: `*`, or origins separated by commas.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text == "*" {
            return Ok(Self::Any);
        }
        let origins = text
            .split(',')
            .map(str::trim)
            .filter(|origin| !origin.is_empty())
            .map(|origin| {
                parse_origin(origin).ok_or_else(|| {
                    format!(
                        "expected * or origins such as https://app.example.com separated by \
                         commas; {origin:?} is not an origin"
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if origins.is_empty() {
            return Err("expected * or at least one origin".into());
        }
        Ok(Self::List(origins))
    }
}

/// `text` as an origin (`scheme://host[:port]`, lower case, default port dropped), if it is one.
pub fn parse_origin(text: &str) -> Option<String> {
    let url = Url::parse(text).ok()?;
    let bare = url.path() == "/" || url.path().is_empty();
    let fine = matches!(url.scheme(), "http" | "https")
        && url.has_host()
        && bare
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    fine.then(|| url.origin().ascii_serialization())
}

/// The names and origins of this server.
#[derive(Clone, Debug)]
pub struct Site {
    issuer: String,
    /// `host[:port]` as a `Host` header carries it (lower case) → the issuer that name stands for.
    aliases: Vec<(String, String)>,
    /// Host names (no port, no brackets, lower case) requests may carry.
    hosts: Vec<String>,
    /// This server's own origins: the issuer's and its aliases'.
    own_origins: Vec<String>,
    cors: CorsOrigins,
}

/// The loopback names a `Host` may use, whatever the settings.
const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

impl Site {
    /// The site of the server known as `issuer` (and as each of `aliases`), listening on
    /// `listen_host`, open to the browser origins `cors`.
    pub fn new(issuer: &str, aliases: &[String], listen_host: &str, cors: CorsOrigins) -> Self {
        let issuers = std::iter::once(issuer).chain(aliases.iter().map(String::as_str));
        let urls: Vec<Url> = issuers.filter_map(|i| Url::parse(i).ok()).collect();
        let mut hosts: Vec<String> = LOOPBACK_HOSTS.iter().map(|h| (*h).to_owned()).collect();
        hosts.extend(urls.iter().filter_map(|url| url.host_str().map(bare_host)));
        hosts.push(bare_host(listen_host));
        hosts.sort();
        hosts.dedup();
        let aliases = aliases
            .iter()
            .filter_map(|alias| Some((authority(&Url::parse(alias).ok()?)?, alias.clone())))
            .collect();
        let own_origins = urls
            .iter()
            .map(|url| url.origin().ascii_serialization())
            .collect();
        Self {
            issuer: issuer.to_owned(),
            aliases,
            hosts,
            own_origins,
            cors,
        }
    }

    /// The host names requests may carry in `Host`, for rmcp's own check on `/mcp`.
    pub fn allowed_hosts(&self) -> &[String] {
        &self.hosts
    }

    /// Whether the request's `Host` names this server. A request without one passes: every
    /// browser sends it, so a rebinding attack always carries the attacker's name.
    pub fn host_allowed(&self, req: &Request) -> bool {
        let Some(host) = host_header(req) else {
            return true;
        };
        let name = match host.rsplit_once(':') {
            Some((name, port)) if !port.contains(']') => name,
            _ => host.as_str(),
        };
        self.hosts.contains(&bare_host(name))
    }

    /// The issuer the request reached the server by: an alias when its `Host` is one, else the
    /// issuer.
    pub fn issuer_for(&self, req: &Request) -> &str {
        host_header(req)
            .and_then(|host| {
                self.aliases
                    .iter()
                    .find(|(authority, _)| *authority == host)
            })
            .map_or(&self.issuer, |(_, issuer)| issuer)
    }

    /// Whether a browser page at `origin` may call the server.
    pub fn origin_allowed(&self, origin: &str) -> bool {
        let Some(origin) = parse_origin(origin) else {
            return false;
        };
        if self.own_origins.contains(&origin) {
            return true;
        }
        match &self.cors {
            CorsOrigins::Any => true,
            CorsOrigins::List(list) => list.contains(&origin),
            CorsOrigins::Loopback => Url::parse(&origin).is_ok_and(|url| {
                url.host_str()
                    .is_some_and(|host| LOOPBACK_HOSTS.contains(&bare_host(host).as_str()))
            }),
        }
    }

    /// poem's CORS middleware for this site: preflights answered before any authentication, the
    /// headers MCP clients send allowed, the ones they read exposed, no credentials.
    pub fn cors(self: &std::sync::Arc<Self>) -> Cors {
        let site = self.clone();
        let mut cors = Cors::new()
            .allow_methods(["GET", "POST", "PUT", "DELETE", "OPTIONS"])
            .allow_headers([
                "authorization",
                "content-type",
                "x-api-key",
                "mcp-protocol-version",
                "mcp-session-id",
                "mcp-method",
                "mcp-name",
                "last-event-id",
            ])
            .expose_headers([
                "www-authenticate",
                "mcp-session-id",
                "mcp-protocol-version",
                "retry-after",
            ])
            .allow_credentials(false)
            .max_age(600);
        if self.cors != CorsOrigins::Any {
            cors = cors.allow_origins_fn(move |origin| site.origin_allowed(origin));
        }
        cors
    }
}

/// The request's `Host` (or HTTP/2 `:authority`), lower case.
fn host_header(req: &Request) -> Option<String> {
    req.headers()
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()))
        .map(|host| host.trim().to_ascii_lowercase())
}

/// A host name without IPv6 brackets or a trailing dot, lower case.
fn bare_host(host: &str) -> String {
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// `host[:port]` of `url` as a `Host` header writes it (the default port omitted).
fn authority(url: &Url) -> Option<String> {
    let host = url.host_str()?;
    Some(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(cors: CorsOrigins) -> Site {
        Site::new(
            "http://localhost:8000",
            &["http://127.0.0.1:8000".into(), "http://[::1]:8000".into()],
            "127.0.0.1",
            cors,
        )
    }

    fn request(host: &str) -> Request {
        Request::builder().header(header::HOST, host).finish()
    }

    #[test]
    fn loopback_names_are_answered_with_their_own_issuer() {
        let site = site(CorsOrigins::Loopback);
        assert_eq!(
            site.issuer_for(&request("127.0.0.1:8000")),
            "http://127.0.0.1:8000"
        );
        assert_eq!(site.issuer_for(&request("[::1]:8000")), "http://[::1]:8000");
        assert_eq!(
            site.issuer_for(&request("LOCALHOST:8000")),
            "http://localhost:8000"
        );
        // Another port is not this server's name: the issuer answers.
        assert_eq!(
            site.issuer_for(&request("127.0.0.1:9")),
            "http://localhost:8000"
        );
    }

    #[test]
    fn only_this_servers_names_pass_the_host_check() {
        let site = site(CorsOrigins::Loopback);
        for host in ["localhost:8000", "127.0.0.1", "[::1]:8000", "LocalHost."] {
            assert!(site.host_allowed(&request(host)), "{host}");
        }
        for host in [
            "rebind.evil.example:8000",
            "evil.localhost",
            "127.0.0.2:8000",
            "[::2]",
        ] {
            assert!(!site.host_allowed(&request(host)), "{host}");
        }
        assert!(site.host_allowed(&Request::builder().finish()));
    }

    #[test]
    fn origins_follow_the_policy() {
        let loopback = site(CorsOrigins::Loopback);
        assert!(loopback.origin_allowed("http://localhost:6274"));
        assert!(loopback.origin_allowed("http://[::1]:1234"));
        assert!(!loopback.origin_allowed("https://evil.example"));
        assert!(!loopback.origin_allowed("null"));
        let list = site(CorsOrigins::parse("https://inspector.example.com/").unwrap());
        assert!(list.origin_allowed("https://inspector.example.com"));
        assert!(
            list.origin_allowed("http://localhost:8000"),
            "its own origin"
        );
        assert!(!list.origin_allowed("http://localhost:6274"));
        assert!(site(CorsOrigins::Any).origin_allowed("https://anything.example"));
    }

    #[test]
    fn the_setting_takes_star_or_origins() {
        assert_eq!(CorsOrigins::parse(" * "), Ok(CorsOrigins::Any));
        assert_eq!(
            CorsOrigins::parse("https://a.example, http://localhost:6274"),
            Ok(CorsOrigins::List(vec![
                "https://a.example".into(),
                "http://localhost:6274".into()
            ]))
        );
        for bad in [
            "",
            "a.example",
            "https://a.example/path",
            "ftp://a.example",
            "https://a.example?x",
        ] {
            assert!(CorsOrigins::parse(bad).is_err(), "{bad}");
        }
    }
}
