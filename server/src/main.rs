//! `memory`: the command line.

use std::process::ExitCode;
use std::sync::Arc;

use clap::FromArgMatches as _;
use mcp_oauth_core::{PluginSettings, SystemClock, registry};
use mcp_oauth_server::clients::ClientsSettings;
use mcp_oauth_server::config::{command_line, settings_schema};
use mcp_oauth_server::{App, Cli, Command, ConfigAction, Settings};

fn main() -> ExitCode {
    // As the Python service: settings may sit in `.env` (here or in a parent directory); what the
    // environment already holds wins.
    if let Err(error) = dotenvy::dotenv()
        && !error.not_found()
    {
        eprintln!("error: .env: {error}; expected NAME=value lines");
        return ExitCode::from(2);
    }
    let cli = match command_line()
        .try_get_matches()
        .and_then(|matches| Cli::from_arg_matches(&matches))
    {
        Ok(cli) => cli,
        Err(error) => return command_line_error(&error),
    };
    match cli.command {
        Command::Plugins => {
            print!("{}", plugins_table());
            ExitCode::SUCCESS
        }
        Command::Config {
            action: ConfigAction::Schema,
        } => {
            println!(
                "{}",
                serde_json::to_string_pretty(&settings_schema()).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut command_line(), "memory", &mut std::io::stdout());
            ExitCode::SUCCESS
        }
        Command::Version => {
            print!("{}", version());
            ExitCode::SUCCESS
        }
        Command::Keys {
            action,
            storage,
            signer,
        } => offline_command(|now| {
            mcp_oauth_server::keys::run(
                action,
                (&storage, &signer),
                PluginSettings::from_env(),
                now,
            )
        }),
        #[cfg(feature = "authn-local")]
        Command::Users { action, storage } => offline_command(|now| {
            mcp_oauth_server::users::run(
                action,
                &storage,
                PluginSettings::from_env(),
                read_password,
                now,
            )
        }),
        Command::Audit { since, storage } => offline_command(|now| {
            mcp_oauth_server::audit::run(since, &storage, PluginSettings::from_env(), now)
        }),
        Command::Backup { file, storage } => offline_command(|now| async move {
            mcp_oauth_server::backup::backup(&file, &storage, PluginSettings::from_env(), now).await
        }),
        Command::Restore { file, storage } => offline_command(|now| async move {
            mcp_oauth_server::backup::restore(&file, &storage, PluginSettings::from_env(), now)
                .await
        }),
        Command::Grants { action, storage } => offline_command(|now| {
            mcp_oauth_server::grants::run(action, &storage, PluginSettings::from_env(), now)
        }),
        Command::Clients {
            action,
            storage,
            signer,
            hygiene,
        } => offline_command(|now| {
            let settings = ClientsSettings {
                storage: &storage,
                signer: &signer,
                hygiene: &hygiene,
            };
            mcp_oauth_server::clients::run(action, settings, PluginSettings::from_env(), now)
        }),
        Command::Server(args) if !args.http => {
            eprintln!(
                "error: memory server needs --http: this binary serves MCP over HTTP only (no stdio transport)"
            );
            ExitCode::from(2)
        }
        Command::Server(args) => run(*args.settings),
    }
}

/// Prints what clap says about the command line. A bad value is one line naming the setting,
/// what it got and what it takes (with the values it takes, when they are few); anything else
/// (an unknown flag with the similar one, a missing subcommand) is clap's whole answer; help
/// and version go to standard output.
fn command_line_error(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            print!("{}", error.render());
            ExitCode::SUCCESS
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let text = error.to_string();
            let line: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|line| !line.starts_with("For more information"))
                .filter(|line| !line.is_empty())
                .collect();
            eprintln!("{}", line.join(" "));
            ExitCode::from(2)
        }
        _ => {
            let _ = error.print();
            ExitCode::from(2)
        }
    }
}

