//! podpass.hcl: podpass's own file for mounts, roles, policies and server settings
//! (docs/podpass-hcl.md). Attribute values become the JSON a Vault API body would carry and go
//! through Vault's write handlers; anything the format does not define is an error that names it.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Map, Value};

use super::export::{self, Field, Val};
use super::import::{
    At, Builder, CONFIG_FIELDS, FieldAt, Fields, ImportError, LineIndex, ROLE_FIELDS, TUNE_FIELDS,
    TextAt, suggest,
};
use super::{Configuration, FirstDefinitions};
use crate::diagnostic::Spanned;
use crate::diagnostic::{Location, Span};
use crate::hcl_read::{
    Attribute, Block, Body, HclValue, Structure, hcl_quote as quote, parse_hcl_body,
};
use crate::names;

/// A podpass.hcl block for the native server alone — `server {}` or `storage "postgresql" {}`
/// — as written: attributes whose meaning only the server knows (the engine never reads them).
/// The server checks the names with [`ServerBlock::check_names`], so unknown names are
/// reported the way every other block reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerBlock {
    /// The file the block is in.
    pub source: String,
    /// The block's name (`server`, `storage`).
    pub kind: String,
    /// Its label, for a block that takes one (`postgresql` in `storage "postgresql"`).
    pub label: Option<String>,
    /// Where the block starts.
    pub at: Location,
    /// Each attribute, in the order written.
    pub attributes: Vec<ServerAttribute>,
}

/// One `name = value` line of a [`ServerBlock`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerAttribute {
    /// The attribute's name.
    pub name: String,
    /// Its value: the string, or a number's decimal text (the storage block's
    /// `max_connections = 10`, as in Vault's configuration).
    pub value: String,
    /// Where the name is.
    pub name_at: Location,
    /// Where the value is.
    pub value_at: Location,
}

impl ServerBlock {
    /// The attribute called `name`, if set.
    pub fn get(&self, name: &str) -> Option<&ServerAttribute> {
        self.attributes.iter().find(|a| a.name == name)
    }

    /// Refuses the first attribute whose name is not in `known`, naming it (with the closest
    /// known name as a suggestion).
    pub fn check_names(&self, known: &[&str]) -> Result<(), ImportError> {
        match self
            .attributes
            .iter()
            .find(|a| !known.contains(&a.name.as_str()))
        {
            None => Ok(()),
            Some(unknown) => Err(self.error(
                unknown.name_at,
                format!(
                    "unknown attribute `{}` in {}{}",
                    unknown.name,
                    self.kind,
                    did_you_mean(&unknown.name, known)
                ),
            )),
        }
    }

    /// An error at `at` in this block's file.
    pub fn error(&self, at: Location, message: impl Into<String>) -> ImportError {
        ImportError {
            source: self.source.clone(),
            location: at,
            message: message.into(),
            first_defined: None,
        }
    }
}

/// `; did you mean `x`?` when a known word is close to `word`, else nothing.
fn did_you_mean(word: &str, known: &[&str]) -> String {
    suggest(word, known)
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

struct Reader<'a, 'b, 'f> {
    text: &'a str,
    lines: LineIndex<'a>,
    builder: &'b mut Builder<'f>,
}

/// podpass.hcl's blocks for the native server.
#[derive(Debug, Default)]
pub(super) struct NativeBlocks {
    /// `server {}`.
    pub(super) server: Option<ServerBlock>,
    /// `storage "…" {}`.
    pub(super) storage: Option<ServerBlock>,
}

/// Reads podpass.hcl into the builder; returns the blocks for the native server.
pub(super) fn read(text: &str, builder: &mut Builder<'_>) -> Result<NativeBlocks, ImportError> {
    let lines = LineIndex::new(text);
    let body = parse_hcl_body(text).map_err(|e| {
        builder.error(
            lines.location(e.offset),
            format!("invalid HCL: {}", e.message),
        )
    })?;
    let mut reader = Reader {
        text,
        lines,
        builder,
    };
    reader.file(&body)
}

