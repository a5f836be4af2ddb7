//! Reading a configuration from text: the format, the files a text may reference, the notes and
//! errors an import produces, and the one place where every form's items are written into a
//! [`Configuration`] (so Vault's validation, messages and origins are the same whatever the form).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use super::hcl_file::{NativeBlocks, ServerBlock};
use super::{ByMountAndRole, Configuration, Origin, api_json};
use crate::auth_config::ConfigError;
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::duration::parse_duration;
use crate::names;
use crate::policy::{PolicyError, normalize_name};
use crate::role::{Role, RoleError, audience_warning};
use crate::ttl::{MountTune, TuneError};

/// The three textual forms of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum SourceFormat {
    /// The tutorial's shell commands (`vault auth enable`, `vault write`, `vault policy write`).
    VaultCommands,
    /// podpass's own HCL file (`auth "kubernetes" { role "…" { … } }`, see docs/podpass-hcl.md).
    PodpassHcl,
    /// Vault API bodies as JSON: a document (`{"auth": …, "policies": …}`) or a request list
    /// (`[{"path": …, "data": …}]`).
    ApiJson,
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SourceFormat::VaultCommands => "vault commands",
            SourceFormat::PodpassHcl => "podpass.hcl",
            SourceFormat::ApiJson => "Vault API JSON",
        })
    }
}

/// Guesses the form of `text`: JSON when it starts with `{` or `[`; commands when any line
/// starts with `vault ` (after an optional `$ ` prompt); otherwise podpass.hcl.
pub fn detect_format(text: &str) -> SourceFormat {
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        return SourceFormat::ApiJson;
    }
    let is_vault_line = |line: &str| {
        let line = line.trim_start();
        let line = line
            .strip_prefix('$')
            .filter(|rest| rest.starts_with([' ', '\t']))
            .map_or(line, str::trim_start);
        line.strip_prefix("vault")
            .is_some_and(|rest| rest.starts_with([' ', '\t']))
    };
    if text.lines().any(is_vault_line) {
        SourceFormat::VaultCommands
    } else {
        SourceFormat::PodpassHcl
    }
}

/// Supplies the files an input refers to (`pem_keys=@key.pem`, `file("…")`, `vault policy write
/// x policy.hcl`). The core does no I/O: the CLI reads relative to the input file's directory,
/// the playground has none.
pub trait FileSource {
    /// The text of `path` as written in the input, or a message saying why it cannot be read.
    /// The message becomes the import error's as is, so it should name the file.
    fn read_file(&self, path: &str) -> Result<String, String>;
}

/// A [`FileSource`] for inputs that must stand alone (pasted text): every read fails.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFiles;

impl FileSource for NoFiles {
    fn read_file(&self, path: &str) -> Result<String, String> {
        Err(format!(
            "file references need files: `{path}` cannot be read here"
        ))
    }
}

/// Something an import read but did not turn into configuration, or a warning Vault would give:
/// a skipped `kubectl` line, a variable definition, a field that cannot be evaluated offline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct ImportNote {
    /// The 1-based line of the input it is about.
    pub line: u32,
    /// What happened, e.g. ``skipped `kubectl create sa grade-api-sa` (not Vault configuration)``.
    pub message: String,
}

impl ImportNote {
    /// The note as an informational diagnostic about the input named `source`
    /// (`configuration/note`), pointing at the start of its line (line 0: no place).
    pub fn diagnostic(&self, source: &str) -> Diagnostic {
        let diagnostic =
            Diagnostic::new(Severity::Info, "configuration/note", self.message.clone())
                .in_source(source);
        if self.line == 0 {
            diagnostic
        } else {
            diagnostic.at(Location::new(self.line, 1))
        }
    }
}

impl fmt::Display for ImportNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Why an import failed, and where: `<source>:<line>:<column>: <message>`.
///
/// `source` is the input's name, or the referenced file's when the problem is inside one (a
/// policy file, `@file`). Lines and columns are 1-based; the column is the start of the item when
/// nothing more precise is known.
///
/// `Display` and `Error` are written by hand because thiserror treats a field named `source` as
/// the underlying error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportError {
    /// The input or file the problem is in.
    pub source: String,
    /// Where in it (serialized as `line` and `column`).
    #[serde(flatten)]
    pub location: Location,
    /// What is wrong; Vault's own message where Vault would refuse the same input.
    pub message: String,
    /// For an item defined twice: where it was first defined, in the same source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_defined: Option<Location>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.source, self.location.line, self.location.column, self.message
        )
    }
}

impl std::error::Error for ImportError {}

impl ImportError {
    /// The refusal as a diagnostic about its source (`configuration/import`).
    pub fn diagnostic(&self) -> Diagnostic {
        let diagnostic = Diagnostic::error("configuration/import", self.message.clone())
            .in_source(self.source.clone())
            .at(self.location);
        match self.first_defined {
            Some(first) => diagnostic.with_secondary(first, "first defined here"),
            None => diagnostic,
        }
    }

