//! The `memory` binary as a deployer meets it: a bad setting stops the start with one line naming
//! the variable, what it got and what it takes, and a non-zero exit.

use std::process::{Command, Output};

fn memory(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_memory"));
    command.args(args).env("MCP_HTTP_PORT", "0");
    for (name, _) in std::env::vars().filter(|(name, _)| name.starts_with("MCP_")) {
        command.env_remove(name);
    }
    command.env("MCP_HTTP_PORT", "0");
    // Never touch ./data: these starts fail before serving anyway.
    command.env("MCP_OAUTH_STORAGE_BACKEND", "memory");
    for (name, value) in env {
        command.env(name, value);
    }
    command.output().expect("the binary runs")
}

/// Asserts a failed start whose stderr is one line containing every `needle`.
fn assert_one_line_error(output: &Output, needles: &[&str]) {
    assert!(!output.status.success(), "the start must fail");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let lines: Vec<_> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line, got: {stderr}");
    for needle in needles {
        assert!(
            lines[0].contains(needle),
            "{needle:?} missing from: {}",
            lines[0]
        );
    }
}

#[test]
fn bad_values_name_the_variable_the_value_and_what_it_takes() {
    let output = memory(&["server", "--http"], &[("MCP_OAUTH_ENABLED", "maybe")]);
    assert_one_line_error(&output, &["MCP_OAUTH_ENABLED", "maybe", "true or false"]);
    let output = memory(&["server", "--http"], &[("MCP_HTTP_PORT", "eighty")]);
    assert_one_line_error(&output, &["MCP_HTTP_PORT", "eighty", "0 to 65535"]);
    let output = memory(
        &["server", "--http"],
        &[("MCP_OAUTH_ISSUER", "memory.example.com")],
    );
    assert_one_line_error(
        &output,
        &["MCP_OAUTH_ISSUER", "memory.example.com", "https URL"],
    );
    let output = memory(
        &["server", "--http"],
        &[("MCP_CORS_ORIGINS", "inspector.example.com")],
    );
    assert_one_line_error(
        &output,
        &[
            "MCP_CORS_ORIGINS",
            "inspector.example.com",
            "https://app.example.com",
        ],
    );
    let output = memory(
        &["server", "--http"],
        &[("MCP_OAUTH_UNUSED_CLIENT_TTL", "a day")],
    );
    assert_one_line_error(&output, &["MCP_OAUTH_UNUSED_CLIENT_TTL", "a day", "24h"]);
    let output = memory(
        &["server", "--http"],
        &[("MCP_OAUTH_ACCESS_TOKEN_EXPIRE_MINUTES", "-5")],
    );
    assert_one_line_error(
        &output,
        &[
            "MCP_OAUTH_ACCESS_TOKEN_EXPIRE_MINUTES",
            "-5",
            "whole number",
        ],
    );
}

#[test]
fn plugin_and_policy_errors_are_one_line_too() {
    let output = memory(&["server", "--http"], &[("MCP_OAUTH_SIGNER", "rs256")]);
    let compiled_in = if cfg!(feature = "signer-eddsa") {
        "eddsa"
    } else {
        "hs256"
    };
    assert_one_line_error(&output, &["MCP_OAUTH_SIGNER", "rs256", compiled_in]);
    #[cfg(feature = "signer-hs256")]
    short_hs256_key_is_refused();
    let output = memory(
        &["server", "--http"],
        &[("MCP_OAUTH_AUTHENTICATOR", "ldap")],
    );
    assert_one_line_error(&output, &["MCP_OAUTH_AUTHENTICATOR", "ldap", "owner-key"]);

    // A public address without the API key: nobody could approve the consent page.
    let output = memory(&["server", "--http"], &[("MCP_HTTP_HOST", "0.0.0.0")]);
    assert_one_line_error(&output, &["MCP_API_KEY", "unset", "MCP_OAUTH_AUTO_APPROVE"]);
    https_settings_are_checked_before_serving();
    let output = memory(&["server"], &[]);
    assert_one_line_error(&output, &["--http"]);
}