impl Reader<'_, '_, '_> {
    fn at(&self, span: Span) -> At {
        self.lines.location(span.start)
    }

    fn error(&self, span: Span, message: impl Into<String>) -> ImportError {
        self.builder.error(self.at(span), message)
    }

    fn again(&self, span: Span, message: impl std::fmt::Display, first: Location) -> ImportError {
        self.builder.again(self.at(span), message, first)
    }

    fn file(&mut self, body: &Body) -> Result<NativeBlocks, ImportError> {
        let mut server: Option<(ServerBlock, Location)> = None;
        let mut storage: Option<ServerBlock> = None;
        let mut mounts = FirstDefinitions::default();
        let mut policies = FirstDefinitions::default();
        for structure in body.iter() {
            let block = match structure {
                Structure::Attribute(attr) => {
                    return Err(self.error(
                        attr.key.span,
                        format!(
                            "unexpected attribute `{}` at the top level (podpass.hcl has `auth`, \
                             `policy`, `server` and `storage` blocks)",
                            attr.key.as_str()
                        ),
                    ));
                }
                Structure::Block(block) => block,
            };
            let at = self.at(block.ident.span);
            match block.ident.as_str() {
                "auth" => {
                    let mount = self.one_label(
                        block,
                        "auth",
                        "the mount path, as in auth \"kubernetes\" { … }",
                    )?;
                    let key = mount.trim_matches('/').to_string();
                    if let Some(first) = mounts.define(key.clone(), at) {
                        return Err(self.again(
                            block.ident.span,
                            format_args!("auth \"{key}\" is defined twice"),
                            first,
                        ));
                    }
                    self.auth(block, &key)?;
                }
                "policy" => {
                    let name = self.one_label(
                        block,
                        "policy",
                        "the policy name, as in policy \"grade-api\" { … }",
                    )?;
                    let key = crate::policy::normalize_name(&name);
                    if let Some(first) = policies.define(key.clone(), at) {
                        return Err(self.again(
                            block.ident.span,
                            format_args!("policy \"{key}\" is defined twice"),
                            first,
                        ));
                    }
                    self.policy(block, &name)?;
                }
                "server" => {
                    if !block.labels.is_empty() {
                        return Err(self.error(
                            block
                                .labels
                                .first()
                                .map_or(block.ident.span, |label| label.span),
                            "the server block takes no label: server { … }",
                        ));
                    }
                    if let Some((_, first)) = &server {
                        return Err(self.again(
                            block.ident.span,
                            "server is defined twice",
                            *first,
                        ));
                    }
                    server = Some((self.native_block(block, "server", None)?, at));
                }
                "storage" => {
                    let kind = self.one_label(
                        block,
                        "storage",
                        "the storage type, as in storage \"postgresql\" { … }",
                    )?;
                    if let Some(first) = &storage {
                        return Err(self.again(
                            block.ident.span,
                            "storage is defined twice",
                            first.at,
                        ));
                    }
                    storage = Some(self.native_block(block, "storage", Some(kind))?);
                }
                other => {
                    let hint = did_you_mean(other, &["auth", "policy", "server", "storage"]);
                    return Err(self.error(
                        block.ident.span,
                        format!(
                            "unknown block `{other}` (podpass.hcl has `auth`, `policy`, `server` \
                             and `storage` blocks){hint}"
                        ),
                    ));
                }
            }
        }
        Ok(NativeBlocks {
            server: server.map(|(s, _)| s),
            storage,
        })
    }

    fn one_label(&self, block: &Block, kind: &str, what: &str) -> Result<String, ImportError> {
        match block.labels.as_slice() {
            [label] => Ok(label.as_str().to_string()),
            [] => Err(self.error(
                block.ident.span,
                format!("a `{kind}` block needs one label: {what}"),
            )),
            [_, extra, ..] => Err(self.error(
                extra.span,
                format!("a `{kind}` block takes one label: {what}"),
            )),
        }
    }

    fn auth(&mut self, block: &Block, mount: &str) -> Result<(), ImportError> {
        let at = self.at(block.ident.span);
        let mut tune = Map::new();
        let mut tune_fields = Fields::new();
        let mut config: Option<&Block> = None;
        let mut roles: Vec<(&Block, String)> = Vec::new();
        let mut role_lines = FirstDefinitions::default();
        for structure in block.body.iter() {
            match structure {
                Structure::Attribute(attr) => {
                    let key = attr.key.as_str();
                    if key == "type" {
                        let value = self.value(&attr.value)?;
                        if value.as_str() != Some("kubernetes") {
                            return Err(self.error(
                                attr.value.span,
                                format!(
                                    "auth \"{mount}\": podpass models Kubernetes auth only (type = \"kubernetes\"), not {value}"
                                ),
                            ));
                        }
                    } else if TUNE_FIELDS.contains(&key) {
                        tune.insert(key.to_string(), self.value(&attr.value)?);
                        tune_fields.insert(key.to_string(), Box::new(self.field_at(attr)));
                    } else {
                        return Err(self.unknown(
                            attr.key.span,
                            key,
                            &format!("auth \"{mount}\""),
                            &["type", "default_lease_ttl", "max_lease_ttl"],
                            "attribute",
                        ));
                    }
                }
                Structure::Block(inner) => match inner.ident.as_str() {
                    "config" => {
                        if !inner.labels.is_empty() {
                            return Err(self.error(
                                inner
                                    .labels
                                    .first()
                                    .map_or(inner.ident.span, |label| label.span),
                                "a config block takes no label: config { … }",
                            ));
                        }
                        if let Some(first) = config {
                            let first = self.at(first.ident.span);
                            return Err(self.again(
                                inner.ident.span,
                                format_args!("auth \"{mount}\" has two config blocks"),
                                first,
                            ));
                        }
                        config = Some(inner);
                    }
                    "role" => {
                        let name = self.one_label(
                            inner,
                            "role",
                            "the role name, as in role \"grade-api\" { … }",
                        )?;
                        let at = self.at(inner.ident.span);
                        if let Some(first) = role_lines.define(names::lowercase(&name), at) {
                            return Err(self.again(
                                inner.ident.span,
                                format_args!(
                                    "role \"{name}\" is defined twice in auth \"{mount}\""
                                ),
                                first,
                            ));
                        }
                        roles.push((inner, name));
                    }
                    other => {
                        return Err(self.unknown(
                            inner.ident.span,
                            other,
                            &format!("auth \"{mount}\""),
                            &["config", "role"],
                            "block",
                        ));
                    }
                },
            }
        }
        self.builder.enable(mount, at)?;
        // Tuning first: role writes check periods against the mount's max lease TTL.
        if !tune.is_empty() {
            self.builder.tune(mount, &tune, at, &tune_fields)?;
        }
        if let Some(config) = config {
            let (body, fields) = self.body(config, &CONFIG_FIELDS, "config")?;
            let at = self.at(config.ident.span);
            self.builder.write_config(mount, &body, at, &fields, &[])?;
        }
        for (role, name) in roles {
            let (body, fields) = self.body(role, &ROLE_FIELDS, &format!("role \"{name}\""))?;
            let at = self.at(role.ident.span);
            self.builder
                .write_role(mount, &name, &body, at, &fields, &[])?;
        }
        Ok(())
    }

    fn field_at(&self, attr: &Attribute) -> FieldAt {
        FieldAt {
            at: self.at(attr.key.span),
            text: TextAt::Opaque(None),
        }
    }

    fn unknown(
        &self,
        span: Span,
        name: &str,
        within: &str,
        known: &[&str],
        kind: &str,
    ) -> ImportError {
        let hint = did_you_mean(name, known);
        self.error(span, format!("unknown {kind} `{name}` in {within}{hint}"))
    }

    /// A config or role block as an API body.
    fn body(
        &self,
        block: &Block,
        known: &[&str],
        within: &str,
    ) -> Result<(Map<String, Value>, Fields), ImportError> {
        let mut body = Map::new();
        let mut fields = Fields::new();
        for structure in block.body.iter() {
            let attr = match structure {
                Structure::Attribute(attr) => attr,
                Structure::Block(inner) => {
                    return Err(self.error(
                        inner.ident.span,
                        format!(
                            "unexpected block `{}` in {within} (write `{} = …`)",
                            inner.ident.as_str(),
                            inner.ident.as_str()
                        ),
                    ));
                }
            };
            let key = attr.key.as_str();
            // `name` is in Vault's role schema but the label is the name here.
            if !known.contains(&key) || key == "name" {
                let known: Vec<&str> = known.iter().copied().filter(|k| *k != "name").collect();
                let mut error = self.unknown(attr.key.span, key, within, &known, "attribute");
                if key == "name" {
                    error.message = format!(
                        "unknown attribute `name` in {within}; the block's label is the role name"
                    );
                }
                return Err(error);
            }
            let mut value = self.value(&attr.value)?;
            // A selector written as an HCL object is the JSON text Vault expects.
            if key == "bound_service_account_namespace_selector" && value.is_object() {
                value = Value::String(value.to_string());
            }
            body.insert(key.to_string(), value);
            fields.insert(key.to_string(), Box::new(self.field_at(attr)));
        }
        Ok((body, fields))
    }

    /// An attribute value as the JSON an API body would carry.
    fn value(&self, walked: &Spanned<HclValue>) -> Result<Value, ImportError> {
        self.json(walked.clone())
    }

    /// A walked value as JSON: literals, and `file("path")` as the file's text.
    fn json(&self, walked: Spanned<HclValue>) -> Result<Value, ImportError> {
        let span = walked.span;
        Ok(match walked.value {
            HclValue::Null => Value::Null,
            HclValue::Bool(b) => Value::Bool(b),
            HclValue::Number(n) => Value::Number(n),
            HclValue::Str(s) => Value::String(s),
            HclValue::Interpolated { first, .. } => return Err(self.interpolation(first)),
            HclValue::List(items) => Value::Array(
                items
                    .into_iter()
                    .map(|item| self.json(item))
                    .collect::<Result<_, _>>()?,
            ),
            HclValue::Object(entries) => {
                let mut out = Map::new();
                for (key, value) in entries {
                    let name = match self.json(key)? {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    out.insert(name, self.json(value)?);
                }
                Value::Object(out)
            }
            HclValue::Call {
                name,
                namespaced,
                args,
            } => {
                let path = self.file_path(&name, namespaced, args, span)?;
                Value::String(self.builder.read_file(&path, self.at(span))?)
            }
            HclValue::Variable(var) => {
                return Err(self.error(
                    span,
                    format!("`{var}` is not a value; quote it (\"{var}\") if it is a string"),
                ));
            }
            HclValue::Unary { .. } | HclValue::Other => {
                return Err(self.error(
                    span,
                    "expressions are not supported in podpass.hcl; write a string, number, \
                     bool, list or object",
                ));
            }
        })
    }

    /// `file("path")`: the path.
    fn file_path(
        &self,
        name: &str,
        namespaced: bool,
        args: Vec<Spanned<HclValue>>,
        span: Span,
    ) -> Result<String, ImportError> {
        if name != "file" || namespaced {
            return Err(self.error(
                span,
                format!("unknown function `{name}`: podpass.hcl has only file(\"path\")"),
            ));
        }
        let mut args = args.into_iter();
        match (args.next(), args.next()) {
            (Some(arg), None) => {
                let arg_span = arg.span;
                match self.json(arg)? {
                    Value::String(path) => Ok(path),
                    _ => Err(self.error(arg_span, "file() takes a path string")),
                }
            }
            _ => Err(self.error(span, "file() takes exactly one path")),
        }
    }

    fn interpolation(&self, at: usize) -> ImportError {
        self.error(
            Span::at(at),
            "interpolation (`${…}`, `%{…}`) is not supported in podpass.hcl; write \
             `$${` or `%%{` for the literal characters",
        )
    }

    fn policy(&mut self, block: &Block, name: &str) -> Result<(), ImportError> {
        let at = self.at(block.ident.span);
        let source_attr = block.body.iter().find_map(|s| match s {
            Structure::Attribute(attr) if matches!(attr.key.as_str(), "file" | "text") => {
                Some(attr)
            }
            _ => None,
        });
        let Some(attr) = source_attr else {
            // Inline path blocks: the policy text is the block's body as written, so Vault's
            // parser reports positions that map straight back into this file.
            let span = block.body.span;
            let body_text = self.text.get(span.start..span.end).unwrap_or("");
            let start = self.lines.location(span.start);
            return self
                .builder
                .put_policy(name, body_text, &TextAt::Input(start), at);
        };
        if let Some(other) = block.body.iter().find(|s| match s {
            Structure::Attribute(a) => a.key.as_str() != attr.key.as_str(),
            Structure::Block(_) => true,
        }) {
            return Err(self.error(
                other.span(),
                format!(
                    "policy \"{name}\": `{}` gives the whole policy; put path blocks in the file \
                     or text, not beside it",
                    attr.key.as_str()
                ),
            ));
        }
        let value_span = attr.value.span;
        if attr.key.as_str() == "file" || matches!(attr.value.value, HclValue::Call { .. }) {
            let path = match attr.value.clone() {
                Spanned {
                    value:
                        HclValue::Call {
                            name,
                            namespaced,
                            args,
                        },
                    ..
                } => self.file_path(&name, namespaced, args, value_span)?,
                other => match self.json(other)? {
                    Value::String(path) => path,
                    _ => return Err(self.error(value_span, "`file` takes a path string")),
                },
            };
            let text = self.builder.read_file(&path, self.at(value_span))?;
            return self
                .builder
                .put_policy(name, &text, &TextAt::File(path), at);
        }
        if let Some(heredoc) = attr.heredoc {
            let text = match &attr.value.value {
                HclValue::Str(text) => text.clone(),
                HclValue::Interpolated { first } => return Err(self.interpolation(*first)),
                _ => String::new(),
            };
            // `<<-` removed the common indentation; put it back so columns match the file
            // (unless the policy has a heredoc of its own, whose content that would change).
            let text = match heredoc.indent {
                Some(indent) if !text.contains("<<") => reindent(&text, indent),
                _ => text,
            };
            let value_at = self.at(value_span);
            let start = At::new(value_at.line + 1, 1);
            return self
                .builder
                .put_policy(name, &text, &TextAt::Input(start), at);
        }
        match self.value(&attr.value)? {
            Value::String(text) => {
                // Without escapes the text is the source after the opening quote.
                let raw_len = value_span.end - value_span.start;
                let value_at = self.at(value_span);
                let text_at = if raw_len == text.len() + 2 {
                    TextAt::Input(At::new(value_at.line, value_at.column + 1))
                } else {
                    TextAt::Opaque(Some(value_at))
                };
                self.builder.put_policy(name, &text, &text_at, at)
            }
            _ => Err(self.error(value_span, "`text` takes the policy as a string")),
        }
    }

    fn native_block(
        &self,
        block: &Block,
        kind: &str,
        label: Option<String>,
    ) -> Result<ServerBlock, ImportError> {
        let mut attributes = Vec::new();
        for structure in block.body.iter() {
            let attr = match structure {
                Structure::Attribute(attr) => attr,
                Structure::Block(inner) => {
                    return Err(self.error(
                        inner.ident.span,
                        format!(
                            "unexpected block `{}` in {kind} ({kind} settings are attributes: \
                             name = \"value\")",
                            inner.ident.as_str()
                        ),
                    ));
                }
            };
            let name = attr.key.as_str();
            let value = match self.value(&attr.value)? {
                Value::String(value) => value,
                Value::Number(number) if kind == "storage" => number.to_string(),
                _ => {
                    let what = if kind == "storage" {
                        "a string or a number"
                    } else {
                        "a string"
                    };
                    return Err(
                        self.error(attr.value.span, format!("{kind}: `{name}` takes {what}"))
                    );
                }
            };
            attributes.push(ServerAttribute {
                name: name.to_string(),
                value,
                name_at: self.at(attr.key.span),
                value_at: self.at(attr.value.span),
            });
        }
        Ok(ServerBlock {
            source: self.builder.source.clone(),
            kind: kind.to_owned(),
            label,
            at: self.at(block.ident.span),
            attributes,
        })
    }
}