    /// The same refusal, with where the item it is about was first defined.
    #[must_use]
    pub fn first_defined_at(mut self, first: Location) -> ImportError {
        self.first_defined = Some(first);
        self
    }
}

/// The result of [`Configuration::import`].
#[derive(Debug, Clone)]
pub struct Imported {
    /// The mounts, roles and policies read, each with its [`Origin`].
    pub configuration: Configuration,
    /// What was skipped or noteworthy, in input order.
    pub notes: Vec<ImportNote>,
    /// podpass.hcl's `server {}` block, when there is one.
    pub server: Option<ServerBlock>,
    /// podpass.hcl's `storage "…" {}` block, when there is one.
    pub storage: Option<ServerBlock>,
    /// The form the text was read as.
    pub format: SourceFormat,
}

impl Configuration {
    /// Reads a configuration from `text` (named `source` in origins and errors) in `format`, or
    /// the detected one ([`detect_format`]). Files the text refers to are read through `files`.
    ///
    /// Every role and config goes through Vault's write handlers, so Vault's validation and
    /// messages apply; every item records its [`Origin`]. A policy's stored text is positioned so
    /// that its line `n` is line `origin.line + n - 1` of `origin.source` (blank lines and spaces
    /// are prepended as needed; policies from a referenced file have that file as origin, line 1).
    /// The exception is a policy given as a JSON string, whose lines cannot be mapped.
    pub fn import(
        text: &str,
        source: &str,
        format: Option<SourceFormat>,
        files: &dyn FileSource,
    ) -> Result<Imported, ImportError> {
        // A byte-order mark is not content in any of the forms.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let format = format.unwrap_or_else(|| detect_format(text));
        let mut builder = Builder::new(source, files);
        let native = match format {
            #[cfg(feature = "vault-commands")]
            SourceFormat::VaultCommands => {
                super::commands::read(text, &mut builder)?;
                NativeBlocks::default()
            }
            #[cfg(feature = "podpass-hcl")]
            SourceFormat::PodpassHcl => super::hcl_file::read(text, &mut builder)?,
            #[cfg(not(feature = "vault-commands"))]
            SourceFormat::VaultCommands => {
                return Err(not_built(&builder, format, "vault-commands"));
            }
            #[cfg(not(feature = "podpass-hcl"))]
            SourceFormat::PodpassHcl => return Err(not_built(&builder, format, "podpass-hcl")),
            SourceFormat::ApiJson => {
                api_json::read(text, &mut builder)?;
                NativeBlocks::default()
            }
        };
        // Input order: notes found while writing an item (an implicit mount) come out with the
        // item's line, after notes about earlier lines.
        let mut notes = builder.notes;
        crate::order::sort_by(&mut notes, |a, b| a.line.cmp(&b.line));
        Ok(Imported {
            configuration: builder.configuration,
            notes,
            server: native.server,
            storage: native.storage,
            format,
        })
    }
}

/// The refusal of a form this build cannot read (a Cargo feature left out, as in the wasm
/// package's edge build).
#[cfg(not(all(feature = "vault-commands", feature = "podpass-hcl")))]
fn not_built(builder: &Builder<'_>, format: SourceFormat, feature: &str) -> ImportError {
    builder.error(
        Location::START,
        format!(
            "this build of podpass reads Vault API JSON only; reading {format} needs the \
             `{feature}` feature (the wasm package's full build, the CLI and the server have it)"
        ),
    )
}

/// A position in the input: 1-based line and column (characters).
pub(super) type At = Location;

/// Where a string value's text comes from, so positions inside it (a policy's parse error) can
/// be mapped back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TextAt {
    /// The text starts at this position of the input and its lines are the input's lines.
    Input(At),
    /// The text is the whole of this referenced file.
    File(String),
    /// The text's lines are not the input's (a string with escapes): errors point at the
    /// value (or the item, when `None`) and give the position inside the text.
    Opaque(Option<At>),
}

/// Where a body field was written: for errors that name the field, and for string values whose
/// inner positions matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FieldAt {
    pub(super) at: At,
    pub(super) text: TextAt,
}

/// Field name to position, for one body (boxed, like [`super::Configuration`]'s maps, so the
/// B-tree's code is shared).
pub(super) type Fields = BTreeMap<String, Box<FieldAt>>;

pub(super) use crate::diagnostic::LineIndex;

/// A file reference shown relative to the working directory: the CLI resolves references
/// against the input's directory, so `keys/sa.pub` in `deploy/podpass.hcl` is shown as
/// `deploy/keys/sa.pub`.
pub(super) fn display_path(source: &str, path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    match source.rfind('/') {
        Some(slash) => format!("{}/{}", &source[..slash], path.trim_start_matches("./")),
        None => path.to_string(),
    }
}

