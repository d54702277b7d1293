//! A real OpenID provider on loopback for the sign-in tests: panva's `oidc-provider` (npm, in
//! `tests/oidc-provider`, installed by `.ci/run`), run with Node. Its development login page
//! takes any user name; who that person is follows from the name (see `provider.mjs`).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use mcp_oauth_core::PluginSettings;

/// The client this server is at the provider.
pub const OIDC_CLIENT_ID: &str = "memory-service";
/// Its secret (test only).
pub const OIDC_CLIENT_SECRET: &str = "test-only-oidc-client-secret";

/// A running provider. Dropping it stops it.
pub struct OidcProvider {
    /// `http://127.0.0.1:PORT`.
    pub issuer: String,
    child: Child,
}

impl OidcProvider {
    /// Starts a provider; `None` (with a note) when its package is not installed, unless
    /// `MCP_REQUIRE_OIDC_PROVIDER` is set (as CI sets it), which makes that a failure.
    pub fn start() -> Option<Self> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("oidc-provider");
        if !dir.join("node_modules/oidc-provider").is_dir() {
            assert!(
                std::env::var_os("MCP_REQUIRE_OIDC_PROVIDER").is_none(),
                "oidc-provider is not installed: run npm ci in {}",
                dir.display()
            );
            eprintln!(
                "skipped: oidc-provider is not installed (npm ci in {})",
                dir.display()
            );
            return None;
        }
        let mut child = Command::new("node")
            .arg("provider.mjs")
            .args([OIDC_CLIENT_ID, OIDC_CLIENT_SECRET])
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("the provider prints its issuer");
        // Keep reading what it prints: a closed pipe would end it at its next line.
        std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
        let issuer = line
            .trim()
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("the provider did not start: {line:?}"))
            .to_owned();
        Some(Self { issuer, child })
    }

    /// The `oidc` authenticator's settings for this provider, plus `extra`.
    pub fn settings(&self, extra: &[(&str, &str)]) -> PluginSettings {
        let mut settings = PluginSettings::default();
        settings.set("MCP_OIDC_ISSUER", &self.issuer);
        settings.set("MCP_OIDC_CLIENT_ID", OIDC_CLIENT_ID);
        settings.set("MCP_OIDC_CLIENT_SECRET", OIDC_CLIENT_SECRET);
        settings.set("MCP_OIDC_SCOPES", "openid email profile groups");
        for (name, value) in extra {
            settings.set(*name, *value);
        }
        settings
    }

    /// Signs `user` in at the provider from its authorization URL `location`, as a browser
    /// does (cookies kept in `browser`, redirects followed up to the answer): the URL the
    /// provider sends the browser back to. `browser` must not follow redirects itself.
    pub async fn sign_in(&self, browser: &reqwest::Client, location: &str, user: &str) -> url::Url {
        let mut next = url::Url::parse(location).expect("a URL");
        let mut form: Option<Vec<(String, String)>> = None;
        for _ in 0..10 {
            let response = match form.take() {
                Some(fields) => browser.post(next.clone()).form(&fields).send(),
                None => browser.get(next.clone()).send(),
            }
            .await
            .expect("the provider answers");
            if response.status().is_redirection() {
                let to = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .expect("a redirect has a Location");
                next = next.join(to).expect("a URL");
                if !next.as_str().starts_with(&self.issuer) {
                    return next;
                }
                continue;
            }
            let page = response.text().await.expect("a page");
            // The development login page: one form posting its hidden fields, `login` and
            // `password`.
            let action = page
                .split("action=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .unwrap_or_else(|| panic!("no form on the provider's page: {page}"));
            next = next.join(action).expect("a URL");
            let mut fields: Vec<(String, String)> = page
                .split("type=\"hidden\" name=\"")
                .skip(1)
                .filter_map(|rest| {
                    let (name, rest) = rest.split_once('"')?;
                    let value = rest.split("value=\"").nth(1)?.split('"').next()?;
                    Some((name.to_owned(), value.to_owned()))
                })
                .collect();
            fields.push(("login".into(), user.into()));
            fields.push(("password".into(), "any password".into()));
            form = Some(fields);
        }
        panic!("the provider never answered");
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
