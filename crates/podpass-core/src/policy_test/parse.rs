//! Reading a test file: HCL (read by `hcl_read`, which keeps spans, so every error names its
//! line and column), literal values only, unknown keys refused so a typo never silently
//! weakens a test.

use std::collections::BTreeMap;

use serde_json::{Map, Number, Value};

use super::time::parse_rfc3339;
use super::{
    CapabilityCheck, IssuedAt, LoginExpectation, RequestCheck, Subject, TestCase, TestFile,
    TestFileError, TokenClaims, TokenInput,
};
use crate::acl::{Operation, Request};
use crate::configuration::{FileSource, NoFiles};
use crate::diagnostic::LineIndex;
use crate::diagnostic::Spanned;
use crate::duration::parse_duration_str;
use crate::hcl_read::{Block, Body, HclValue, Structure};
use crate::policy::Capability;
use crate::trace::CheckId;

/// Parses a test file that stands alone (`jwt_file` cannot be read: see [`parse_with_files`]).
pub fn parse(text: &str) -> Result<TestFile> {
    parse_with_files(text, &NoFiles)
}

/// Parses a test file, reading the files it names (`jwt_file`) through `files` (the CLI reads
/// them relative to the test file).
pub fn parse_with_files(text: &str, files: &dyn FileSource) -> Result<TestFile> {
    let lines = LineIndex::new(text);
    let body = crate::hcl_read::parse_hcl_body(text).map_err(|e| TestFileError {
        location: lines.location(e.offset),
        message: format!("invalid HCL: {}", e.message),
    })?;
    let reader = Reader { lines, files };
    reader.file(&body)
}

/// A literal value and where it starts.
#[derive(Debug, Clone)]
struct Node {
    value: Literal,
    at: usize,
}

#[derive(Debug, Clone)]
enum Literal {
    Str(String),
    Number(Number),
    Bool(bool),
    Null,
    List(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Literal {
    fn kind(&self) -> &'static str {
        match self {
            Literal::Str(_) => "a string",
            Literal::Number(_) => "a number",
            Literal::Bool(_) => "a boolean",
            Literal::Null => "null",
            Literal::List(_) => "a list",
            Literal::Object(_) => "an object",
        }
    }
}

/// An attribute or a block of a body.
enum Item<'b> {
    Attribute {
        key: String,
        at: usize,
        value: Node,
    },
    Block {
        ident: String,
        at: usize,
        labels: Vec<String>,
        block: &'b Block,
    },
}

impl Item<'_> {
    fn key(&self) -> &str {
        match self {
            Item::Attribute { key, .. } => key,
            Item::Block { ident, .. } => ident,
        }
    }

    fn at(&self) -> usize {
        match self {
            Item::Attribute { at, .. } | Item::Block { at, .. } => *at,
        }
    }
}

/// A case's login inputs, gathered before the case's subject is decided.
#[derive(Default)]
struct LoginParts {
    role: Option<String>,
    token: Option<TokenInput>,
    remote_addr: Option<String>,
    namespace_labels: Option<BTreeMap<String, String>>,
}

struct Reader<'t> {
    lines: LineIndex<'t>,
    files: &'t dyn FileSource,
}

type Result<T> = std::result::Result<T, TestFileError>;

const CASE_KEYS: &str = "role, token, mount, policies, remote_addr, namespace_labels, expect, allowed, denied, request, capabilities";
const TOKEN_KEYS: &str = "namespace, service_account, uid, audience, audiences, issuer, ttl, issued, legacy, pod, claims, jwt, jwt_file";
const EXPECT_KEYS: &str =
    "login, status, message, check, reason, policies, ttl, max_ttl, token_type, metadata, alias";
const REQUEST_KEYS: &str =
    "operation, path, parameters, wrap_ttl, sudo, allowed, reason, outcome, policy, rule";