/// The Kubernetes role fields podpass.hcl accepts (Vault's schema, legacy names included).
pub(super) const ROLE_FIELDS: [&str; 22] = [
    "bound_service_account_names",
    "bound_service_account_namespaces",
    "bound_service_account_namespace_selector",
    "audience",
    "alias_name_source",
    "alias_metadata",
    "token_ttl",
    "token_max_ttl",
    "token_explicit_max_ttl",
    "token_period",
    "token_policies",
    "token_no_default_policy",
    "token_num_uses",
    "token_bound_cidrs",
    "token_type",
    "policies",
    "ttl",
    "max_ttl",
    "period",
    "num_uses",
    "bound_cidrs",
    // Vault's schema has it (the path wins); listed so the "did you mean" hint never offers it
    // while podpass.hcl still refuses it explicitly.
    "name",
];

/// The Kubernetes config fields (defined with the config itself).
pub(super) use crate::auth_config::CONFIG_FIELDS;

/// The mount tuning fields podpass models.
pub(super) const TUNE_FIELDS: [&str; 2] = ["default_lease_ttl", "max_lease_ttl"];

/// The closest known name to a misspelt one, for "did you mean" hints.
pub(super) fn suggest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4) && *d > 0)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j] + 1).min(row[j + 1] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Where an item was last written, for "replaces/updates" notes in the sequential forms.
#[derive(Default)]
struct Written {
    enabled: BTreeMap<String, u32>,
    other_mounts: BTreeMap<String, String>,
    configs: BTreeMap<String, u32>,
    roles: ByMountAndRole<u32>,
    policies: BTreeMap<String, u32>,
}

/// Writes items into a [`Configuration`] through Vault's handlers, turning Vault's refusals into
/// [`ImportError`]s at the item's position and its warnings into notes. Shared by every reader.
pub(super) struct Builder<'f> {
    pub(super) source: String,
    pub(super) files: &'f dyn FileSource,
    pub(super) configuration: Configuration,
    pub(super) notes: Vec<ImportNote>,
    written: Written,
}

/// The outcome of routing one Vault API request.
pub(super) enum Routed {
    /// Applied.
    Done,
    /// Not configuration podpass models; the message says what it was.
    Skipped(String),
}

