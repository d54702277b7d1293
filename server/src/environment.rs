//! The `MCP_*` variables a deployer set that this server will not read: settings of the Python
//! service that do not apply here, settings of plugins not in use, and misspellings (with the
//! closest name this build knows). Each is one warning line at start; none stops it.

use mcp_oauth_core::{PluginSettings, registry};

use crate::config::Cli;

/// Settings of the Python MCP Memory Service that have no meaning here, and what to do instead.
const PYTHON_ONLY: &[(&str, &str)] = &[
    (
        "MCP_HTTP_ENABLED",
        "this binary always serves HTTP (memory server --http)",
    ),
    (
        "MCP_MEMORY_STORAGE_BACKEND",
        "choose the storage with MCP_OAUTH_STORAGE_BACKEND (memory plugins lists them)",
    ),
    (
        "MCP_MEMORY_SQLITE_PATH",
        "the data lives in MCP_DATA_DIR (or MCP_OAUTH_STORAGE_URL)",
    ),
    (
        "MCP_MEMORY_CHROMA_PATH",
        "the data lives in MCP_DATA_DIR (or MCP_OAUTH_STORAGE_URL)",
    ),
    (
        "MCP_MEMORY_BACKUPS_PATH",
        "make backups with memory backup FILE",
    ),
    (
        "MCP_MEMORY_USE_ONNX",
        "there is no embedding model: search matches words and tags",
    ),
    (
        "MCP_EMBEDDING_MODEL",
        "there is no embedding model: search matches words and tags",
    ),
    (
        "MCP_MDNS_ENABLED",
        "the server does not advertise itself over mDNS",
    ),
    (
        "MCP_MDNS_SERVICE_NAME",
        "the server does not advertise itself over mDNS",
    ),
    (
        "MCP_CONSOLIDATION_ENABLED",
        "memories are not consolidated in the background",
    ),
];

/// The variables `memory server` reads itself (each `--flag` with an `env`).
pub fn server_variables() -> Vec<String> {
    let cli = <Cli as clap::CommandFactory>::command();
    cli.find_subcommand("server")
        .map(|server| {
            server
                .get_arguments()
                .filter_map(|arg| arg.get_env())
                .map(|name| name.to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// One variable a compiled-in plugin reads.
pub struct PluginSetting {
    /// The variable, e.g. `MCP_OAUTH_SECRET_KEY`.
    pub variable: String,
    /// The plugin's role: `signer`, `storage` or `authenticator`.
    pub role: &'static str,
    /// The plugin's name.
    pub plugin: &'static str,
    /// What it does, from the plugin's settings schema.
    pub description: String,
    /// The variable's schema.
    pub schema: serde_json::Value,
}

/// Every variable each compiled-in plugin reads.
pub fn plugin_settings() -> Vec<PluginSetting> {
    let mut found = Vec::new();
    let mut add = |role: &'static str, plugin: &'static str, schema: schemars::Schema| {
        let properties = schema
            .get("properties")
            .and_then(serde_json::Value::as_object)
            .cloned()
            .unwrap_or_default();
        for (variable, schema) in properties {
            let description = schema
                .get("description")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            found.push(PluginSetting {
                variable,
                role,
                plugin,
                description,
                schema,
            });
        }
    };
    for plugin in registry::signers() {
        add("signer", plugin.name, (plugin.config_schema)());
    }
    for plugin in registry::storages() {
        add("storage", plugin.name, (plugin.config_schema)());
    }
    for plugin in registry::authenticators() {
        add("authenticator", plugin.name, (plugin.config_schema)());
    }
    found
}

/// One warning for each variable in `settings` that nothing in use reads; `in_use` names the
/// plugins chosen (`signer`, `storage`, each authenticator).
pub fn unread_variables(settings: &PluginSettings, in_use: &[&str]) -> Vec<String> {
    let server = server_variables();
    let plugins = plugin_settings();
    let mut known: Vec<&str> = server.iter().map(String::as_str).collect();
    known.extend(plugins.iter().map(|setting| setting.variable.as_str()));
    let mut warnings = Vec::new();
    for name in settings.names() {
        if server.iter().any(|known| known == name) {
            continue;
        }
        let readers: Vec<_> = plugins
            .iter()
            .filter(|setting| setting.variable == name)
            .collect();
        if readers
            .iter()
            .any(|setting| in_use.contains(&setting.plugin))
        {
            continue;
        }
        if let Some((_, instead)) = PYTHON_ONLY.iter().find(|(python, _)| *python == name) {
            warnings.push(format!(
                "{name} is a setting of the Python service that does not apply here: {instead}"
            ));
        } else if !readers.is_empty() {
            let readers: Vec<_> = readers
                .iter()
                .map(|setting| format!("the {} {}", setting.plugin, setting.role))
                .collect();
            warnings.push(format!(
                "{name} is ignored: only {} reads it, which is not in use",
                readers.join(" or ")
            ));
        } else {
            let closest = known
                .iter()
                .map(|candidate| (strsim::jaro_winkler(name, candidate), *candidate))
                .filter(|(likeness, _)| *likeness > 0.85)
                .max_by(|a, b| a.0.total_cmp(&b.0));
            warnings.push(match closest {
                Some((_, candidate)) => {
                    format!("{name} is not a setting of this server: did you mean {candidate}?")
                }
                None => format!(
                    "{name} is not a setting of this server (memory server --help lists them)"
                ),
            });
        }
    }
    warnings
}