impl Reader<'_> {
    fn error(&self, at: usize, message: impl Into<String>) -> TestFileError {
        TestFileError {
            location: self.lines.location(at),
            message: message.into(),
        }
    }

    fn line(&self, at: usize) -> u32 {
        self.lines.location(at).line
    }

    /// The items of a body (the parser has refused repeated attributes).
    fn items<'b>(&self, body: &'b Body) -> Result<Vec<Item<'b>>> {
        let mut items = Vec::new();
        for structure in body.iter() {
            let item = match structure {
                Structure::Attribute(attr) => Item::Attribute {
                    key: attr.key.as_str().to_string(),
                    at: attr.key.span.start,
                    value: self.literal(attr.value.clone())?,
                },
                Structure::Block(block) => Item::Block {
                    ident: block.ident.as_str().to_string(),
                    at: block.ident.span.start,
                    labels: block
                        .labels
                        .iter()
                        .map(|l| l.as_str().to_string())
                        .collect(),
                    block,
                },
            };
            items.push(item);
        }
        Ok(items)
    }

    /// A walked value as a literal; anything else is refused with what to write instead.
    fn literal(&self, walked: Spanned<HclValue>) -> Result<Node> {
        let at = walked.start();
        let value = match walked.value {
            HclValue::Null => Literal::Null,
            HclValue::Bool(b) => Literal::Bool(b),
            HclValue::Number(n) => Literal::Number(n),
            HclValue::Str(s) => Literal::Str(s),
            HclValue::Interpolated { .. } => {
                return Err(self.error(
                    at,
                    "interpolation (${…}, %{…}) is not supported in test files; write $${ for a literal ${",
                ));
            }
            HclValue::List(items) => Literal::List(
                items
                    .into_iter()
                    .map(|item| self.literal(item))
                    .collect::<Result<Vec<_>>>()?,
            ),
            HclValue::Object(object) => {
                let mut entries = Vec::new();
                for (key, value) in object {
                    let key_at = key.start();
                    let name = match self.literal(key)?.value {
                        Literal::Str(s) => s,
                        other => {
                            return Err(self.error(
                                key_at,
                                format!("object keys must be strings, not {}", other.kind()),
                            ));
                        }
                    };
                    entries.push((name, self.literal(value)?));
                }
                Literal::Object(entries)
            }
            HclValue::Unary { negation, operand } => {
                // `-5` is a unary minus on a number: allow it for offsets and numbers.
                match (negation, self.literal(*operand)?.value) {
                    (true, Literal::Number(n)) => Literal::Number(
                        negate(&n).ok_or_else(|| self.error(at, "number out of range"))?,
                    ),
                    _ => return Err(self.error(at, "only literal values are allowed here")),
                }
            }
            HclValue::Variable(name) => {
                return Err(self.error(
                    at,
                    format!(
                        "`{name}` is a variable; test files take literal values only (quote strings)"
                    ),
                ));
            }
            HclValue::Call { .. } | HclValue::Other => {
                return Err(self.error(at, "test files take literal values only"));
            }
        };
        Ok(Node { value, at })
    }

    // Typed readers.

    fn string(&self, node: &Node, what: &str) -> Result<String> {
        match &node.value {
            Literal::Str(s) => Ok(s.clone()),
            other => Err(self.error(
                node.at,
                format!("`{what}` must be a string, not {}", other.kind()),
            )),
        }
    }

    fn boolean(&self, node: &Node, what: &str) -> Result<bool> {
        match &node.value {
            Literal::Bool(b) => Ok(*b),
            other => Err(self.error(
                node.at,
                format!("`{what}` must be true or false, not {}", other.kind()),
            )),
        }
    }

    fn integer(&self, node: &Node, what: &str) -> Result<i64> {
        match &node.value {
            Literal::Number(n) => n
                .as_i64()
                .ok_or_else(|| self.error(node.at, format!("`{what}` must be a whole number"))),
            other => Err(self.error(
                node.at,
                format!("`{what}` must be a number, not {}", other.kind()),
            )),
        }
    }

    /// Seconds: an integer, or Vault duration text (`1h`, `90m`, `2d`, `-5m`).
    fn duration(&self, node: &Node, what: &str) -> Result<i64> {
        match &node.value {
            Literal::Number(_) => self.integer(node, what),
            Literal::Str(s) => parse_duration_str(s)
                .map_err(|e| self.error(node.at, format!("`{what}`: invalid duration {s:?}: {e}"))),
            other => Err(self.error(
                node.at,
                format!(
                    "`{what}` must be a duration (\"1h\") or seconds, not {}",
                    other.kind()
                ),
            )),
        }
    }

    fn strings(&self, node: &Node, what: &str) -> Result<Vec<String>> {
        match &node.value {
            Literal::List(items) => items.iter().map(|i| self.string(i, what)).collect(),
            other => Err(self.error(
                node.at,
                format!("`{what}` must be a list of strings, not {}", other.kind()),
            )),
        }
    }

    fn string_or_strings(&self, node: &Node, what: &str) -> Result<Vec<String>> {
        match &node.value {
            Literal::Str(s) => Ok(vec![s.clone()]),
            _ => self.strings(node, what),
        }
    }

    fn string_map(&self, node: &Node, what: &str) -> Result<BTreeMap<String, String>> {
        match &node.value {
            Literal::Object(entries) => entries
                .iter()
                .map(|(k, v)| Ok((k.clone(), self.string(v, what)?)))
                .collect(),
            other => Err(self.error(
                node.at,
                format!(
                    "`{what}` must be an object of strings, not {}",
                    other.kind()
                ),
            )),
        }
    }

    fn json_object(&self, node: &Node, what: &str) -> Result<Map<String, Value>> {
        match json(&node.value) {
            Value::Object(map) => Ok(map),
            _ => Err(self.error(
                node.at,
                format!("`{what}` must be an object, not {}", node.value.kind()),
            )),
        }
    }

    fn unknown(&self, item: &Item<'_>, place: &str, expected: &str) -> TestFileError {
        let kind = match item {
            Item::Attribute { .. } => "key",
            Item::Block { .. } => "block",
        };
        self.error(
            item.at(),
            format!(
                "unknown {kind} `{}` in {place} (expected one of: {expected})",
                item.key()
            ),
        )
    }

    fn attribute<'i>(&self, item: &'i Item<'_>, place: &str) -> Result<&'i Node> {
        match item {
            Item::Attribute { value, .. } => Ok(value),
            Item::Block { ident, at, .. } => Err(self.error(
                *at,
                format!("`{ident}` in {place} is a value (`{ident} = …`), not a block"),
            )),
        }
    }

    fn block<'b>(&self, item: &Item<'b>, labels: usize, place: &str) -> Result<&'b Block> {
        match item {
            Item::Block {
                block,
                labels: got,
                ident,
                at,
            } => {
                if got.len() != labels {
                    let want = match labels {
                        0 => format!("`{ident} {{ … }}` takes no label"),
                        _ => format!("`{ident} \"name\" {{ … }}` takes one label"),
                    };
                    return Err(self.error(*at, want));
                }
                Ok(block)
            }
            Item::Attribute { key, at, .. } => Err(self.error(
                *at,
                format!("`{key}` in {place} is a block (`{key} {{ … }}`), not a value"),
            )),
        }
    }

    // The file.

    fn file(&self, body: &Body) -> Result<TestFile> {
        let items = self.items(body)?;
        let mut file = TestFile::default();
        // Tokens first, so cases may refer to tokens defined below them.
        for item in &items {
            if let Item::Block {
                ident, labels, at, ..
            } = item
                && ident == "token"
            {
                let block = self.block(item, 1, "the file")?;
                let name = labels[0].clone();
                if file.tokens.contains_key(&name) {
                    return Err(self.error(*at, format!("token {name:?} is defined twice")));
                }
                let token = self.token(&block.body, *at)?;
                file.tokens.insert(name, token);
            }
        }
        let mut names: BTreeMap<String, u32> = BTreeMap::new();
        for item in &items {
            match item.key() {
                "config" => {
                    file.config = Some(self.string(self.attribute(item, "the file")?, "config")?)
                }
                "mount" => {
                    file.mount = Some(self.string(self.attribute(item, "the file")?, "mount")?)
                }
                "now" => {
                    let node = self.attribute(item, "the file")?;
                    file.now = Some(self.instant(node, "now")?);
                }
                "token" => {}
                "test" => {
                    let block = self.block(item, 1, "the file")?;
                    let Item::Block { labels, at, .. } = item else {
                        continue;
                    };
                    let name = labels[0].clone();
                    let line = self.line(*at);
                    if let Some(first) = names.insert(name.clone(), line) {
                        return Err(self.error(
                            *at,
                            format!("test {name:?} is defined twice (first on line {first})"),
                        ));
                    }
                    let case = self.case(name, line, &block.body, *at, &file.tokens)?;
                    file.cases.push(case);
                }
                _ => return Err(self.unknown(item, "the file", "config, mount, now, token, test")),
            }
        }
        Ok(file)
    }

    fn instant(&self, node: &Node, what: &str) -> Result<i64> {
        match &node.value {
            Literal::Number(_) => self.integer(node, what),
            Literal::Str(s) => parse_rfc3339(s).ok_or_else(|| {
                self.error(
                    node.at,
                    format!("`{what}` must be an RFC 3339 time such as \"2026-05-28T20:26:40Z\", got {s:?}"),
                )
            }),
            other => Err(self.error(
                node.at,
                format!("`{what}` must be a time, not {}", other.kind()),
            )),
        }
    }

    fn token(&self, body: &Body, at: usize) -> Result<TokenInput> {
        let items = self.items(body)?;
        let mut claims = TokenClaims::default();
        let mut jwt = None;
        let mut namespace = None;
        let mut service_account = None;
        let mut described = None;
        for item in &items {
            let node = self.attribute(item, "a token")?;
            let key = item.key();
            if key != "jwt" && key != "jwt_file" {
                described.get_or_insert(item.at());
            }
            match key {
                "jwt" | "jwt_file" if jwt.is_some() => {
                    return Err(self.error(item.at(), "set `jwt` or `jwt_file`, not both"));
                }
                "jwt" => jwt = Some(self.string(node, key)?.trim().to_string()),
                "jwt_file" => {
                    let path = self.string(node, key)?;
                    let text = self
                        .files
                        .read_file(&path)
                        .map_err(|e| self.error(node.at, format!("`jwt_file`: {e}")))?;
                    jwt = Some(text.trim().to_string());
                }
                "namespace" => namespace = Some(self.string(node, key)?),
                "service_account" => service_account = Some(self.string(node, key)?),
                "uid" => claims.uid = Some(self.string(node, key)?),
                "audience" | "audiences" => {
                    if claims.audiences.is_some() {
                        return Err(
                            self.error(item.at(), "set `audience` or `audiences`, not both")
                        );
                    }
                    claims.audiences = Some(self.string_or_strings(node, key)?);
                }
                "issuer" => claims.issuer = Some(self.string(node, key)?),
                "ttl" => claims.ttl_seconds = Some(self.duration(node, key)?),
                "issued" => {
                    claims.issued = Some(match &node.value {
                        Literal::Str(s) if parse_rfc3339(s).is_some() => {
                            IssuedAt::At(parse_rfc3339(s).unwrap_or_default())
                        }
                        _ => IssuedAt::Offset(self.duration(node, key)?),
                    });
                }
                "legacy" => claims.legacy = self.boolean(node, key)?,
                "pod" => claims.pod = Some(self.string(node, key)?),
                "claims" => claims.claims = self.json_object(node, key)?,
                _ => return Err(self.unknown(item, "a token", TOKEN_KEYS)),
            }
        }
        if let Some(jwt) = jwt {
            if let Some(other) = described {
                return Err(self.error(
                    other,
                    "a token is either a literal `jwt` (or `jwt_file`) or described by claims, not both",
                ));
            }
            return Ok(TokenInput::Jwt { jwt });
        }
        let (Some(namespace), Some(service_account)) = (namespace, service_account) else {
            return Err(self.error(
                at,
                "a token needs `namespace` and `service_account` (or a literal `jwt`)",
            ));
        };
        claims.namespace = namespace;
        claims.service_account = service_account;
        Ok(TokenInput::Claims(Box::new(claims)))
    }

    fn case(
        &self,
        name: String,
        line: u32,
        body: &Body,
        at: usize,
        tokens: &BTreeMap<String, TokenInput>,
    ) -> Result<TestCase> {
        let place = "a test";
        let items = self.items(body)?;
        let mut login = LoginParts::default();
        let mut policies = None;
        let mut case = TestCase {
            name,
            line,
            mount: None,
            subject: Subject::Policies {
                policies: Vec::new(),
            },
            expect: LoginExpectation::default(),
            requests: Vec::new(),
            capabilities: Vec::new(),
        };
        let mut expect_at = None;
        for item in &items {
            let key = item.key();
            match key {
                "role" => login.role = Some(self.string(self.attribute(item, place)?, key)?),
                "mount" => case.mount = Some(self.string(self.attribute(item, place)?, key)?),
                "policies" => {
                    policies = Some((self.strings(self.attribute(item, place)?, key)?, item.at()));
                }
                "remote_addr" => {
                    login.remote_addr = Some(self.string(self.attribute(item, place)?, key)?);
                }
                "namespace_labels" => {
                    login.namespace_labels =
                        Some(self.string_map(self.attribute(item, place)?, key)?);
                }
                "token" => {
                    if login.token.is_some() {
                        return Err(self.error(item.at(), "the test has two tokens"));
                    }
                    login.token = Some(match item {
                        Item::Attribute { value, .. } => self.token_reference(value, tokens)?,
                        Item::Block { .. } => {
                            let block = self.block(item, 0, place)?;
                            self.token(&block.body, item.at())?
                        }
                    });
                }
                "expect" => {
                    if expect_at.is_some() {
                        return Err(self.error(item.at(), "the test has two `expect` blocks"));
                    }
                    expect_at = Some(item.at());
                    let block = self.block(item, 0, place)?;
                    case.expect = self.expect(&block.body, item.at())?;
                }
                "allowed" | "denied" => {
                    let node = self.attribute(item, place)?;
                    case.requests.extend(self.request_list(node, key)?);
                }
                "request" => {
                    let block = self.block(item, 0, place)?;
                    case.requests.push(self.request(&block.body, item.at())?);
                }
                "capabilities" => {
                    let node = self.attribute(item, place)?;
                    case.capabilities.extend(self.capability_checks(node)?);
                }
                _ => return Err(self.unknown(item, place, CASE_KEYS)),
            }
        }
        case.subject = self.subject(login, policies, expect_at, at)?;
        self.checks_something(&case, expect_at, at)?;
        Ok(case)
    }

    /// `allowed` or `denied` (`key`): a list of `"<operation> <path>"` strings.
    fn request_list(&self, node: &Node, key: &str) -> Result<Vec<RequestCheck>> {
        let Literal::List(entries) = &node.value else {
            return Err(self.error(
                node.at,
                format!("`{key}` must be a list of \"<operation> <path>\" strings"),
            ));
        };
        let mut checks = Vec::new();
        for entry in entries {
            let text = self.string(entry, key)?;
            let (operation, path) = self.operation_and_path(&text, entry.at)?;
            checks.push(RequestCheck {
                line: self.line(entry.at),
                request: Request::new(operation, path),
                allowed: key == "allowed",
                reason: None,
                outcome: None,
                policy: None,
                rule: None,
            });
        }
        Ok(checks)
    }

    /// `capabilities = { "path" = ["read", …] }`: the sorted answers expected.
    fn capability_checks(&self, node: &Node) -> Result<Vec<CapabilityCheck>> {
        let Literal::Object(entries) = &node.value else {
            return Err(self.error(
                node.at,
                "`capabilities` must be an object: { \"path\" = [\"read\"] }",
            ));
        };
        let mut checks = Vec::new();
        for (path, value) in entries {
            let mut expected = self.strings(value, "capabilities")?;
            for name in &expected {
                if name != "root" && name.parse::<Capability>().is_err() {
                    return Err(self.error(value.at, format!("{name:?} is not a capability")));
                }
            }
            crate::order::sort(&mut expected);
            expected.dedup();
            checks.push(CapabilityCheck {
                line: self.line(value.at),
                path: path.clone(),
                expected,
            });
        }
        Ok(checks)
    }

    /// Who the case asks for: a login (`role` and `token`, with its inputs) or `policies`,
    /// never both, never half a login.
    fn subject(
        &self,
        login: LoginParts,
        policies: Option<(Vec<String>, usize)>,
        expect_at: Option<usize>,
        at: usize,
    ) -> Result<Subject> {
        match (login.role, login.token, policies) {
            (Some(_), _, Some((_, p_at))) => Err(self.error(
                p_at,
                "a test either logs in (`role` and `token`) or lists `policies`, not both",
            )),
            (Some(role), Some(token), None) => Ok(Subject::Login {
                role,
                token,
                remote_addr: login.remote_addr,
                namespace_labels: login.namespace_labels,
            }),
            (Some(_), None, None) => Err(self.error(at, "the test names a `role` but no `token`")),
            (None, Some(_), _) => Err(self.error(at, "the test has a `token` but no `role`")),
            (None, None, Some((policies, p_at))) => {
                if let Some(e_at) = expect_at {
                    return Err(self.error(
                        e_at,
                        "`expect` describes a login; a test with `policies` has none",
                    ));
                }
                if login.remote_addr.is_some() || login.namespace_labels.is_some() {
                    return Err(self.error(
                        p_at,
                        "`remote_addr` and `namespace_labels` are login inputs; this test has no login",
                    ));
                }
                Ok(Subject::Policies { policies })
            }
            (None, None, None) => Err(self.error(
                at,
                "the test needs a login (`role` and `token`) or `policies`",
            )),
        }
    }

    /// Refuses a case that would pass whatever podpass decides: a denied login that goes on
    /// to describe its token, or a case with nothing to check.
    fn checks_something(&self, case: &TestCase, expect_at: Option<usize>, at: usize) -> Result<()> {
        let expect = &case.expect;
        if expect.allowed == Some(false)
            && (!case.requests.is_empty()
                || !case.capabilities.is_empty()
                || expect.policies.is_some()
                || expect.ttl.is_some()
                || expect.max_ttl.is_some()
                || expect.token_type.is_some()
                || !expect.metadata.is_empty()
                || expect.alias.is_some())
        {
            return Err(self.error(
                expect_at.unwrap_or(at),
                "`login = \"denied\"` issues no token, so the test cannot describe or use one",
            ));
        }
        let expects_nothing = LoginExpectation {
            line: 0,
            ..expect.clone()
        } == LoginExpectation::default();
        if case.requests.is_empty() && case.capabilities.is_empty() {
            if matches!(case.subject, Subject::Policies { .. }) {
                return Err(self.error(
                    at,
                    "the test checks nothing: add `allowed`, `denied`, `request` or `capabilities`",
                ));
            }
            // A login with no expectation would pass whatever the login decides.
            if expects_nothing {
                return Err(self.error(
                    expect_at.unwrap_or(at),
                    "the test checks nothing: add an `expect` block (`login = \"allowed\"` or \
                     \"denied\", policies, ttl, …), `allowed`, `denied`, `request` or `capabilities`",
                ));
            }
        }
        Ok(())
    }

    /// `"name"` of a `token` block, or `"namespace/service_account"`.
    fn token_reference(
        &self,
        node: &Node,
        tokens: &BTreeMap<String, TokenInput>,
    ) -> Result<TokenInput> {
        let text = self.string(node, "token")?;
        if let Some(token) = tokens.get(&text) {
            return Ok(token.clone());
        }
        if let Some((namespace, service_account)) = text.split_once('/')
            && !namespace.is_empty()
            && !service_account.is_empty()
            && !service_account.contains('/')
        {
            return Ok(TokenInput::Claims(Box::new(TokenClaims {
                namespace: namespace.to_string(),
                service_account: service_account.to_string(),
                ..TokenClaims::default()
            })));
        }
        let known: Vec<&str> = tokens.keys().map(String::as_str).collect();
        Err(self.error(
            node.at,
            format!(
                "no token named {text:?} (defined: [{}]); write \"<namespace>/<service account>\" for a token described inline",
                known.join(", ")
            ),
        ))
    }

    fn operation(&self, text: &str, at: usize) -> Result<Operation> {
        serde_json::from_value(Value::String(text.to_string())).map_err(|_| {
            self.error(
                at,
                format!(
                    "unknown operation {text:?} (expected create, read, update, patch, delete or list)"
                ),
            )
        })
    }

    fn operation_and_path(&self, text: &str, at: usize) -> Result<(Operation, String)> {
        let mut words = text.split_whitespace();
        let (Some(op), Some(path), None) = (words.next(), words.next(), words.next()) else {
            return Err(self.error(
                at,
                format!(
                    "{text:?} should be \"<operation> <path>\", e.g. \"read secret/data/app/db\""
                ),
            ));
        };
        Ok((self.operation(op, at)?, path.to_string()))
    }

    fn expect(&self, body: &Body, at: usize) -> Result<LoginExpectation> {
        let place = "`expect`";
        let mut expect = LoginExpectation {
            line: self.line(at),
            ..LoginExpectation::default()
        };
        for item in &self.items(body)? {
            let node = self.attribute(item, place)?;
            let key = item.key();
            match key {
                "login" => {
                    expect.allowed = Some(match self.string(node, key)?.as_str() {
                        "allowed" => true,
                        "denied" => false,
                        other => {
                            return Err(self.error(
                                node.at,
                                format!("`login` is \"allowed\" or \"denied\", not {other:?}"),
                            ));
                        }
                    });
                }
                "status" => {
                    let status = self.integer(node, key)?;
                    expect.status = Some(u16::try_from(status).map_err(|_| {
                        self.error(node.at, format!("{status} is not an HTTP status"))
                    })?);
                }
                "message" => expect.message = Some(self.string(node, key)?),
                "check" => {
                    let check = self.string(node, key)?;
                    let known: Vec<String> =
                        CheckId::ORDER.iter().map(|c| check_name(*c)).collect();
                    if !known.contains(&check) {
                        return Err(self.error(
                            node.at,
                            format!(
                                "unknown check {check:?} (expected one of: {})",
                                known.join(", ")
                            ),
                        ));
                    }
                    expect.check = Some(check);
                }
                "reason" => expect.reason = Some(self.string(node, key)?),
                "policies" => expect.policies = Some(self.strings(node, key)?),
                "ttl" => expect.ttl = Some(self.duration(node, key)?),
                "max_ttl" => expect.max_ttl = Some(self.duration(node, key)?),
                "token_type" => expect.token_type = Some(self.string(node, key)?),
                "metadata" => expect.metadata = self.string_map(node, key)?,
                "alias" => expect.alias = Some(self.string(node, key)?),
                _ => return Err(self.unknown(item, place, EXPECT_KEYS)),
            }
        }
        if expect.allowed == Some(true)
            && (expect.status.is_some() || expect.message.is_some() || expect.check.is_some())
        {
            return Err(self.error(
                at,
                "`status`, `message` and `check` describe a denial, but `login` is \"allowed\"",
            ));
        }
        Ok(expect)
    }

    fn request(&self, body: &Body, at: usize) -> Result<RequestCheck> {
        let place = "a `request`";
        let mut operation = None;
        let mut path = None;
        let mut allowed = None;
        let mut check = RequestCheck {
            line: self.line(at),
            request: Request::new(Operation::Read, ""),
            allowed: false,
            reason: None,
            outcome: None,
            policy: None,
            rule: None,
        };
        for item in &self.items(body)? {
            let node = self.attribute(item, place)?;
            let key = item.key();
            match key {
                "operation" => operation = Some(self.operation(&self.string(node, key)?, node.at)?),
                "path" => path = Some(self.string(node, key)?),
                "parameters" => check.request.parameters = Some(self.json_object(node, key)?),
                "wrap_ttl" => {
                    let seconds = self.duration(node, key)?;
                    check.request.wrap_ttl = Some(
                        u64::try_from(seconds)
                            .map_err(|_| self.error(node.at, "`wrap_ttl` cannot be negative"))?,
                    );
                }
                "sudo" => check.request.root_protected = self.boolean(node, key)?,
                "allowed" => allowed = Some(self.boolean(node, key)?),
                "reason" => check.reason = Some(self.string(node, key)?),
                "outcome" => check.outcome = Some(self.string(node, key)?),
                "policy" => check.policy = Some(self.string(node, key)?),
                "rule" => check.rule = Some(self.string(node, key)?),
                _ => return Err(self.unknown(item, place, REQUEST_KEYS)),
            }
        }
        let (Some(operation), Some(path), Some(allowed)) = (operation, path, allowed) else {
            return Err(self.error(
                at,
                "a `request` needs `operation`, `path` and `allowed` (true or false)",
            ));
        };
        check.request.operation = operation;
        check.request.path = path;
        check.allowed = allowed;
        Ok(check)
    }
}