impl<'f> Builder<'f> {
    pub(super) fn new(source: &str, files: &'f dyn FileSource) -> Builder<'f> {
        Builder {
            source: source.to_string(),
            files,
            configuration: Configuration::new(),
            notes: Vec::new(),
            written: Written::default(),
        }
    }

    pub(super) fn error(&self, at: At, message: impl Into<String>) -> ImportError {
        ImportError {
            source: self.source.clone(),
            location: At::new(at.line, at.column),
            message: message.into(),
            first_defined: None,
        }
    }

    /// The refusal of something given a second time: `message`, then where it first was.
    pub(super) fn again(&self, at: At, message: impl fmt::Display, first: At) -> ImportError {
        self.error(at, format!("{message} (first at line {})", first.line))
            .first_defined_at(first)
    }

    pub(super) fn note(&mut self, line: u32, message: impl Into<String>) {
        self.notes.push(ImportNote {
            line,
            message: message.into(),
        });
    }

    /// Reads a referenced file; `at` is where the reference is. The file source's message is
    /// the error's (it knows the path it resolved).
    pub(super) fn read_file(&self, path: &str, at: At) -> Result<String, ImportError> {
        self.files
            .read_file(path)
            .map_err(|reason| self.error(at, reason))
    }

    pub(super) fn display_path(&self, path: &str) -> String {
        display_path(&self.source, path)
    }

    pub(super) fn is_enabled(&self, mount: &str) -> bool {
        self.configuration.mount(mount).is_some()
    }

    /// `sys/auth/<mount>` with type kubernetes, or an `auth "<mount>"` block.
    pub(super) fn enable(&mut self, mount: &str, at: At) -> Result<(), ImportError> {
        let mount = mount.trim_matches('/');
        if mount.is_empty() {
            return Err(self.error(at, "an auth mount needs a path, e.g. `kubernetes`"));
        }
        if let Some(line) = self.written.enabled.get(mount).copied() {
            self.note(
                at.line,
                format!(
                    "auth/{mount}/ is already enabled (line {line}); Vault would refuse this \
                     second enable (path is already in use)"
                ),
            );
            return Ok(());
        }
        if let Some(kind) = self.written.other_mounts.remove(mount) {
            self.note(
                at.line,
                format!("auth/{mount}/ was a `{kind}` mount; it is now a Kubernetes mount"),
            );
        }
        self.written.enabled.insert(mount.to_string(), at.line);
        self.configuration.enable_kubernetes(mount);
        Ok(())
    }

    /// An auth method podpass does not model: remembered so writes to it are skipped, not
    /// mistaken for Kubernetes roles.
    pub(super) fn enable_other(&mut self, mount: &str, kind: &str, at: At) {
        let mount = mount.trim_matches('/').to_string();
        if let Some(line) = self.written.enabled.get(&mount).copied() {
            self.note(
                at.line,
                format!(
                    "skipped enabling `{kind}` at auth/{mount}/: the Kubernetes mount enabled at                      line {line} is there (Vault would refuse: path is already in use)"
                ),
            );
            return;
        }
        self.note(
            at.line,
            format!(
                "skipped enabling the `{kind}` auth method at auth/{mount}/ (podpass models \
                 Kubernetes auth only)"
            ),
        );
        self.written.other_mounts.insert(mount, kind.to_string());
    }

    /// Makes sure a Kubernetes mount exists before a write to it; `Some(reason)` when the mount
    /// is another kind of auth method and the write must be skipped.
    fn ensure_mount(&mut self, mount: &str, at: At) -> Option<String> {
        if let Some(kind) = self.written.other_mounts.get(mount) {
            return Some(format!(
                "auth/{mount}/ is a `{kind}` mount, which podpass does not model"
            ));
        }
        if !self.is_enabled(mount) {
            self.note(
                at.line,
                format!(
                    "auth/{mount}/ was not enabled in this input; enabled it as a Kubernetes \
                     mount (as `vault auth enable -path={mount} kubernetes` would)"
                ),
            );
            self.written.enabled.insert(mount.to_string(), at.line);
            self.configuration.enable_kubernetes(mount);
        }
        None
    }

    /// Tunes a mount's lease TTLs (`default_lease_ttl`, `max_lease_ttl`) with Vault's checks.
    pub(super) fn tune(
        &mut self,
        mount: &str,
        body: &Map<String, Value>,
        at: At,
        fields: &Fields,
    ) -> Result<(), ImportError> {
        let mount = mount.trim_matches('/');
        if let Some(reason) = self.ensure_mount(mount, at) {
            self.note(at.line, format!("skipped tuning: {reason}"));
            return Ok(());
        }
        let field_at = |name: &str| fields.get(name).map_or(at, |f| f.at);
        for key in body.keys().filter(|k| !TUNE_FIELDS.contains(&k.as_str())) {
            let line = field_at(key).line;
            self.note(
                line,
                format!("ignored mount setting `{key}` of auth/{mount}/ (podpass models lease TTLs only)"),
            );
        }
        let current = self
            .configuration
            .mount(mount)
            .map(|m| *m.ttls())
            .unwrap_or_default();
        // The server's `sys/auth/<path>/tune` check, in Vault's words.
        let tuned = MountTune::from_ttls(&current).tune(body).map_err(|e| {
            let default_unreadable = body
                .get("default_lease_ttl")
                .is_some_and(|v| v.as_str() != Some("system") && parse_duration(v).is_err());
            let field = match &e {
                TuneError::Negative(field) => field,
                TuneError::Invalid(_) if default_unreadable => "default_lease_ttl",
                _ => "max_lease_ttl",
            };
            let message = match &e {
                TuneError::Invalid(_) => format!("auth/{mount}/ tune: {field}: {e}"),
                TuneError::Negative(_) => format!("auth/{mount}/ tune: {e}"),
                _ => e.to_string(),
            };
            self.error(field_at(field), message)
        })?;
        if let Some(m) = self.configuration.mount_mut(mount) {
            m.set_ttls(tuned.effective());
        }
        Ok(())
    }

    /// `auth/<mount>/config`. `partial` says fields were dropped (unevaluable offline): a
    /// refusal then becomes a note, since the input itself may be fine.
    pub(super) fn write_config(
        &mut self,
        mount: &str,
        body: &Map<String, Value>,
        at: At,
        fields: &Fields,
        partial: &[String],
    ) -> Result<(), ImportError> {
        let mount = mount.trim_matches('/');
        if let Some(reason) = self.ensure_mount(mount, at) {
            self.note(at.line, format!("skipped auth/{mount}/config: {reason}"));
            return Ok(());
        }
        let Some(target) = self.configuration.mount_mut(mount) else {
            return Ok(());
        };
        match target.write_config(body) {
            Ok(warnings) => {
                for warning in warnings {
                    self.note(
                        at.line,
                        format!("auth/{mount}/config: Vault warns: {warning}"),
                    );
                }
            }
            Err(e) if !partial.is_empty() => {
                self.note(
                    at.line,
                    format!(
                        "auth/{mount}/config not written: {e} (after dropping {}, which cannot \
                         be evaluated offline)",
                        partial.join(", ")
                    ),
                );
                return Ok(());
            }
            Err(e) => {
                let field = config_error_field(&e);
                let at = field.and_then(|f| fields.get(f)).map_or(at, |f| f.at);
                return Err(self.error(at, format!("auth/{mount}/config: {e}")));
            }
        }
        if let Some(line) = self.written.configs.insert(mount.to_string(), at.line) {
            self.note(
                at.line,
                format!("auth/{mount}/config replaces the config written at line {line}"),
            );
        }
        self.configuration
            .set_config_origin(mount, Origin::new(&self.source, at.line));
        Ok(())
    }

    /// `auth/<mount>/role/<name>`: created, or updated when the input wrote it before (Vault's
    /// update semantics: omitted fields keep their values).
    pub(super) fn write_role(
        &mut self,
        mount: &str,
        name: &str,
        body: &Map<String, Value>,
        at: At,
        fields: &Fields,
        partial: &[String],
    ) -> Result<(), ImportError> {
        let mount = mount.trim_matches('/');
        let path = format!("auth/{mount}/role/{name}");
        if let Some(reason) = self.ensure_mount(mount, at) {
            self.note(at.line, format!("skipped {path}: {reason}"));
            return Ok(());
        }
        let Some(target) = self.configuration.mount(mount) else {
            return Ok(());
        };
        let existing = target.role(name);
        let result = Role::write(name, body, existing, target.ttls());
        let written = match result {
            Ok(written) => written,
            Err(e) if !partial.is_empty() => {
                self.note(
                    at.line,
                    format!(
                        "{path} not written: {e} (after dropping {}, which cannot be evaluated \
                         offline)",
                        partial.join(", ")
                    ),
                );
                return Ok(());
            }
            Err(RoleError::UnsupportedPath) => {
                return Err(self.error(
                    at,
                    format!(
                        "{path}: unsupported path (a role name is letters, digits, `_`, `-` and \
                         `.`, starting and ending with a letter, digit or `_`)"
                    ),
                ));
            }
            Err(e) => {
                let at = role_error_fields(&e)
                    .iter()
                    .find_map(|f| fields.get(*f))
                    .map_or(at, |f| f.at);
                return Err(self.error(at, format!("{path}: {e}")));
            }
        };
        // The audience warning is on every role without an audience (most tutorial roles); it is
        // advice, which the linter gives with more context, not something the import skipped.
        let quiet = audience_warning(name);
        for warning in written.warnings.iter().filter(|w| **w != quiet) {
            self.note(at.line, format!("{path}: Vault warns: {warning}"));
        }
        let role = written.role.name.clone();
        if let Some(line) = self.written.roles.insert(mount, role, at.line) {
            self.note(
                at.line,
                format!(
                    "{path} updates the role written at line {line} (fields not given keep \
                     their values)"
                ),
            );
        }
        let role_name = written.role.name.clone();
        if let Some(m) = self.configuration.mount_mut(mount) {
            m.put_role(written.role);
        }
        self.configuration
            .set_role_origin(mount, &role_name, Origin::new(&self.source, at.line));
        Ok(())
    }

    /// `vault policy write` / `sys/policies/acl/<name>` / a `policy` block. `text_at` says where
    /// the text's own lines are, so a parse error points into the input (or the policy file).
    pub(super) fn put_policy(
        &mut self,
        name: &str,
        text: &str,
        text_at: &TextAt,
        at: At,
    ) -> Result<(), ImportError> {
        let (stored, origin) = match text_at {
            TextAt::Input(start) => {
                // Pad so the text's line n is the input's line at.line + n - 1 (and line 1's
                // columns match too): tools can then map rule lines back without extra data.
                let lines = start.line.saturating_sub(at.line) as usize;
                let spaces = start.column.saturating_sub(1) as usize;
                let mut padded = String::with_capacity(text.len() + lines + spaces);
                padded.push_str(&"\n".repeat(lines));
                padded.push_str(&" ".repeat(spaces));
                padded.push_str(text);
                (padded, Origin::new(&self.source, at.line))
            }
            TextAt::File(path) => (text.to_string(), Origin::new(&self.display_path(path), 1)),
            TextAt::Opaque(_) => (text.to_string(), Origin::new(&self.source, at.line)),
        };
        let normalized = normalize_name(name);
        if let Err(e) = self.configuration.put_policy(name, &stored, origin.clone()) {
            return Err(self.policy_error(name, &e, text_at, &origin, at));
        }
        if let Some(line) = self.written.policies.insert(normalized.clone(), at.line) {
            self.note(
                at.line,
                format!("policy `{normalized}` replaces the policy written at line {line}"),
            );
        }
        Ok(())
    }

    fn policy_error(
        &self,
        name: &str,
        error: &PolicyError,
        text_at: &TextAt,
        origin: &Origin,
        at: At,
    ) -> ImportError {
        let location = error.location();
        let message = format!("policy \"{}\": {}", normalize_name(name), error.message());
        // Name problems are about the command, not the text.
        if matches!(
            error,
            PolicyError::ReservedName { .. }
                | PolicyError::MissingName { .. }
                | PolicyError::RelativeName { .. }
        ) {
            return self.error(at, message);
        }
        match text_at {
            TextAt::Input(_) => self.error(
                At::new(origin.line + location.line - 1, location.column),
                message,
            ),
            TextAt::File(_) => ImportError {
                source: origin.source.clone(),
                location,
                message: format!(
                    "{message} (policy file read at {}:{})",
                    self.source, at.line
                ),
                first_defined: None,
            },
            TextAt::Opaque(value_at) => self.error(
                value_at.unwrap_or(at),
                format!(
                    "{message} (line {}, column {} of the policy text)",
                    location.line, location.column
                ),
            ),
        }
    }

    /// Removes a role (`vault delete auth/<mount>/role/<name>`).
    fn delete_role(&mut self, mount: &str, name: &str, at: At) {
        let removed = self
            .configuration
            .mount_mut(mount)
            .and_then(|m| m.remove_role(name))
            .is_some();
        let lower = names::lowercase(name);
        self.configuration.role_origins.remove(mount, &lower);
        self.written.roles.remove(mount, &lower);
        if !removed {
            self.note(
                at.line,
                format!("auth/{mount}/role/{name} did not exist; nothing deleted"),
            );
        }
    }

    /// Removes a policy (`vault policy delete`).
    pub(super) fn delete_policy(&mut self, name: &str, at: At) {
        let normalized = normalize_name(name);
        if self.configuration.remove_policy(&normalized).is_none() {
            self.note(
                at.line,
                format!("policy `{normalized}` did not exist; nothing deleted"),
            );
        }
        self.written.policies.remove(&normalized);
    }

    /// Disables a mount (`vault auth disable`), dropping its config and roles as Vault does.
    pub(super) fn disable(&mut self, mount: &str, at: At) {
        let mount = mount.trim_matches('/').to_string();
        self.written.other_mounts.remove(&mount);
        if self.configuration.mounts.remove(&mount).is_none() {
            self.note(
                at.line,
                format!("auth/{mount}/ was not enabled; nothing disabled"),
            );
            return;
        }
        self.configuration.config_origins.remove(&mount);
        self.configuration.role_origins.remove_mount(&mount);
        self.written.enabled.remove(&mount);
        self.written.configs.remove(&mount);
        self.written.roles.remove_mount(&mount);
        self.note(
            at.line,
            format!("disabled auth/{mount}/ (its config and roles are gone)"),
        );
    }

    /// One Vault API write (`vault write <path>`, a request-list entry), routed by path.
    /// `partial` lists body fields dropped before the write.
    pub(super) fn write_path(
        &mut self,
        path: &str,
        body: &Map<String, Value>,
        at: At,
        fields: &Fields,
        partial: &[String],
    ) -> Result<Routed, ImportError> {
        let path = normalize_api_path(path);
        if let Some(rest) = path.strip_prefix("sys/policies/acl/") {
            return self.write_policy_path(rest, &["policy"], body, at, fields);
        }
        if let Some(rest) = path.strip_prefix("sys/policy/") {
            return self.write_policy_path(rest, &["policy", "rules"], body, at, fields);
        }
        if let Some(mount) = path
            .strip_prefix("sys/mounts/auth/")
            .or_else(|| path.strip_prefix("sys/auth/"))
            .and_then(|p| p.strip_suffix("/tune"))
        {
            self.tune(mount, body, at, fields)?;
            return Ok(Routed::Done);
        }
        if let Some(mount) = path.strip_prefix("sys/auth/") {
            return self.enable_path(mount, body, at, fields);
        }
        if let Some((mount, endpoint)) = path
            .strip_prefix("auth/")
            .and_then(|rest| self.split_auth_path(rest))
        {
            if endpoint == "config" {
                self.write_config(mount, body, at, fields, partial)?;
                return Ok(Routed::Done);
            }
            if let Some(name) = endpoint.strip_prefix("role/")
                && !name.is_empty()
                && !name.contains('/')
            {
                self.write_role(mount, name, body, at, fields, partial)?;
                return Ok(Routed::Done);
            }
            if endpoint == "login" {
                return Ok(Routed::Skipped(format!(
                    "a login to {path}, not configuration"
                )));
            }
        }
        Ok(Routed::Skipped(format!(
            "a write to {path}, which is not Kubernetes auth or ACL policy configuration"
        )))
    }

    /// Splits `<mount>/<endpoint>` (an `auth/` path without its prefix) as Vault's router does:
    /// at the longest enabled mount path that is a prefix, whatever the endpoint looks like, so
    /// `kubernetes/role/config` is the role `config` of `kubernetes`, not the config of a mount
    /// `kubernetes/role`. A path under no enabled mount (the write enables it) is split by its
    /// shape, a role endpoint first for the same reason.
    fn split_auth_path<'p>(&self, rest: &'p str) -> Option<(&'p str, &'p str)> {
        let enabled = self
            .configuration
            .mounts()
            .keys()
            .chain(self.written.other_mounts.keys())
            .filter(|mount| {
                rest.strip_prefix(mount.as_str())
                    .is_some_and(|endpoint| endpoint.starts_with('/'))
            })
            .map(String::len)
            .max();
        let (mount, endpoint) = match enabled {
            Some(len) => (&rest[..len], &rest[len + 1..]),
            None => {
                let role = rest
                    .rsplit_once("/role/")
                    .filter(|(_, name)| !name.contains('/'));
                match role {
                    Some((mount, _)) => (mount, &rest[mount.len() + 1..]),
                    None => {
                        let (mount, endpoint) = rest.rsplit_once('/')?;
                        (mount, endpoint)
                    }
                }
            }
        };
        (!mount.is_empty()).then_some((mount, endpoint))
    }

