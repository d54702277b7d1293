//! The command line and the settings: environment variables first (the Python service's names),
//! each mirrored by a flag. A bad value stops the start with one line naming the variable, what it
//! got and what it takes.

use clap::{Args, Parser, Subcommand, ValueEnum};
use mcp_oauth_core::PkcePolicy;
use mcp_oauth_openapi::CorsOrigins;
use schemars::JsonSchema;

/// `memory`: the OAuth 2.1 authorization server for MCP and the memory service it protects.
#[derive(Parser)]
#[command(name = "memory", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The command line, with the settings of the compiled-in plugins listed after
/// `memory server --help` (they are read from the environment only).
pub fn command_line() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
        .mut_subcommand("server", |server| server.after_help(plugin_settings_help()))
}

/// The plugins' settings, for `memory server --help`: each variable with its description and
/// the plugin that reads it.
fn plugin_settings_help() -> String {
    let mut text = String::from(
        "Plugin settings (environment variables only; only the chosen plugins read theirs):\n",
    );
    for plugin in crate::environment::plugin_settings() {
        text.push_str(&format!(
            "  {}  ({} {})\n      {}\n",
            plugin.variable, plugin.role, plugin.plugin, plugin.description
        ));
    }
    text
}

/// The JSON Schema of every setting, for `memory config schema`: the server's, then each
/// compiled-in plugin's, its description naming the plugin that reads it.
pub fn settings_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Settings).to_value();
    if let Some(properties) = schema
        .get_mut("properties")
        .and_then(serde_json::Value::as_object_mut)
    {
        for setting in crate::environment::plugin_settings() {
            let mut property = setting.schema;
            if let Some(object) = property.as_object_mut() {
                object.insert(
                    "description".into(),
                    format!(
                        "{} (read by the {} {} plugin)",
                        setting.description, setting.plugin, setting.role
                    )
                    .into(),
                );
            }
            properties.entry(setting.variable).or_insert(property);
        }
    }
    schema
}

