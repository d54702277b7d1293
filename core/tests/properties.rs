//! Properties of the protocol's parsers and matchers over generated inputs: the redirect-URI
//! matcher, the scope parser and PKCE. Each holds for every input proptest tries, not only for the
//! examples in the unit tests.

use mcp_oauth_core::model::{PkceChallenge, RedirectUri, Scope, ScopeSet};
use proptest::prelude::*;

/// A path segment or query value: unreserved characters, possibly empty.
fn segment() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~-]{0,12}"
}

/// An https redirect URI with a host, path and optional query.
fn https_uri() -> impl Strategy<Value = String> {
    (
        "[a-z][a-z0-9]{0,10}(\\.[a-z]{2,6}){1,2}",
        prop::option::of(1u16..),
        prop::collection::vec(segment(), 0..4),
        prop::option::of(segment()),
    )
        .prop_map(|(host, port, path, query)| {
            let port = port.map(|p| format!(":{p}")).unwrap_or_default();
            let query = query.map(|q| format!("?q={q}")).unwrap_or_default();
            format!("https://{host}{port}/{}{query}", path.join("/"))
        })
}

/// A loopback http redirect URI without a port, as native clients register it: (host, path).
fn loopback_uri() -> impl Strategy<Value = (String, String)> {
    (
        prop::sample::select(vec!["localhost", "127.0.0.1", "[::1]"]),
        prop::collection::vec("[a-z0-9]{1,8}", 1..3),
    )
        .prop_map(|(host, path)| (host.to_owned(), format!("/{}", path.join("/"))))
}

/// `text` changed by one character: an insertion, deletion or replacement at `at`.
fn mutate(text: &str, at: usize, edit: u8, with: char) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = at % (chars.len() + 1);
    match edit % 3 {
        0 => chars.insert(at, with),
        1 if at < chars.len() => {
            chars.remove(at);
        }
        _ if at < chars.len() => chars[at] = with,
        _ => chars.push(with),
    }
    chars.into_iter().collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Parsing never panics, whatever the input.
    #[test]
    fn redirect_parsing_never_panics(text in ".{0,300}") {
        let _ = RedirectUri::parse(&text);
    }

    /// A registered https URI matches itself and nothing else: any one-character change of it is
    /// refused (no prefix, suffix, case or port leeway).
    #[test]
    fn https_redirects_match_exactly(
        uri in https_uri(),
        at in any::<usize>(),
        edit in any::<u8>(),
        with in prop::char::range('!', '~'),
    ) {
        let registered = RedirectUri::parse(&uri).expect("a valid https URI");
        prop_assert!(registered.matches(&uri));
        let changed = mutate(&uri, at, edit, with);
        prop_assume!(changed != uri);
        prop_assert!(!registered.matches(&changed), "{} matched {}", uri, changed);
    }

    /// A loopback http URI matches on any port (RFC 8252 §7.3) but on nothing else: another path,
    /// another loopback host, another scheme, a fragment or credentials never match.
    #[test]
    fn loopback_redirects_match_on_any_port_only(
        (host, path) in loopback_uri(),
        port in 1u16..,
        other_path in "/[a-z]{1,8}",
    ) {
        let uri = format!("http://{host}{path}");
        let registered = RedirectUri::parse(&uri).expect("a valid loopback URI");
        let with_port = format!("http://{host}:{port}{path}");
        prop_assert!(registered.matches(&with_port));
        let other_host = if host == "localhost" { "127.0.0.1" } else { "localhost" };
        let never = [
            format!("http://{host}:{port}{path}#frag"),
            format!("http://user@{host}:{port}{path}"),
            format!("https://{host}:{port}{path}"),
            format!("http://{other_host}:{port}{path}"),
            format!("http://{host}:{port}{path}/more"),
        ];
        for candidate in &never {
            prop_assert!(!registered.matches(candidate), "{} matched {}", uri, candidate);
        }
        prop_assume!(other_path != path);
        let elsewhere = format!("http://{host}:{port}{other_path}");
        prop_assert!(!registered.matches(&elsewhere));
    }

    /// Plain http to a host that is not loopback is never accepted at registration.
    #[test]
    fn plain_http_to_other_hosts_is_refused(
        host in "[a-k][a-z0-9]{0,8}\\.(com|org|net)",
        path in segment(),
    ) {
        let uri = format!("http://{host}/{path}");
        prop_assert!(RedirectUri::parse(&uri).is_err());
    }

    /// Any choice of scopes, written in any order with any spacing and repetition, parses to the
    /// same set; its canonical text parses back to it too.
    #[test]
    fn scopes_round_trip(
        picks in prop::collection::vec(prop::sample::select(Scope::ALL.to_vec()), 0..8),
        gaps in prop::collection::vec(1usize..4, 8),
    ) {
        let text: String = picks
            .iter()
            .zip(&gaps)
            .map(|(scope, gap)| format!("{}{}", " ".repeat(*gap), scope.as_str()))
            .collect();
        let expected: ScopeSet = picks.iter().copied().collect();
        let parsed: ScopeSet = text.parse().expect("known scopes parse");
        prop_assert_eq!(&parsed, &expected);
        let again: ScopeSet = parsed.to_string().parse().expect("canonical text parses");
        prop_assert_eq!(again, expected);
    }

    /// Whatever text the parser accepts consists only of known scope names: an unknown name or a
    /// character outside RFC 6749's NQCHAR is refused, never dropped.
    #[test]
    fn scope_parsing_accepts_only_known_names(text in "[ -~\\t\\n\\u{80}-\\u{200}]{0,40}|(read|write| |admin|x){0,8}") {
        if let Ok(parsed) = text.parse::<ScopeSet>() {
            for name in text.split(' ').filter(|name| !name.is_empty()) {
                let scope: Scope = name.parse().expect("every accepted name is a scope");
                prop_assert!(parsed.contains(scope));
            }
        }
    }

    /// Every valid verifier (RFC 7636 §4.1) verifies against its own S256 challenge, and no other
    /// verifier does.
    #[test]
    fn pkce_accepts_exactly_the_verifier(
        verifier in "[A-Za-z0-9._~-]{43,128}",
        other in "[A-Za-z0-9._~-]{43,128}",
    ) {
        let challenge = PkceChallenge::from_verifier(&verifier);
        let parsed = PkceChallenge::parse(challenge.as_str(), Some("S256")).expect("well formed");
        prop_assert!(parsed.verify(&verifier).is_ok());
        prop_assume!(other != verifier);
        prop_assert!(parsed.verify(&other).is_err());
    }

    /// Verifiers outside the grammar are refused even when their hash matches the challenge.
    #[test]
    fn pkce_refuses_malformed_verifiers(
        verifier in "[A-Za-z0-9]{0,42}|[A-Za-z0-9]{129,160}|[A-Za-z0-9]{20,40}[ +/=!%\\u{e9}][A-Za-z0-9]{20,40}",
    ) {
        let challenge = PkceChallenge::from_verifier(&verifier);
        prop_assert!(challenge.verify(&verifier).is_err());
    }

    /// Challenge parsing takes exactly 43 base64url characters with S256, and never panics.
    #[test]
    fn pkce_challenges_are_43_base64url_characters(
        text in ".{0,60}|[A-Za-z0-9_-]{43}|[A-Za-z0-9_+/=-]{43}",
        method in prop::option::of("S256|plain|s256|[a-z]{0,5}"),
    ) {
        let parsed = PkceChallenge::parse(&text, method.as_deref());
        let well_formed = text.len() == 43
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        prop_assert_eq!(parsed.is_ok(), well_formed && method.as_deref() == Some("S256"));
    }
}