    fn write_policy_path(
        &mut self,
        name: &str,
        keys: &[&str],
        body: &Map<String, Value>,
        at: At,
        fields: &Fields,
    ) -> Result<Routed, ImportError> {
        let Some((key, text)) = keys.iter().find_map(|k| body.get(*k).map(|v| (*k, v))) else {
            return Err(self.error(
                at,
                format!("policy \"{name}\": missing policy text (`policy`)"),
            ));
        };
        let Some(text) = text.as_str() else {
            let at = fields.get(key).map_or(at, |f| f.at);
            return Err(self.error(at, format!("policy \"{name}\": `{key}` must be a string")));
        };
        let text_at = fields
            .get(key)
            .map_or(TextAt::Opaque(None), |f| match &f.text {
                TextAt::Opaque(None) => TextAt::Opaque(Some(f.at)),
                other => other.clone(),
            });
        self.put_policy(name, text, &text_at, at)?;
        Ok(Routed::Done)
    }

    fn enable_path(
        &mut self,
        mount: &str,
        body: &Map<String, Value>,
        at: At,
        fields: &Fields,
    ) -> Result<Routed, ImportError> {
        let kind = match body.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            _ => {
                let at = fields.get("type").map_or(at, |f| f.at);
                return Err(self.error(
                    at,
                    format!("sys/auth/{mount}: missing auth method type (`type`)"),
                ));
            }
        };
        if kind != "kubernetes" {
            self.enable_other(mount, kind, at);
            return Ok(Routed::Done);
        }
        self.enable(mount, at)?;
        match body.get("config") {
            Some(Value::Object(config)) => {
                let tune: Map<String, Value> = config.clone();
                self.tune(mount, &tune, at, fields)?;
            }
            Some(_) => {
                let at = fields.get("config").map_or(at, |f| f.at);
                return Err(self.error(at, format!("sys/auth/{mount}: `config` must be an object")));
            }
            None => {}
        }
        for key in body
            .keys()
            .filter(|k| !matches!(k.as_str(), "type" | "config"))
        {
            let line = fields.get(key).map_or(at.line, |f| f.at.line);
            self.note(
                line,
                format!("ignored `{key}` of sys/auth/{mount} (podpass models the path, type and lease TTLs)"),
            );
        }
        Ok(Routed::Done)
    }

    /// One Vault API delete (`vault delete <path>`, a DELETE request).
    pub(super) fn delete_path(&mut self, path: &str, at: At) -> Routed {
        let path = normalize_api_path(path);
        if let Some(name) = path
            .strip_prefix("sys/policies/acl/")
            .or_else(|| path.strip_prefix("sys/policy/"))
        {
            self.delete_policy(name, at);
            return Routed::Done;
        }
        if let Some(mount) = path.strip_prefix("sys/auth/") {
            self.disable(mount, at);
            return Routed::Done;
        }
        if let Some((mount, name)) = path
            .strip_prefix("auth/")
            .and_then(|rest| rest.rsplit_once("/role/"))
        {
            let mount = mount.trim_matches('/').to_string();
            self.delete_role(&mount, name, at);
            return Routed::Done;
        }
        Routed::Skipped(format!("a delete of {path}, which podpass does not model"))
    }
}

