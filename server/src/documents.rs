//! Fetching the documents clients publish over HTTPS (client ID metadata documents, the JWK sets
//! of `private_key_jwt` clients), refusing what an authorization server must
//! not fetch: more than 5 KB, more than 5 seconds, redirects, and addresses inside the network
//! (private, loopback, link-local, …) — loopback only where `MCP_OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK`
//! (a setting for tests) allows it. The address checked is the address connected to, so DNS cannot
//! change between the check and the request.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_core::OAuthError;
use mcp_oauth_core::engine::{DocumentFetcher, FetchedDocument};
use url::Url;

/// Largest document accepted.
const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// Longest a fetch may take, resolution included.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Fetches documents with reqwest over rustls (ring, webpki roots).
pub struct HttpDocumentFetcher {
    allow_loopback: bool,
    tls: Arc<rustls::ClientConfig>,
}

impl HttpDocumentFetcher {
    /// A fetcher; `allow_loopback` admits loopback addresses (tests only).
    pub fn new(allow_loopback: bool) -> Self {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map(|builder| builder.with_root_certificates(roots).with_no_client_auth())
        .unwrap_or_else(|_| {
            // The ring provider supports the default versions; this cannot fail.
            unreachable!("ring supports TLS 1.2 and 1.3")
        });
        Self {
            allow_loopback,
            tls: Arc::new(tls),
        }
    }

    fn allowed(&self, ip: IpAddr) -> bool {
        let ip = match ip {
            IpAddr::V6(v6) => match embedded_ipv4(v6) {
                Embedded::V4(v4) => IpAddr::V4(v4),
                Embedded::Unknowable => return false,
                Embedded::None => IpAddr::V6(v6),
            },
            v4 => v4,
        };
        if ip.is_loopback() {
            return self.allow_loopback;
        }
        match ip {
            IpAddr::V4(v4) => {
                let [a, b, ..] = v4.octets();
                !(v4.is_private()
                    || v4.is_link_local()
                    || v4.is_unspecified()
                    || v4.is_broadcast()
                    || v4.is_multicast()
                    || v4.is_documentation()
                    || a == 0
                    || (a == 100 && (64..128).contains(&b))
                    || (a == 192 && b == 0)
                    || (a == 198 && (18..20).contains(&b))
                    || a >= 240)
            }
            IpAddr::V6(v6) => {
                let first = v6.segments()[0];
                !(v6.is_unspecified()
                    || v6.is_multicast()
                    || (first & 0xfe00) == 0xfc00
                    || (first & 0xffc0) == 0xfe80
                    || (first & 0xffc0) == 0xfec0
                    || first == 0x2001 && v6.segments()[1] == 0x0db8)
            }
        }
    }

    async fn address(&self, url: &Url) -> Result<SocketAddr, OAuthError> {
        let host = url.host_str().ok_or_else(|| refused(url, "has no host"))?;
        let port = url
            .port_or_known_default()
            .ok_or_else(|| refused(url, "has no port"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|_| refused(url, "does not resolve"))?
            .collect();
        if addresses.is_empty() || !addresses.iter().all(|a| self.allowed(a.ip())) {
            return Err(refused(url, "resolves to an address inside the network"));
        }
        Ok(addresses[0])
    }

    async fn get(&self, url: &Url) -> Result<FetchedDocument, OAuthError> {
        let address = self.address(url).await?;
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(FETCH_TIMEOUT)
            .no_proxy()
            .tls_backend_preconfigured((*self.tls).clone());
        if let Some(host) = url.host_str() {
            builder = builder.resolve(host, address);
        }
        let client = builder
            .build()
            .map_err(|_| refused(url, "could not be fetched"))?;
        let mut response = client
            .get(url.clone())
            .header("Accept", "application/json")
            .send()
            .await
            .map_err(|_| refused(url, "could not be fetched"))?;
        if !response.status().is_success() {
            return Err(refused(
                url,
                &format!(
                    "answered {} (redirects are not followed)",
                    response.status().as_u16()
                ),
            ));
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|value| value.to_str().ok())
            .and_then(max_age);
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|_| refused(url, "could not be read"))?
        {
            if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
                return Err(refused(url, "is larger than 5 KB"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchedDocument { body, max_age })
    }
}

/// The IPv4 address an IPv6 address stands for, where the IPv4 network decides where packets go.
enum Embedded {
    /// The IPv4 address it carries: to be judged as that address.
    V4(std::net::Ipv4Addr),
    /// A translation whose IPv4 end cannot be read from the address (Teredo, local-use NAT64):
    /// never fetched from.
    Unknowable,
    /// A plain IPv6 address.
    None,
}

/// Reads the IPv4 address out of IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`),
/// NAT64 (`64:ff9b::/96`, RFC 6052) and 6to4 (`2002::/16`, RFC 3056) addresses, so that
/// `64:ff9b::10.0.0.1` is judged as `10.0.0.1`.
fn embedded_ipv4(v6: std::net::Ipv6Addr) -> Embedded {
    let segments = v6.segments();
    let octets = v6.octets();
    let last_four = || std::net::Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Embedded::V4(v4);
    }
    if segments[..6] == [0; 6] && !v6.is_unspecified() && !v6.is_loopback() {
        return Embedded::V4(last_four());
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Embedded::V4(last_four());
    }
    if segments[0] == 0x2002 {
        return Embedded::V4(std::net::Ipv4Addr::new(
            octets[2], octets[3], octets[4], octets[5],
        ));
    }
    if (segments[0] == 0x64 && segments[1] == 0xff9b && segments[2] == 1)
        || (segments[0] == 0x2001 && segments[1] == 0)
    {
        return Embedded::Unknowable;
    }
    Embedded::None
}

#[mcp_oauth_core::async_trait]
impl DocumentFetcher for HttpDocumentFetcher {
    async fn fetch(&self, url: &Url) -> Result<FetchedDocument, OAuthError> {
        tokio::time::timeout(FETCH_TIMEOUT, self.get(url))
            .await
            .map_err(|_| refused(url, "took longer than 5 s"))?
    }
}

/// Why the document at `url` (the client's own URL, so it may be shown) was not had.
fn refused(url: &Url, why: &str) -> OAuthError {
    OAuthError::invalid_client(format!("the document at {url} {why}"))
}

/// `max-age` of a `Cache-Control` value; `no-store`/`no-cache` count as 0.
fn max_age(value: &str) -> Option<u64> {
    let mut age = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return Some(0);
        }
        if let Some(seconds) = lower.strip_prefix("max-age=") {
            age = seconds.trim_matches('"').parse().ok();
        }
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_inside_the_network_are_refused() {
        let strict = HttpDocumentFetcher::new(false);
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a9fe:a9fe",
            "64:ff9b:1::1.2.3.4",
            "2002:0a00:0001::1",
            "2002:7f00:0001::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
            "fec0::1",
            "198.18.0.1",
        ] {
            assert!(!strict.allowed(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.215.14",
            "2606:4700::1111",
            "64:ff9b::93.184.215.14",
            "2002:5db8:d70e::1",
        ] {
            assert!(strict.allowed(ip.parse().unwrap()), "{ip}");
        }
        let tests = HttpDocumentFetcher::new(true);
        assert!(tests.allowed("127.0.0.1".parse().unwrap()));
        assert!(
            !tests.allowed("10.0.0.1".parse().unwrap()),
            "only loopback is opened"
        );
    }

    #[test]
    fn cache_control_max_age() {
        assert_eq!(max_age("public, max-age=600"), Some(600));
        assert_eq!(max_age("no-store"), Some(0));
        assert_eq!(max_age("public"), None);
    }
}
