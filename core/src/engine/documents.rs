//! Client ID metadata documents (MCP authorization 2025-11-25; draft-ietf-oauth-client-id-metadata-
//! document): a client whose `client_id` is an https URL publishes its metadata there. The engine
//! fetches it through a [`DocumentFetcher`] (HTTP lives in the server), validates it, caches it
//! within bounds, and treats the client as public.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::future::{BoxFuture, FutureExt as _, Shared};
use serde::Deserialize;
use url::{Host, Url};

use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::model::{
    AuthMethod, Client, ClientId, ClientKeys, ClientProfile, GrantType, RedirectUri, Scope,
};

/// A fetched document and how long its publisher allows caching it.
#[derive(Debug)]
pub struct FetchedDocument {
    /// The body, at most a few kilobytes.
    pub body: Vec<u8>,
    /// `Cache-Control: max-age`, when given.
    pub max_age: Option<u64>,
}

/// Fetches documents from the network, refusing what must not be fetched (sizes, time, private
/// addresses); failures are `invalid_client` with a reason.
#[async_trait]
pub trait DocumentFetcher: Send + Sync {
    /// The document at `url`.
    async fn fetch(&self, url: &Url) -> Result<FetchedDocument, OAuthError>;
}

/// Shortest caching of a fetched document, whatever its headers say.
pub(super) const MIN_CACHE_SECONDS: i64 = 60;

/// How long a fetched document (a metadata document, a JWK set) is kept: its `max-age`, five
/// minutes when it gives none, and never less than a minute or more than a day.
pub(super) fn cache_seconds(max_age: Option<u64>) -> i64 {
    max_age
        .unwrap_or(300)
        .clamp(MIN_CACHE_SECONDS as u64, 86_400) as i64
}

/// The rules for the URL of a document a client publishes: https (or, with
/// `allow_http_loopback`, for tests, http on a loopback host), without a fragment or credentials.
/// Where it may point is judged at each fetch, on the address connected to.
pub(super) fn document_url(text: &str, allow_http_loopback: bool) -> Result<Url, &'static str> {
    let url = Url::parse(text).map_err(|_| "is not a URL")?;
    let loopback = match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if allow_http_loopback && loopback => {}
        _ => return Err("must use https"),
    }
    if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a fragment or credentials");
    }
    Ok(url)
}
/// Most documents kept in the cache.
const MAX_CACHED: usize = 1024;
/// How long past its freshness a cached document is still used while its host fails to serve it
/// (an outage, or a host refusing this server's address): a client that worked keeps working.
const MAX_STALE_SECONDS: i64 = 86_400;

/// A document fetch and parse in flight, shared by every request that needs it meanwhile.
type Fetch = Shared<BoxFuture<'static, Result<(Client, Option<u64>), Failure>>>;

/// Why a document could not be used.
#[derive(Clone)]
enum Failure {
    /// Its host did not serve it (unreachable, an error status, too slow, too large, or an
    /// address this server does not fetch from): a recent copy may stand in.
    Unserved(OAuthError),
    /// It was served and breaks the rules: refused, whatever was cached.
    Refused(OAuthError),
}

/// A cached client: fresh until one time, usable while its host fails until another.
#[derive(Clone)]
struct Cached {
    client: Client,
    fresh_until: UnixTime,
    usable_until: UnixTime,
}

/// The metadata a document may carry.
#[derive(Deserialize)]
struct Document {
    client_id: String,
    #[serde(default)]
    redirect_uris: Vec<String>,
    grant_types: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    /// OpenID Connect RP Metadata Choices: the methods the client can use, of which the server
    /// picks one (ChatGPT's document names `private_key_jwt` first and offers `none` here).
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
    application_type: Option<String>,
    client_secret: Option<serde_json::Value>,
    /// The client's public keys, for `private_key_jwt` (ChatGPT's per-app documents).
    jwks: Option<serde_json::Value>,
    jwks_uri: Option<String>,
    scope: Option<String>,
    client_name: Option<String>,
    client_uri: Option<String>,
    logo_uri: Option<String>,
}

