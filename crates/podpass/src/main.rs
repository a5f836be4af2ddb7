//! `podpass`: Vault's Kubernetes auth and ACL policies, explained, on the command line.
//!
//! A thin binary: arguments, files and rendering. The decisions (logins, ACLs, lint, policy
//! tests, import and export) are the core's, so every face of podpass answers alike.

#![allow(clippy::disallowed_methods, reason = "size rules are for wasm faces")]

mod cli;
mod commands;
mod files;
mod logging;
mod report;
mod style;

use std::process::ExitCode;

// The server allocates many small, short-lived values per request from several threads;
// mimalloc keeps that cheaper than glibc's allocator (docs/benchmarks.md, "Server").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

use cli::{Cli, ColorWhen, Command, Form, TokenCommand};
use commands::Outcome;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.color {
        ColorWhen::Auto => {}
        ColorWhen::Always => anstream::ColorChoice::Always.write_global(),
        ColorWhen::Never => anstream::ColorChoice::Never.write_global(),
    }
    let result = match &cli.command {
        Command::Check(args) => commands::access::check(args),
        Command::Capabilities(args) => commands::access::capabilities(args),
        Command::Lint(args) => commands::lint::run(args),
        Command::Test(args) => commands::test::run(args),
        Command::Fmt(args) => commands::fmt::run(args),
        Command::Import(args) => commands::convert::run(args, Form::Hcl),
        Command::Export(args) => commands::convert::run(args, Form::Commands),
        Command::Token(TokenCommand::Mint(args)) => commands::token::mint_command(args),
        Command::Dev(args) => commands::server::dev(args),
        Command::Serve(args) => commands::server::serve(args),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failure) => ExitCode::from(1),
        Err(error) if error.is_report() => {
            anstream::eprintln!("{error}");
            ExitCode::from(2)
        }
        Err(error) => {
            let label = style::paint(style::BAD, "error");
            anstream::eprintln!("{label}: {error}");
            ExitCode::from(2)
        }
    }
}