/// The subcommands.
#[derive(Subcommand)]
pub enum Command {
    /// Run the server (`memory server --http`, as with the Python service).
    Server(ServerArgs),
    /// List the compiled-in plugins and the settings each reads.
    Plugins,
    /// The signer's key ring in the configured storage.
    Keys {
        /// What to do.
        #[command(subcommand)]
        action: KeysCommand,
        /// Where the data lives.
        #[command(flatten)]
        storage: StorageSettings,
        /// The signer.
        #[command(flatten)]
        signer: SignerSettings,
    },
    /// Client registrations in the configured storage.
    Clients {
        /// What to do.
        #[command(subcommand)]
        action: ClientsCommand,
        /// Where the data lives.
        #[command(flatten)]
        storage: StorageSettings,
        /// The access-token lifetime (`revoke`: how long a removed client's tokens stay
        /// listed as revoked).
        #[command(flatten)]
        signer: SignerSettings,
        /// Registration hygiene (`prune`).
        #[command(flatten)]
        hygiene: HygieneSettings,
    },
    /// Local accounts (the `local` authenticator's people) in the configured storage.
    #[cfg(feature = "authn-local")]
    Users {
        /// What to do.
        #[command(subcommand)]
        action: UsersCommand,
        /// Where the data lives.
        #[command(flatten)]
        storage: StorageSettings,
    },
    /// What people approved for clients (connected apps) in the configured storage.
    Grants {
        /// What to do.
        #[command(subcommand)]
        action: GrantsCommand,
        /// Where the data lives.
        #[command(flatten)]
        storage: StorageSettings,
    },
    /// The audit trail in the configured storage: registrations, consent decisions, tokens
    /// issued and refreshed, revocations and key rotations, oldest first.
    Audit {
        /// How far back: `24h` (default), `90m`, `7d`.
        #[arg(long, default_value = "24h", value_parser = parse_duration)]
        since: i64,
        /// Where the data lives.
        #[command(flatten)]
        storage: StorageSettings,
    },
    /// Write everything the configured storage keeps (keys, clients, accounts, consents,
    /// refresh tokens, revocations, memories, audit trail) to FILE, readable by its owner only.
    /// An embedded database is locked by a running server: stop it first.
    Backup {
        /// Where to write the backup (`-`: standard output).
        file: std::path::PathBuf,
        /// Where the data lives.
        #[command(flatten)]
        storage: StorageSettings,
    },
    /// Restore a backup from FILE into the configured storage, which must be empty (a new data
    /// directory or database); no server may be using it.
    Restore {
        /// The backup to read (`-`: standard input).
        file: std::path::PathBuf,
        /// Where the data goes.
        #[command(flatten)]
        storage: StorageSettings,
    },
    /// Configuration helpers.
    Config {
        /// What to print.
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Print a completion script for a shell, e.g. `memory completions bash > /etc/bash_completion.d/memory`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the version and the plugins compiled in.
    Version,
}

/// `memory keys …`.
#[derive(Subcommand, Clone, Copy)]
pub enum KeysCommand {
    /// List key ids, algorithms and ages (never key material).
    List,
    /// Make a new current key; the previous one verifies until its tokens expire.
    Rotate,
}

/// `memory clients …`.
#[derive(Subcommand, Clone)]
pub enum ClientsCommand {
    /// List the registrations: id, name, how registered, redirect URIs, age.
    List,
    /// Show one registration as JSON (never its secret).
    Show {
        /// The client.
        client_id: String,
    },
    /// Remove a registration: its tokens stop working and it must register again.
    Revoke {
        /// The client.
        client_id: String,
    },
    /// Remove the registrations that never completed a grant within MCP_OAUTH_UNUSED_CLIENT_TTL.
    Prune,
}

/// `memory users …`.
#[cfg(feature = "authn-local")]
#[derive(Subcommand, Clone)]
pub enum UsersCommand {
    /// Make an account; its password is read from standard input (one line).
    Add {
        /// The name people sign in with: letters, digits, `.`, `_`, `-`, `@`.
        name: String,
        /// What they may grant: `reader` (read), `writer` (read, write) or `admin` (everything,
        /// and everyone's connected apps).
        #[arg(long)]
        role: mcp_oauth_core::model::Role,
    },
    /// List accounts: name, role, creation time (never passwords).
    List,
    /// Set an account's password, read from standard input; their browser sessions end.
    Passwd {
        /// The account.
        name: String,
    },
    /// Remove an account: their sessions end and every grant they made is revoked.
    Remove {
        /// The account.
        name: String,
    },
}

/// `memory grants …`.
#[derive(Subcommand, Clone)]
pub enum GrantsCommand {
    /// List the grants in force: person, client, scopes, first approval and last use.
    List {
        /// Only this person's.
        #[arg(long)]
        subject: Option<String>,
    },
    /// Revoke one person's grant to one client: its tokens stop working.
    Revoke {
        /// The person (`owner` for the API key's owner).
        subject: String,
        /// The client.
        client_id: String,
    },
}

/// `memory config …`.
#[derive(Subcommand)]
pub enum ConfigAction {
    /// Print the JSON Schema of the server's settings.
    Schema,
}

/// `memory server …`.
#[derive(Args)]
pub struct ServerArgs {
    /// Serve over HTTP. Required: this binary has no stdio transport.
    #[arg(long)]
    pub http: bool,
    /// The settings.
    #[command(flatten)]
    pub settings: Box<Settings>,
}

/// When PKCE is required (`MCP_OAUTH_REQUIRE_PKCE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, JsonSchema)]
#[schemars(rename_all = "lowercase")]
pub enum PkceRequirement {
    /// From public clients (RFC 9700); enforced for everyone who sends a challenge.
    Public,
    /// From every client.
    All,
}

impl From<PkceRequirement> for PkcePolicy {
    fn from(requirement: PkceRequirement) -> Self {
        match requirement {
            PkceRequirement::Public => PkcePolicy::Public,
            PkceRequirement::All => PkcePolicy::All,
        }
    }
}

/// The server's settings. Each is an environment variable and a flag; the flag wins.
#[derive(Args, Clone, JsonSchema)]
#[schemars(title = "memory server settings")]
pub struct Settings {
    /// Where the data lives.
    #[command(flatten)]
    #[schemars(flatten)]
    pub storage: StorageSettings,

    /// The token signer.
    #[command(flatten)]
    #[schemars(flatten)]
    pub signer: SignerSettings,

