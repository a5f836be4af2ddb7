//! Vault API bodies as JSON, in two shapes: a document
//! (`{"auth": {"<mount>": {"type", "tune", "config", "roles"}}, "policies": {"<name>": "<text>"}}`)
//! and a request list as hvac or `vault write` would send it
//! (`[{"path": "auth/kubernetes/role/x", "data": {…}}, …]`).
//!
//! The text is parsed with spans (jsonc-parser, in strict JSON mode) so every item and field
//! keeps its line, and duplicate keys, which serde_json would silently collapse, are refused.

use jsonc_parser::ast::{self, ObjectPropName};
use jsonc_parser::{CollectOptions, parse_to_ast};
use serde_json::{Map, Value};

use super::export::{self, body_json};
use super::import::{At, Builder, FieldAt, Fields, ImportError, LineIndex, Routed, TextAt};
use super::{Configuration, FirstDefinitions};
use crate::names;

struct Reader<'a, 'b, 'f> {
    lines: LineIndex<'a>,
    builder: &'b mut Builder<'f>,
}

/// One object property: name, where the name is, value.
struct Prop<'p, 'a> {
    name: String,
    at: At,
    value: &'p ast::Value<'a>,
}

/// Reads either JSON shape into the builder.
pub(super) fn read(text: &str, builder: &mut Builder<'_>) -> Result<(), ImportError> {
    let options = crate::policy::strict_json();
    let lines = LineIndex::new(text);
    let parsed = parse_to_ast(text, &CollectOptions::default(), &options).map_err(|e| {
        builder.error(
            lines.location(e.range().start),
            format!("invalid JSON: {}", e.kind()),
        )
    })?;
    let mut reader = Reader { lines, builder };
    match &parsed.value {
        Some(ast::Value::Object(object)) => reader.document(object),
        Some(ast::Value::Array(array)) => reader.requests(array),
        Some(other) => Err(reader.error(
            start(other),
            "expected a configuration document ({\"auth\": …, \"policies\": …}) or a request \
             list ([{\"path\": …, \"data\": …}])",
        )),
        None => Err(reader.error(0, "the input is empty")),
    }
}

fn start(value: &ast::Value<'_>) -> usize {
    match value {
        ast::Value::StringLit(v) => v.range.start,
        ast::Value::NumberLit(v) => v.range.start,
        ast::Value::BooleanLit(v) => v.range.start,
        ast::Value::Object(v) => v.range.start,
        ast::Value::Array(v) => v.range.start,
        ast::Value::NullKeyword(v) => v.range.start,
    }
}

