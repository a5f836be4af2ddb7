//! The tutorial's own shell commands: `vault auth enable|tune|disable`, `vault write`,
//! `vault delete`, `vault policy write|delete`, with `export` variables, `@file` values and
//! here-documents. Everything else (`kubectl`, `curl`, `vault read`, pasted output) is reported
//! as a note with its line and skipped; values only a running shell knows (`$(kubectl …)`) are
//! dropped field by field, with a note.
//!
//! `vault write` arguments are combined as Vault's CLI does (its kvbuilder): `k=v`, `k=@file`
//! (file contents), `k=\@x` (a literal `@x`), `k=-` (standard input), repeated keys become a
//! list, and a lone `@file.json` or `-` merges a JSON object.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::Configuration;
use super::export::{self, Field, Val};
use super::hcl_file::delimiter;
use super::import::{At, Builder, FieldAt, Fields, ImportError, Routed, TextAt};
use super::shell::{
    Env, Joint, Lexer, Part, Redirect, Simple, VarValue, Word, expand, heredoc_parts, is_name,
    shorten,
};

/// Flags of vault subcommands that take no value.
const BOOL_FLAGS: [&str; 11] = [
    "local",
    "seal-wrap",
    "external-entropy-access",
    "tls-skip-verify",
    "non-interactive",
    "force",
    "f",
    "no-print",
    "detailed",
    "output-curl-string",
    "output-policy",
];

/// Flags about the connection or output, which change nothing in the configuration (and the
/// mount description, which podpass does not keep).
const QUIET_FLAGS: [&str; 22] = [
    "address",
    "agent-address",
    "ca-cert",
    "ca-path",
    "client-cert",
    "client-key",
    "tls-server-name",
    "tls-skip-verify",
    "format",
    "field",
    "non-interactive",
    "output-curl-string",
    "output-policy",
    "wrap-ttl",
    "policy-override",
    "header",
    "mfa",
    "log-level",
    "disable-redirects",
    "force",
    "f",
    "description",
];

/// A parsed flag.
struct Flag {
    name: String,
    value: Option<String>,
    at: usize,
}

/// A command's standard input, as far as it can be known offline.
enum Stdin {
    None,
    Text { text: String, at: TextAt },
    Unknown(String),
}

struct Reader<'l, 'b, 'f> {
    lexer: &'l Lexer,
    builder: &'b mut Builder<'f>,
    env: &'l mut Env,
    /// Set once a `vault` command is read: a script without one configures nothing.
    saw_vault: &'l mut bool,
}

/// Reads a script into the builder.
pub(super) fn read(text: &str, builder: &mut Builder<'_>) -> Result<(), ImportError> {
    let mut lexer = Lexer::new(text);
    let mut env = Env::new();
    let mut saw_vault = false;
    // Whether any line holds a command or text at all (comments and blank lines do not count):
    // an empty script, such as the export of an empty configuration, is fine.
    let mut saw_content = false;
    while let Some(start) = lexer.next_start() {
        let Some(result) = lexer.next_line() else {
            break;
        };
        match result {
            Ok(commands) => {
                saw_content |= !commands.is_empty();
                let mut reader = Reader {
                    lexer: &lexer,
                    builder,
                    env: &mut env,
                    saw_vault: &mut saw_vault,
                };
                for simple in &commands {
                    reader.command(simple)?;
                }
            }
            Err(error) => {
                saw_content = true;
                let line = lexer.line_text(start);
                let (line_no, column) = lexer.position(error.at);
                if first_word_is_vault(&line) {
                    return Err(builder.error(At::new(line_no, column), error.message));
                }
                // Not a Vault command and not valid shell (pasted output, prose): one line is
                // skipped and reading goes on.
                let (start_line, _) = lexer.position(start);
                builder.note(
                    start_line,
                    format!(
                        "skipped `{}` (not Vault configuration; not readable as a shell command: {})",
                        shorten(&line, 60),
                        error.message
                    ),
                );
                lexer.skip_line_of(start);
            }
        }
    }
    if saw_content && !saw_vault {
        // Read as commands, a file with no `vault` line would silently configure nothing and
        // every check on it would pass vacuously.
        return Err(builder.error(
            At::new(1, 1),
            "no `vault` command in this file, so read as Vault commands it configures nothing \
             (a setup script has lines like `vault auth enable kubernetes`, \
             `vault write auth/kubernetes/role/…` and `vault policy write …`; \
             for podpass.hcl or API JSON, use --from hcl or --from json)",
        ));
    }
    Ok(())
}