    /// Registration hygiene.
    #[command(flatten)]
    #[schemars(flatten)]
    pub hygiene: HygieneSettings,

    /// Address to listen on. A loopback address (the default) makes auto-approve the default.
    #[arg(
        long,
        env = "MCP_HTTP_HOST",
        value_name = "MCP_HTTP_HOST",
        default_value = "127.0.0.1"
    )]
    #[schemars(rename = "MCP_HTTP_HOST", default = "default_host")]
    pub http_host: String,

    /// Port to listen on; 0 picks a free one.
    #[arg(long, env = "MCP_HTTP_PORT", value_name = "MCP_HTTP_PORT", default_value = "8000",
          value_parser = parse_port)]
    #[schemars(rename = "MCP_HTTP_PORT", default = "default_port")]
    pub http_port: u16,

    /// `false`: the OAuth and discovery routes answer 404; the API key is the only credential.
    #[arg(long, env = "MCP_OAUTH_ENABLED", value_name = "MCP_OAUTH_ENABLED", default_value = "true",
          value_parser = parse_bool, action = clap::ArgAction::Set)]
    #[schemars(rename = "MCP_OAUTH_ENABLED", default = "default_true")]
    pub oauth_enabled: bool,

    /// The issuer URL. Default: from scheme, host and port, with loopback and wildcard hosts
    /// written `localhost` and the default port dropped.
    #[arg(long, env = "MCP_OAUTH_ISSUER", value_name = "MCP_OAUTH_ISSUER", value_parser = parse_issuer)]
    #[schemars(rename = "MCP_OAUTH_ISSUER")]
    pub oauth_issuer: Option<String>,

    /// Who approves on the consent page: one authenticator plugin or several, comma-separated,
    /// shown in that order (`memory plugins` lists those compiled in). Default: `owner-key`, the
    /// owner with the API key; `local` for accounts made with `memory users`.
    #[arg(
        long,
        env = "MCP_OAUTH_AUTHENTICATOR",
        value_name = "MCP_OAUTH_AUTHENTICATOR",
        default_value = "owner-key"
    )]
    #[schemars(rename = "MCP_OAUTH_AUTHENTICATOR", default = "default_authenticator")]
    pub oauth_authenticator: String,

    /// How long a browser session lasts after someone signs in on the consent page: within it,
    /// another authorization asks nothing but consent. `8h` (default), `30m`, `7d`; `0` signs
    /// nobody in for longer than one form.
    #[arg(long, env = "MCP_OAUTH_SESSION_TTL", value_name = "MCP_OAUTH_SESSION_TTL",
          default_value = "8h", value_parser = parse_duration)]
    #[schemars(
        rename = "MCP_OAUTH_SESSION_TTL",
        with = "String",
        default = "default_session_ttl"
    )]
    pub oauth_session_ttl: i64,

    /// Whose memories each caller sees: `shared` (default: the whole team shares one space, as
    /// with one API key) or `per-person` (each person sees, finds, changes and deletes only what
    /// they stored; the same text stored by two people is two memories).
    #[arg(long, env = "MCP_MEMORY_SPACE", value_name = "MCP_MEMORY_SPACE",
          default_value = "shared", value_parser = parse_memory_space)]
    #[schemars(
        rename = "MCP_MEMORY_SPACE",
        with = "String",
        default = "default_memory_space"
    )]
    pub memory_space: mcp_oauth_core::memories::MemorySpace,

    /// Authorization-code lifetime in minutes.
    #[arg(long, env = "MCP_OAUTH_AUTHORIZATION_CODE_EXPIRE_MINUTES", default_value = "10",
          value_name = "MCP_OAUTH_AUTHORIZATION_CODE_EXPIRE_MINUTES", value_parser = parse_lifetime)]
    #[schemars(
        rename = "MCP_OAUTH_AUTHORIZATION_CODE_EXPIRE_MINUTES",
        default = "default_code"
    )]
    pub authorization_code_expire_minutes: i64,

    /// Refresh-token lifetime in days.
    #[arg(long, env = "MCP_OAUTH_REFRESH_TOKEN_EXPIRE_DAYS", default_value = "30",
          value_name = "MCP_OAUTH_REFRESH_TOKEN_EXPIRE_DAYS", value_parser = parse_lifetime)]
    #[schemars(
        rename = "MCP_OAUTH_REFRESH_TOKEN_EXPIRE_DAYS",
        default = "default_refresh"
    )]
    pub refresh_token_expire_days: i64,

    /// The owner's API key: accepted as `Authorization: Bearer`, `X-API-Key` or `?api_key=` with
    /// every scope, and needed to approve the consent page. Prefer the environment variable: a
    /// flag is visible to other users of the machine.
    #[arg(
        long,
        env = "MCP_API_KEY",
        value_name = "MCP_API_KEY",
        hide_env_values = true
    )]
    #[schemars(rename = "MCP_API_KEY")]
    pub api_key: Option<String>,

    /// Requests a minute per client IP on register, authorize, token, revoke and introspect (never
    /// on discovery); 0 for no limit.
    #[arg(long, env = "MCP_OAUTH_RATE_LIMIT_PER_MINUTE", value_name = "MCP_OAUTH_RATE_LIMIT_PER_MINUTE",
          default_value = "60", value_parser = parse_rate)]
    #[schemars(rename = "MCP_OAUTH_RATE_LIMIT_PER_MINUTE", default = "default_rate")]
    pub oauth_rate_limit_per_minute: u32,

    /// When set, dynamic registration needs this key as a bearer token (RFC 7591 initial access
    /// token). MCP clients that cannot send one can still use client ID metadata documents.
    #[arg(
        long,
        env = "MCP_DCR_REGISTRATION_KEY",
        value_name = "MCP_DCR_REGISTRATION_KEY",
        hide_env_values = true
    )]
    #[schemars(rename = "MCP_DCR_REGISTRATION_KEY")]
    pub dcr_registration_key: Option<String>,

    /// When set, `GET /metrics` answers only a scraper that sends this as a bearer token (and
    /// then answers whatever `Host` it names). Unset: open to anyone who can reach the server
    /// by its own names.
    #[arg(
        long,
        env = "MCP_METRICS_TOKEN",
        value_name = "MCP_METRICS_TOKEN",
        hide_env_values = true
    )]
    #[schemars(rename = "MCP_METRICS_TOKEN")]
    pub metrics_token: Option<String>,

    /// Reverse proxies in front of the server, whose `Forwarded` or `X-Forwarded-For` header
    /// names the client (for the rate limits and the log): addresses or networks separated by
    /// commas, e.g. `127.0.0.1,10.0.0.0/8`. Unset: the peer's address is the client's, and behind
    /// a proxy every client shares one budget.
    #[arg(long, env = "MCP_TRUSTED_PROXIES", value_name = "MCP_TRUSTED_PROXIES",
          value_parser = mcp_oauth_openapi::client_address::TrustedProxies::parse)]
    #[schemars(rename = "MCP_TRUSTED_PROXIES", with = "Option<String>")]
    pub trusted_proxies: Option<mcp_oauth_openapi::client_address::TrustedProxies>,

    /// How log lines are written: `text` (default) or `json` (one object a line, for a log
    /// pipeline). `RUST_LOG` chooses the levels (default `info`).
    #[arg(
        long,
        env = "MCP_LOG_FORMAT",
        value_name = "MCP_LOG_FORMAT",
        default_value = "text",
        value_enum
    )]
    #[schemars(rename = "MCP_LOG_FORMAT", default = "default_log_format")]
    pub log_format: crate::logging::LogFormat,

    /// A file the log is appended to instead of standard error, e.g.
    /// `logs/mcp-memory-service.log` as with the Python service; its directory must exist.
    #[arg(long, env = "MCP_LOG_FILE", value_name = "MCP_LOG_FILE")]
    #[schemars(rename = "MCP_LOG_FILE")]
    pub log_file: Option<std::path::PathBuf>,

    /// `true`: requests without credentials get `read write`. Development only.
    #[arg(long, env = "MCP_ALLOW_ANONYMOUS_ACCESS", value_name = "MCP_ALLOW_ANONYMOUS_ACCESS",
          default_value = "false", value_parser = parse_bool, action = clap::ArgAction::Set)]
    #[schemars(rename = "MCP_ALLOW_ANONYMOUS_ACCESS", default = "default_false")]
    pub allow_anonymous_access: bool,

    /// `true` (default, as the Python service): the API key is also taken from `?api_key=`, and
    /// such answers are never cached. `false`: only from `X-API-Key` or `Authorization`, since a
    /// key in a URL ends up in proxy and browser logs.
    #[arg(long, env = "MCP_ALLOW_API_KEY_IN_QUERY", value_name = "MCP_ALLOW_API_KEY_IN_QUERY",
          default_value = "true", value_parser = parse_bool, action = clap::ArgAction::Set)]
    #[schemars(rename = "MCP_ALLOW_API_KEY_IN_QUERY", default = "default_true")]
    pub allow_api_key_in_query: bool,

    /// Approve authorization requests without the consent page. Default: true only when listening
    /// on a loopback address with no `MCP_API_KEY` and the `owner-key` authenticator alone.
    #[arg(long, env = "MCP_OAUTH_AUTO_APPROVE", value_name = "MCP_OAUTH_AUTO_APPROVE",
          value_parser = parse_bool, action = clap::ArgAction::Set)]
    #[schemars(rename = "MCP_OAUTH_AUTO_APPROVE")]
    pub oauth_auto_approve: Option<bool>,

    /// Browser origins that may call the server (CORS), separated by commas, or `*` for any.
    /// Default: every loopback origin on any port (MCP Inspector) and the server's own. Requests
    /// carrying another `Origin` are refused.
    #[arg(long, env = "MCP_CORS_ORIGINS", value_name = "MCP_CORS_ORIGINS",
          value_parser = CorsOrigins::parse)]
    #[schemars(rename = "MCP_CORS_ORIGINS", with = "Option<String>")]
    pub cors_origins: Option<CorsOrigins>,

    /// `true`: a rotated refresh token keeps working until its successor is first used, so a
    /// client that lost a refresh response is not signed out; `false`: any second use revokes
    /// the grant at once.
    #[arg(long, env = "MCP_OAUTH_REFRESH_REUSE_GRACE", value_name = "MCP_OAUTH_REFRESH_REUSE_GRACE",
          default_value = "true", value_parser = parse_bool, action = clap::ArgAction::Set)]
    #[schemars(rename = "MCP_OAUTH_REFRESH_REUSE_GRACE", default = "default_true")]
    pub oauth_refresh_reuse_grace: bool,

    /// Which clients must use PKCE.
    #[arg(
        long,
        env = "MCP_OAUTH_REQUIRE_PKCE",
        value_name = "MCP_OAUTH_REQUIRE_PKCE",
        default_value = "public",
        value_enum
    )]
    #[schemars(rename = "MCP_OAUTH_REQUIRE_PKCE")]
    pub oauth_require_pkce: PkceRequirement,

    /// Hosts whose client ID metadata documents are accepted, separated by commas; a domain
    /// admits its subdomains (`claude.ai,chatgpt.com,vscode.dev`). Default: any public https host.
    #[arg(
        long,
        env = "MCP_OAUTH_CIMD_TRUSTED_DOMAINS",
        value_name = "MCP_OAUTH_CIMD_TRUSTED_DOMAINS",
        value_delimiter = ','
    )]
    #[schemars(rename = "MCP_OAUTH_CIMD_TRUSTED_DOMAINS", with = "Option<String>")]
    pub cimd_trusted_domains: Option<Vec<String>>,

    /// Enterprise identity providers whose ID-JAGs the JWT bearer grant accepts (MCP
    /// Enterprise-Managed Authorization): pairs of an issuer and the URL of its JWK set,
    /// separated by spaces or commas, e.g.
    /// `https://acme.okta.com https://acme.okta.com/oauth2/v1/keys`. Unset: the grant is off.
    #[arg(long, env = "MCP_OAUTH_ID_JAG_ISSUERS", value_name = "MCP_OAUTH_ID_JAG_ISSUERS",
          value_parser = parse_trusted_issuers)]
    #[schemars(rename = "MCP_OAUTH_ID_JAG_ISSUERS", with = "Option<String>")]
    pub oauth_id_jag_issuers: Option<TrustedIssuers>,

    /// Also fetch client ID metadata documents from loopback addresses, over plain http. For tests
    /// only: it opens the server to fetching from its own machine.
    #[arg(long, env = "MCP_OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK", value_name = "MCP_OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK",
          default_value = "false", value_parser = parse_bool, action = clap::ArgAction::Set)]
    #[schemars(
        rename = "MCP_OAUTH_CLIENT_METADATA_ALLOW_LOOPBACK",
        default = "default_false"
    )]
    pub client_metadata_allow_loopback: bool,

    /// Serve HTTPS (rustls) instead of HTTP. Without certificate files, a self-signed certificate
    /// is made at start, with a warning. The default issuer becomes `https://`.
    #[arg(long, env = "MCP_HTTPS_ENABLED", value_name = "MCP_HTTPS_ENABLED", default_value = "false",
          value_parser = parse_bool, action = clap::ArgAction::Set)]
    #[schemars(rename = "MCP_HTTPS_ENABLED", default = "default_false")]
    pub https_enabled: bool,

    /// The certificate chain for HTTPS, PEM. Needs `MCP_SSL_KEY_FILE`.
    #[arg(long, env = "MCP_SSL_CERT_FILE", value_name = "MCP_SSL_CERT_FILE")]
    #[schemars(rename = "MCP_SSL_CERT_FILE")]
    pub ssl_cert_file: Option<std::path::PathBuf>,

    /// The certificate's private key for HTTPS, PEM (PKCS#8, PKCS#1 or SEC1).
    #[arg(long, env = "MCP_SSL_KEY_FILE", value_name = "MCP_SSL_KEY_FILE")]
    #[schemars(rename = "MCP_SSL_KEY_FILE")]
    pub ssl_key_file: Option<std::path::PathBuf>,
}