/// `/v1/auth/x/` → `auth/x`.
fn normalize_api_path(path: &str) -> String {
    let path = path.trim().trim_start_matches('/');
    let path = path.strip_prefix("v1/").unwrap_or(path);
    path.trim_end_matches('/').to_string()
}

/// The body fields a role refusal is about, most specific first (the error then points at the
/// field when the input names it).
fn role_error_fields(error: &RoleError) -> Vec<&str> {
    match error {
        RoleError::Field(e) => vec![e.field.as_str()],
        RoleError::BoundCidrs(_) => vec!["token_bound_cidrs", "bound_cidrs"],
        RoleError::Negative { field } => vec![*field, field.trim_start_matches("token_")],
        RoleError::InvalidTokenType(_) => vec!["token_type"],
        RoleError::BatchPeriodic => vec!["token_type", "token_period"],
        RoleError::BatchNumUses => vec!["token_type", "token_num_uses"],
        RoleError::TokenTtlAboveTokenMaxTtl => vec!["token_ttl", "token_max_ttl"],
        RoleError::PeriodAboveMountMax { .. } => vec!["token_period", "period"],
        RoleError::TtlAboveMaxTtl => vec!["ttl", "token_ttl", "max_ttl", "token_max_ttl"],
        RoleError::NamesEmpty => vec!["bound_service_account_names"],
        RoleError::NamespacesEmpty => vec!["bound_service_account_namespaces"],
        RoleError::MixedWildcard => vec![
            "bound_service_account_names",
            "bound_service_account_namespaces",
        ],
        RoleError::InvalidSelector(_) => vec!["bound_service_account_namespace_selector"],
        RoleError::InvalidAliasNameSource => vec!["alias_name_source"],
        RoleError::UnsupportedPath => vec![],
    }
}

