//! The command line: subcommands, their arguments and their help texts.

use std::path::PathBuf;

use clap::builder::styling::Styles;
use clap::{Args, Parser, Subcommand, ValueEnum};
use podpass_core::acl::Operation;

const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  a check, test or lint failure (login denied, request denied, test failed, lint error,
     fmt --check found unformatted files)
  2  usage or input error (bad arguments, unreadable or invalid files)";

const MAIN_EXAMPLES: &str = "\
Examples:
  podpass check setup.sh --role grade-api --claims grade-api/grade-api-sa \\
      --path secret/data/payment/db
  podpass lint podpass.hcl
  podpass test tests/tutorial.test.hcl
  podpass fmt --check policies/*.hcl";

/// podpass: Vault's Kubernetes auth and ACL policies, explained.
///
/// Reads a configuration (podpass.hcl, the `vault` commands of a setup script, or Vault API
/// JSON), then explains logins, lints the configuration and runs policy tests — offline, with
/// Vault's own checks and messages.
#[derive(Debug, Parser)]
#[command(
    name = "podpass",
    version,
    styles = Styles::styled(),
    after_help = format!("{MAIN_EXAMPLES}\n\n{EXIT_CODES}"),
)]
pub struct Cli {
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,

    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    /// Colour when writing to a terminal (and NO_COLOR is unset).
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain a login, and optionally what its token may do on a path.
    #[command(after_help = format!("\
Examples:
  # The tutorial's login, with a token podpass signs for grade-api/grade-api-sa:
  podpass check setup.sh --role grade-api --claims grade-api/grade-api-sa

  # ...and whether that token may read payment's secrets (exit 1: it may not):
  podpass check setup.sh --role grade-api --claims grade-api/grade-api-sa \\
      --path secret/data/payment/db --operation read

  # A real token from a pod:
  kubectl exec deploy/grade-api -- cat /var/run/secrets/kubernetes.io/serviceaccount/token > sa.jwt
  podpass check podpass.hcl --role grade-api --token sa.jwt --json

{EXIT_CODES}"))]
    Check(CheckArgs),

    /// Show what a role's (or some policies') token may do on paths, like `vault token capabilities`.
    #[command(after_help = format!("\
Examples:
  podpass capabilities setup.sh --role grade-api secret/data/grade-api/db secret/data/payment/db
  podpass capabilities podpass.hcl --policies grade-api,shared-reader secret/data/shared/x

{EXIT_CODES}"))]
    Capabilities(CapabilitiesArgs),

    /// Find risky or broken roles and policies (wildcard namespaces, KV v2 paths without data/, ...).
    #[command(after_help = format!("\
Examples:
  podpass lint podpass.hcl
  podpass lint setup.sh --strict          # warnings fail too
  podpass lint podpass.hcl --kv2 kv --json
  podpass lint --rules                    # list the rules

{EXIT_CODES}"))]
    Lint(LintArgs),

    /// Run policy test files (see docs/policy-tests.md).
    #[command(after_help = format!("\
Examples:
  podpass test tests/tutorial.test.hcl
  podpass test tests/*.test.hcl --config podpass.hcl
  podpass test tests/tutorial.test.hcl --json

The last line of the human output is `N passed, N failed`.

{EXIT_CODES}"))]
    Test(TestArgs),

    /// Format policy files canonically, like `vault policy fmt` (comments are kept).
    #[command(after_help = format!("\
Examples:
  podpass fmt policies/grade-api.hcl      # rewrites the file
  podpass fmt --check policies/*.hcl      # lists unformatted files, exit 1 if any
  cat policy.hcl | podpass fmt -          # formats standard input to standard output

{EXIT_CODES}"))]
    Fmt(FmtArgs),

    /// Convert a configuration to podpass.hcl (or another form).
    #[command(after_help = format!("\
Examples:
  podpass import setup.sh > podpass.hcl
  podpass import vault-api.json --to hcl -o podpass.hcl

{EXIT_CODES}"))]
    Import(ConvertArgs),

    /// Convert a configuration to `vault` commands or Vault API JSON.
    #[command(after_help = format!("\
Examples:
  podpass export podpass.hcl --to commands > setup.sh
  podpass export podpass.hcl --to json

{EXIT_CODES}"))]
    Export(ConvertArgs),

    /// Service-account tokens for tests and demos.
    #[command(subcommand)]
    Token(TokenCommand),

    /// Start a throwaway server, like `vault server -dev`: unsealed, data in a temporary
    /// directory, KV v2 at secret/, no auth method until enabled (`--demo` mounts the
    /// tutorial's at auth/kubernetes/).
    #[command(after_help = "\
Examples:
  podpass dev --demo                      # the tutorial's roles and policies, ready to log in
  podpass dev --root-token root --listen 127.0.0.1:8200
  podpass dev --demo --log-format json --audit-log audit.log   # JSON logs, an HMAC'd audit trail
  VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=root vault policy list")]
    Dev(DevArgs),

    /// Start a durable server from podpass.hcl (its server block, auth mounts, roles and
    /// policies); tokens and secrets persist, encrypted, in the data directory. The file is the
    /// source of truth for what it names: written at every start, and what an earlier start
    /// wrote from it but it no longer names is removed; items made only through the API stay.
    #[command(after_help = "\
Examples:
  podpass serve --config podpass.hcl
  podpass serve --config podpass.hcl --log-format json --audit-log /var/log/podpass/audit.log
  PODPASS_SEAL_KEY=$(head -c32 /dev/urandom | base64) podpass serve --config podpass.hcl")]
    Serve(ServeArgs),
}

/// `podpass dev`.
#[derive(Debug, Args)]
pub struct DevArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8200")]
    pub listen: String,
    /// The root token to issue (random when not given).
    #[arg(long, value_name = "TOKEN")]
    pub root_token: Option<String>,
    /// Load the tutorial scenario (roles, policies, a demo key) and print a ready login command.
    #[arg(long)]
    pub demo: bool,
    /// The built playground (Trunk's dist directory) to serve at /ui/.
    #[arg(long, value_name = "DIR")]
    pub ui: Option<PathBuf>,
    /// Logging and auditing.
    #[command(flatten)]
    pub operating: OperatingArgs,
}

/// Logs and the audit log, shared by `podpass dev` and `podpass serve`.
#[derive(Debug, Args)]
pub struct OperatingArgs {
    /// How log lines look on stderr: `text` for people, `json` (one object per line) for log
    /// collectors. `RUST_LOG` sets the level (default info).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Append one JSON line per request and per response to FILE (`-`: stdout), with tokens,
    /// JWTs and secret values HMAC'd under the seal key.
    #[arg(long, value_name = "FILE")]
    pub audit_log: Option<PathBuf>,
}

/// The log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `podpass serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The declarative configuration (podpass.hcl; commands and JSON work too).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Address to listen on (overrides the file's server.listen; default 127.0.0.1:8200).
    #[arg(long)]
    pub listen: Option<String>,
    /// The data directory (overrides server.data_dir; default podpass-data beside the config
    /// file). Relative to the working directory, like every path on the command line.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The built playground to serve at /ui/.
    #[arg(long, value_name = "DIR")]
    pub ui: Option<PathBuf>,
    /// Add the reason for each denial (the failed login check, the deciding ACL rule) to the
    /// 403 response as a warning, as `podpass dev` does. Off by default: production answers
    /// Vault's terse `permission denied`; the log and the audit log always carry the reason.
    #[arg(long)]
    pub explain_denials: bool,
    /// Logging and auditing.
    #[command(flatten)]
    pub operating: OperatingArgs,
}

/// Where the configuration comes from.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The configuration: podpass.hcl, a script of `vault` commands, or Vault API JSON.
    /// Files it refers to are read relative to its directory.
    #[arg(value_name = "CONFIG")]
    pub config: PathBuf,

    /// Read CONFIG as this form instead of guessing.
    #[arg(long, value_enum, value_name = "FORM")]
    pub from: Option<Form>,
}

/// The three forms of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Form {
    /// podpass.hcl.
    Hcl,
    /// `vault` commands (a shell script).
    Commands,
    /// Vault API bodies as JSON.
    Json,
}

/// The token a login presents.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// A file holding the JWT (`-` for standard input).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["jwt", "claims"])]
    pub token: Option<PathBuf>,

    /// The JWT itself.
    #[arg(long, value_name = "JWT", conflicts_with = "claims")]
    pub jwt: Option<String>,

    /// A token podpass signs for NAMESPACE/SERVICE_ACCOUNT with its throwaway test key (trusted
    /// only by this run, never written to the configuration).
    #[arg(long, value_name = "NS/SA")]
    pub claims: Option<String>,

    /// With --claims: the token's audience (repeat for several; default: the role's audience).
    #[arg(long = "audience", value_name = "AUD", requires = "claims")]
    pub audiences: Vec<String>,

    /// With --claims: the token's issuer (default: the configured issuer, else Kubernetes' usual one).
    #[arg(long, value_name = "ISS", requires = "claims")]
    pub issuer: Option<String>,

    /// With --claims: a legacy (secret-based) token.
    #[arg(long, requires = "claims")]
    pub legacy: bool,
}

/// `podpass check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// The role to log in on.
    #[arg(long)]
    pub role: String,

    /// The auth mount (default: the configuration's only mount, else `kubernetes`).
    #[arg(long)]
    pub mount: Option<String>,

    #[command(flatten)]
    pub token: TokenArgs,

    /// The caller's IP address (for token_bound_cidrs).
    #[arg(long, value_name = "IP")]
    pub remote_addr: Option<String>,

    /// A label of the token's namespace, KEY=VALUE (for a namespace selector; repeatable, or
    /// several separated by commas).
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,

    /// A path the issued token then requests (repeatable).
    #[arg(long = "path", value_name = "PATH")]
    pub paths: Vec<String>,

    /// The operation on each --path.
    #[arg(long, value_name = "OPERATION", default_value = "read", value_parser = parse_operation)]
    pub operation: Operation,

    /// The request body for --path, as JSON (for allowed/denied/required parameters).
    #[arg(long, value_name = "JSON", requires = "paths")]
    pub parameters: Option<String>,

    /// A response-wrapping TTL for --path (e.g. 5m).
    #[arg(long, value_name = "DURATION", requires = "paths")]
    pub wrap_ttl: Option<String>,

    /// Treat --path as a root-protected endpoint (needs sudo).
    #[arg(long, requires = "paths")]
    pub sudo: bool,

    /// The time to check at: RFC 3339, seconds since the epoch, or an offset like +2h (default: now).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// An operation name, parsed by the core (`create`, `read`, `update`, `patch`, `delete`, `list`).
fn parse_operation(name: &str) -> Result<Operation, String> {
    Operation::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Operation::ALL.iter().map(|op| op.as_str()).collect();
        format!("expected one of: {}", names.join(", "))
    })
}

/// `podpass capabilities`.
#[derive(Debug, Args)]
pub struct CapabilitiesArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// The role whose token policies to use.
    #[arg(
        long,
        conflicts_with = "policies",
        required_unless_present = "policies"
    )]
    pub role: Option<String>,

    /// The auth mount of --role.
    #[arg(long, requires = "role")]
    pub mount: Option<String>,

    /// Policies to use instead of a role, comma separated (`default` is not added).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub policies: Vec<String>,

    #[command(flatten)]
    pub token: TokenArgs,

    /// The time of the login with a token: RFC 3339 or seconds since the epoch.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,

    /// The paths to ask about.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<String>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `podpass lint`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// The configuration: podpass.hcl, a script of `vault` commands, or Vault API JSON.
    #[arg(value_name = "CONFIG", required_unless_present = "rules")]
    pub config: Option<PathBuf>,

    /// Read CONFIG as this form instead of guessing.
    #[arg(long, value_enum, value_name = "FORM")]
    pub from: Option<Form>,

    /// Fail (exit 1) on warnings too, not only on errors.
    #[arg(long)]
    pub strict: bool,

    /// A KV version 2 mount besides `secret` (repeatable).
    #[arg(long = "kv2", value_name = "MOUNT")]
    pub kv2: Vec<String>,

    /// A mount that is KV version 1, not 2 (e.g. `--kv1 secret`; repeatable).
    #[arg(long = "kv1", value_name = "MOUNT")]
    pub kv1: Vec<String>,

    /// TTLs above this are reported (default 1h).
    #[arg(long, value_name = "DURATION")]
    pub max_ttl: Option<String>,

    /// Leave out the findings of this rule (repeatable; see --rules).
    #[arg(long = "ignore", value_name = "RULE")]
    pub ignore: Vec<String>,

    /// List the rules and exit.
    #[arg(long)]
    pub rules: bool,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `podpass test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// The configuration to test (default: each file's `config`, relative to the file).
    #[arg(long, value_name = "CONFIG")]
    pub config: Option<PathBuf>,

    /// Read the configuration as this form instead of guessing.
    #[arg(long, value_enum, value_name = "FORM")]
    pub from: Option<Form>,

    /// The clock for files that do not pin one: RFC 3339 or seconds since the epoch.
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,

    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `podpass fmt`.
#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Policy files (`-` for standard input, written to standard output).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Do not write: list the files that are not formatted and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,
}

/// `podpass import` and `podpass export`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// The form to write (import: hcl by default; export: commands by default).
    #[arg(long, value_enum, value_name = "FORM")]
    pub to: Option<Form>,

    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `podpass token ...`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Sign a service-account JWT, as a cluster would mount it in a pod.
    #[command(after_help = format!("\
Examples:
  # A fresh key pair (put keys/sa.pub.pem in the mount's pem_keys) and a token:
  podpass token mint --namespace grade-api --name grade-api-sa --generate-key keys/sa

  # Another token with the same key, for the vault audience, valid 10 minutes:
  podpass token mint --namespace grade-api --name grade-api-sa --key keys/sa.key.pem \\
      --audience vault --ttl 10m

{EXIT_CODES}"))]
    Mint(MintArgs),
}

/// `podpass token mint`.
#[derive(Debug, Args)]
pub struct MintArgs {
    /// Service-account namespace.
    #[arg(long)]
    pub namespace: String,

    /// Service-account name.
    #[arg(long)]
    pub name: String,

    /// Service-account uid (default: stable, derived from namespace and name).
    #[arg(long)]
    pub uid: Option<String>,

    /// Audience (repeatable).
    #[arg(long = "audience", value_name = "AUD")]
    pub audiences: Vec<String>,

    /// Lifetime (e.g. 1h, 600).
    #[arg(long, default_value = "1h")]
    pub ttl: String,

    /// Issuer (default: Kubernetes' usual one, or kubernetes/serviceaccount with --legacy).
    #[arg(long)]
    pub issuer: Option<String>,

    /// A legacy, secret-based token (flat claims, never expires).
    #[arg(long)]
    pub legacy: bool,

    /// Pod name for the token's pod claim.
    #[arg(long)]
    pub pod: Option<String>,

    /// A PEM private key (PKCS#8, or PKCS#1 for RSA) to sign with.
    #[arg(
        long,
        value_name = "PEM",
        conflicts_with = "generate_key",
        required_unless_present = "generate_key"
    )]
    pub key: Option<PathBuf>,

    /// Generate a key pair, writing OUT.key.pem and OUT.pub.pem, and sign with it.
    #[arg(long, value_name = "OUT")]
    pub generate_key: Option<PathBuf>,

    /// The signing algorithm (RS256 as Kubernetes uses by default; ES256, ES384 and the others
    /// need a key of their family).
    #[arg(long, default_value = "RS256")]
    pub alg: String,

    /// A `kid` header.
    #[arg(long)]
    pub kid: Option<String>,

    /// The issue time: RFC 3339, seconds since the epoch, or an offset like -1h (default: now).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
}