/// Where the data lives: what every command that opens the storage reads.
#[derive(Args, Clone, JsonSchema)]
pub struct StorageSettings {
    /// The storage plugin. Default: `surrealdb` when compiled in, else `memory`.
    #[arg(
        long,
        env = "MCP_OAUTH_STORAGE_BACKEND",
        value_name = "MCP_OAUTH_STORAGE_BACKEND"
    )]
    #[schemars(rename = "MCP_OAUTH_STORAGE_BACKEND")]
    pub oauth_storage_backend: Option<String>,

    /// The directory the embedded database lives in (`DATA_DIR/memory`) unless
    /// `MCP_OAUTH_STORAGE_URL` says otherwise. Relative paths start from the working directory;
    /// the start-up block prints the absolute one. A service manager should set it.
    #[arg(
        long,
        env = "MCP_DATA_DIR",
        value_name = "MCP_DATA_DIR",
        default_value = "./data"
    )]
    #[schemars(rename = "MCP_DATA_DIR", default = "default_data_dir")]
    pub data_dir: std::path::PathBuf,
}

/// The token signer: what the server and `memory keys` read.
#[derive(Args, Clone, JsonSchema)]
pub struct SignerSettings {
    /// The token signer plugin (`memory plugins` lists those compiled in). Default: `hs256`, or
    /// the first compiled in when a build leaves it out.
    #[arg(long, env = "MCP_OAUTH_SIGNER", value_name = "MCP_OAUTH_SIGNER")]
    #[schemars(rename = "MCP_OAUTH_SIGNER")]
    pub oauth_signer: Option<String>,

