//! Turning settings into a running server: plugins chosen by name, the engine, the HTTP surface,
//! graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use mcp_oauth_core::authenticator::AuthenticatorContext;
use mcp_oauth_core::engine::{ClientAssertions, ClientDocuments, ConsentSeal, SessionSeal};
use mcp_oauth_core::observed::ObservedStorage;
use mcp_oauth_core::registry::{self, SignerContext};
use mcp_oauth_core::secret::{Secret, random_bytes};
use mcp_oauth_core::{
    AuthorizationServer, Clock, EngineConfig, Error, KeyStore, MemoryService, PluginSettings,
    Signing, Storage, UnixTime,
};
use mcp_oauth_openapi::audit::AuditTrail;
use mcp_oauth_openapi::metrics::Metrics;
use mcp_oauth_openapi::{
    AppState, Challenge, CorsOrigins, FailureBudget, RateLimit, Site, register_swagger_client,
};
use poem::EndpointExt;
use poem::listener::{AcceptorExt, IntoTlsConfigStream, TcpAcceptor};
use tokio_util::sync::CancellationToken;

use crate::config::{
    Settings, SignerSettings, StorageSettings, default_issuer, is_loopback_host, is_wildcard_host,
    loopback_aliases,
};
use crate::documents::HttpDocumentFetcher;
use crate::listener::{NoDelayAcceptor, TlsOnlyAcceptor};
use crate::plugins::{DEFAULT_STORAGE, default_signer};
use crate::tls::TlsIdentity;

/// How long in-flight requests may finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How often the signing keys are checked for changes made elsewhere.
const KEY_REFRESH: Duration = Duration::from_secs(30);

/// A server ready to answer: its HTTP endpoint and what the start-up block shows.
pub struct App {
    /// Every route, with the shared middleware.
    pub endpoint: poem::endpoint::BoxEndpoint<'static>,
    /// The issuer URL.
    pub issuer: String,
    /// The signer plugin in use.
    pub signer: String,
    /// The storage plugin in use.
    pub storage: String,
    /// Warnings to show at start.
    pub warnings: Vec<String>,
    signing: Arc<Signing>,
    engine: Arc<AuthorizationServer>,
    clock: Arc<dyn Clock>,
    mcp_shutdown: CancellationToken,
    tls: Option<TlsIdentity>,
}