fn kind(value: &ast::Value<'_>) -> &'static str {
    match value {
        ast::Value::StringLit(_) => "a string",
        ast::Value::NumberLit(_) => "a number",
        ast::Value::BooleanLit(_) => "a boolean",
        ast::Value::Object(_) => "an object",
        ast::Value::Array(_) => "an array",
        ast::Value::NullKeyword(_) => "null",
    }
}

impl Reader<'_, '_, '_> {
    fn error(&self, offset: usize, message: impl Into<String>) -> ImportError {
        self.builder.error(self.lines.location(offset), message)
    }

    /// An object's properties, refusing duplicate names.
    fn props<'p, 'a>(&self, object: &'p ast::Object<'a>) -> Result<Vec<Prop<'p, 'a>>, ImportError> {
        let mut seen = FirstDefinitions::default();
        let mut out = Vec::with_capacity(object.properties.len());
        for prop in &object.properties {
            let (name, offset) = match &prop.name {
                ObjectPropName::String(s) => (s.value.to_string(), s.range.start),
                ObjectPropName::Word(w) => (w.value.to_string(), w.range.start),
            };
            let at = self.lines.location(offset);
            if let Some(first) = seen.define(name.clone(), at) {
                return Err(self.builder.again(
                    at,
                    format_args!("duplicate key \"{name}\""),
                    first,
                ));
            }
            out.push(Prop {
                name,
                at,
                value: &prop.value,
            });
        }
        Ok(out)
    }

    fn object<'p, 'a>(
        &self,
        value: &'p ast::Value<'a>,
        what: &str,
    ) -> Result<&'p ast::Object<'a>, ImportError> {
        match value {
            ast::Value::Object(object) => Ok(object),
            other => Err(self.error(
                start(other),
                format!("{what} must be an object, not {}", kind(other)),
            )),
        }
    }

    /// A value as serde_json, refusing duplicate keys anywhere inside.
    fn value(&self, value: &ast::Value<'_>) -> Result<Value, ImportError> {
        Ok(match value {
            ast::Value::StringLit(s) => Value::String(s.value.to_string()),
            ast::Value::NumberLit(n) => {
                serde_json::from_slice::<serde_json::Number>(n.value.as_bytes())
                    .map(Value::Number)
                    .map_err(|_| {
                        self.error(n.range.start, format!("number {} is out of range", n.value))
                    })?
            }
            ast::Value::BooleanLit(b) => Value::Bool(b.value),
            ast::Value::NullKeyword(_) => Value::Null,
            ast::Value::Array(items) => Value::Array(
                items
                    .elements
                    .iter()
                    .map(|item| self.value(item))
                    .collect::<Result<_, _>>()?,
            ),
            ast::Value::Object(object) => {
                let mut out = Map::new();
                for prop in self.props(object)? {
                    out.insert(prop.name, self.value(prop.value)?);
                }
                Value::Object(out)
            }
        })
    }

    /// An API body and where each field is.
    fn body(
        &self,
        value: &ast::Value<'_>,
        what: &str,
    ) -> Result<(Map<String, Value>, Fields), ImportError> {
        let object = self.object(value, what)?;
        let mut body = Map::new();
        let mut fields = Fields::new();
        for prop in self.props(object)? {
            let text = self.text_at(prop.value);
            fields.insert(prop.name.clone(), Box::new(FieldAt { at: prop.at, text }));
            body.insert(prop.name, self.value(prop.value)?);
        }
        Ok((body, fields))
    }

    /// A JSON string without escapes maps column for column (after its quote); escapes (`\n`,
    /// `\"`) shift its text against the input.
    fn text_at(&self, value: &ast::Value<'_>) -> TextAt {
        match value {
            ast::Value::StringLit(s) if s.range.end - s.range.start == s.value.len() + 2 => {
                let at = self.lines.location(s.range.start);
                TextAt::Input(At::new(at.line, at.column + 1))
            }
            _ => TextAt::Opaque(None),
        }
    }

    fn document(&mut self, root: &ast::Object<'_>) -> Result<(), ImportError> {
        for prop in self.props(root)? {
            match prop.name.as_str() {
                "auth" => {
                    let mounts = self.object(prop.value, "\"auth\"")?;
                    for mount in self.props(mounts)? {
                        self.mount(&mount)?;
                    }
                }
                "policies" => {
                    let policies = self.object(prop.value, "\"policies\"")?;
                    for policy in self.props(policies)? {
                        self.policy(&policy)?;
                    }
                }
                other => {
                    return Err(self.builder.error(
                        prop.at,
                        format!(
                            "unknown key \"{other}\" (a configuration document has \"auth\" and \
                             \"policies\"; a request list is a JSON array)"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn mount(&mut self, mount: &Prop<'_, '_>) -> Result<(), ImportError> {
        let path = mount.name.trim_matches('/').to_string();
        let object = self.object(mount.value, &format!("auth \"{path}\""))?;
        let props = self.props(object)?;
        let mut tune = None;
        let mut config = None;
        let mut roles = None;
        for prop in &props {
            match prop.name.as_str() {
                "type" => match prop.value {
                    ast::Value::StringLit(s) if s.value == "kubernetes" => {}
                    other => {
                        return Err(self.error(
                            start(other),
                            format!(
                                "auth \"{path}\": podpass models Kubernetes auth only (\"type\": \"kubernetes\")"
                            ),
                        ));
                    }
                },
                "tune" => tune = Some(prop),
                "config" => config = Some(prop),
                "roles" => roles = Some(prop),
                other => {
                    return Err(self.builder.error(
                        prop.at,
                        format!(
                            "unknown key \"{other}\" in auth \"{path}\" (expected \"type\", \
                             \"tune\", \"config\" and \"roles\")"
                        ),
                    ));
                }
            }
        }
        self.builder.enable(&path, mount.at)?;
        // Tuning first: role writes check periods against the mount's max lease TTL.
        if let Some(prop) = tune {
            let (body, fields) = self.body(prop.value, &format!("auth \"{path}\" tune"))?;
            self.builder.tune(&path, &body, prop.at, &fields)?;
        }
        if let Some(prop) = config {
            let (body, fields) = self.body(prop.value, &format!("auth \"{path}\" config"))?;
            self.builder
                .write_config(&path, &body, prop.at, &fields, &[])?;
        }
        if let Some(prop) = roles {
            let object = self.object(prop.value, &format!("auth \"{path}\" roles"))?;
            let mut seen = FirstDefinitions::default();
            for role in self.props(object)? {
                // Role names are case-insensitive: two spellings are one role defined twice.
                if let Some(first) = seen.define(names::lowercase(&role.name), role.at) {
                    return Err(self.builder.again(
                        role.at,
                        format_args!("role \"{}\" is defined twice in auth \"{path}\"", role.name),
                        first,
                    ));
                }
                let (body, fields) = self.body(role.value, &format!("role \"{}\"", role.name))?;
                self.builder
                    .write_role(&path, &role.name, &body, role.at, &fields, &[])?;
            }
        }
        Ok(())
    }

    fn policy(&mut self, policy: &Prop<'_, '_>) -> Result<(), ImportError> {
        let (text, text_at) = match policy.value {
            ast::Value::StringLit(s) => (s.value.to_string(), self.text_at(policy.value)),
            // A JSON policy may be given as the object itself.
            ast::Value::Object(_) => {
                let value = self.value(policy.value)?;
                let text = serde_json::to_string_pretty(&value).unwrap_or_default();
                (text, TextAt::Opaque(None))
            }
            other => {
                return Err(self.error(
                    start(other),
                    format!(
                        "policy \"{}\" must be the policy text (a string), not {}",
                        policy.name,
                        kind(other)
                    ),
                ));
            }
        };
        self.builder
            .put_policy(&policy.name, &text, &text_at, policy.at)
    }

    fn requests(&mut self, array: &ast::Array<'_>) -> Result<(), ImportError> {
        for item in &array.elements {
            let object = self.object(item, "each request")?;
            let at = self.lines.location(object.range.start);
            let mut path: Option<(String, At)> = None;
            let mut method = "POST".to_string();
            let mut data: Option<&ast::Value<'_>> = None;
            for prop in self.props(object)? {
                match (prop.name.as_str(), prop.value) {
                    ("path", ast::Value::StringLit(s)) => path = Some((s.value.to_string(), prop.at)),
                    ("method", ast::Value::StringLit(s)) => method = s.value.to_ascii_uppercase(),
                    ("data", value) => data = Some(value),
                    ("path" | "method", other) => {
                        return Err(self.error(
                            start(other),
                            format!("\"{}\" must be a string, not {}", prop.name, kind(other)),
                        ));
                    }
                    (other, _) => self.builder.note(
                        prop.at.line,
                        format!("ignored request key \"{other}\" (a request has \"path\", \"method\" and \"data\")"),
                    ),
                }
            }
            let Some((path, path_at)) = path else {
                return Err(self.builder.error(at, "a request needs a \"path\""));
            };
            let routed = match method.as_str() {
                "POST" | "PUT" | "PATCH" => {
                    let (body, fields) = match data {
                        Some(value) => self.body(value, "\"data\"")?,
                        None => (Map::new(), Fields::new()),
                    };
                    self.builder
                        .write_path(&path, &body, path_at, &fields, &[])?
                }
                "DELETE" => self.builder.delete_path(&path, path_at),
                other => Routed::Skipped(format!("a {other} request, which changes nothing")),
            };
            if let Routed::Skipped(reason) = routed {
                self.builder
                    .note(path_at.line, format!("skipped {method} {path}: {reason}"));
            }
        }
        Ok(())
    }
}

impl Configuration {
    /// This configuration as the JSON document form: `{"auth": {"<mount>": {"type":
    /// "kubernetes", "tune": …, "config": …, "roles": {…}}}, "policies": {"<name>": "<text>"}}`,
    /// with only values that differ from Vault's defaults, keys sorted. Imports back to an equal
    /// configuration.
    pub fn to_api_json(&self) -> Value {
        let mut auth = Map::new();
        for mount in export::mounts(self) {
            // Keys in sorted order: the same output with or without serde_json's preserve_order.
            let mut entry = Map::new();
            if let Some(config) = &mount.config {
                entry.insert("config".into(), body_json(config));
            }
            if !mount.roles.is_empty() {
                let mut roles = Map::new();
                for (name, fields) in &mount.roles {
                    roles.insert(name.clone(), body_json(fields));
                }
                entry.insert("roles".into(), Value::Object(roles));
            }
            if !mount.tune.is_empty() {
                entry.insert("tune".into(), body_json(&mount.tune));
            }
            entry.insert("type".into(), Value::String("kubernetes".into()));
            auth.insert(mount.path, Value::Object(entry));
        }
        let mut policies = Map::new();
        for policy in export::policies(self) {
            policies.insert(policy.name, Value::String(policy.text));
        }
        let mut root = Map::new();
        root.insert("auth".into(), Value::Object(auth));
        root.insert("policies".into(), Value::Object(policies));
        Value::Object(root)
    }
}