    /// Access-token lifetime in minutes.
    #[arg(long, env = "MCP_OAUTH_ACCESS_TOKEN_EXPIRE_MINUTES", default_value = "60",
          value_name = "MCP_OAUTH_ACCESS_TOKEN_EXPIRE_MINUTES", value_parser = parse_lifetime)]
    #[schemars(
        rename = "MCP_OAUTH_ACCESS_TOKEN_EXPIRE_MINUTES",
        default = "default_access"
    )]
    pub access_token_expire_minutes: i64,
}

/// Registration hygiene: what the server and `memory clients prune` read.
#[derive(Args, Clone, JsonSchema)]
pub struct HygieneSettings {
    /// How long a registered client that never completed a grant is kept: `24h` (default),
    /// `90m`, `3600s`, `7d`; `0` keeps every client. Some clients register anew on every
    /// connection; this bounds what they leave behind.
    #[arg(long, env = "MCP_OAUTH_UNUSED_CLIENT_TTL", value_name = "MCP_OAUTH_UNUSED_CLIENT_TTL",
          default_value = "24h", value_parser = parse_duration)]
    #[schemars(
        rename = "MCP_OAUTH_UNUSED_CLIENT_TTL",
        with = "String",
        default = "default_unused_client_ttl"
    )]
    pub oauth_unused_client_ttl: i64,
}