fn config_error_field(error: &ConfigError) -> Option<&str> {
    match error {
        ConfigError::NoHost => Some("kubernetes_host"),
        ConfigError::NoCaCertificates => Some("kubernetes_ca_cert"),
        ConfigError::Key(_) => Some("pem_keys"),
        ConfigError::Field(e) => Some(e.field.as_str()),
        ConfigError::TokenReviewNeeded => Some("disable_token_review"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_the_three_forms() {
        assert_eq!(detect_format("  {\"auth\": {}}"), SourceFormat::ApiJson);
        assert_eq!(detect_format("\n[ ]"), SourceFormat::ApiJson);
        assert_eq!(
            detect_format("# setup\n$ vault auth enable kubernetes\n"),
            SourceFormat::VaultCommands
        );
        assert_eq!(
            detect_format("kubectl get sa\n  vault\twrite x a=b\n"),
            SourceFormat::VaultCommands
        );
        assert_eq!(
            detect_format("auth \"kubernetes\" {\n}\n# vault write is in a comment\n"),
            SourceFormat::PodpassHcl
        );
        assert_eq!(detect_format(""), SourceFormat::PodpassHcl);
        assert_eq!(detect_format("vaults are fun"), SourceFormat::PodpassHcl);
    }

    #[test]
    fn no_files_says_why() {
        assert_eq!(
            NoFiles.read_file("keys/sa.pub"),
            Err("file references need files: `keys/sa.pub` cannot be read here".to_string())
        );
    }

    #[test]
    fn errors_and_notes_display_like_compilers() {
        let error = ImportError {
            source: "setup.sh".into(),
            location: Location::new(12, 5),
            message: "boom".into(),
            first_defined: None,
        };
        assert_eq!(error.to_string(), "setup.sh:12:5: boom");
        let note = ImportNote {
            line: 3,
            message: "skipped".into(),
        };
        assert_eq!(note.to_string(), "line 3: skipped");
        let diagnostic = note.diagnostic("setup.sh");
        assert_eq!(
            (diagnostic.severity, diagnostic.code.as_str()),
            (Severity::Info, "configuration/note")
        );
        assert_eq!(diagnostic.to_string(), "setup.sh:3:1: skipped");
    }

    #[test]
    fn display_paths_follow_the_input() {
        assert_eq!(
            display_path("deploy/podpass.hcl", "keys/a.pem"),
            "deploy/keys/a.pem"
        );
        assert_eq!(
            display_path("deploy/podpass.hcl", "./a.pem"),
            "deploy/a.pem"
        );
        assert_eq!(display_path("podpass.hcl", "keys/a.pem"), "keys/a.pem");
        assert_eq!(display_path("x/y.sh", "/etc/a.pem"), "/etc/a.pem");
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(suggest("polices", &ROLE_FIELDS), Some("policies"));
        assert_eq!(suggest("token_tll", &ROLE_FIELDS), Some("token_ttl"));
        assert_eq!(suggest("zzzzzz", &ROLE_FIELDS), None);
    }

    #[test]
    fn api_paths_are_normalized() {
        assert_eq!(
            normalize_api_path("/v1/auth/kubernetes/role/x/"),
            "auth/kubernetes/role/x"
        );
        assert_eq!(normalize_api_path("sys/policy/a"), "sys/policy/a");
    }
}
