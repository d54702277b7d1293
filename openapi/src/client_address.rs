//! Who is calling: the peer's address, or, when the peer is a reverse proxy listed in
//! `MCP_TRUSTED_PROXIES`, the address that proxy says it forwarded for (`Forwarded: for=`,
//! RFC 7239, else `X-Forwarded-For`). The rate limits, the failed-credential budget and the
//! request log all use it, so behind a proxy each user has their own budget.
//!
//! The forwarding headers are read from the right: each trusted proxy appends the address it
//! received from, so the rightmost address that is not a trusted proxy is the client. Anything to
//! its left was written by the client itself and proves nothing.

use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;
use poem::http::HeaderMap;

/// The proxies whose forwarding headers are believed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

/// The client address of a request, put in its extensions by the shared middleware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

impl TrustedProxies {
    /// Reads addresses and networks (`10.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`), separated by
    /// commas or spaces.
    pub fn parse(text: &str) -> Result<Self, String> {
        let words = text
            .split([',', ' ', '\t', '\n'])
            .filter(|word| !word.is_empty());
        let mut networks = Vec::new();
        for word in words {
            let network = word
                .parse::<IpNet>()
                .or_else(|_| word.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    format!(
                        "expected IP addresses or networks separated by commas, e.g. \
                         127.0.0.1,10.0.0.0/8 ({word:?} is neither)"
                    )
                })?;
            networks.push(network);
        }
        Ok(Self(networks))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|network| network.contains(&ip))
    }

    /// The client behind `peer`: `peer` itself unless it is trusted, else the rightmost address
    /// of the forwarding chain that is not a trusted proxy (the leftmost when all are).
    pub fn client_of(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let chain = forwarded_chain(headers);
        let mut client = peer;
        for hop in chain.iter().rev() {
            match hop {
                Some(ip) => {
                    client = canonical(*ip);
                    if !self.trusts(client) {
                        break;
                    }
                }
                // An obfuscated or unknown hop: nothing to its left can be believed.
                None => break,
            }
        }
        client
    }
}

/// An IPv4 address written IPv4-mapped is that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The forwarded-for addresses, first hop first: from `Forwarded` when present (RFC 7239),
/// else from `X-Forwarded-For`. `None` for a hop that is not an address.
fn forwarded_chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name: &str| -> Vec<String> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|part| part.trim().to_owned())
            .filter(|part| !part.is_empty())
            .collect()
    };
    let forwarded = values("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| node_address(value.trim().trim_matches('"')))
                })
            })
            .collect();
    }
    values("x-forwarded-for")
        .iter()
        .map(|hop| node_address(hop))
        .collect()
}

/// The address of a node: `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1`, `[2001:db8::1]:4711`.
fn node_address(node: &str) -> Option<IpAddr> {
    node.parse::<IpAddr>()
        .ok()
        .or_else(|| node.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
        .or_else(|| {
            node.strip_prefix('[')?
                .strip_suffix(']')?
                .parse::<IpAddr>()
                .ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let claims = headers(&[("x-forwarded-for", "203.0.113.9")]);
        assert_eq!(proxies.client_of(ip("192.0.2.1"), &claims), ip("192.0.2.1"));
        assert_eq!(
            TrustedProxies::default().client_of(ip("10.0.0.1"), &claims),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.1, 10.0.0.2").unwrap();
        // The client wrote 1.1.1.1 itself; the first proxy saw 203.0.113.9.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 203.0.113.9, 10.0.0.2")]);
        assert_eq!(proxies.client_of(ip("10.0.0.1"), &chain), ip("203.0.113.9"));
        let forwarded = headers(&[(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8::7]:4711\";proto=https",
        )]);
        assert_eq!(
            proxies.client_of(ip("::ffff:10.0.0.1"), &forwarded),
            ip("2001:db8::7")
        );
        let hidden = headers(&[("forwarded", "for=203.0.113.9, for=_hidden")]);
        assert_eq!(proxies.client_of(ip("10.0.0.1"), &hidden), ip("10.0.0.1"));
    }

    #[test]
    fn settings_take_addresses_and_networks() {
        assert!(TrustedProxies::parse("127.0.0.1,::1 fd00::/8").is_ok());
        assert!(
            TrustedProxies::parse("proxy.internal")
                .unwrap_err()
                .contains("proxy.internal")
        );
    }
}