fn default_data_dir() -> &'static str {
    "./data"
}
fn default_host() -> &'static str {
    "127.0.0.1"
}
fn default_port() -> u16 {
    8000
}
fn default_true() -> bool {
    true
}
fn default_false() -> bool {
    false
}
fn default_log_format() -> crate::logging::LogFormat {
    crate::logging::LogFormat::Text
}
fn default_unused_client_ttl() -> String {
    "24h".into()
}

/// The enterprise identity providers of `MCP_OAUTH_ID_JAG_ISSUERS`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustedIssuers(pub Vec<mcp_oauth_core::engine::TrustedIssuer>);

/// Reads `ISSUER JWKS_URL` pairs, separated by spaces or commas; each an https URL (http only on
/// a loopback host).
pub fn parse_trusted_issuers(text: &str) -> Result<TrustedIssuers, String> {
    let expected = || {
        "expected pairs of an issuer and its JWK set URL, each https (http only on loopback), \
         separated by spaces or commas"
            .to_owned()
    };
    let words: Vec<&str> = text
        .split([' ', ',', '\n', '\t'])
        .filter(|word| !word.is_empty())
        .collect();
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return Err(expected());
    }
    let secure = |word: &str| {
        url::Url::parse(word).is_ok_and(|url| {
            url.scheme() == "https"
                || (url.scheme() == "http"
                    && url.host_str().is_some_and(|host| {
                        host == "localhost"
                            || host
                                .trim_matches(['[', ']'])
                                .parse::<std::net::IpAddr>()
                                .is_ok_and(|ip| ip.is_loopback())
                    }))
        })
    };
    let mut issuers = Vec::new();
    for pair in words.chunks(2) {
        if !secure(pair[0]) || !secure(pair[1]) {
            return Err(expected());
        }
        issuers.push(mcp_oauth_core::engine::TrustedIssuer {
            issuer: pair[0].to_owned(),
            jwks_uri: pair[1].to_owned(),
        });
    }
    Ok(TrustedIssuers(issuers))
}