/// Each HTTPS misconfiguration stops the start with one line naming the setting at fault.
fn https_settings_are_checked_before_serving() {
    let dir = std::env::temp_dir().join(format!("memory-cli-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert = write("cert.pem", &made.cert.pem());
    let foreign_key = write("other-key.pem", &other.signing_key.serialize_pem());
    let garbage = write("garbage.pem", "not a certificate");
    let missing = dir.join("missing.pem").display().to_string();
    let on = ("MCP_HTTPS_ENABLED", "true");

    // (environment, what the one line must name)
    type Case<'a> = (Vec<(&'a str, &'a str)>, Vec<&'a str>);
    let cases: [Case; 5] = [
        (
            vec![on, ("MCP_SSL_CERT_FILE", &cert)],
            vec!["MCP_SSL_KEY_FILE", "unset"],
        ),
        (
            vec![
                on,
                ("MCP_SSL_CERT_FILE", &missing),
                ("MCP_SSL_KEY_FILE", &foreign_key),
            ],
            vec!["MCP_SSL_CERT_FILE", &missing, "readable"],
        ),
        (
            vec![
                on,
                ("MCP_SSL_CERT_FILE", &garbage),
                ("MCP_SSL_KEY_FILE", &foreign_key),
            ],
            vec!["MCP_SSL_CERT_FILE", &garbage, "PEM"],
        ),
        (
            vec![
                on,
                ("MCP_SSL_CERT_FILE", &cert),
                ("MCP_SSL_KEY_FILE", &foreign_key),
            ],
            vec![
                "MCP_SSL_KEY_FILE",
                &foreign_key,
                "private key of the certificate",
            ],
        ),
        (
            vec![on, ("MCP_OAUTH_ISSUER", "http://memory.example.com")],
            vec!["MCP_OAUTH_ISSUER", "https://"],
        ),
    ];
    for (env, expected) in cases {
        let output = memory(&["server", "--http"], &env);
        assert_one_line_error(&output, &expected);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plugins_are_a_table_naming_the_settings_each_reads() {
    let output = memory(&["plugins"], &[]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    // Each plugin is a row `ROLE NAME SUMMARY`, then the line of the variables it reads.
    let settings_of = |role: &str, name: &str| -> String {
        let mut lines = text.lines();
        lines
            .find(|line| line.split_whitespace().take(2).eq([role, name]))
            .unwrap_or_else(|| panic!("no row for {role} {name}: {text}"));
        lines.next().unwrap_or_default().trim().to_owned()
    };
    if cfg!(feature = "signer-hs256") {
        assert_eq!(
            settings_of("signer", "hs256"),
            "settings: MCP_OAUTH_SECRET_KEY"
        );
    }
    if cfg!(feature = "signer-eddsa") {
        assert_eq!(
            settings_of("signer", "eddsa"),
            "settings: MCP_OAUTH_PRIVATE_KEY, MCP_OAUTH_PRIVATE_KEY_PATH"
        );
    }
    if cfg!(feature = "signer-paseto") {
        assert_eq!(settings_of("signer", "paseto-v4-public"), "settings: -");
        assert_eq!(
            settings_of("signer", "paseto-v4-local"),
            "settings: MCP_OAUTH_PASETO_LOCAL_KEY"
        );
    }
    assert_eq!(settings_of("storage", "memory"), "settings: -");
}

/// Every setting, the plugins' too, is in `memory config schema` and in `memory server --help`;
/// a subcommand's help lists only what it reads.
#[test]
fn every_setting_is_in_the_schema_and_the_server_help() {
    let output = memory(&["config", "schema"], &[]);
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON Schema");
    let properties = schema["properties"].as_object().expect("properties");
    assert!(properties["MCP_OAUTH_ISSUER"]["description"].is_string());
    let mut expected = vec![
        "MCP_API_KEY",
        "MCP_LOG_FORMAT",
        "MCP_LOG_FILE",
        "MCP_DATA_DIR",
    ];
    if cfg!(feature = "signer-hs256") {
        expected.push("MCP_OAUTH_SECRET_KEY");
    }
    if cfg!(feature = "store-surrealdb") {
        expected.extend([
            "MCP_OAUTH_STORAGE_URL",
            "MCP_SURREALDB_USER",
            "MCP_SURREALDB_PASS",
        ]);
    }
    for variable in &expected {
        assert!(
            properties.contains_key(*variable),
            "{variable} missing from the schema"
        );
    }
    let help = memory(&["server", "--help"], &[]);
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    for variable in properties.keys() {
        assert!(
            help.contains(variable.as_str()),
            "{variable} missing from memory server --help"
        );
    }
    let keys_help = memory(&["keys", "--help"], &[]);
    let keys_help = String::from_utf8_lossy(&keys_help.stdout);
    assert!(keys_help.contains("MCP_OAUTH_SIGNER") && keys_help.contains("MCP_DATA_DIR"));
    assert!(
        !keys_help.contains("MCP_HTTP_PORT") && !keys_help.contains("MCP_CORS_ORIGINS"),
        "{keys_help}"
    );
}

/// `memory` alone prints help; clap's errors keep their tips; a value error stays one line
/// with the values it takes; `version` and `completions` print what they say.
#[test]
fn the_command_line_helps_a_newcomer() {
    let bare = memory(&[], &[]);
    assert!(bare.status.success());
    let text = String::from_utf8_lossy(&bare.stdout);
    assert!(
        text.contains("Usage: memory <COMMAND>") && text.contains("server"),
        "{text}"
    );

    let typo = memory(&["server", "--htp"], &[]);
    assert_eq!(typo.status.code(), Some(2));
    let text = String::from_utf8_lossy(&typo.stderr);
    assert!(
        text.contains("a similar argument exists: '--http'"),
        "{text}"
    );

    let format = memory(&["server", "--http"], &[("MCP_LOG_FORMAT", "xml")]);
    assert_one_line_error(
        &format,
        &["MCP_LOG_FORMAT", "xml", "possible values: text, json"],
    );

    let version = memory(&["version"], &[]);
    let text = String::from_utf8_lossy(&version.stdout);
    assert!(
        text.starts_with(&format!("memory {}\n", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("storages: memory"), "{text}");

    let completions = memory(&["completions", "bash"], &[]);
    assert!(completions.status.success());
    let text = String::from_utf8_lossy(&completions.stdout);
    assert!(
        text.contains("_memory()") && text.contains("--oauth-issuer"),
        "{text}"
    );
}

/// Settings that would be silently ignored are named at start: a Python service setting, a
/// misspelling (with the right name), a plugin's setting while another plugin is in use.
#[test]
fn settings_nothing_reads_are_warned_about_at_start() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_memory"))
        .args(["server", "--http"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("MCP_HTTP_PORT", "0")
        .env("MCP_OAUTH_STORAGE_BACKEND", "memory")
        .env("MCP_OAUTH_ISUER", "https://memory.example.com")
        .env("MCP_MEMORY_SQLITE_PATH", "/var/lib/memory.db")
        .env("MCP_OIDC_ISSUER", "https://accounts.example.com")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server starts");
    let mut banner = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    while std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0 {
        banner.push_str(&line);
        if line.trim().starts_with("docs") {
            break;
        }
        line.clear();
    }
    // The warnings follow the addresses.
    let mut rest = String::new();
    for _ in 0..3 {
        line.clear();
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
        rest.push_str(&line);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        rest.contains(
            "MCP_OAUTH_ISUER is not a setting of this server: did you mean MCP_OAUTH_ISSUER?"
        ),
        "{banner}{rest}"
    );
    assert!(
        rest.contains(
            "MCP_MEMORY_SQLITE_PATH is a setting of the Python service that does not apply here"
        ),
        "{rest}"
    );
    if cfg!(feature = "authn-oidc") {
        assert!(
            rest.contains("MCP_OIDC_ISSUER is ignored: only the oidc authenticator reads it"),
            "{rest}"
        );
    }
}

/// A start refused for a bad setting leaves nothing behind: no data directory, no database.
#[cfg(all(feature = "signer-hs256", feature = "store-surrealdb"))]
#[test]
fn a_refused_start_creates_nothing() {
    let dir = std::env::temp_dir().join(format!("mcp-cli-refused-{}", std::process::id()));
    let output = memory(
        &["server", "--http"],
        &[
            ("MCP_OAUTH_STORAGE_BACKEND", "surrealdb"),
            ("MCP_DATA_DIR", dir.to_str().unwrap()),
            ("MCP_OAUTH_SIGNER", "hs256"),
            ("MCP_OAUTH_SECRET_KEY", "too-short"),
        ],
    );
    assert_one_line_error(&output, &["MCP_OAUTH_SECRET_KEY"]);
    assert!(!dir.exists(), "{} was created", dir.display());
    // A command beside the server refuses a directory without a database rather than making one.
    let output = memory(
        &["keys", "list"],
        &[
            ("MCP_OAUTH_STORAGE_BACKEND", "surrealdb"),
            ("MCP_DATA_DIR", dir.to_str().unwrap()),
        ],
    );
    assert_one_line_error(
        &output,
        &["MCP_DATA_DIR", "the directory of a server's database"],
    );
    assert!(!dir.exists(), "{} was created", dir.display());
}

#[cfg(feature = "signer-hs256")]
#[test]
fn short_hs256_key_is_refused() {
    let output = memory(
        &["server", "--http"],
        &[
            ("MCP_OAUTH_SIGNER", "hs256"),
            ("MCP_OAUTH_SECRET_KEY", "your-secure-secret-key-here"),
        ],
    );
    assert_one_line_error(
        &output,
        &["MCP_OAUTH_SECRET_KEY", "27 bytes", "at least 32"],
    );
}

#[test]
fn key_commands_explain_why_the_memory_storage_cannot_be_reached() {
    let output = memory(
        &["keys", "rotate"],
        &[("MCP_OAUTH_STORAGE_BACKEND", "memory")],
    );
    assert_one_line_error(
        &output,
        &[
            "MCP_OAUTH_STORAGE_BACKEND",
            "memory",
            "POST /oauth/keys/rotate",
        ],
    );
}

/// `memory clients prune` works on a persistent storage (here an empty embedded database) and
/// explains why it cannot reach the in-process one.
#[cfg(feature = "store-surrealdb")]
#[test]
fn clients_prune_runs_on_a_persistent_storage() {
    let dir = std::env::temp_dir().join(format!("mcp-cli-prune-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("surrealkv://{}", dir.display());
    let output = memory(
        &["clients", "prune"],
        &[
            ("MCP_OAUTH_STORAGE_BACKEND", "surrealdb"),
            ("MCP_OAUTH_STORAGE_URL", &url),
            ("MCP_OAUTH_UNUSED_CLIENT_TTL", "1h"),
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "removed 0 client registrations unused for 3600 s"
    );
    let output = memory(
        &["clients", "prune"],
        &[("MCP_OAUTH_STORAGE_BACKEND", "memory")],
    );
    assert_one_line_error(
        &output,
        &["MCP_OAUTH_STORAGE_BACKEND", "memory", "RFC 7592"],
    );
}

#[cfg(feature = "store-surrealdb")]
#[test]
fn an_unreachable_or_misconfigured_database_stops_the_start_with_one_line() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = format!("ws://127.0.0.1:{port}");
    for url in [unreachable.as_str(), "postgres://localhost/db"] {
        let output = memory(
            &["server", "--http"],
            &[
                ("MCP_OAUTH_STORAGE_BACKEND", "surrealdb"),
                ("MCP_OAUTH_STORAGE_URL", url),
                ("MCP_SURREALDB_CONNECT_TIMEOUT", "0"),
            ],
        );
        assert_one_line_error(&output, &["MCP_OAUTH_STORAGE_URL", url, "surrealkv://PATH"]);
    }
}

/// `memory users` as an operator types it: the password on standard input (never echoed in the
/// output), the list without hashes, a bad role or a short password refused in one line.
#[cfg(all(feature = "store-surrealdb", feature = "authn-local"))]
#[test]
fn users_are_added_listed_and_removed_with_the_password_on_standard_input() {
    use std::io::Write as _;

    let dir = std::env::temp_dir().join(format!("mcp-cli-users-{}", std::process::id()));
    let url = format!("surrealkv://{}", dir.display());
    let env = [
        ("MCP_OAUTH_STORAGE_BACKEND", "surrealdb"),
        ("MCP_OAUTH_STORAGE_URL", url.as_str()),
    ];
    let with_stdin = |args: &[&str], input: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_memory"));
        command
            .args(args)
            .envs(env)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("memory runs");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write the password");
        child.wait_with_output().expect("memory finishes")
    };
    let added = with_stdin(
        &["users", "add", "alice", "--role", "writer"],
        "correct horse battery\n",
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&added.stdout),
        "added alice (writer)\n"
    );
    let short = with_stdin(&["users", "add", "bob", "--role", "reader"], "short\n");
    assert_one_line_error(&short, &["password", "at least 8 characters"]);
    let role = with_stdin(
        &["users", "add", "bob", "--role", "root"],
        "long enough pw\n",
    );
    assert_one_line_error(&role, &["root", "reader, writer, admin"]);
    let listed = memory(&["users", "list"], &env);
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listed.starts_with("alice\twriter\tcreated "), "{listed}");
    assert!(!listed.contains("argon2") && !listed.contains("horse"));
    let removed = memory(&["users", "remove", "alice"], &env);
    assert_eq!(
        String::from_utf8_lossy(&removed.stdout),
        "removed alice; revoked 0 grants\n"
    );
    let unknown = memory(&["users", "remove", "alice"], &env);
    assert_one_line_error(&unknown, &["alice", "memory users list"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "authn-oidc")]
#[test]
fn the_oidc_authenticator_names_the_setting_it_lacks() {
    let oidc = ("MCP_OAUTH_AUTHENTICATOR", "oidc");
    let output = memory(&["server", "--http"], &[oidc]);
    assert_one_line_error(&output, &["MCP_OIDC_ISSUER", "unset"]);
    let output = memory(
        &["server", "--http"],
        &[oidc, ("MCP_OIDC_ISSUER", "http://id.example.com")],
    );
    assert_one_line_error(
        &output,
        &["MCP_OIDC_ISSUER", "http://id.example.com", "https"],
    );
    let issuer = ("MCP_OIDC_ISSUER", "https://id.example.com");
    let client = ("MCP_OIDC_CLIENT_ID", "memory");
    let output = memory(&["server", "--http"], &[oidc, issuer, client]);
    assert_one_line_error(
        &output,
        &[
            "MCP_OIDC_ALLOWED_EMAILS",
            "MCP_OIDC_ALLOWED_DOMAINS",
            "MCP_OIDC_ALLOWED_GROUPS",
        ],
    );
    let output = memory(
        &["server", "--http"],
        &[
            oidc,
            issuer,
            client,
            ("MCP_OIDC_ALLOWED_DOMAINS", "example.com"),
            ("MCP_OIDC_ROLE", "owner"),
        ],
    );
    assert_one_line_error(
        &output,
        &["MCP_OIDC_ROLE", "owner", "reader, writer or admin"],
    );
    let output = memory(&["plugins"], &[]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("authenticator  oidc") && text.contains("MCP_OIDC_ALLOWED_GROUPS"),
        "{text}"
    );
}

/// `memory backup -` and `memory restore -` as an operator pipes them (`ssh`, `gzip`): the
/// records on standard output and the summary on standard error; restored into a new directory,
/// the account is there; the memory storage and a missing database are refused in one line.
#[cfg(all(feature = "store-surrealdb", feature = "authn-local"))]
#[test]
fn a_backup_piped_to_a_restore_moves_the_accounts() {
    use std::io::Write as _;

    let base = std::env::temp_dir().join(format!("mcp-cli-backup-{}", std::process::id()));
    let database = |name: &str| format!("surrealkv://{}", base.join(name).display());
    let (source, target) = (database("source"), database("target"));
    let on = |url: &str| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_memory"));
        command
            .env("MCP_OAUTH_STORAGE_BACKEND", "surrealdb")
            .env("MCP_OAUTH_STORAGE_URL", url)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        command
    };
    let fed = |mut command: Command, input: &[u8]| {
        let mut child = command.spawn().expect("memory runs");
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().expect("memory finishes")
    };
    let mut add = on(&source);
    add.args(["users", "add", "alice", "--role", "admin"]);
    assert!(fed(add, b"correct horse battery\n").status.success());

    let mut backup = on(&source);
    backup.args(["backup", "-"]);
    let backup = fed(backup, b"");
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&backup.stderr),
        "backed up 1 account\n"
    );
    let text = String::from_utf8_lossy(&backup.stdout).into_owned();
    assert!(
        text.starts_with("{\"format\":\"mcp-oauth-backup\",\"version\":1,"),
        "{text}"
    );
    assert!(!text.contains("horse"), "the password is kept hashed");

    let mut restore = on(&target);
    restore.args(["restore", "-"]);
    let restored = fed(restore, &backup.stdout);
    let said = String::from_utf8_lossy(&restored.stdout).into_owned();
    assert!(
        said.starts_with("restored 1 account from the backup of 20"),
        "{said}"
    );
    let mut list = on(&target);
    list.args(["users", "list"]);
    let listed = fed(list, b"");
    assert!(String::from_utf8_lossy(&listed.stdout).starts_with("alice\tadmin\t"));

    let missing = memory(
        &["backup", "-"],
        &[
            ("MCP_OAUTH_STORAGE_BACKEND", "surrealdb"),
            ("MCP_OAUTH_STORAGE_URL", &database("none")),
        ],
    );
    assert_one_line_error(
        &missing,
        &[
            "MCP_OAUTH_STORAGE_URL",
            "the directory of a server's database",
        ],
    );
    let in_memory = memory(&["backup", "/tmp/never-written"], &[]);
    assert_one_line_error(
        &in_memory,
        &[
            "MCP_OAUTH_STORAGE_BACKEND",
            "memory",
            "lives and dies with the server process",
        ],
    );
    assert!(!std::path::Path::new("/tmp/never-written").exists());
    let _ = std::fs::remove_dir_all(&base);
}