/// Runs a command on the storage beside the server (`memory keys`, `memory clients`, …): prints
/// what it answers, or its error as one line.
fn offline_command<F>(command: impl FnOnce(mcp_oauth_core::UnixTime) -> F) -> ExitCode
where
    F: std::future::Future<Output = Result<String, mcp_oauth_core::Error>>,
{
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let now = mcp_oauth_core::Clock::now(&SystemClock);
    match runtime.block_on(command(now)) {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The first line of standard input, without its line ending: the password of `memory users add`
/// and `passwd` (piped, or typed).
#[cfg(feature = "authn-local")]
fn read_password() -> Result<String, mcp_oauth_core::Error> {
    // Typed at a terminal, the password is not echoed (`stty -echo` while it is read).
    let typed = std::io::IsTerminal::is_terminal(&std::io::stdin());
    let echo = |on: &str| std::process::Command::new("stty").arg(on).status();
    if typed {
        eprint!("password: ");
        let _ = echo("-echo");
    }
    let mut line = String::new();
    let read = std::io::stdin().read_line(&mut line);
    if typed {
        let _ = echo("echo");
        eprintln!();
    }
    read.map_err(|e| mcp_oauth_core::Error::Config {
        variable: "the password on standard input".into(),
        got: "(unreadable)".into(),
        expected: format!("one line of text ({e})"),
    })?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

/// The async runtime, with room for deep recursion in storage engines.
fn runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 << 20)
        .build()
        .map_err(|error| {
            eprintln!("error: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        })
}

/// `memory plugins`: the compiled-in plugins by role, each with its summary and the variables
/// it reads.
fn plugins_table() -> String {
    let settings = mcp_oauth_server::environment::plugin_settings();
    let mut out = String::new();
    let mut row = |role: &str, name: &str, summary: &str| {
        let variables: Vec<_> = settings
            .iter()
            .filter(|setting| setting.role == role && setting.plugin == name)
            .map(|setting| setting.variable.as_str())
            .collect();
        let variables = if variables.is_empty() {
            "-".to_owned()
        } else {
            variables.join(", ")
        };
        out.push_str(&format!(
            "{role:<14} {name:<17} {summary}\n{:<32} settings: {variables}\n",
            ""
        ));
    };
    for plugin in registry::signers() {
        row("signer", plugin.name, plugin.summary);
    }
    for plugin in registry::storages() {
        row("storage", plugin.name, plugin.summary);
    }
    for plugin in registry::authenticators() {
        row("authenticator", plugin.name, plugin.summary);
    }
    out.push_str("\nmemory server --help describes each setting; memory config schema prints them all as JSON Schema.\n");
    out
}

/// `memory version`: the version and the plugins compiled in (the build's feature set).
fn version() -> String {
    let names = |names: Vec<&str>| names.join(", ");
    format!(
        "memory {}\nsigners: {}\nstorages: {}\nauthenticators: {}\n",
        env!("CARGO_PKG_VERSION"),
        names(registry::signers().iter().map(|p| p.name).collect()),
        names(registry::storages().iter().map(|p| p.name).collect()),
        names(registry::authenticators().iter().map(|p| p.name).collect()),
    )
}

fn run(settings: Settings) -> ExitCode {
    if let Err(error) =
        mcp_oauth_server::logging::init(settings.log_format, settings.log_file.as_deref())
    {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    let runtime = match runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    runtime.block_on(async move {
        let address = format!("{}:{}", settings.http_host, settings.http_port);
        let listener = match tokio::net::TcpListener::bind(&address).await {
            Ok(listener) => listener,
            Err(error) => {
                eprintln!(
                    "error: MCP_HTTP_HOST/MCP_HTTP_PORT: cannot listen on {address:?} ({error}); expected a free local address and port"
                );
                return ExitCode::FAILURE;
            }
        };
        let local = match listener.local_addr() {
            Ok(local) => local,
            Err(error) => {
                eprintln!("error: cannot read the listening address: {error}");
                return ExitCode::FAILURE;
            }
        };
        let app = match App::build(&settings, PluginSettings::from_env(), local, Arc::new(SystemClock)).await {
            Ok(app) => app,
            Err(error) => {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
        };
        println!("{}", app.banner(local));
        match app.serve(listener, shutdown_signal()).await {
            Ok(()) => {
                tracing::info!("stopped");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: the server stopped: {error}");
                ExitCode::FAILURE
            }
        }
    })
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