/// A duration as seconds: a whole number with a unit, `s`, `m`, `h` or `d` (`0` alone is zero).
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let expected =
        || "expected a whole number with a unit: 3600s, 90m, 24h or 7d (0: never)".to_owned();
    let text = text.trim();
    if text == "0" {
        return Ok(0);
    }
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(expected()),
    };
    number
        .parse::<u32>()
        .map(|n| i64::from(n) * seconds)
        .map_err(|_| expected())
}

fn default_authenticator() -> String {
    "owner-key".into()
}
fn default_memory_space() -> String {
    "shared".into()
}

/// `shared` or `per-person`.
pub fn parse_memory_space(text: &str) -> Result<mcp_oauth_core::memories::MemorySpace, String> {
    match text.trim() {
        "shared" => Ok(mcp_oauth_core::memories::MemorySpace::Shared),
        "per-person" => Ok(mcp_oauth_core::memories::MemorySpace::PerPerson),
        _ => Err("expected shared or per-person".into()),
    }
}

fn default_session_ttl() -> String {
    "8h".into()
}
fn default_rate() -> u32 {
    60
}
fn parse_rate(text: &str) -> Result<u32, String> {
    text.trim()
        .parse()
        .map_err(|_| "expected a whole number of requests a minute (0: no limit)".into())
}
fn default_access() -> i64 {
    60
}
fn default_code() -> i64 {
    10
}
fn default_refresh() -> i64 {
    30
}

/// `true`/`false` and the usual spellings (`1`/`0`, `yes`/`no`, `on`/`off`), any case.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err("expected true or false".into()),
    }
}

fn parse_port(text: &str) -> Result<u16, String> {
    text.trim()
        .parse()
        .map_err(|_| "expected a port number from 0 to 65535".into())
}