fn first_word_is_vault(line: &str) -> bool {
    let line = line.trim_start();
    let line = line.strip_prefix("$ ").map_or(line, str::trim_start);
    line == "vault" || line.starts_with("vault ") || line.starts_with("vault\t")
}

/// The variable name of a `NAME=value` word.
fn assignment(word: &Word) -> Option<String> {
    let Some(Part::Lit(first)) = word.parts.first() else {
        return None;
    };
    let (name, _) = first.split_once('=')?;
    is_name(name).then(|| name.to_string())
}

impl Reader<'_, '_, '_> {
    fn at(&self, index: usize) -> At {
        let (line, column) = self.lexer.position(index);
        At::new(line, column)
    }

    /// The command as written (continuations joined), shortened for a note.
    fn shown(&self, simple: &Simple) -> String {
        shorten(&self.lexer.raw(simple.start, simple.end), 70)
    }

    fn skip(&mut self, simple: &Simple, why: &str) {
        let line = self.at(simple.start).line;
        let shown = self.shown(simple);
        self.builder
            .note(line, format!("skipped `{shown}` ({why})"));
    }

    fn command(&mut self, simple: &Simple) -> Result<(), ImportError> {
        let at = self.at(simple.start);
        let prefix = simple
            .words
            .iter()
            .take_while(|w| assignment(w).is_some())
            .count();
        if prefix == simple.words.len() {
            if prefix > 0 {
                let names = self.define(&simple.words, at.line);
                self.builder.note(
                    at.line,
                    format!(
                        "sets {} for later lines (not Vault configuration)",
                        names.join(", ")
                    ),
                );
            }
            return Ok(());
        }
        // Assignments before a command only affect that command's environment.
        let words = &simple.words[prefix..];
        let name = match expand(&words[0].parts, self.env) {
            Ok(name) => name,
            Err(u) => {
                self.skip(
                    simple,
                    &format!(
                        "its command name uses {}, which cannot be evaluated offline",
                        u.what
                    ),
                );
                return Ok(());
            }
        };
        match name.as_str() {
            "export" | "readonly" | "declare" | "typeset" | "local" => {
                let args: Vec<Word> = words[1..]
                    .iter()
                    .filter(|w| assignment(w).is_some())
                    .cloned()
                    .collect();
                let names = self.define(&args, at.line);
                let what = if names.is_empty() {
                    "sets nothing podpass uses".to_string()
                } else {
                    format!("sets {} for later lines", names.join(", "))
                };
                let shown = self.shown(simple);
                self.builder.note(
                    at.line,
                    format!("`{shown}` {what} (not Vault configuration)"),
                );
            }
            "unset" => {
                for word in &words[1..] {
                    if let Some(name) = word.literal() {
                        self.env.remove(&name);
                    }
                }
                self.skip(simple, "a shell command; the variables are forgotten");
            }
            "vault" => {
                *self.saw_vault = true;
                self.vault(simple, &words[1..])?;
            }
            _ => self.skip(simple, "not Vault configuration"),
        }
        Ok(())
    }

    /// Defines `NAME=value` words; returns the names as `$NAME`.
    fn define(&mut self, words: &[Word], line: u32) -> Vec<String> {
        let mut names = Vec::new();
        for word in words {
            let Some(name) = assignment(word) else {
                continue;
            };
            let value = match expand(&word.parts, self.env) {
                Ok(text) => VarValue::Known(
                    text.split_once('=')
                        .map_or(String::new(), |(_, v)| v.to_string()),
                ),
                Err(u) => VarValue::Unknown { line, what: u.what },
            };
            self.env.insert(name.clone(), value);
            names.push(format!("`${name}`"));
        }
        names
    }

    /// The command's flags and arguments, or `None` after reporting the command as skipped
    /// when a flag needs a running shell to evaluate.
    fn flags_or_skip<'w>(
        &mut self,
        simple: &Simple,
        args: &'w [Word],
    ) -> Option<(Vec<Flag>, &'w [Word])> {
        match self.flags(args) {
            Ok(parsed) => Some(parsed),
            Err(why) => {
                self.skip(simple, &format!("{why}, which cannot be evaluated offline"));
                None
            }
        }
    }

    /// Go-flag style parsing: flags (`-x`, `-x=v`, `-x v`, `--x`) up to the first argument.
    fn flags<'w>(&self, args: &'w [Word]) -> Result<(Vec<Flag>, &'w [Word]), String> {
        let mut flags = Vec::new();
        let mut i = 0;
        while let Some(word) = args.get(i) {
            let text = expand(&word.parts, self.env)
                .map_err(|u| format!("its flag `{}` uses {}", word.display(), u.what))?;
            if text == "--" {
                i += 1;
                break;
            }
            if !text.starts_with('-') || text == "-" {
                break;
            }
            let body = text.trim_start_matches('-');
            let (name, value) = match body.split_once('=') {
                Some((name, value)) => (name.to_string(), Some(value.to_string())),
                None if BOOL_FLAGS.contains(&body) => (body.to_string(), None),
                None => {
                    i += 1;
                    let value = match args.get(i) {
                        Some(next) => Some(
                            expand(&next.parts, self.env)
                                .map_err(|u| format!("its flag `-{body}` uses {}", u.what))?,
                        ),
                        None => None,
                    };
                    (body.to_string(), value)
                }
            };
            flags.push(Flag {
                name,
                value,
                at: word.start,
            });
            i += 1;
        }
        Ok((flags, args.get(i..).unwrap_or(&[])))
    }

    /// Notes flags that would change something in Vault but that podpass does not model.
    fn ignored_flags(&mut self, flags: &[Flag], used: &[&str]) {
        for flag in flags {
            if used.contains(&flag.name.as_str()) || QUIET_FLAGS.contains(&flag.name.as_str()) {
                continue;
            }
            let shown = match &flag.value {
                Some(value) => format!("-{}={}", flag.name, shorten(value, 30)),
                None => format!("-{}", flag.name),
            };
            let line = self.at(flag.at).line;
            let why = if matches!(flag.name.as_str(), "namespace" | "ns") {
                "podpass has no Vault Enterprise namespaces"
            } else {
                "podpass does not model it"
            };
            self.builder
                .note(line, format!("ignored `{shown}` ({why})"));
        }
    }

    fn word_text(&self, word: &Word) -> Result<String, String> {
        expand(&word.parts, self.env).map_err(|u| u.what)
    }

    fn vault(&mut self, simple: &Simple, args: &[Word]) -> Result<(), ImportError> {
        let at = self.at(simple.start);
        let sub: Vec<String> = args
            .iter()
            .take(2)
            .map(|w| self.word_text(w).unwrap_or_default())
            .collect();
        let sub: Vec<&str> = sub.iter().map(String::as_str).collect();
        match sub.as_slice() {
            ["auth", "enable", ..] => self.auth_enable(simple, &args[2..]),
            ["auth", "tune", ..] => self.auth_tune(simple, &args[2..]),
            ["auth", "disable", ..] => {
                let Some((flags, rest)) = self.flags_or_skip(simple, &args[2..]) else {
                    return Ok(());
                };
                self.ignored_flags(&flags, &[]);
                let Some(path) = rest.first() else {
                    return Err(self
                        .builder
                        .error(at, "vault auth disable: missing the mount path"));
                };
                match self.word_text(path) {
                    Ok(path) => self.builder.disable(&path, at),
                    Err(what) => self.skip(
                        simple,
                        &format!("its path uses {what}, which cannot be evaluated offline"),
                    ),
                }
                Ok(())
            }
            ["write", ..] => self.write(simple, &args[1..]),
            ["delete", ..] => {
                let Some((flags, rest)) = self.flags_or_skip(simple, &args[1..]) else {
                    return Ok(());
                };
                self.ignored_flags(&flags, &[]);
                let Some(path) = rest.first() else {
                    return Err(self.builder.error(at, "vault delete: missing the path"));
                };
                match self.word_text(path) {
                    Ok(path) => {
                        if let Routed::Skipped(why) = self.builder.delete_path(&path, at) {
                            self.skip(simple, &why);
                        }
                    }
                    Err(what) => self.skip(
                        simple,
                        &format!("its path uses {what}, which cannot be evaluated offline"),
                    ),
                }
                Ok(())
            }
            ["policy", "write", ..] => self.policy_write(simple, &args[2..]),
            ["policy", "delete", ..] => {
                let (_, rest) = self.flags(&args[2..]).unwrap_or((Vec::new(), &[]));
                match rest.first().map(|w| self.word_text(w)) {
                    Some(Ok(name)) => self.builder.delete_policy(&name, at),
                    Some(Err(what)) => self.skip(
                        simple,
                        &format!("its name uses {what}, which cannot be evaluated offline"),
                    ),
                    None => {
                        return Err(self
                            .builder
                            .error(at, "vault policy delete: missing the policy name"));
                    }
                }
                Ok(())
            }
            _ => {
                self.skip(simple, "not a Vault configuration write");
                Ok(())
            }
        }
    }

    fn auth_enable(&mut self, simple: &Simple, args: &[Word]) -> Result<(), ImportError> {
        let at = self.at(simple.start);
        let Some((flags, rest)) = self.flags_or_skip(simple, args) else {
            return Ok(());
        };
        let Some(kind_word) = rest.first() else {
            return Err(self.builder.error(
                at,
                "vault auth enable: missing the auth method type (e.g. kubernetes)",
            ));
        };
        let kind = match self.word_text(kind_word) {
            Ok(kind) => kind,
            Err(what) => {
                self.skip(
                    simple,
                    &format!("its type uses {what}, which cannot be evaluated offline"),
                );
                return Ok(());
            }
        };
        let path = flags
            .iter()
            .rev()
            .find(|f| f.name == "path")
            .and_then(|f| f.value.clone())
            .unwrap_or_else(|| kind.clone());
        if kind != "kubernetes" {
            self.builder.enable_other(&path, &kind, at);
            return Ok(());
        }
        self.ignored_flags(&flags, &["path", "default-lease-ttl", "max-lease-ttl"]);
        self.builder.enable(&path, at)?;
        let (tune, fields) = self.tune_body(&flags);
        if !tune.is_empty() {
            self.builder.tune(&path, &tune, at, &fields)?;
        }
        Ok(())
    }

    fn tune_body(&self, flags: &[Flag]) -> (Map<String, Value>, Fields) {
        let mut body = Map::new();
        let mut fields = Fields::new();
        for flag in flags {
            let key = match flag.name.as_str() {
                "default-lease-ttl" => "default_lease_ttl",
                "max-lease-ttl" => "max_lease_ttl",
                _ => continue,
            };
            body.insert(
                key.to_string(),
                Value::String(flag.value.clone().unwrap_or_default()),
            );
            fields.insert(
                key.to_string(),
                Box::new(FieldAt {
                    at: self.at(flag.at),
                    text: TextAt::Opaque(None),
                }),
            );
        }
        (body, fields)
    }

    fn auth_tune(&mut self, simple: &Simple, args: &[Word]) -> Result<(), ImportError> {
        let at = self.at(simple.start);
        let Some((flags, rest)) = self.flags_or_skip(simple, args) else {
            return Ok(());
        };
        let Some(path_word) = rest.first() else {
            return Err(self
                .builder
                .error(at, "vault auth tune: missing the mount path"));
        };
        let path = match self.word_text(path_word) {
            Ok(path) => path,
            Err(what) => {
                self.skip(
                    simple,
                    &format!("its path uses {what}, which cannot be evaluated offline"),
                );
                return Ok(());
            }
        };
        self.ignored_flags(&flags, &["default-lease-ttl", "max-lease-ttl"]);
        let (tune, fields) = self.tune_body(&flags);
        if tune.is_empty() {
            self.skip(simple, "it tunes nothing podpass models (lease TTLs)");
            return Ok(());
        }
        self.builder.tune(&path, &tune, at, &fields)
    }

    /// Standard input of a command: its last input redirection, or a pipe.
    fn stdin(&self, simple: &Simple) -> Result<Stdin, ImportError> {
        let redirect = simple.redirects.iter().rev().find(|r| {
            matches!(
                r,
                Redirect::Heredoc { .. } | Redirect::HereString(_) | Redirect::Input(_)
            )
        });
        Ok(match redirect {
            Some(Redirect::Heredoc {
                body,
                expand: live,
                body_line,
                at,
            }) => {
                let text_at = TextAt::Input(At::new(*body_line, 1));
                if !live {
                    return Ok(Stdin::Text {
                        text: body.clone(),
                        at: text_at,
                    });
                }
                let parts = heredoc_parts(body).map_err(|e| {
                    let (line, column) = self.lexer.position(*at);
                    self.builder.error(
                        At::new(line, column),
                        format!("in the here-document: {}", e.message),
                    )
                })?;
                match expand(&parts, self.env) {
                    Ok(text) => Stdin::Text { text, at: text_at },
                    Err(u) => Stdin::Unknown(format!("its here-document uses {}", u.what)),
                }
            }
            Some(Redirect::HereString(word)) => match self.word_text(word) {
                Ok(text) => Stdin::Text {
                    text: format!("{text}\n"),
                    at: TextAt::Input(self.value_start(word, 0)),
                },
                Err(what) => Stdin::Unknown(format!("its here-string uses {what}")),
            },
            Some(Redirect::Input(word)) => match self.word_text(word) {
                Ok(path) => {
                    let text = self.builder.read_file(&path, self.at(word.start))?;
                    Stdin::Text {
                        text,
                        at: TextAt::File(path),
                    }
                }
                Err(what) => Stdin::Unknown(format!("its input file uses {what}")),
            },
            _ if simple.joint == Joint::Pipe => {
                Stdin::Unknown("its input comes from the previous command in the pipe".into())
            }
            _ => Stdin::None,
        })
    }

    /// Where a word's value starts in the input, skipping `skip` characters (a `key=`) and an
    /// opening quote.
    fn value_start(&self, word: &Word, skip: usize) -> At {
        let index = word.start + skip;
        let quoted = matches!(self.lexer.char_at(index), Some('"' | '\''));
        self.at(index + usize::from(quoted))
    }

    fn write(&mut self, simple: &Simple, args: &[Word]) -> Result<(), ImportError> {
        let at = self.at(simple.start);
        let Some((flags, rest)) = self.flags_or_skip(simple, args) else {
            return Ok(());
        };
        self.ignored_flags(&flags, &[]);
        let Some((path_word, data)) = rest.split_first() else {
            return Err(self.builder.error(at, "vault write: missing the path"));
        };
        let path = match self.word_text(path_word) {
            Ok(path) => path,
            Err(what) => {
                self.skip(
                    simple,
                    &format!("its path uses {what}, which cannot be evaluated offline"),
                );
                return Ok(());
            }
        };
        let mut body = Map::new();
        let mut fields = Fields::new();
        let mut dropped: Vec<String> = Vec::new();
        let mut stdin_used = false;
        for word in data {
            let word_at = self.at(word.start);
            let text = match expand(&word.parts, self.env) {
                Ok(text) => text,
                Err(u) => {
                    let name = u
                        .prefix
                        .split_once('=')
                        .map_or_else(|| word.display(), |(k, _)| k.to_string());
                    self.builder.note(
                        word_at.line,
                        format!(
                            "dropped `{}` from {path}: it uses {}, which cannot be evaluated offline",
                            name, u.what
                        ),
                    );
                    dropped.push(format!("`{name}`"));
                    continue;
                }
            };
            let Some((key, value)) = text.split_once('=') else {
                // A lone `-` or `@file` is a JSON object to merge (kvbuilder).
                let (json, json_at) = if text == "-" {
                    match self.stdin_argument(
                        simple,
                        &path,
                        word_at,
                        &mut stdin_used,
                        &mut dropped,
                    )? {
                        Some((text, _)) => (text, word_at),
                        None => continue,
                    }
                } else if let Some(file) = text.strip_prefix('@') {
                    (self.builder.read_file(file, word_at)?, word_at)
                } else {
                    return Err(self.builder.error(
                        word_at,
                        format!(
                            "Invalid key/value pair '{}': format must be key=value",
                            shorten(&text, 40)
                        ),
                    ));
                };
                let merged: Map<String, Value> =
                    serde_json::from_slice(json.as_bytes()).map_err(|e| {
                        self.builder
                            .error(json_at, format!("the JSON data is not an object: {e}"))
                    })?;
                for (key, value) in merged {
                    fields.insert(
                        key.clone(),
                        Box::new(FieldAt {
                            at: json_at,
                            text: TextAt::Opaque(None),
                        }),
                    );
                    body.insert(key, value);
                }
                continue;
            };
            let key = key.to_string();
            let value_at = self.value_start(word, key.chars().count() + 1);
            let (value, text_at) = if let Some(file) = value.strip_prefix('@') {
                (
                    self.builder.read_file(file, word_at)?,
                    TextAt::File(file.to_string()),
                )
            } else if let Some(literal) = value.strip_prefix('\\').filter(|v| v.starts_with('@')) {
                (literal.to_string(), TextAt::Input(value_at))
            } else if value == "-" {
                match self.stdin_argument(simple, &path, word_at, &mut stdin_used, &mut dropped)? {
                    Some(read) => read,
                    None => continue,
                }
            } else {
                (value.to_string(), TextAt::Input(value_at))
            };
            // Repeated keys become a list, as Vault's CLI builds them.
            let merged = match body.remove(&key) {
                Some(Value::Array(mut items)) => {
                    items.push(Value::String(value));
                    Value::Array(items)
                }
                Some(previous) => Value::Array(vec![previous, Value::String(value)]),
                None => Value::String(value),
            };
            body.insert(key.clone(), merged);
            fields.entry(key).or_insert(Box::new(FieldAt {
                at: word_at,
                text: text_at,
            }));
        }
        if let Routed::Skipped(why) = self
            .builder
            .write_path(&path, &body, at, &fields, &dropped)?
        {
            self.skip(simple, &why);
        }
        Ok(())
    }

    /// The text a `-` argument reads from standard input, or `None` after noting why it cannot
    /// be known offline. Vault's CLI reads standard input once per command.
    fn stdin_argument(
        &mut self,
        simple: &Simple,
        path: &str,
        word_at: At,
        stdin_used: &mut bool,
        dropped: &mut Vec<String>,
    ) -> Result<Option<(String, TextAt)>, ImportError> {
        if *stdin_used {
            return Err(self.builder.error(word_at, "stdin already consumed"));
        }
        *stdin_used = true;
        match self.stdin(simple)? {
            Stdin::Text { text, at } => Ok(Some((text, at))),
            Stdin::Unknown(why) => {
                self.note_dropped_stdin(path, word_at, &why, dropped);
                Ok(None)
            }
            Stdin::None => {
                let why = "there is no here-document or input file to read";
                self.note_dropped_stdin(path, word_at, why, dropped);
                Ok(None)
            }
        }
    }

    fn note_dropped_stdin(&mut self, path: &str, at: At, why: &str, dropped: &mut Vec<String>) {
        self.builder.note(
            at.line,
            format!("dropped standard input from {path}: {why}, which cannot be evaluated offline"),
        );
        dropped.push("standard input".to_string());
    }

    fn policy_write(&mut self, simple: &Simple, args: &[Word]) -> Result<(), ImportError> {
        let at = self.at(simple.start);
        let Some((flags, rest)) = self.flags_or_skip(simple, args) else {
            return Ok(());
        };
        self.ignored_flags(&flags, &[]);
        let [name_word, source_word, ..] = rest else {
            return Err(self.builder.error(
                at,
                "vault policy write: needs a policy name and a file (or `-` with a here-document)",
            ));
        };
        let name = match self.word_text(name_word) {
            Ok(name) => name,
            Err(what) => {
                self.skip(
                    simple,
                    &format!("its name uses {what}, which cannot be evaluated offline"),
                );
                return Ok(());
            }
        };
        let source = match self.word_text(source_word) {
            Ok(source) => source,
            Err(what) => {
                self.skip(
                    simple,
                    &format!("its file uses {what}, which cannot be evaluated offline"),
                );
                return Ok(());
            }
        };
        let (text, text_at) = if source == "-" {
            match self.stdin(simple)? {
                Stdin::Text { text, at } => (text, at),
                Stdin::Unknown(why) => {
                    self.skip(simple, &format!("{why}, which cannot be evaluated offline"));
                    return Ok(());
                }
                Stdin::None => {
                    self.skip(
                        simple,
                        "it reads the policy from standard input, and there is no here-document",
                    );
                    return Ok(());
                }
            }
        } else {
            let text = self
                .builder
                .read_file(&source, self.at(source_word.start))?;
            (text, TextAt::File(source))
        };
        self.builder.put_policy(&name, &text, &text_at, at)
    }
}