impl App {
    /// Builds the server for `settings`, listening at `local` (to derive the default issuer).
    /// Plugins read their own settings from `plugin_settings`; time comes from `clock`.
    pub async fn build(
        settings: &Settings,
        plugin_settings: PluginSettings,
        local: SocketAddr,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, Error> {
        // reqwest is built without a TLS crypto provider of its own: every HTTP client in this
        // process (client metadata documents, the MCP SDK in tests) uses ring.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut warnings = Vec::new();
        let issuer = settings.oauth_issuer.clone().unwrap_or_else(|| {
            default_issuer(&settings.http_host, local.port(), settings.https_enabled)
        });
        let issuer_aliases = match settings.oauth_issuer {
            Some(_) => Vec::new(),
            None => loopback_aliases(&issuer),
        };
        if settings.oauth_issuer.is_none() && is_wildcard_host(&settings.http_host) {
            warnings.push(format!(
                "listening on {} without MCP_OAUTH_ISSUER: clients on other machines need it set \
                 to the URL they reach this server by (the issuer is {issuer})",
                settings.http_host
            ));
        }
        let tls = tls_identity(settings, &issuer, &mut warnings)?;
        let loopback = is_loopback_host(&settings.http_host);
        let api_key = settings
            .api_key
            .as_deref()
            .filter(|key| !key.is_empty())
            .map(Secret::new);
        let api_key_hash = api_key.as_ref().map(Secret::hash);
        let authenticator_names = authenticator_names(&settings.oauth_authenticator)?;
        let owner_approves = authenticator_names.contains(&"owner-key");
        // Auto-approve is a laptop convenience for the owner alone: people who sign in are
        // always asked.
        let auto_approve = settings
            .oauth_auto_approve
            .unwrap_or(loopback && api_key.is_none() && authenticator_names == ["owner-key"]);
        if !auto_approve && owner_approves && api_key.is_none() {
            return Err(setting(
                "MCP_API_KEY",
                "unset",
                "a key: without auto-approve (the default off loopback) the consent page needs it; \
                 or set MCP_OAUTH_AUTO_APPROVE=true",
            ));
        }
        if auto_approve && !loopback {
            warnings.push(format!(
                "auto-approve is on while listening on {}: anyone who can reach this server gets tokens",
                settings.http_host
            ));
        }
        if let Some(bits) = api_key.as_ref().map(|key| estimated_bits(key.expose()))
            && bits < 128
        {
            warnings.push(format!(
                "MCP_API_KEY holds about {bits} bits of entropy; use 128 or more (e.g. \
                 `openssl rand -base64 32`): wrong keys are budgeted, but a short key is guessed \
                 sooner"
            ));
        }
        if settings.allow_anonymous_access {
            warnings.push(
                "MCP_ALLOW_ANONYMOUS_ACCESS=true: requests without credentials can read and write"
                    .into(),
            );
        }

        // Choose the plugins before opening anything: a bad name stops the start at once.
        let signer_plugin = registry::signer(&signer_name(&settings.signer))?;
        let authenticator_plugins = authenticator_names
            .iter()
            .map(|name| registry::authenticator(name))
            .collect::<Result<Vec<_>, _>>()?;
        // The signer's settings are checked before the storage is opened: a bad key must not
        // leave an empty database directory behind.
        (signer_plugin.configured_key)(&plugin_settings, clock.now())?;
        let storage_plugin = storage_name(&settings.storage);
        let mut in_use = vec![signer_plugin.name, storage_plugin.as_str()];
        in_use.extend(authenticator_plugins.iter().map(|plugin| plugin.name));
        warnings.extend(crate::environment::unread_variables(
            &plugin_settings,
            &in_use,
        ));
        let plugin_settings = with_data_dir(&settings.storage, plugin_settings);
        let (storage_name, storage) = open_storage(&settings.storage, &plugin_settings).await?;
        let metrics = Arc::new(Metrics::new(
            settings
                .metrics_token
                .as_deref()
                .filter(|token| !token.is_empty())
                .map(|token| Secret::new(token).hash()),
        ));
        // Everything the server does with the storage is timed for /metrics.
        let storage: Arc<dyn Storage> = Arc::new(ObservedStorage::new(storage, metrics.clone()));
        if storage_name == "memory" {
            warnings
                .push("storage is in memory: clients, tokens and memories are lost at exit".into());
        }
        let access_token_ttl = settings.signer.access_token_expire_minutes * 60;
        let signing = Arc::new(
            start_signing(
                &settings.signer,
                plugin_settings.clone(),
                storage.clone(),
                clock.now(),
            )
            .await?,
        );
        let consent_key = storage
            .get_or_create_key("consent/hmac", &random_bytes(32))
            .await?;
        let session_key = storage
            .get_or_create_key("session/hmac", &random_bytes(32))
            .await?;
        let authenticators = authenticator_plugins
            .iter()
            .map(|plugin| {
                (plugin.open)(AuthenticatorContext {
                    settings: plugin_settings.clone(),
                    owner_key: api_key_hash.clone(),
                    accounts: storage.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;

        let config = EngineConfig {
            issuer: issuer.clone(),
            access_token_ttl,
            code_ttl: settings.authorization_code_expire_minutes * 60,
            refresh_token_ttl: settings.refresh_token_expire_days * 86_400,
            pkce: settings.oauth_require_pkce.into(),
            issuer_aliases: issuer_aliases.clone(),
            refresh_reuse_grace: settings.oauth_refresh_reuse_grace,
            unused_client_ttl: settings.hygiene.oauth_unused_client_ttl,
        };
        let loopback_documents = settings.client_metadata_allow_loopback;
        if loopback_documents {
            warnings.push("MCP_OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK=true: client metadata documents are fetched from this machine (tests only)".into());
        }
        let fetcher = Arc::new(HttpDocumentFetcher::new(loopback_documents));
        let mut documents = ClientDocuments::new(fetcher.clone(), loopback_documents);
        if let Some(domains) = settings.cimd_trusted_domains.clone() {
            documents = documents.trusting_only(domains);
        }
        let engine = Arc::new(
            AuthorizationServer::new(config, storage.clone(), signing.clone(), clock.clone())
                .with_client_documents(documents)
                .with_client_assertions(ClientAssertions::new(
                    Arc::new(mcp_oauth_jwt::assertion::JwksVerifier),
                    fetcher,
                    loopback_documents,
                ))
                .with_trusted_issuers(
                    settings
                        .oauth_id_jag_issuers
                        .clone()
                        .map(|issuers| issuers.0)
                        .unwrap_or_default(),
                ),
        );
        register_swagger_client(&engine).await?;
        let site = Arc::new(Site::new(
            &issuer,
            &issuer_aliases,
            &settings.http_host,
            settings
                .cors_origins
                .clone()
                .unwrap_or(CorsOrigins::Loopback),
        ));
        let audit_store: Arc<dyn mcp_oauth_core::AuditStore> = storage.clone();
        let state = Arc::new(AppState {
            engine,
            memories: Arc::new(
                MemoryService::new(storage, clock.clone()).with_space(settings.memory_space),
            ),
            api_key: api_key_hash,
            registration_key: settings
                .dcr_registration_key
                .as_deref()
                .filter(|key| !key.is_empty())
                .map(|key| Secret::new(key).hash()),
            auto_approve,
            allow_anonymous: settings.allow_anonymous_access,
            api_key_in_query: settings.allow_api_key_in_query,
            consent_seal: ConsentSeal::new(consent_key),
            storage_name: storage_name.clone(),
            signing: signing.clone(),
            rate_limit: RateLimit::per_minute(settings.oauth_rate_limit_per_minute),
            credential_failures: FailureBudget::default(),
            authenticators,
            sessions: SessionSeal::new(session_key, settings.oauth_session_ttl),
            challenge: Challenge {
                issuer: issuer.clone(),
                metrics: metrics.clone(),
            },
            site,
            metrics,
            trusted_proxies: settings.trusted_proxies.clone().unwrap_or_default(),
            audit: AuditTrail::start(audit_store, clock.clone()),
        });
        let mcp_shutdown = CancellationToken::new();
        let mcp = crate::mcp::endpoint(state.clone(), mcp_shutdown.clone());
        let engine = state.engine.clone();
        let endpoint = mcp_oauth_openapi::endpoint(state, settings.oauth_enabled, mcp).boxed();
        Ok(Self {
            endpoint,
            issuer,
            signer: signer_plugin.name.into(),
            storage: storage_description(&storage_name, &plugin_settings),
            warnings,
            signing,
            engine,
            clock,
            mcp_shutdown,
            tls,
        })
    }

    /// Serves on `listener` until `shutdown` completes, then lets in-flight requests finish.
    pub async fn serve(
        self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> std::io::Result<()> {
        let tcp = NoDelayAcceptor(TcpAcceptor::from_tokio(listener)?);
        let acceptor = match &self.tls {
            Some(identity) => TlsOnlyAcceptor::new(tcp)
                .rustls(identity.rustls_config().into_stream()?)
                .boxed(),
            None => tcp.boxed(),
        };
        let refresher = tokio::spawn(refresh_keys(self.signing.clone(), self.clock.clone()));
        let pruner = tokio::spawn(prune_clients(self.engine.clone()));
        // MCP sessions hold streams open: end them when the shutdown starts.
        let mcp_shutdown = self.mcp_shutdown.clone();
        let shutdown = async move {
            shutdown.await;
            mcp_shutdown.cancel();
        };
        let result = poem::Server::new_with_acceptor(acceptor)
            .run_with_graceful_shutdown(self.endpoint, shutdown, Some(SHUTDOWN_GRACE))
            .await;
        refresher.abort();
        pruner.abort();
        result
    }

    /// The start-up block.
    pub fn banner(&self, local: SocketAddr) -> String {
        let mut lines = vec![
            format!(
                "MCP Memory Service {} ({})",
                env!("CARGO_PKG_VERSION"),
                if self.tls.is_some() {
                    "memory server --http, serving HTTPS"
                } else {
                    "memory server --http"
                }
            ),
            format!(
                "  listening  {}://{local}",
                if self.tls.is_some() { "https" } else { "http" }
            ),
            format!("  issuer     {}", self.issuer),
            format!("  signer     {}", self.signer),
            format!("  storage    {}", self.storage),
            format!("  mcp        {}/mcp", self.issuer),
            format!("  docs       {}/docs", self.issuer),
        ];
        lines.extend(
            self.warnings
                .iter()
                .map(|warning| format!("  warning    {warning}")),
        );
        lines.join("\n")
    }
}

/// The HTTPS identity the settings ask for: none without `MCP_HTTPS_ENABLED`, the certificate
/// files when given, else a self-signed certificate for the issuer's host and loopback names.
fn tls_identity(
    settings: &Settings,
    issuer: &str,
    warnings: &mut Vec<String>,
) -> Result<Option<TlsIdentity>, Error> {
    let files = (&settings.ssl_cert_file, &settings.ssl_key_file);
    if !settings.https_enabled {
        if files.0.is_some() || files.1.is_some() {
            warnings.push(
                "MCP_SSL_CERT_FILE/MCP_SSL_KEY_FILE are set but MCP_HTTPS_ENABLED is false: \
                 serving plain HTTP"
                    .into(),
            );
        }
        return Ok(None);
    }
    if !issuer.starts_with("https://") {
        return Err(setting(
            "MCP_OAUTH_ISSUER",
            issuer,
            "an https:// URL when MCP_HTTPS_ENABLED=true",
        ));
    }
    match files {
        (Some(cert), Some(key)) => TlsIdentity::from_files(cert, key).map(Some),
        (Some(_), None) => Err(setting(
            "MCP_SSL_KEY_FILE",
            "unset",
            "the key of MCP_SSL_CERT_FILE's certificate",
        )),
        (None, Some(_)) => Err(setting(
            "MCP_SSL_CERT_FILE",
            "unset",
            "the certificate of MCP_SSL_KEY_FILE's key",
        )),
        (None, None) => {
            // The issuer's host first: the certificate is named after it.
            let mut hosts: Vec<String> = url::Url::parse(issuer)
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned))
                .map(|host| {
                    host.trim_start_matches('[')
                        .trim_end_matches(']')
                        .to_owned()
                })
                .into_iter()
                .collect();
            for loopback in ["localhost", "127.0.0.1", "::1"] {
                if !hosts.iter().any(|host| host == loopback) {
                    hosts.push(loopback.to_owned());
                }
            }
            warnings.push(format!(
                "HTTPS with a self-signed certificate for {}: clients will not trust it; set \
                 MCP_SSL_CERT_FILE and MCP_SSL_KEY_FILE for production",
                hosts.join(", ")
            ));
            TlsIdentity::self_signed(hosts).map(Some)
        }
    }
}

/// The signer plugin the settings choose: `MCP_OAUTH_SIGNER`, else `hs256`, else the first compiled
/// in.
pub fn signer_name(settings: &SignerSettings) -> String {
    settings.oauth_signer.clone().unwrap_or_else(default_signer)
}

/// The storage for the start-up block: its name and, for SurrealDB, where the data lives (an
/// absolute path for the embedded database).
fn storage_description(name: &str, plugin_settings: &PluginSettings) -> String {
    #[cfg(feature = "store-surrealdb")]
    if name == mcp_oauth_store_surrealdb::NAME
        && let Ok(config) = mcp_oauth_store_surrealdb::SurrealConfig::from_settings(plugin_settings)
    {
        return format!("{name} ({})", config.url.unwrap_or_default());
    }
    let _ = plugin_settings;
    name.to_owned()
}

/// The plugin settings with the data directory (`MCP_DATA_DIR`) as an absolute path, so that
/// the start-up block and the storage name the same place whatever the working directory.
pub fn with_data_dir(
    settings: &StorageSettings,
    mut plugin_settings: PluginSettings,
) -> PluginSettings {
    let dir = std::path::absolute(&settings.data_dir).unwrap_or_else(|_| settings.data_dir.clone());
    plugin_settings.set(PluginSettings::DATA_DIR, dir.display().to_string());
    plugin_settings
}

/// The storage the settings name, for a command run beside the server (`memory keys`, `memory
/// clients`, …): the in-process `memory` storage is refused, since it exists only inside a
/// running server; `instead` says what to do there. An embedded database that does not exist
/// yet is refused too, rather than made empty: the command is probably run from another
/// directory than the server.
pub async fn open_persistent_storage(
    settings: &StorageSettings,
    plugin_settings: &PluginSettings,
    instead: &str,
    existing: Existing,
) -> Result<Arc<dyn Storage>, Error> {
    let plugin_settings = with_data_dir(settings, plugin_settings.clone());
    let name = storage_name(settings);
    if name == "memory" {
        let expected = format!(
            "a persistent storage: the memory storage lives inside the server process; {instead}"
        );
        return Err(setting("MCP_OAUTH_STORAGE_BACKEND", &name, &expected));
    }
    #[cfg(feature = "store-surrealdb")]
    if name == mcp_oauth_store_surrealdb::NAME {
        let config = mcp_oauth_store_surrealdb::SurrealConfig::from_settings(&plugin_settings)?;
        if let Some(path) = config.embedded_path()
            && existing == Existing::Required
            && !std::path::Path::new(path).exists()
        {
            let variable = if plugin_settings.get("MCP_OAUTH_STORAGE_URL").is_some() {
                "MCP_OAUTH_STORAGE_URL"
            } else {
                "MCP_DATA_DIR"
            };
            return Err(setting(
                variable,
                path,
                "the directory of a server's database: set MCP_DATA_DIR (or run the command \
                 where the server runs)",
            ));
        }
    }
    #[cfg(not(feature = "store-surrealdb"))]
    let _ = existing;
    let (_, storage) = open_storage(settings, &plugin_settings).await?;
    Ok(storage)
}

/// Whether a command beside the server may make the database it opens.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Only an existing database: reading or changing what a server keeps.
    Required,
    /// A new one too: setting up before the server's first start (`memory users add`).
    MayCreate,
}

/// The storage plugin the settings choose: `MCP_OAUTH_STORAGE_BACKEND`, else the default.
fn storage_name(settings: &StorageSettings) -> String {
    settings
        .oauth_storage_backend
        .clone()
        .unwrap_or_else(|| DEFAULT_STORAGE.into())
}

/// The storage plugin the settings choose, opened with `plugin_settings` (see [`with_data_dir`]).
pub async fn open_storage(
    settings: &StorageSettings,
    plugin_settings: &PluginSettings,
) -> Result<(String, Arc<dyn Storage>), Error> {
    let name = storage_name(settings);
    let storage = (registry::storage(&name)?.open)(plugin_settings.clone()).await?;
    Ok((name, storage))
}

/// The signer the settings choose, over its key ring in `storage`.
pub async fn start_signing(
    settings: &SignerSettings,
    plugin_settings: PluginSettings,
    storage: Arc<dyn Storage>,
    now: UnixTime,
) -> Result<Signing, Error> {
    let keys: Arc<dyn KeyStore> = storage;
    let context = SignerContext {
        settings: plugin_settings,
        keys,
        now,
        token_lifetime: settings.access_token_expire_minutes * 60,
    };
    Signing::start(registry::signer(&signer_name(settings))?, context).await
}

/// Picks up key rings changed by another process (a rotation on another replica or by
/// `memory keys rotate`) within [`KEY_REFRESH`].
async fn refresh_keys(signing: Arc<Signing>, clock: Arc<dyn Clock>) {
    let mut interval = tokio::time::interval(KEY_REFRESH);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match signing.refresh(clock.now()).await {
            Ok(true) => tracing::info!(signer = signing.name(), "signing keys reloaded"),
            Ok(false) => {}
            Err(error) => tracing::warn!(%error, "signing keys could not be reloaded"),
        }
    }
}

/// How often unused registrations are looked for.
const CLIENT_PRUNE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes registered clients that never completed a grant within `MCP_OAUTH_UNUSED_CLIENT_TTL`,
/// at start and every [`CLIENT_PRUNE_INTERVAL`].
async fn prune_clients(engine: Arc<AuthorizationServer>) {
    let mut interval = tokio::time::interval(CLIENT_PRUNE_INTERVAL);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        match engine.prune_unused_clients().await {
            Ok(0) => {}
            Ok(removed) => tracing::info!(removed, "unused client registrations removed"),
            Err(error) => {
                mcp_oauth_openapi::log_fault(&error);
            }
        }
    }
}

/// The one-line configuration error: `variable` got `got`, expected `expected`.
pub(crate) fn setting(variable: &str, got: &str, expected: &str) -> Error {
    Error::Config {
        variable: variable.into(),
        got: got.into(),
        expected: expected.into(),
    }
}

/// An upper estimate of the entropy of `key` in bits, as if each character were drawn at random
/// from the character classes it uses (lower case, upper case, digits, anything else).
fn estimated_bits(key: &str) -> u32 {
    let uses = |class: fn(&char) -> bool| key.chars().any(|c| class(&c));
    let alphabet = [
        (uses(char::is_ascii_lowercase), 26.0),
        (uses(char::is_ascii_uppercase), 26.0),
        (uses(char::is_ascii_digit), 10.0),
        (uses(|c| !c.is_ascii_alphanumeric()), 33.0),
    ]
    .iter()
    .filter(|(used, _)| *used)
    .map(|(_, size)| size)
    .sum::<f64>();
    (key.chars().count() as f64 * alphabet.max(1.0).log2()) as u32
}

/// The authenticator names of `MCP_OAUTH_AUTHENTICATOR`: one or several, comma-separated, each
/// once.
fn authenticator_names(text: &str) -> Result<Vec<&str>, Error> {
    let names: Vec<&str> = text.split(',').map(str::trim).collect();
    let repeated = names
        .iter()
        .enumerate()
        .any(|(index, name)| names[..index].contains(name));
    if names.iter().any(|name| name.is_empty()) || repeated {
        return Err(setting(
            "MCP_OAUTH_AUTHENTICATOR",
            text,
            "one authenticator name or several, comma-separated, each once (e.g. local,owner-key)",
        ));
    }
    Ok(names)
}