fn parse_lifetime(text: &str) -> Result<i64, String> {
    match text.trim().parse::<i64>() {
        Ok(n) if (1..=1_000_000).contains(&n) => Ok(n),
        _ => Err("expected a whole number from 1 to 1000000".into()),
    }
}

/// An http(s) URL without query, fragment or credentials; the trailing slash is dropped.
fn parse_issuer(text: &str) -> Result<String, String> {
    let expected =
        "expected an http or https URL without query or fragment, e.g. https://memory.example.com";
    let url = url::Url::parse(text.trim()).map_err(|_| expected.to_owned())?;
    let fine = matches!(url.scheme(), "http" | "https")
        && url.has_host()
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !fine {
        return Err(expected.into());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// The issuer for a server listening on `host:port`, over HTTPS when `https`: loopback and wildcard
/// hosts are written `localhost` (what users type and MCP clients compare against), the scheme's
/// default port is dropped.
pub fn default_issuer(host: &str, port: u16, https: bool) -> String {
    let host = match host {
        "0.0.0.0" | "::" | "[::]" | "127.0.0.1" | "::1" | "[::1]" | "localhost" => {
            "localhost".to_owned()
        }
        v6 if v6.contains(':') && !v6.starts_with('[') => format!("[{v6}]"),
        other => other.to_owned(),
    };
    let (scheme, default_port) = if https { ("https", 443) } else { ("http", 80) };
    if port == default_port {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}:{port}")
    }
}

/// Whether `host` is a wildcard bind address (every interface).
pub fn is_wildcard_host(host: &str) -> bool {
    matches!(host, "0.0.0.0" | "::" | "[::]")
}

/// The other loopback names of a derived issuer written `localhost`: the same URL with
/// `127.0.0.1` and `[::1]`, which MCP clients may have been given instead. None for other hosts.
pub fn loopback_aliases(issuer: &str) -> Vec<String> {
    let Ok(url) = url::Url::parse(issuer) else {
        return Vec::new();
    };
    if url.host_str() != Some("localhost") {
        return Vec::new();
    }
    ["127.0.0.1", "[::1]"]
        .into_iter()
        .filter_map(|host| {
            let mut alias = url.clone();
            alias.set_host(Some(host)).ok()?;
            Some(alias.as_str().trim_end_matches('/').to_owned())
        })
        .collect()
}

/// Whether `host` names only this machine.
pub fn is_loopback_host(host: &str) -> bool {
    let trimmed = host.trim_start_matches('[').trim_end_matches(']');
    trimmed.eq_ignore_ascii_case("localhost")
        || trimmed
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuer_defaults_write_loopback_as_localhost() {
        assert_eq!(
            default_issuer("127.0.0.1", 8000, false),
            "http://localhost:8000"
        );
        assert_eq!(default_issuer("0.0.0.0", 80, false), "http://localhost");
        assert_eq!(default_issuer("0.0.0.0", 443, true), "https://localhost");
        assert_eq!(
            default_issuer("memory.internal", 8443, true),
            "https://memory.internal:8443"
        );
        assert_eq!(
            default_issuer("memory.internal", 9000, false),
            "http://memory.internal:9000"
        );
        assert_eq!(
            default_issuer("fd00::1", 8000, false),
            "http://[fd00::1]:8000"
        );
    }

    #[test]
    fn issuer_values_are_checked_and_trimmed() {
        assert_eq!(
            parse_issuer("https://memory.example.com/").unwrap(),
            "https://memory.example.com"
        );
        assert!(parse_issuer("memory.example.com").is_err());
        assert!(parse_issuer("https://memory.example.com/?x=1").is_err());
        assert!(parse_issuer("ftp://memory.example.com").is_err());
    }

    #[test]
    fn booleans_take_the_usual_spellings() {
        assert_eq!(parse_bool("TRUE"), Ok(true));
        assert_eq!(parse_bool("off"), Ok(false));
        assert!(parse_bool("maybe").is_err());
    }

    #[test]
    fn loopback_hosts() {
        assert!(
            is_loopback_host("127.0.0.1")
                && is_loopback_host("localhost")
                && is_loopback_host("::1")
        );
        assert!(!is_loopback_host("0.0.0.0") && !is_loopback_host("192.168.1.2"));
    }
}