/// A word for the shell, quoted only when needed: single quotes unless the text holds one.
fn shell_quote(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-./:,@%+=^".contains(c));
    if safe {
        return text.to_string();
    }
    if !text.contains('\'') {
        return format!("'{text}'");
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// One `key=value` argument's value as Vault's CLI reads it: `None` when `k=v` cannot carry it
/// exactly (`-` means stdin, a leading `\@` loses its backslash).
fn kv_text(value: &str) -> Option<String> {
    if value == "-" || value.starts_with("\\@") {
        return None;
    }
    Some(if value.starts_with('@') {
        format!("\\{value}")
    } else {
        value.to_string()
    })
}

/// The `k=v` arguments for a body, or `None` when some value needs the JSON form.
fn kv_args(fields: &[Field]) -> Option<Vec<String>> {
    let mut args = Vec::new();
    for field in fields {
        let name = field.name;
        let mut push = |value: &str| -> Option<()> {
            args.push(format!("{name}={}", shell_quote(&kv_text(value)?)));
            Some(())
        };
        match &field.value {
            Val::Str(text) => push(text)?,
            Val::Duration(seconds) => push(&crate::duration::format_duration(*seconds))?,
            Val::Int(n) => push(&n.to_string())?,
            Val::Bool(b) => push(&b.to_string())?,
            Val::List(items) => {
                let multiline = items.iter().any(|i| i.contains('\n'));
                let commas = items.iter().any(|i| i.contains(','));
                if items.len() >= 2 && (multiline || commas) {
                    // Repeated keys: each item stays whole.
                    for item in items {
                        push(item)?;
                    }
                } else if commas || (items.len() == 1 && items[0].is_empty()) {
                    return None;
                } else {
                    push(&items.join(","))?;
                }
            }
            Val::Map(map) => {
                if map.keys().any(|k| k.contains('=') || k.is_empty()) || map.is_empty() {
                    return None;
                }
                for (key, value) in map {
                    push(&format!("{key}={value}"))?;
                }
            }
        }
    }
    Some(args)
}

/// `vault write <path> …`, continued over lines, or with a JSON body on standard input.
fn write_command(out: &mut String, path: &str, fields: &[Field]) {
    match kv_args(fields) {
        Some(args) => {
            let _ = write!(out, "vault write {}", shell_quote(path));
            for arg in args {
                let _ = write!(out, " \\\n    {arg}");
            }
            out.push('\n');
        }
        None => {
            let json = serde_json::to_string_pretty(&export::body_json(fields)).unwrap_or_default();
            let delim = delimiter(&json);
            let _ = write!(
                out,
                "vault write {} - <<'{delim}'\n{json}\n{delim}\n",
                shell_quote(path)
            );
        }
    }
}

impl Configuration {
    /// This configuration as the tutorial's Vault CLI commands: mounts enabled (with their lease
    /// TTLs), configs written, policies written from quoted here-documents, then roles; sorted,
    /// only non-default values, `\` continuations. Imports back to an equal configuration.
    pub fn to_vault_commands(&self) -> String {
        let mut out = String::from(
            "# podpass configuration as Vault CLI commands (written by podpass).\n\
             # Run with VAULT_ADDR and VAULT_TOKEN set to reproduce it on a Vault server.\n",
        );
        let mounts = export::mounts(self);
        for mount in &mounts {
            out.push('\n');
            out.push_str("vault auth enable");
            if mount.path != "kubernetes" {
                let _ = write!(out, " -path={}", shell_quote(&mount.path));
            }
            for field in &mount.tune {
                if let Val::Duration(seconds) = field.value {
                    let _ = write!(
                        out,
                        " -{}={}",
                        field.name.replace('_', "-"),
                        crate::duration::format_duration(seconds)
                    );
                }
            }
            out.push_str(" kubernetes\n");
            if let Some(config) = &mount.config {
                out.push('\n');
                write_command(&mut out, &format!("auth/{}/config", mount.path), config);
            }
        }
        for policy in export::policies(self) {
            let delim = delimiter(&policy.text);
            // Vault allows a policy name that starts with `-`, which the CLI would read as a
            // flag: `--` ends the flags.
            let end_of_flags = if policy.name.starts_with('-') {
                "-- "
            } else {
                ""
            };
            let _ = write!(
                out,
                "\nvault policy write {end_of_flags}{} - <<'{delim}'\n{}{delim}\n",
                shell_quote(&policy.name),
                policy.text
            );
        }
        for mount in &mounts {
            for (name, fields) in &mount.roles {
                out.push('\n');
                write_command(
                    &mut out,
                    &format!("auth/{}/role/{name}", mount.path),
                    fields,
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_is_minimal_and_safe() {
        assert_eq!(
            shell_quote("grade-api-sa,analytics-sa"),
            "grade-api-sa,analytics-sa"
        );
        assert_eq!(shell_quote("*"), "'*'");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's $x"), "\"it's \\$x\"");
        assert_eq!(shell_quote(""), "''");
    }

    #[test]
    fn values_vault_would_misread_are_escaped_or_sent_as_json() {
        assert_eq!(kv_text("@home"), Some("\\@home".into()));
        assert_eq!(kv_text("-"), None);
        assert_eq!(kv_text("\\@x"), None);
        let fields = vec![Field {
            name: "bound_service_account_names",
            value: Val::List(vec![String::new()]),
        }];
        assert_eq!(kv_args(&fields), None);
        let fields = vec![Field {
            name: "token_policies",
            value: Val::List(vec!["a,b".into(), "c".into()]),
        }];
        assert_eq!(
            kv_args(&fields),
            Some(vec!["token_policies=a,b".into(), "token_policies=c".into()])
        );
    }

    #[test]
    fn assignments_are_recognised() {
        let word = |text: &str| Word {
            parts: vec![Part::Lit(text.into())],
            start: 0,
            quoted: false,
        };
        assert!(assignment(&word("K8S_HOST=https://x")).is_some());
        assert!(assignment(&word("ttl=1h")).is_some());
        assert!(assignment(&word("=x")).is_none());
        assert!(assignment(&word("a-b=x")).is_none());
        assert!(first_word_is_vault("$ vault write x"));
        assert!(first_word_is_vault("  vault"));
        assert!(!first_word_is_vault("vaulted"));
    }
}
