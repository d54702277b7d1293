//! `memory`: the command line.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser as _;
use mcp_oauth_core::{PluginSettings, SystemClock, registry};
use mcp_oauth_server::config::{ClientsCommand, KeysCommand};
use mcp_oauth_server::{App, Cli, Command, ConfigAction, Settings};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if error.use_stderr() => {
            // One line naming the setting, what it got and what it takes.
            let text = error.to_string();
            eprintln!(
                "{}",
                text.lines().next().unwrap_or("error: invalid arguments")
            );
            return ExitCode::from(2);
        }
        Err(error) => {
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
    };
    match cli.command {
        Command::Plugins => {
            print_plugins();
            ExitCode::SUCCESS
        }
        Command::Config {
            action: ConfigAction::Schema,
        } => {
            let schema = schemars::schema_for!(Settings);
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Command::Keys { action, settings } => keys(action, &settings),
        #[cfg(feature = "authn-local")]
        Command::Users { action, settings } => offline_command(|now| {
            mcp_oauth_server::users::run(
                action,
                &settings,
                PluginSettings::from_env(),
                read_password,
                now,
            )
        }),
        Command::Grants { action, settings } => offline_command(|now| {
            mcp_oauth_server::grants::run(action, &settings, PluginSettings::from_env(), now)
        }),
        Command::Clients {
            action: ClientsCommand::Prune,
            settings,
        } => prune_clients(&settings),
        Command::Server(args) if !args.http => {
            eprintln!(
                "error: memory server needs --http: this binary serves MCP over HTTP only (no stdio transport)"
            );
            ExitCode::from(2)
        }
        Command::Server(args) => run(*args.settings),
    }
}

fn keys(action: KeysCommand, settings: &Settings) -> ExitCode {
    offline_command(|now| {
        mcp_oauth_server::keys::run(action, settings, PluginSettings::from_env(), now)
    })
}

fn prune_clients(settings: &Settings) -> ExitCode {
    offline_command(|now| {
        mcp_oauth_server::clients::prune(settings, PluginSettings::from_env(), now)
    })
}

/// Runs a command on the storage beside the server (`memory keys`, `memory clients`): prints
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

fn print_plugins() {
    for (role, plugins) in [
        (
            "signer",
            registry::signers()
                .iter()
                .map(|p| (p.name, p.summary, (p.config_schema)()))
                .collect::<Vec<_>>(),
        ),
        (
            "storage",
            registry::storages()
                .iter()
                .map(|p| (p.name, p.summary, (p.config_schema)()))
                .collect(),
        ),
        (
            "authenticator",
            registry::authenticators()
                .iter()
                .map(|p| (p.name, p.summary, (p.config_schema)()))
                .collect(),
        ),
    ] {
        for (name, summary, schema) in plugins {
            println!("{role} {name}: {summary}");
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
        }
    }
}

fn run(settings: Settings) -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,rmcp=warn,surrealdb=warn,surrealkv=warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
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