/// Resolves URL client ids to clients, with a bounded cache.
pub struct ClientDocuments {
    fetcher: Arc<dyn DocumentFetcher>,
    allow_http_loopback: bool,
    trusted_domains: Option<Vec<String>>,
    cache: Mutex<HashMap<String, Cached>>,
    in_flight: Mutex<HashMap<String, Fetch>>,
}

impl ClientDocuments {
    /// Documents fetched by `fetcher`. `allow_http_loopback` also accepts `http://` ids on
    /// loopback hosts: for tests only.
    pub fn new(fetcher: Arc<dyn DocumentFetcher>, allow_http_loopback: bool) -> Self {
        Self {
            fetcher,
            allow_http_loopback,
            trusted_domains: None,
            cache: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// Accepts documents only from hosts that are one of `domains` or under one of them
    /// (`MCP_OAUTH_CIMD_TRUSTED_DOMAINS`); by default any public https host.
    pub fn trusting_only(mut self, domains: Vec<String>) -> Self {
        self.trusted_domains = Some(
            domains
                .into_iter()
                .map(|domain| domain.trim().trim_start_matches('.').to_ascii_lowercase())
                .filter(|domain| !domain.is_empty())
                .collect(),
        );
        self
    }

    /// Whether the trust policy admits documents from `host`.
    fn trusts(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        self.trusted_domains.as_ref().is_none_or(|domains| {
            domains.iter().any(|domain| {
                host == *domain
                    || host
                        .strip_suffix(domain.as_str())
                        .is_some_and(|rest| rest.ends_with('.'))
            })
        })
    }

    /// Whether `client_id` names a metadata document (rather than a registered client).
    pub fn is_document_id(client_id: &str) -> bool {
        client_id.starts_with("https://") || client_id.starts_with("http://")
    }

    /// The client a document URL describes, fetched or cached. Concurrent requests for one
    /// document share one fetch; when the host fails, a copy cached within the last day is used.
    pub async fn resolve(&self, client_id: &str, now: UnixTime) -> Result<Client, OAuthError> {
        let cached = self.cached(client_id);
        if let Some(entry) = &cached
            && entry.fresh_until > now
        {
            return Ok(entry.client.clone());
        }
        let url = self.check_url(client_id)?;
        let entry = match self.fetch_once(client_id, url, now).await {
            Ok((client, max_age)) => {
                let seconds = cache_seconds(max_age);
                Cached {
                    client,
                    fresh_until: now + seconds,
                    usable_until: now + seconds + MAX_STALE_SECONDS,
                }
            }
            // The host did not serve it: a copy from the last day, else a well-known client's
            // pinned document, stands in; the host is asked again a minute later, not on every
            // request (each failing fetch can take seconds).
            Err(Failure::Unserved(error)) => match cached {
                Some(stale) if stale.usable_until > now => Cached {
                    fresh_until: now + MIN_CACHE_SECONDS,
                    ..stale
                },
                _ => match super::pinned::document(client_id) {
                    Some(pinned) => Cached {
                        client: parse(client_id, pinned.as_bytes(), now)?,
                        fresh_until: now + MIN_CACHE_SECONDS,
                        usable_until: now + MIN_CACHE_SECONDS,
                    },
                    None => return Err(error),
                },
            },
            // A document that now breaks the rules was changed by its owner: refused.
            Err(Failure::Refused(error)) => return Err(error),
        };
        let mut cache = lock(&self.cache);
        if cache.len() >= MAX_CACHED {
            cache.retain(|_, kept| kept.usable_until > now);
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
        }
        cache.insert(client_id.to_owned(), entry.clone());
        Ok(entry.client)
    }

    /// Fetches and parses the document, or joins the fetch of it already under way.
    async fn fetch_once(
        &self,
        client_id: &str,
        url: Url,
        now: UnixTime,
    ) -> Result<(Client, Option<u64>), Failure> {
        let fetch = lock(&self.in_flight)
            .entry(client_id.to_owned())
            .or_insert_with(|| {
                let fetcher = self.fetcher.clone();
                let id = client_id.to_owned();
                async move {
                    let fetched = fetcher.fetch(&url).await.map_err(Failure::Unserved)?;
                    let client = parse(&id, &fetched.body, now).map_err(Failure::Refused)?;
                    Ok((client, fetched.max_age))
                }
                .boxed()
                .shared()
            })
            .clone();
        let outcome = fetch.clone().await;
        let mut in_flight = lock(&self.in_flight);
        if in_flight
            .get(client_id)
            .is_some_and(|current| current.ptr_eq(&fetch))
        {
            in_flight.remove(client_id);
        }
        outcome
    }

    fn cached(&self, client_id: &str) -> Option<Cached> {
        lock(&self.cache).get(client_id).cloned()
    }

    /// The draft's rules for the id itself: https, a path, no fragment, credentials or dot
    /// segments.
    fn check_url(&self, client_id: &str) -> Result<Url, OAuthError> {
        let invalid = |why: &str| OAuthError::invalid_client(format!("client_id URL {why}"));
        let url = document_url(client_id, self.allow_http_loopback).map_err(invalid)?;
        if url.path() == "/" || has_dot_segment(client_id) {
            return Err(invalid("must have a path without dot segments"));
        }
        if !url.host_str().is_some_and(|host| self.trusts(host)) {
            return Err(invalid(
                "is on a host this server does not trust (MCP_OAUTH_CIMD_TRUSTED_DOMAINS)",
            ));
        }
        Ok(url)
    }
}

/// The mutex's contents, even when a panic elsewhere poisoned it (the maps stay consistent).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether the path of the URL `text` has a `.` or `..` segment, written plainly or
/// percent-encoded any number of times (`%2e`, `%2E`, `%252e`…), or separated by `\` or an
/// encoded slash: a URL parser or the host would resolve it, so the document fetched would not be
/// the one the id names.
fn has_dot_segment(text: &str) -> bool {
    let after_scheme = text.split_once("://").map_or(text, |(_, rest)| rest);
    let mut path = after_scheme
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .split_once('/')
        .map_or_else(String::new, |(_, path)| path.to_owned());
    // Decode until nothing changes (bounded: each round shortens an encoded text).
    for _ in 0..8 {
        let decoded = percent_decode(&path);
        if decoded == path {
            break;
        }
        path = decoded;
    }
    path.split(['/', '\\'])
        .any(|segment| segment == "." || segment == "..")
}

/// `text` with each `%XX` replaced by its byte (invalid UTF-8 replaced).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Validates a document for `client_id` and makes the public client it describes.
fn parse(client_id: &str, body: &[u8], now: UnixTime) -> Result<Client, OAuthError> {
    let invalid =
        |why: String| OAuthError::invalid_client(format!("client metadata document: {why}"));
    let document: Document = serde_json::from_slice(body)
        .map_err(|e| invalid(format!("not valid JSON metadata ({e})")))?;
    if document.client_id != client_id {
        return Err(invalid(
            "its client_id is not the URL it was fetched from".into(),
        ));
    }
    if document.client_secret.is_some() {
        return Err(invalid("it must not contain a client_secret".into()));
    }
    let (auth_method, keys) = auth_choice(&document).map_err(|why| invalid(why.into()))?;
    if document.redirect_uris.is_empty() {
        return Err(invalid("redirect_uris is required".into()));
    }
    let redirect_uris = document
        .redirect_uris
        .iter()
        .map(|uri| RedirectUri::parse(uri))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(e.description.into_owned()))?;
    // A document describes the client, not this server: it may list grants this server does
    // not offer (VS Code's lists the device-code grant), and the client gets those it does offer
    // to a public client.
    let mut grant_types = vec![GrantType::AuthorizationCode];
    let lists_refresh = document
        .grant_types
        .unwrap_or_default()
        .iter()
        .any(|name| name == GrantType::RefreshToken.as_str());
    if lists_refresh {
        grant_types.push(GrantType::RefreshToken);
    }
    let declared = document
        .application_type
        .as_deref()
        .map(str::parse::<crate::model::ApplicationType>)
        .transpose()
        .map_err(|e| invalid(e.description.into_owned()))?;
    let scope = match document.scope.as_deref() {
        Some(text) => text
            .parse::<crate::model::ScopeSet>()
            .map_err(|e| invalid(e.description.into_owned()))?
            .without(Scope::OfflineAccess),
        None => [Scope::Read, Scope::Write].into_iter().collect(),
    };
    let application_type = crate::model::ApplicationType::recorded(declared, &redirect_uris);
    let web = |uri: Option<String>| {
        uri.filter(|u| Url::parse(u).is_ok_and(|url| matches!(url.scheme(), "https" | "http")))
    };
    Ok(Client {
        client_id: ClientId::new(client_id),
        secret_hash: None,
        redirect_uris,
        grant_types,
        auth_method,
        scope,
        profile: ClientProfile {
            client_name: document
                .client_name
                .map(|name| name.chars().take(256).collect()),
            client_uri: web(document.client_uri),
            logo_uri: web(document.logo_uri),
            application_type: Some(application_type),
            ..ClientProfile::default()
        },
        issued_at: now,
        registration_token_hash: None,
        used_at: None,
        keys,
    })
}

/// How a document's client authenticates (OpenID Connect RP Metadata Choices: of the methods it
/// offers, the server may pick): `none` when offered, its keys kept when it also offers
/// `private_key_jwt` (it may present an assertion or nothing); else `private_key_jwt` with its
/// keys. A document carries no secret, so no other method can work.
fn auth_choice(document: &Document) -> Result<(AuthMethod, Option<ClientKeys>), &'static str> {
    let mut offered: Vec<&str> = document
        .token_endpoint_auth_methods_supported
        .iter()
        .flatten()
        .map(String::as_str)
        .chain(document.token_endpoint_auth_method.as_deref())
        .collect();
    if offered.is_empty() {
        offered.push(AuthMethod::None.as_str());
    }
    let offers = |method: AuthMethod| offered.contains(&method.as_str());
    let keys = || ClientKeys::from_metadata(document.jwks.as_ref(), document.jwks_uri.as_deref());
    if offers(AuthMethod::None) {
        let keys = offers(AuthMethod::PrivateKeyJwt)
            .then(keys)
            .and_then(Result::ok);
        Ok((AuthMethod::None, keys))
    } else if offers(AuthMethod::PrivateKeyJwt) {
        Ok((AuthMethod::PrivateKeyJwt, Some(keys()?)))
    } else {
        Err(
            "token_endpoint_auth_method must be none or private_key_jwt (with jwks or jwks_uri), \
             or one of them must be among token_endpoint_auth_methods_supported",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "https://app.example/oauth/client.json";

    #[test]
    fn a_valid_document_makes_a_public_client() {
        let body = format!(
            r#"{{"client_id":"{ID}","client_name":"App","redirect_uris":["http://localhost/callback"],"grant_types":["authorization_code","refresh_token"],"token_endpoint_auth_method":"none"}}"#
        );
        let client = parse(ID, body.as_bytes(), 0).unwrap();
        assert!(client.is_public());
        assert!(client.allows_grant(GrantType::RefreshToken));
        assert!(
            client
                .redirect_uri_for("http://localhost:51234/callback")
                .is_some()
        );
    }

    /// A host that never answers: an offline server, or a host refusing this server's address.
    struct Unreachable;

    #[async_trait]
    impl DocumentFetcher for Unreachable {
        async fn fetch(&self, _: &Url) -> Result<FetchedDocument, OAuthError> {
            Err(OAuthError::invalid_client(
                "the client metadata document could not be fetched",
            ))
        }
    }

    #[test]
    fn well_known_clients_are_served_from_their_pinned_documents_when_their_hosts_fail() {
        let documents = ClientDocuments::new(Arc::new(Unreachable), false);
        let resolve = |id: &str| futures::executor::block_on(documents.resolve(id, 0));
        let claude = resolve("https://claude.ai/oauth/mcp-oauth-client-metadata").unwrap();
        assert!(
            claude
                .redirect_uri_for("https://claude.ai/api/mcp/auth_callback")
                .is_some()
        );
        let chatgpt = resolve("https://chatgpt.com/oauth/client.json").unwrap();
        assert!(chatgpt.is_public(), "none chosen among its methods");
        let vscode = resolve("https://vscode.dev/oauth/client-metadata.json").unwrap();
        assert!(vscode.redirect_uri_for("http://127.0.0.1:33418/").is_some());
        assert_eq!(
            vscode.application_type(),
            crate::model::ApplicationType::Native
        );
        let error = resolve("https://unknown.example/client.json").unwrap_err();
        assert_eq!(
            error.code,
            crate::ErrorCode::InvalidClient,
            "no pinned copy: the failure"
        );
    }

    #[test]
    fn dot_segments_are_found_in_every_encoding() {
        for id in [
            "https://a.example/x/../client.json",
            "https://a.example/x/./client.json",
            "https://a.example/x/%2e%2e/client.json",
            "https://a.example/x/%2E./client.json",
            "https://a.example/x/%252e%252e/client.json",
            "https://a.example/x%2f..%2fclient.json",
            "https://a.example/x\\..\\client.json",
            "https://a.example/client.json/..",
        ] {
            assert!(has_dot_segment(id), "{id}");
        }
        for id in [
            "https://a.example/oauth/client.json",
            "https://a.example/.well-known/client.json",
            "https://a.example/v1.2/client.json?x=/../",
            "https://a.example/a%2Bb/client.json",
        ] {
            assert!(!has_dot_segment(id), "{id}");
        }
    }

    #[test]
    fn documents_as_the_clients_publish_them_are_accepted_for_what_this_server_offers() {
        // VS Code's: native, and grants this server does not offer public clients.
        let vscode = format!(
            r#"{{"client_id":"{ID}","client_name":"Visual Studio Code","application_type":"native","redirect_uris":["http://127.0.0.1:33418/","https://vscode.dev/redirect"],"grant_types":["authorization_code","refresh_token","urn:ietf:params:oauth:grant-type:device_code","client_credentials"],"token_endpoint_auth_method":"none"}}"#
        );
        let client = parse(ID, vscode.as_bytes(), 0).unwrap();
        assert_eq!(
            client.grant_types,
            [GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        assert_eq!(
            client.application_type(),
            crate::model::ApplicationType::Native
        );
        // ChatGPT's: private_key_jwt first, `none` among the choices (RP Metadata Choices).
        let chatgpt = format!(
            r#"{{"client_id":"{ID}","client_name":"ChatGPT","redirect_uris":["https://chatgpt.com/connector_platform_oauth_redirect"],"token_endpoint_auth_method":"private_key_jwt","token_endpoint_auth_methods_supported":["none","private_key_jwt"]}}"#
        );
        let client = parse(ID, chatgpt.as_bytes(), 0).unwrap();
        assert!(client.is_public());
        assert_eq!(client.auth_method, AuthMethod::None);
        assert_eq!(
            client.application_type(),
            crate::model::ApplicationType::Web
        );
        // ChatGPT's per-app documents: private_key_jwt only, with an RS256 jwks_uri.
        let per_app = format!(
            r#"{{"client_id":"{ID}","redirect_uris":["https://chatgpt.com/connector/oauth/abc"],"token_endpoint_auth_method":"private_key_jwt","token_endpoint_auth_methods_supported":["private_key_jwt"],"jwks_uri":"https://chatgpt.com/oauth/abc/jwks.json"}}"#
        );
        let client = parse(ID, per_app.as_bytes(), 0).unwrap();
        assert!(!client.is_public());
        assert_eq!(client.auth_method, AuthMethod::PrivateKeyJwt);
        assert_eq!(
            client.keys,
            Some(ClientKeys::JwksUri(
                "https://chatgpt.com/oauth/abc/jwks.json".into()
            ))
        );
    }

    #[test]
    fn documents_breaking_the_rules_are_refused() {
        for body in [
            r#"{"client_id":"https://other.example/client.json","redirect_uris":["https://a.example/cb"]}"#.to_owned(),
            format!(r#"{{"client_id":"{ID}","redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"client_secret_basic"}}"#),
            format!(r#"{{"client_id":"{ID}","redirect_uris":["https://a.example/cb"],"client_secret":"x"}}"#),
            format!(r#"{{"client_id":"{ID}","redirect_uris":[]}}"#),
            format!(r#"{{"client_id":"{ID}","redirect_uris":["javascript:alert(1)"]}}"#),
            format!(r#"{{"client_id":"{ID}","redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt","token_endpoint_auth_methods_supported":["private_key_jwt"]}}"#),
            format!(r#"{{"client_id":"{ID}","redirect_uris":["https://a.example/cb"],"application_type":"desktop"}}"#),
            "not json".to_owned(),
        ] {
            assert!(parse(ID, body.as_bytes(), 0).is_err(), "{body}");
        }
    }
}