/// A check's snake_case name, as its serialization spells it.
pub(super) fn check_name(check: CheckId) -> String {
    match serde_json::to_value(check) {
        Ok(Value::String(name)) => name,
        _ => format!("{check:?}"),
    }
}

fn negate(n: &Number) -> Option<Number> {
    if let Some(i) = n.as_i64() {
        return i.checked_neg().map(Number::from);
    }
    n.as_f64().and_then(|f| Number::from_f64(-f))
}

fn json(literal: &Literal) -> Value {
    match literal {
        Literal::Str(s) => Value::String(s.clone()),
        Literal::Number(n) => Value::Number(n.clone()),
        Literal::Bool(b) => Value::Bool(*b),
        Literal::Null => Value::Null,
        Literal::List(items) => Value::Array(items.iter().map(|i| json(&i.value)).collect()),
        Literal::Object(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), json(&v.value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_have_lines_and_columns() {
        let err = parse("test \"a\" {\n  role = \"x\"\n  tokn = \"a/b\"\n}\n").unwrap_err();
        assert_eq!((err.location.line, err.location.column), (3, 3));
        assert!(
            err.message.contains("unknown key `tokn`"),
            "{}",
            err.message
        );

        let err = parse("test \"a\" {\n  role = x\n}\n").unwrap_err();
        assert_eq!((err.location.line, err.location.column), (2, 10));
        assert!(err.message.contains("variable"));

        let err = parse("test \"a\" {").unwrap_err();
        assert!(err.message.starts_with("invalid HCL"), "{}", err.message);
    }

    #[test]
    fn reads_a_full_case() {
        let file = parse(
            r#"
now = "2026-05-28T20:26:40Z"
mount = "k8s"
test "t" {
  role = "grade-api"
  token = "old"
  remote_addr = "10.0.0.1"
  expect {
    login    = "allowed"
    policies = ["default", "p"]
    ttl      = "1h"
  }
  denied = ["read secret/data/x"]
  request {
    operation  = "update"
    path       = "secret/data/y"
    parameters = { data = { a = 1 } }
    wrap_ttl   = "5m"
    allowed    = false
    outcome    = "missing_capability"
  }
  capabilities = { "secret/data/x" = ["read", "list"] }
}
token "old" {
  namespace = "grade-api"
  service_account = "grade-api-sa"
  issued = "-2h"
  ttl = 3600
  audiences = ["vault"]
}
"#,
        )
        .expect("parses");
        assert_eq!(file.now, Some(1_780_000_000));
        assert_eq!(file.mount.as_deref(), Some("k8s"));
        let case = &file.cases[0];
        assert_eq!(case.line, 4);
        let Subject::Login {
            token, remote_addr, ..
        } = &case.subject
        else {
            panic!("login");
        };
        assert_eq!(remote_addr.as_deref(), Some("10.0.0.1"));
        let TokenInput::Claims(claims) = token else {
            panic!("claims");
        };
        assert_eq!(claims.issued, Some(IssuedAt::Offset(-7200)));
        assert_eq!(
            claims.audiences.as_deref(),
            Some(&["vault".to_string()][..])
        );
        assert_eq!(case.expect.allowed, Some(true));
        assert_eq!(case.expect.ttl, Some(3600));
        assert_eq!(case.requests.len(), 2);
        assert_eq!(case.requests[1].request.wrap_ttl, Some(300));
        assert_eq!(case.requests[1].line, 14);
        assert_eq!(case.capabilities[0].expected, ["list", "read"]);
    }

    #[test]
    fn refuses_inconsistent_cases() {
        for (text, wanted) in [
            ("test \"a\" {\n role = \"r\"\n}", "no `token`"),
            (
                "test \"a\" {\n role = \"r\"\n token = \"nope\"\n}",
                "no token named",
            ),
            ("test \"a\" {\n policies = [\"p\"]\n}", "checks nothing"),
            (
                "test \"a\" {\n role = \"r\"\n token = \"ns/sa\"\n}",
                "checks nothing: add an `expect` block",
            ),
            (
                "test \"a\" {\n role = \"r\"\n token = \"ns/sa\"\n expect {\n }\n}",
                "checks nothing: add an `expect` block",
            ),
            (
                "test \"a\" {\n policies = [\"p\"]\n allowed = [\"fetch x\"]\n}",
                "unknown operation",
            ),
            (
                "test \"a\" {\n policies = [\"p\"]\n allowed = [\"read\"]\n}",
                "<operation> <path>",
            ),
            (
                "test \"a\" {\n policies = [\"p\"]\n capabilities = { x = [\"reed\"] }\n}",
                "not a capability",
            ),
            (
                "test \"a\" {\n role = \"r\"\n token {\n jwt = \"x\"\n namespace = \"n\"\n }\n}",
                "not both",
            ),
            (
                "test \"a\" {\n policies = [\"p\"]\n allowed = [\"read x\"]\n}\ntest \"a\" {\n policies = [\"p\"]\n allowed = [\"read x\"]\n}",
                "defined twice",
            ),
            (
                "test \"a\" {\n role = \"r\"\n token = \"n/s\"\n expect {\n login = \"allowed\"\n check = \"namespace\"\n }\n}",
                "describe a denial",
            ),
            (
                "test \"a\" {\n role = \"r\"\n token = \"n/s\"\n expect {\n check = \"nope\"\n }\n}",
                "unknown check",
            ),
            (
                "test \"a\" {\n role = \"r\"\n token = \"n/s\"\n expect {\n login = \"denied\"\n }\n allowed = [\"read x\"]\n}",
                "issues no token",
            ),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.message.contains(wanted), "{text}: {}", err.message);
        }
    }

    struct OneFile;

    impl FileSource for OneFile {
        fn read_file(&self, path: &str) -> std::result::Result<String, String> {
            match path {
                "sa.jwt" => Ok("  eyJ.a.b\n".to_string()),
                _ => Err(format!("cannot read {path}")),
            }
        }
    }

    #[test]
    fn jwt_files_are_read_through_the_file_source() {
        let text = "token \"t\" {\n  jwt_file = \"sa.jwt\"\n}\ntest \"x\" {\n  role = \"r\"\n  token = \"t\"\n  expect {\n    login = \"denied\"\n  }\n}\n";
        let file = parse_with_files(text, &OneFile).expect("parses");
        assert_eq!(
            file.tokens["t"],
            TokenInput::Jwt {
                jwt: "eyJ.a.b".into()
            }
        );
        let err = parse(text).unwrap_err();
        assert_eq!((err.location.line, err.location.column), (2, 14));
        assert!(
            err.message.contains("file references need files"),
            "{}",
            err.message
        );
        let err = parse_with_files(&text.replace("sa.jwt", "nope.jwt"), &OneFile).unwrap_err();
        assert_eq!(err.message, "`jwt_file`: cannot read nope.jwt");
    }
}