fn reindent(text: &str, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let mut out = String::with_capacity(text.len() + indent * 8);
    for line in text.split_inclusive('\n') {
        if line != "\n" {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    out
}

/// Whether a string is written as an indented heredoc: multi-line text that ends in a newline
/// (a heredoc always does) and has no carriage returns (the dedent would drop them).
fn heredoc_fits(text: &str, trimmed_on_write: bool) -> bool {
    text.contains('\n') && (text.ends_with('\n') || trimmed_on_write) && !text.contains('\r')
}

/// A delimiter that ends no line of `text`, for HCL and shell heredocs. HCL's parser ends a
/// heredoc at any line that starts (after blanks) with the delimiter not followed by an
/// identifier character, so a policy line `EOT*/` or `EOT }` rules `EOT` out as well as `EOT`.
/// (Only ASCII counts as an identifier character here: ruling out too much is harmless.)
pub(super) fn delimiter(text: &str) -> String {
    let ends_at = |candidate: &str| {
        text.lines().any(|line| {
            line.trim_start()
                .strip_prefix(candidate)
                .is_some_and(|rest| {
                    !rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                })
        })
    };
    let mut candidate = "EOT".to_string();
    let mut n = 0;
    while ends_at(&candidate) {
        n += 1;
        candidate = format!("EOT{n}");
    }
    candidate
}

/// `<<-EOT` … `EOT` at `indent`, escaping template sequences.
fn heredoc(text: &str, indent: usize) -> String {
    let delim = delimiter(text);
    let pad = " ".repeat(indent);
    let mut out = format!("<<-{delim}\n");
    let body = text.strip_suffix('\n').unwrap_or(text);
    for line in body.split('\n') {
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(&line.replace("${", "$${").replace("%{", "%%{"));
        }
        out.push('\n');
    }
    out.push_str(&pad);
    out.push_str(&delim);
    out
}

/// A value at `indent` (the attribute's own indentation).
fn hcl_value(value: &Val, indent: usize, trimmed: bool) -> String {
    match value {
        Val::Str(text) if heredoc_fits(text, trimmed) => heredoc(text, indent + 2),
        Val::Str(text) => quote(text),
        Val::Duration(seconds) => quote(&crate::duration::format_duration(*seconds)),
        Val::Int(n) => n.to_string(),
        Val::Bool(b) => b.to_string(),
        Val::List(items) if items.iter().any(|i| heredoc_fits(i, trimmed)) => {
            // One item per line; after a heredoc the comma needs a line of its own.
            let pad = " ".repeat(indent + 2);
            let mut out = String::from("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad);
                let is_heredoc = heredoc_fits(item, trimmed);
                if is_heredoc {
                    out.push_str(&heredoc(item, indent + 2));
                } else {
                    out.push_str(&quote(item));
                }
                if i + 1 < items.len() {
                    if is_heredoc {
                        out.push('\n');
                        out.push_str(&pad);
                    }
                    out.push(',');
                }
                out.push('\n');
            }
            out.push_str(&" ".repeat(indent));
            out.push(']');
            out
        }
        Val::List(items) => {
            let quoted: Vec<String> = items.iter().map(|i| quote(i)).collect();
            format!("[{}]", quoted.join(", "))
        }
        Val::Map(map) => {
            if map.is_empty() {
                return "{}".to_string();
            }
            let pad = " ".repeat(indent + 2);
            let width = map.keys().map(|k| quote(k).len()).max().unwrap_or(0);
            let mut out = String::from("{\n");
            for (key, item) in map {
                let _ = writeln!(out, "{pad}{:<width$} = {}", quote(key), quote(item));
            }
            out.push_str(&" ".repeat(indent));
            out.push('}');
            out
        }
    }
}

/// Attributes of one block, `=` aligned across the single-line ones (as `terraform fmt` does).
fn attributes(out: &mut String, fields: &[Field], indent: usize) {
    let pad = " ".repeat(indent);
    let rendered: Vec<(&str, String)> = fields
        .iter()
        .map(|f| (f.name, hcl_value(&f.value, indent, f.name == "pem_keys")))
        .collect();
    // A multi-line value ends a run of aligned attributes.
    let mut i = 0;
    while i < rendered.len() {
        let run_end = rendered[i..]
            .iter()
            .position(|(_, v)| v.contains('\n'))
            .map_or(rendered.len(), |p| i + p);
        let width = rendered[i..run_end]
            .iter()
            .map(|(k, _)| k.len())
            .max()
            .unwrap_or(0);
        for (key, value) in &rendered[i..run_end] {
            let _ = writeln!(out, "{pad}{key:<width$} = {value}");
        }
        if let Some((key, value)) = rendered.get(run_end) {
            let _ = writeln!(out, "{pad}{key} = {value}");
        }
        i = run_end + 1;
    }
}

impl Configuration {
    /// This configuration as podpass.hcl: mounts, then policies, each sorted; only values that
    /// differ from Vault's defaults; PEM text as heredocs; policies inline when they are HCL.
    /// Deterministic, and imports back to an equal configuration.
    pub fn to_podpass_hcl(&self) -> String {
        let mut out = String::from(
            "# podpass configuration: Vault Kubernetes auth mounts and ACL policies.\n\
             # Written by podpass; the format is described in docs/podpass-hcl.md.\n",
        );
        for mount in export::mounts(self) {
            let _ = write!(out, "\nauth {} {{\n", quote(&mount.path));
            let mut sections = 0;
            if !mount.tune.is_empty() {
                attributes(&mut out, &mount.tune, 2);
                sections += 1;
            }
            if let Some(config) = &mount.config {
                if sections > 0 {
                    out.push('\n');
                }
                out.push_str("  config {\n");
                attributes(&mut out, config, 4);
                out.push_str("  }\n");
                sections += 1;
            }
            for (name, fields) in &mount.roles {
                if sections > 0 {
                    out.push('\n');
                }
                let _ = writeln!(out, "  role {} {{", quote(name));
                attributes(&mut out, fields, 4);
                out.push_str("  }\n");
                sections += 1;
            }
            out.push_str("}\n");
        }
        for policy in export::policies(self) {
            let _ = write!(out, "\npolicy {} {{\n", quote(&policy.name));
            // Path blocks go inline only where this file's HCL2 reads them: policies are HCL1,
            // whose looser layout and escapes HCL2 refuses, so those go in a heredoc.
            if policy.json || policy.text.contains("<<") || parse_hcl_body(&policy.text).is_err() {
                let _ = writeln!(out, "  text = {}", heredoc(&policy.text, 4));
            } else {
                for line in policy.text.lines() {
                    if !line.is_empty() {
                        out.push_str("  ");
                        out.push_str(line);
                    }
                    out.push('\n');
                }
            }
            out.push_str("}\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn heredocs_pick_a_free_delimiter_and_escape_templates() {
        assert_eq!(heredoc("a\n\n${b}\n", 2), "<<-EOT\n  a\n\n  $${b}\n  EOT");
        assert_eq!(delimiter("EOT\nEOT1\n"), "EOT2");
        assert_eq!(delimiter("  EOT*/\nEOT1 }\nEOT2x\n"), "EOT2");
    }

    #[test]
    fn values_parse_back_to_the_same_json() {
        let cases = vec![
            Val::Str("plain".into()),
            Val::Str("two\nlines\n".into()),
            Val::Str("no trailing\nnewline".into()),
            Val::Str("  indented first\n    more\n\nafter blank\n".into()),
            Val::Str("${not a template} %{nor this}\n".into()),
            Val::List(vec!["a".into(), "".into(), "c,d".into()]),
            Val::List(vec![
                "-----BEGIN X-----\nAAAA\n-----END X-----".into(),
                "b".into(),
            ]),
            Val::Int(-3),
            Val::Bool(true),
            Val::Duration(5400),
            Val::Map(BTreeMap::from([
                ("k".into(), "v".into()),
                ("a b".into(), "${c}".into()),
            ])),
        ];
        for value in cases {
            let trimmed = matches!(value, Val::List(_));
            let text = format!("x = {}\n", hcl_value(&value, 0, trimmed));
            let body = parse_hcl_body(&text).unwrap_or_else(|e| panic!("{text}\n{}", e.message));
            let Some(Structure::Attribute(attr)) = body.iter().next() else {
                panic!("{text}")
            };
            let mut builder = Builder::new("t", &super::super::NoFiles);
            let reader = Reader {
                text: &text,
                lines: LineIndex::new(&text),
                builder: &mut builder,
            };
            let parsed = reader.value(&attr.value).expect("value");
            let mut expected = value.to_json();
            if trimmed && let Value::Array(items) = &mut expected {
                // pem_keys-like lists are trimmed by Vault, so a heredoc's newline is harmless.
                for item in items.iter_mut() {
                    if let Value::String(s) = item {
                        *s = s.trim_end().to_string();
                    }
                }
                if let Value::Array(got) = &parsed {
                    let got: Vec<Value> = got
                        .iter()
                        .map(|v| Value::String(v.as_str().unwrap_or("").trim_end().to_string()))
                        .collect();
                    assert_eq!(Value::Array(got), expected, "{text}");
                    continue;
                }
            }
            assert_eq!(parsed, expected, "{text}");
        }
    }
}
