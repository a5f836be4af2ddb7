//! Properties over generated inputs, beyond what the fixtures cover: any valid configuration
//! exports to each of the three forms and imports back to an equal configuration (and to the
//! same text again); `fmt` is idempotent and keeps a policy's rules; and Vault's TTL arithmetic
//! keeps its guarantees for every input, extreme ones included, refusing with an error rather
//! than a panic.
#![cfg(not(target_arch = "wasm32"))] // proptest is a native-only dev-dependency

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use podpass_core::configuration::{Configuration, NoFiles, SourceFormat};
use podpass_core::duration::MAX_DURATION_SECONDS;
use podpass_core::policy::{PathRule, Policy, format_policy};
use podpass_core::ttl::{MountTtls, SYSTEM_DEFAULT_LEASE_TTL, TtlError, TtlRequest, calculate_ttl};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

/// `cases` per property unless `PROPTEST_CASES` is set: `ProptestConfig::with_cases` would
/// override the variable, and a long local run should not need an edit.
fn config(cases: u32) -> ProptestConfig {
    let default = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_some() {
        default
    } else {
        ProptestConfig { cases, ..default }
    }
}

// Durations, as the API accepts them.

/// How a duration is written in an API body: Vault accepts all of these for the same value, so
/// an import must not depend on the spelling.
#[derive(Debug, Clone, Copy)]
enum DurationForm {
    Number,
    NumericString,
    Seconds,
    MinutesSeconds,
    HoursMinutesSeconds,
    Days,
}

/// Any of the spellings.
fn duration_form() -> impl Strategy<Value = DurationForm> {
    select(vec![
        DurationForm::Number,
        DurationForm::NumericString,
        DurationForm::Seconds,
        DurationForm::MinutesSeconds,
        DurationForm::HoursMinutesSeconds,
        DurationForm::Days,
    ])
}

/// `seconds` spelled as `form` (days only when whole; seconds otherwise).
fn duration_text(seconds: i64, form: DurationForm) -> String {
    match form {
        DurationForm::Number | DurationForm::NumericString => seconds.to_string(),
        DurationForm::Seconds => format!("{seconds}s"),
        DurationForm::MinutesSeconds => format!("{}m{}s", seconds / 60, seconds % 60),
        DurationForm::HoursMinutesSeconds => format!(
            "{}h{}m{}s",
            seconds / 3600,
            (seconds / 60) % 60,
            seconds % 60
        ),
        DurationForm::Days if seconds % 86_400 == 0 => format!("{}d", seconds / 86_400),
        DurationForm::Days => format!("{seconds}s"),
    }
}

/// `seconds` as a JSON body value: a number, or a string in the other forms.
fn duration_value(seconds: i64, form: DurationForm) -> Value {
    match form {
        DurationForm::Number => json!(seconds),
        other => json!(duration_text(seconds, other)),
    }
}

/// Positive durations: common ones, arbitrary ones, and the largest a Go duration holds.
fn seconds() -> impl Strategy<Value = i64> {
    prop_oneof![
        4 => select(vec![1, 60, 90, 3600, 5400, 7200, 86_400, 604_800, SYSTEM_DEFAULT_LEASE_TTL]),
        4 => 1i64..=10_000_000,
        1 => 10_000_000i64..=MAX_DURATION_SECONDS,
        1 => Just(MAX_DURATION_SECONDS),
    ]
}

// Policy texts, in HCL with comments and odd layout.

/// A comment, in each of HCL's three styles.
#[derive(Debug, Clone)]
enum Comment {
    Hash(String),
    Slashes(String),
    Block(Vec<String>),
}

/// Comment text, including lines that look like HCL, a heredoc opener or its delimiter, which
/// an export wrapping the policy in a heredoc must not confuse with its own.
fn comment_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,24}",
        "[a-zA-Zé✓ ]{0,12}",
        select(vec![
            "uses ${x} and %{y}".to_string(),
            "<<EOT".to_string(),
            "path \"fake\" {".to_string(),
            "EOT".to_string(),
        ]),
    ]
}

/// A comment of any style (block comments never close early).
fn comment() -> impl Strategy<Value = Comment> {
    prop_oneof![
        3 => comment_text().prop_map(Comment::Hash),
        1 => comment_text().prop_map(Comment::Slashes),
        1 => prop::collection::vec(comment_text(), 1..3).prop_map(|lines| {
            Comment::Block(lines.into_iter().map(|l| l.replace("*/", "* /")).collect())
        }),
    ]
}

impl Comment {
    /// The comment as written; a block comment's later lines start at `indent`.
    fn render(&self, indent: &str) -> String {
        match self {
            Comment::Hash(text) => format!("#{text}"),
            Comment::Slashes(text) => format!("//{text}"),
            Comment::Block(lines) => format!("/*{}*/", lines.join(&format!("\n{indent}"))),
        }
    }
}

/// A value in an `allowed_parameters` / `denied_parameters` list.
#[derive(Debug, Clone)]
enum Param {
    Str(String),
    Int(u32),
    Bool(bool),
}

/// A parameter value of each HCL literal type the parser keeps.
fn param() -> impl Strategy<Value = Param> {
    prop_oneof![
        "[a-z0-9*-]{0,6}".prop_map(Param::Str),
        // HCL1 has no interpolation: Vault keeps these as text, and so must fmt. (`%{…}` is
        // left out: HCL2 refuses a directive other than if/for, a known difference.)
        select(vec!["${x}", "a${b}c", "$${c}"]).prop_map(|s| Param::Str(s.to_string())),
        (0u32..5000).prop_map(Param::Int),
        any::<bool>().prop_map(Param::Bool),
    ]
}

/// A path's `comment` attribute: a quoted string (with escapes) or a heredoc.
#[derive(Debug, Clone)]
enum PathComment {
    Quoted(String),
    Heredoc { lines: Vec<String>, indented: bool },
}

/// A `comment` value, with escapes and template openers that must survive formatting.
fn path_comment() -> impl Strategy<Value = PathComment> {
    prop_oneof![
        "[a-zA-Z0-9 ,.:'\"\\\\-]{0,20}".prop_map(PathComment::Quoted),
        select(vec!["uses ${x}", "$${z}", "${a} and ${b}"])
            .prop_map(|s| PathComment::Quoted(s.to_string())),
        (
            prop::collection::vec("[a-zA-Z0-9 ,.#-]{0,16}", 1..4),
            any::<bool>()
        )
            .prop_map(|(lines, indented)| PathComment::Heredoc { lines, indented }),
    ]
}

/// One `path` block.
#[derive(Debug, Clone)]
struct RuleSpec {
    path: String,
    capabilities: Vec<&'static str>,
    shorthand: Option<&'static str>,
    min_wrapping: Option<(i64, DurationForm)>,
    max_wrapping: Option<(i64, DurationForm)>,
    allowed: Option<BTreeMap<String, Vec<Param>>>,
    denied: Option<BTreeMap<String, Vec<Param>>>,
    required: Option<Vec<String>>,
    comment: Option<PathComment>,
    leading: Vec<Comment>,
    opening: Option<Comment>,
    trailing: Option<Comment>,
    closing: Option<Comment>,
}

/// Every capability Vault knows, `deny` included.
const CAPABILITIES: [&str; 10] = [
    "create",
    "read",
    "update",
    "patch",
    "delete",
    "list",
    "sudo",
    "deny",
    "subscribe",
    "recover",
];

/// A policy path: segments with `+` wildcards and templates, an optional glob suffix, an
/// optional leading `/` (which Vault drops). No `${`: HCL2 block labels cannot hold one (a
/// known difference from Vault's HCL1, refused with a parse error).
fn policy_path() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        6 => "[a-z0-9_-]{1,8}",
        1 => Just("+".to_string()),
        1 => Just("{{identity.entity.id}}".to_string()),
    ];
    (
        any::<bool>(),
        prop::collection::vec(segment, 1..5),
        select(vec!["", "*", "/*", "-*"]),
    )
        .prop_map(|(slash, segments, suffix)| {
            let mut path = if slash {
                "/".to_string()
            } else {
                String::new()
            };
            path.push_str(&segments.join("/"));
            // `+*` is refused by Vault; a glob after a `+` segment needs a slash.
            let suffix = if path.ends_with('+') && suffix != "/*" {
                ""
            } else {
                suffix
            };
            path.push_str(suffix);
            path
        })
}

/// An `allowed_parameters` / `denied_parameters` map, `*` included (distinct lowercase keys:
/// Vault lowercases them, so duplicates would collapse).
fn parameters() -> impl Strategy<Value = BTreeMap<String, Vec<Param>>> {
    prop::collection::btree_map(
        prop_oneof![4 => "[a-z_]{1,8}", 1 => Just("*".to_string())],
        prop::collection::vec(param(), 0..3),
        0..3,
    )
}

/// A path block that Vault accepts, with comments in every place HCL allows one.
fn rule_spec() -> impl Strategy<Value = RuleSpec> {
    let wrapping = (
        prop::option::weighted(0.2, (1i64..=86_400, duration_form())),
        prop::option::weighted(0.2, (1i64..=86_400, duration_form())),
    )
        .prop_map(|(min, max)| match (min, max) {
            // Vault refuses a max below the min.
            (Some(a), Some(b)) if b.0 < a.0 => (Some(b), Some(a)),
            pair => pair,
        });
    (
        (
            policy_path(),
            prop::sample::subsequence(CAPABILITIES.to_vec(), 0..4),
            prop::option::weighted(0.1, select(vec!["read", "write", "deny", "sudo", ""])),
            wrapping,
        ),
        (
            prop::option::weighted(0.2, parameters()),
            prop::option::weighted(0.1, parameters()),
            prop::option::weighted(0.1, prop::collection::vec("[a-z_]{1,6}", 0..3)),
            prop::option::weighted(0.2, path_comment()),
        ),
        (
            prop::collection::vec(comment(), 0..2),
            prop::option::weighted(0.15, comment()),
            prop::option::weighted(0.15, comment()),
            prop::option::weighted(0.15, comment()),
        ),
    )
        .prop_map(
            |(
                (path, capabilities, shorthand, (min_wrapping, max_wrapping)),
                (allowed, denied, required, comment),
                (leading, opening, trailing, closing),
            )| RuleSpec {
                path,
                capabilities,
                shorthand,
                min_wrapping,
                max_wrapping,
                allowed,
                denied,
                required,
                comment,
                leading,
                opening,
                trailing,
                closing,
            },
        )
}

/// Whitespace choices, so formatting has something to do.
#[derive(Debug, Clone)]
struct Layout {
    indent: &'static str,
    equals: &'static str,
    list: ListStyle,
    label_gap: &'static str,
    brace_gap: &'static str,
    between: usize,
    line_end: &'static str,
    one_line: bool,
    leading_blank: usize,
    trailing: &'static str,
}

#[derive(Debug, Clone, Copy)]
enum ListStyle {
    Compact,
    Spaced,
    Lines,
}

/// Any mix of the whitespace choices.
fn layout() -> impl Strategy<Value = Layout> {
    (
        (
            select(vec!["", " ", "  ", "    ", "\t", "\t  "]),
            select(vec!["=", " = ", "  =   ", "\t=\t"]),
            select(vec![
                ListStyle::Compact,
                ListStyle::Spaced,
                ListStyle::Lines,
            ]),
            select(vec![" ", "   ", "\t"]),
            select(vec!["", " ", "  "]),
        ),
        (
            0usize..3,
            select(vec!["", " ", "\t", "   "]),
            any::<bool>(),
            0usize..3,
            select(vec!["", "\n", "\n\n", "  \n"]),
        ),
    )
        .prop_map(
            |(
                (indent, equals, list, label_gap, brace_gap),
                (between, line_end, one_line, leading_blank, trailing),
            )| Layout {
                indent,
                equals,
                list,
                label_gap,
                brace_gap,
                between,
                line_end,
                one_line,
                leading_blank,
                trailing,
            },
        )
}

/// A generated HCL policy.
#[derive(Debug, Clone)]
struct PolicySpec {
    header: Vec<Comment>,
    rules: Vec<RuleSpec>,
    footer: Vec<Comment>,
    layout: Layout,
}

/// A policy of zero to three path blocks between comments.
fn policy_spec() -> impl Strategy<Value = PolicySpec> {
    (
        prop::collection::vec(comment(), 0..2),
        prop::collection::vec(rule_spec(), 0..4),
        prop::collection::vec(comment(), 0..2),
        layout(),
    )
        .prop_map(|(header, rules, footer, layout)| PolicySpec {
            header,
            rules,
            footer,
            layout,
        })
}

/// An HCL string literal.
fn hcl_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A list of already-written items in `style`.
fn hcl_list(items: &[String], style: ListStyle, indent: &str) -> String {
    if items.is_empty() {
        return "[]".to_string();
    }
    match style {
        ListStyle::Compact => format!("[{}]", items.join(",")),
        ListStyle::Spaced => format!("[ {} ]", items.join(" , ")),
        ListStyle::Lines => {
            let mut out = String::from("[\n");
            for item in items {
                let _ = writeln!(out, "{indent}{indent}  {item},");
            }
            out.push_str(indent);
            out.push(']');
            out
        }
    }
}

/// A parameter value as an HCL literal.
fn param_text(param: &Param) -> String {
    match param {
        Param::Str(s) => hcl_quote(s),
        Param::Int(n) => n.to_string(),
        Param::Bool(b) => b.to_string(),
    }
}

/// A parameters object, keys bare where HCL allows it and quoted otherwise.
fn hcl_parameters(map: &BTreeMap<String, Vec<Param>>, layout: &Layout) -> String {
    if map.is_empty() {
        return "{}".to_string();
    }
    let indent = layout.indent;
    let mut out = String::from("{\n");
    for (key, values) in map {
        let key = if key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            key.clone()
        } else {
            hcl_quote(key)
        };
        let values: Vec<String> = values.iter().map(param_text).collect();
        let _ = writeln!(
            out,
            "{indent}{indent}  {key}{}{}",
            layout.equals,
            hcl_list(&values, ListStyle::Compact, indent)
        );
    }
    out.push_str(indent);
    out.push('}');
    out
}

impl RuleSpec {
    /// `name = value` pairs in the order written (values may span lines).
    fn attributes(&self, layout: &Layout) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let indent = layout.indent;
        if !self.capabilities.is_empty() || self.shorthand.is_none() {
            let items: Vec<String> = self.capabilities.iter().map(|c| hcl_quote(c)).collect();
            out.push(("capabilities", hcl_list(&items, layout.list, indent)));
        }
        if let Some(shorthand) = self.shorthand {
            out.push(("policy", hcl_quote(shorthand)));
        }
        if let Some((seconds, form)) = self.min_wrapping {
            out.push(("min_wrapping_ttl", wrapping_text(seconds, form)));
        }
        if let Some((seconds, form)) = self.max_wrapping {
            out.push(("max_wrapping_ttl", wrapping_text(seconds, form)));
        }
        if let Some(map) = &self.allowed {
            out.push(("allowed_parameters", hcl_parameters(map, layout)));
        }
        if let Some(map) = &self.denied {
            out.push(("denied_parameters", hcl_parameters(map, layout)));
        }
        if let Some(required) = &self.required {
            let items: Vec<String> = required.iter().map(|r| hcl_quote(r)).collect();
            out.push(("required_parameters", hcl_list(&items, layout.list, indent)));
        }
        match &self.comment {
            None => {}
            Some(PathComment::Quoted(text)) => out.push(("comment", hcl_quote(text))),
            Some(PathComment::Heredoc { lines, indented }) => {
                let mut text = String::from(if *indented { "<<-EOT\n" } else { "<<EOT\n" });
                let pad = if *indented { indent } else { "" };
                for line in lines {
                    let _ = writeln!(text, "{pad}{line}");
                }
                text.push_str(pad);
                text.push_str("EOT");
                out.push(("comment", text));
            }
        }
        out
    }

    /// The block, one-line when the layout asks for it and HCL allows it (a single
    /// one-line attribute and no comments inside).
    fn render(&self, layout: &Layout, out: &mut String) {
        let indent = layout.indent;
        for comment in &self.leading {
            let _ = writeln!(out, "{}", comment.render(""));
        }
        let label = format!("path{}{}", layout.label_gap, hcl_quote(&self.path));
        let attributes = self.attributes(layout);
        let simple = attributes.len() == 1
            && !attributes[0].1.contains('\n')
            && self.opening.is_none()
            && self.trailing.is_none()
            && self.closing.is_none();
        if layout.one_line && simple {
            let (key, value) = &attributes[0];
            let _ = writeln!(out, "{label} {{ {key}{}{value} }}", layout.equals);
            return;
        }
        let _ = write!(out, "{label}{}{{", layout.brace_gap);
        if let Some(comment) = &self.opening {
            let _ = write!(out, " {}", comment.render(indent));
        }
        out.push('\n');
        let last = attributes.len().saturating_sub(1);
        for (i, (key, value)) in attributes.iter().enumerate() {
            let _ = write!(out, "{indent}{key}{}{value}", layout.equals);
            // A trailing comment after a heredoc's end marker would be part of the marker line.
            if i == last
                && !value.contains("EOT")
                && let Some(comment) = &self.trailing
            {
                let _ = write!(out, "  {}", comment.render(indent));
            }
            // Vault refuses a heredoc whose end marker has blanks after it.
            let line_end = if value.ends_with("EOT") {
                ""
            } else {
                layout.line_end
            };
            let _ = writeln!(out, "{line_end}");
        }
        if let Some(comment) = &self.closing {
            let _ = writeln!(out, "{indent}{}", comment.render(indent));
        }
        out.push_str("}\n");
    }
}

/// A wrapping TTL as an HCL value: a number or a duration string.
fn wrapping_text(seconds: i64, form: DurationForm) -> String {
    match form {
        DurationForm::Number => seconds.to_string(),
        other => hcl_quote(&duration_text(seconds, other)),
    }
}

impl PolicySpec {
    /// The policy text.
    fn render(&self) -> String {
        let mut out = "\n".repeat(self.layout.leading_blank);
        for comment in &self.header {
            let _ = writeln!(out, "{}", comment.render(""));
        }
        for (i, rule) in self.rules.iter().enumerate() {
            if i > 0 {
                out.push_str(&"\n".repeat(self.layout.between));
            }
            rule.render(&self.layout, &mut out);
        }
        for comment in &self.footer {
            let _ = writeln!(out, "{}", comment.render(""));
        }
        out.push_str(self.layout.trailing);
        out
    }
}

/// The rules of a policy text without their line numbers, which layout changes.
fn rules(text: &str) -> Vec<PathRule> {
    let policy =
        Policy::parse("p", text).unwrap_or_else(|e| panic!("policy does not parse: {e}\n{text}"));
    policy
        .paths()
        .iter()
        .cloned()
        .map(|mut rule| {
            rule.line = 0;
            rule
        })
        .collect()
}

proptest! {
    #![proptest_config(config(256))]

    /// Formatting is idempotent and changes no rule; the generator's paths all come through.
    #[test]
    fn fmt_is_idempotent_and_keeps_the_rules(spec in policy_spec()) {
        let text = spec.render();
        let original = rules(&text);
        prop_assert_eq!(original.len(), spec.rules.len(), "{}", text);
        for (rule, spec) in original.iter().zip(&spec.rules) {
            prop_assert_eq!(&rule.path, spec.path.strip_prefix('/').unwrap_or(&spec.path));
        }
        let formatted = format_policy(&text)
            .unwrap_or_else(|e| panic!("{}: {}\n{text}", e.location, e.message))
            .expect("an HCL policy is formatted");
        let again = format_policy(&formatted)
            .unwrap_or_else(|e| panic!("formatted text refused: {}: {}\n{formatted}", e.location, e.message))
            .expect("an HCL policy is formatted");
        prop_assert_eq!(&again, &formatted, "fmt is not idempotent; input:\n{}", text);
        prop_assert_eq!(rules(&formatted), original, "fmt changed the rules:\n{}\n---\n{}", text, formatted);
    }

    /// JSON policies are left alone (`None`), whatever their layout.
    #[test]
    fn fmt_leaves_json_policies_alone(paths in prop::collection::btree_map(
        policy_path(),
        prop::sample::subsequence(CAPABILITIES.to_vec(), 1..3),
        1..4,
    ), pretty in any::<bool>()) {
        let mut object = Map::new();
        for (path, capabilities) in &paths {
            object.insert(path.clone(), json!({"capabilities": capabilities}));
        }
        let value = json!({"path": object});
        let text = if pretty { serde_json::to_string_pretty(&value) } else { serde_json::to_string(&value) }.unwrap();
        prop_assert_eq!(format_policy(&text), Ok(None));
        prop_assert_eq!(rules(&text).len(), paths.len());
    }
}

// Configurations.

/// Strings Vault stores as given and every export must carry through its quoting: shell and
/// HCL metacharacters, template openers, commas (which a `k=v` list would split), a leading
/// `@` (which `vault write` reads as a file), a lone `-` (standard input), newlines.
const AWKWARD: [&str; 14] = [
    "it's",
    "a,b",
    "@at",
    "-",
    "$HOME",
    "${x}",
    "%{y}",
    "a b",
    "q\"uote",
    "back\\slash",
    "ünï",
    "x=y",
    "#hash",
    "new\nline",
];

/// One of [`AWKWARD`].
fn awkward() -> impl Strategy<Value = String> {
    select(AWKWARD.to_vec()).prop_map(str::to_string)
}

/// A bound service account name or namespace (never a lone `*`, which is added separately).
fn bound_item() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z][a-z0-9-]{0,10}",
        2 => "[a-z][a-z0-9-]{0,6}-\\*",
        1 => "\\*-[a-z]{1,5}",
        1 => awkward(),
        1 => Just(String::new()),
    ]
}

/// A bound list: `*` alone, or other items (Vault refuses `*` mixed with values).
fn bound_list() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        1 => Just(vec!["*".to_string()]),
        4 => prop::collection::vec(bound_item(), 1..4),
    ]
}

/// A list as an API body may carry it: a JSON array, or a comma-separated string when no item
/// holds a comma and the string would not be empty.
fn list_value(items: &[String], as_string: bool) -> Value {
    let joined = items.join(",");
    if as_string && !items.iter().any(|i| i.contains(',')) && !joined.is_empty() {
        json!(joined)
    } else {
        json!(items)
    }
}

/// A role field that has a legacy twin, and which name it is written under.
#[derive(Debug, Clone)]
struct Twin<T> {
    value: T,
    legacy: bool,
}

/// A value written under its `token_*` name, or a quarter of the time its legacy name (the
/// export always writes `token_*` unless only the legacy name is accepted).
fn twin<T: std::fmt::Debug + Clone>(
    value: impl Strategy<Value = T>,
) -> impl Strategy<Value = Twin<T>> {
    (value, prop::bool::weighted(0.25)).prop_map(|(value, legacy)| Twin { value, legacy })
}

/// One role, before the fix-ups that keep it valid.
#[derive(Debug, Clone)]
struct RoleSpec {
    names: Vec<String>,
    namespaces: Option<Vec<String>>,
    lists_as_strings: bool,
    selector: Option<&'static str>,
    audience: Option<String>,
    alias_name_source: Option<&'static str>,
    alias_metadata: Option<BTreeMap<String, String>>,
    policies: Option<Twin<Vec<String>>>,
    ttl: Option<Twin<(i64, DurationForm)>>,
    max_ttl: Option<Twin<(i64, DurationForm)>>,
    explicit_max_ttl: Option<(i64, DurationForm)>,
    period: Option<Twin<(i64, DurationForm)>>,
    num_uses: Option<Twin<i64>>,
    no_default_policy: Option<bool>,
    bound_cidrs: Option<Twin<Vec<&'static str>>>,
    token_type: Option<&'static str>,
}

/// Namespace selectors in JSON and YAML (multi-line, so exported as heredocs), and the empty
/// selector, which matches every namespace but is still a selector.
const SELECTORS: [&str; 4] = [
    r#"{"matchLabels":{"team":"a"}}"#,
    "matchLabels:\n  vault-access: \"true\"\n",
    r#"{"matchLabels":{"env":"prod","team":"b"}}"#,
    "{}",
];

/// Bound CIDRs: IPv4 and IPv6, blocks and single addresses.
const CIDRS: [&str; 6] = [
    "10.0.0.0/8",
    "192.168.1.1",
    "127.0.0.1/32",
    "fd00::/8",
    "2001:db8::1",
    "172.16.0.0/12",
];

/// `token_policies`: lowercase, mixed case (only the legacy `policies` lowercases) and `default`.
fn policy_names() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(
        prop_oneof![4 => "[a-z][a-z0-9-]{0,8}", 1 => "[A-Z][a-zA-Z-]{0,5}", 1 => Just("default".to_string())],
        0..4,
    )
}

/// A role with any subset of the fields, each in any accepted spelling; see
/// [`RoleSpec::fix_up`] for what keeps it valid.
fn role_spec() -> impl Strategy<Value = RoleSpec> {
    let duration = || (seconds(), duration_form());
    (
        (
            bound_list(),
            prop::option::weighted(0.9, bound_list()),
            any::<bool>(),
            prop::option::weighted(0.2, select(SELECTORS.to_vec())),
            prop::option::weighted(0.4, prop_oneof!["[a-z][a-z0-9:/.-]{0,12}", awkward()]),
            prop::option::weighted(
                0.3,
                select(vec!["serviceaccount_uid", "serviceaccount_name", ""]),
            ),
            prop::option::weighted(
                0.2,
                prop::collection::btree_map(
                    "[a-z][a-z0-9_]{0,5}",
                    prop_oneof!["[a-z0-9]{0,6}", awkward()],
                    0..3,
                ),
            ),
        ),
        (
            prop::option::weighted(0.7, twin(policy_names())),
            prop::option::weighted(0.5, twin(duration())),
            prop::option::weighted(0.4, twin(duration())),
            prop::option::weighted(0.2, duration()),
            prop::option::weighted(0.2, twin(duration())),
            prop::option::weighted(0.2, twin(prop_oneof![0i64..20, Just(-1i64)])),
            prop::option::of(any::<bool>()),
            prop::option::weighted(0.2, twin(prop::sample::subsequence(CIDRS.to_vec(), 1..3))),
            prop::option::weighted(0.4, select(vec!["default", "service", "batch", ""])),
        ),
    )
        .prop_map(
            |(
                (
                    names,
                    namespaces,
                    lists_as_strings,
                    selector,
                    audience,
                    alias_name_source,
                    alias_metadata,
                ),
                (
                    policies,
                    ttl,
                    max_ttl,
                    explicit_max_ttl,
                    period,
                    num_uses,
                    no_default_policy,
                    bound_cidrs,
                    token_type,
                ),
            )| RoleSpec {
                names,
                namespaces,
                lists_as_strings,
                selector,
                audience,
                alias_name_source,
                alias_metadata,
                policies,
                ttl,
                max_ttl,
                explicit_max_ttl,
                period,
                num_uses,
                no_default_policy,
                bound_cidrs,
                token_type,
            },
        )
}

impl RoleSpec {
    /// Adjusts the generated values to what Vault accepts for a mount whose max lease TTL is
    /// `mount_max`: namespaces or a selector, `token_ttl` within `token_max_ttl`, a period within
    /// the mount max, and batch roles without a period or use limit under the `token_*` names
    /// (the legacy names are checked after that rule, so Vault stores those values).
    fn fix_up(&mut self, mount_max: i64) {
        if self.namespaces.is_none() && self.selector.is_none() {
            self.namespaces = Some(vec!["default".to_string()]);
        }
        if let (Some(ttl), Some(max)) = (&mut self.ttl, &self.max_ttl)
            && ttl.value.0 > max.value.0
        {
            ttl.value.0 = max.value.0;
        }
        if let Some(period) = &mut self.period {
            period.value.0 = period.value.0.min(mount_max);
        }
        if let Some(num_uses) = &mut self.num_uses
            && !num_uses.legacy
        {
            num_uses.value = num_uses.value.max(0);
        }
        if self.token_type == Some("batch") {
            if self.period.as_ref().is_some_and(|p| !p.legacy) {
                self.period = None;
            }
            if self.num_uses.as_ref().is_some_and(|n| !n.legacy) {
                self.num_uses = None;
            }
        }
    }

    /// The role as an API body.
    fn body(&self) -> Value {
        let mut body = Map::new();
        let mut put = |key: &str, value: Value| {
            body.insert(key.to_string(), value);
        };
        put(
            "bound_service_account_names",
            list_value(&self.names, self.lists_as_strings),
        );
        if let Some(namespaces) = &self.namespaces {
            put(
                "bound_service_account_namespaces",
                list_value(namespaces, self.lists_as_strings),
            );
        }
        if let Some(selector) = self.selector {
            put("bound_service_account_namespace_selector", json!(selector));
        }
        if let Some(audience) = &self.audience {
            put("audience", json!(audience));
        }
        if let Some(source) = self.alias_name_source {
            put("alias_name_source", json!(source));
        }
        if let Some(metadata) = &self.alias_metadata {
            put("alias_metadata", json!(metadata));
        }
        let name = |twin_legacy: bool, token: &str, legacy: &'static str| -> String {
            if twin_legacy {
                legacy.to_string()
            } else {
                token.to_string()
            }
        };
        if let Some(policies) = &self.policies {
            put(
                &name(policies.legacy, "token_policies", "policies"),
                list_value(&policies.value, self.lists_as_strings),
            );
        }
        for (twin, token, legacy) in [
            (&self.ttl, "token_ttl", "ttl"),
            (&self.max_ttl, "token_max_ttl", "max_ttl"),
            (&self.period, "token_period", "period"),
        ] {
            if let Some(Twin {
                value: (seconds, form),
                legacy: is_legacy,
            }) = twin
            {
                put(
                    &name(*is_legacy, token, legacy),
                    duration_value(*seconds, *form),
                );
            }
        }
        if let Some((seconds, form)) = self.explicit_max_ttl {
            put("token_explicit_max_ttl", duration_value(seconds, form));
        }
        if let Some(num_uses) = &self.num_uses {
            put(
                &name(num_uses.legacy, "token_num_uses", "num_uses"),
                json!(num_uses.value),
            );
        }
        if let Some(flag) = self.no_default_policy {
            put("token_no_default_policy", json!(flag));
        }
        if let Some(cidrs) = &self.bound_cidrs {
            put(
                &name(cidrs.legacy, "token_bound_cidrs", "bound_cidrs"),
                json!(cidrs.value),
            );
        }
        if let Some(kind) = self.token_type {
            put("token_type", json!(kind));
        }
        Value::Object(body)
    }
}

/// A role name as Vault's path pattern allows (`\w(([\w-.]+)?\w)?`), including names that
/// look like other endpoints of the mount.
fn role_name() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-zA-Z0-9_]([a-zA-Z0-9_.-]{0,8}[a-zA-Z0-9_])?",
        1 => select(vec!["config", "login", "role", "tune", "Mixed.Case_name"]).prop_map(str::to_string),
    ]
}

/// A mount path of one to three segments, sometimes with segments that are also endpoint names.
fn mount_path() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => Just("kubernetes".to_string()),
        3 => prop::collection::vec(
            prop_oneof![
                5 => "[a-z0-9][a-z0-9_.-]{0,6}",
                1 => select(vec!["role", "config", "login", "k8s"]).prop_map(str::to_string),
            ],
            1..4,
        )
        .prop_map(|segments| segments.join("/")),
    ]
}

/// A mount: tuning, an optional config, roles.
#[derive(Debug, Clone)]
struct MountSpec {
    path: String,
    default_lease_ttl: Option<(i64, DurationForm)>,
    max_lease_ttl: Option<(i64, DurationForm)>,
    config: Option<Value>,
    roles: Vec<(String, RoleSpec)>,
}

/// An `auth/<mount>/config` body without keys or a CA (those need real PEM text, which the
/// fixtures cover): the host, the issuer and every flag.
fn auth_config() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("https://kubernetes.default.svc:443".to_string()),
            "https://[a-z]{1,8}\\.example:[0-9]{3,4}",
        ],
        prop::option::weighted(0.3, "https://[a-z]{1,8}\\.example"),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::weighted(0.3, any::<bool>()),
        prop::option::weighted(0.3, "[A-Za-z0-9._-]{1,20}"),
        prop::option::weighted(0.3, any::<bool>()),
    )
        .prop_map(
            |(host, issuer, iss_validation, local_ca, annotations, reviewer, jwks)| {
                let mut config = Map::new();
                config.insert("kubernetes_host".into(), json!(host));
                let optional = [
                    ("issuer", issuer.map(Value::from)),
                    ("disable_iss_validation", iss_validation.map(Value::from)),
                    ("disable_local_ca_jwt", local_ca.map(Value::from)),
                    (
                        "use_annotations_as_alias_metadata",
                        annotations.map(Value::from),
                    ),
                    ("token_reviewer_jwt", reviewer.map(Value::from)),
                    ("jwks_discovery", jwks.map(Value::from)),
                    // Without TokenReview a login needs keys; JWKS discovery provides them.
                    (
                        "disable_token_review",
                        (jwks == Some(true)).then_some(json!(true)),
                    ),
                ];
                for (key, value) in optional {
                    if let Some(value) = value {
                        config.insert(key.into(), value);
                    }
                }
                Value::Object(config)
            },
        )
}

/// A mount with valid tuning and up to three roles of distinct (case-insensitive) names.
fn mount_spec() -> impl Strategy<Value = MountSpec> {
    (
        mount_path(),
        prop::option::weighted(0.3, (seconds(), duration_form())),
        prop::option::weighted(0.3, (seconds(), duration_form())),
        prop::option::weighted(0.4, auth_config()),
        prop::collection::vec((role_name(), role_spec()), 0..4),
    )
        .prop_map(|(path, default, max, config, roles)| {
            // Vault refuses a tune that leaves the max below the default.
            let (default_lease_ttl, max_lease_ttl) = match (default, max) {
                (Some(d), Some(m)) if m.0 < d.0 => (Some(m), Some(d)),
                pair => pair,
            };
            let mount_max = max_lease_ttl.map_or(SYSTEM_DEFAULT_LEASE_TTL, |m| m.0);
            let mut seen = BTreeSet::new();
            let roles = roles
                .into_iter()
                .filter(|(name, _)| seen.insert(name.to_lowercase()))
                .map(|(name, mut role)| {
                    role.fix_up(mount_max);
                    (name, role)
                })
                .collect();
            MountSpec {
                path,
                default_lease_ttl,
                max_lease_ttl,
                config,
                roles,
            }
        })
}

/// A policy in a configuration: HCL text, or JSON given as text or as the object itself.
#[derive(Debug, Clone)]
enum PolicyBody {
    Hcl(PolicySpec),
    JsonText(BTreeMap<String, Vec<&'static str>>),
    JsonObject(BTreeMap<String, Vec<&'static str>>),
}

/// Mostly HCL policies (the generator above), sometimes JSON ones in either shape.
fn policy_body() -> impl Strategy<Value = PolicyBody> {
    let json_paths = || {
        prop::collection::btree_map(
            policy_path(),
            prop::sample::subsequence(CAPABILITIES.to_vec(), 1..3),
            1..3,
        )
    };
    prop_oneof![
        6 => policy_spec().prop_map(PolicyBody::Hcl),
        1 => json_paths().prop_map(PolicyBody::JsonText),
        1 => json_paths().prop_map(PolicyBody::JsonObject),
    ]
}

impl PolicyBody {
    /// The policy as the document's `policies` entry.
    fn value(&self) -> Value {
        let json_policy = |paths: &BTreeMap<String, Vec<&str>>| {
            let mut object = Map::new();
            for (path, capabilities) in paths {
                object.insert(path.clone(), json!({"capabilities": capabilities}));
            }
            json!({"path": object})
        };
        match self {
            PolicyBody::Hcl(spec) => json!(spec.render()),
            PolicyBody::JsonText(paths) => {
                json!(serde_json::to_string_pretty(&json_policy(paths)).unwrap())
            }
            PolicyBody::JsonObject(paths) => json_policy(paths),
        }
    }
}

/// A whole configuration, written as the Vault API JSON document.
#[derive(Debug, Clone)]
struct ConfigurationSpec {
    mounts: Vec<MountSpec>,
    policies: Vec<(String, PolicyBody)>,
}

/// One to three mounts of distinct paths and up to three policies of distinct names.
fn configuration_spec() -> impl Strategy<Value = ConfigurationSpec> {
    (
        prop::collection::vec(mount_spec(), 1..4),
        prop::collection::vec(
            (
                prop_oneof![
                    6 => "[a-z0-9_-][a-z0-9_.-]{0,10}",
                    1 => "[A-Z][a-zA-Z0-9]{0,5}",
                    1 => Just("default".to_string()),
                ],
                policy_body(),
            ),
            0..4,
        ),
    )
        .prop_map(|(mounts, policies)| {
            let mut paths = BTreeSet::new();
            let mut mounts: Vec<MountSpec> = mounts
                .into_iter()
                .filter(|m| paths.insert(m.path.clone()))
                .collect();
            // Vault routes `auth/k/role/x` to a mount `k/role` when there is one, so a role
            // `x` of `k` cannot be written then: no such configuration exists.
            for mount in &mut mounts {
                let shadow = format!("{}/role", mount.path);
                mount.roles.retain(|(name, _)| {
                    !paths.contains(&shadow)
                        && !paths.contains(&format!("{shadow}/{name}"))
                        && !paths.contains(&format!("{shadow}/{}", name.to_lowercase()))
                });
            }
            let mut names = BTreeSet::new();
            ConfigurationSpec {
                mounts,
                policies: policies
                    .into_iter()
                    .filter(|(name, _)| names.insert(name.to_lowercase()))
                    .collect(),
            }
        })
}

impl ConfigurationSpec {
    /// The configuration as a Vault API JSON document.
    fn document(&self) -> String {
        let mut auth = Map::new();
        for mount in &self.mounts {
            let mut entry = Map::new();
            entry.insert("type".into(), json!("kubernetes"));
            let mut tune = Map::new();
            if let Some((seconds, form)) = mount.default_lease_ttl {
                tune.insert("default_lease_ttl".into(), duration_value(seconds, form));
            }
            if let Some((seconds, form)) = mount.max_lease_ttl {
                tune.insert("max_lease_ttl".into(), duration_value(seconds, form));
            }
            if !tune.is_empty() {
                entry.insert("tune".into(), Value::Object(tune));
            }
            if let Some(config) = &mount.config {
                entry.insert("config".into(), config.clone());
            }
            let mut roles = Map::new();
            for (name, role) in &mount.roles {
                roles.insert(name.clone(), role.body());
            }
            if !roles.is_empty() {
                entry.insert("roles".into(), Value::Object(roles));
            }
            auth.insert(mount.path.clone(), Value::Object(entry));
        }
        let mut policies = Map::new();
        for (name, body) in &self.policies {
            policies.insert(name.clone(), body.value());
        }
        serde_json::to_string_pretty(&json!({"auth": auth, "policies": policies})).unwrap()
    }
}

/// Imports `text` in `format`; the error carries the text, which is what a failure needs.
fn import(text: &str, format: SourceFormat) -> Result<Configuration, String> {
    Configuration::import(text, "<generated>", Some(format), &NoFiles)
        .map(|imported| imported.configuration)
        .map_err(|e| format!("{format} does not import: {e}\n{text}"))
}

/// Imports an export back, checks it is the same configuration, and that exporting it again
/// in the same form gives the same text.
fn round_trip(
    start: &Configuration,
    text: &str,
    format: SourceFormat,
    export: fn(&Configuration) -> String,
) -> Result<Configuration, TestCaseError> {
    let back = import(text, format).map_err(TestCaseError::fail)?;
    let (before, after) = (
        support::configuration_view(start),
        support::configuration_view(&back),
    );
    prop_assert!(
        before == after,
        "{format}: the export imports back to a different configuration\n--- export\n{text}\n--- before\n{}\n--- after\n{}",
        serde_json::to_string_pretty(&before).unwrap(),
        serde_json::to_string_pretty(&after).unwrap(),
    );
    let again = export(&back);
    prop_assert!(
        again == text,
        "{format}: exporting the import again changes the text\n--- first\n{text}\n--- second\n{again}"
    );
    Ok(back)
}

/// The JSON export as text, as the CLI writes it, so it can be compared like the other forms.
fn json_export(configuration: &Configuration) -> String {
    serde_json::to_string_pretty(&configuration.to_api_json()).unwrap()
}

/// The whole round trip for one import: each form's export imports back to the same
/// configuration and exports again to the same text, and the forms agree with each other.
fn check_round_trips(start: &Configuration) -> Result<(), TestCaseError> {
    let hcl = start.to_podpass_hcl();
    let commands = start.to_vault_commands();
    let json = json_export(start);
    let from_hcl = round_trip(
        start,
        &hcl,
        SourceFormat::PodpassHcl,
        Configuration::to_podpass_hcl,
    )?;
    let from_commands = round_trip(
        start,
        &commands,
        SourceFormat::VaultCommands,
        Configuration::to_vault_commands,
    )?;
    let from_json = round_trip(start, &json, SourceFormat::ApiJson, json_export)?;
    prop_assert_eq!(from_commands.to_podpass_hcl(), hcl);
    prop_assert_eq!(from_json.to_vault_commands(), commands);
    prop_assert_eq!(json_export(&from_hcl), json);
    Ok(())
}

/// Imports a configuration in the given form and checks [`check_round_trips`] on it, for the
/// plain regression tests.
fn assert_round_trips(text: &str, format: SourceFormat) {
    let start = import(text, format).unwrap_or_else(|e| panic!("{e}"));
    if let Err(e) = check_round_trips(&start) {
        panic!("{e}");
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Every form's export of a generated configuration imports back to the same configuration,
    /// exports again to the same text, and the three forms agree with each other.
    #[test]
    fn configurations_round_trip_through_every_form(spec in configuration_spec()) {
        let document = spec.document();
        let start = import(&document, SourceFormat::ApiJson).map_err(TestCaseError::fail)?;

        // The import holds what was generated.
        let paths: BTreeSet<&str> = spec.mounts.iter().map(|m| m.path.as_str()).collect();
        prop_assert_eq!(start.mounts().keys().map(String::as_str).collect::<BTreeSet<_>>(), paths);
        for mount in &spec.mounts {
            let imported = start.mount(&mount.path).unwrap();
            prop_assert_eq!(imported.roles().len(), mount.roles.len());
            for (name, role) in &mount.roles {
                let got = imported.role(name).unwrap();
                prop_assert_eq!(got.token.ttl, role.ttl.as_ref().map_or(0, |t| t.value.0));
                prop_assert_eq!(got.token.period, role.period.as_ref().map_or(0, |t| t.value.0));
                let names: Vec<String> = role.names.iter().map(|n| n.trim().to_string()).collect();
                prop_assert_eq!(&got.bound_service_account_names, &names);
            }
            prop_assert_eq!(imported.config().is_some(), mount.config.is_some());
        }
        prop_assert_eq!(start.policies().len(), spec.policies.len());

        check_round_trips(&start)?;
    }
}

// Regressions the round-trip property found, minimized.

/// A role named `config` was exported as `vault write auth/kubernetes/role/config …`, which the
/// commands reader took for the config of a mount `kubernetes/role` (Vault routes by its mount
/// table: the role). A request list routes the same way.
#[test]
fn a_role_named_config_stays_a_role() {
    assert_round_trips(
        r#"{"auth": {"kubernetes": {"roles": {"config": {
            "bound_service_account_names": "*", "bound_service_account_namespaces": "default"
        }}}}}"#,
        SourceFormat::ApiJson,
    );
    let requests = r#"[
        {"path": "sys/auth/kubernetes", "data": {"type": "kubernetes"}},
        {"path": "auth/kubernetes/role/config", "data": {
            "bound_service_account_names": "*", "bound_service_account_namespaces": "default"
        }},
        {"path": "sys/auth/kubernetes/role", "data": {"type": "kubernetes"}},
        {"path": "auth/kubernetes/role/config", "data": {"kubernetes_host": "https://k"}}
    ]"#;
    let configuration = import(requests, SourceFormat::ApiJson).unwrap();
    let mount = configuration.mount("kubernetes").unwrap();
    assert!(mount.role("config").is_some() && mount.config().is_none());
    // Once `kubernetes/role` is mounted, Vault's longest-prefix routing sends the same path to
    // that mount's config.
    let inner = configuration.mount("kubernetes/role").unwrap();
    assert_eq!(inner.config().unwrap().kubernetes_host, "https://k");
    assert!(inner.roles().is_empty());
}

/// A policy named `-0` was exported as `vault policy write -0 -`, where `-0` reads as a flag.
#[test]
fn a_policy_name_starting_with_a_dash_is_not_a_flag() {
    assert_round_trips(
        r#"{"auth": {"kubernetes": {}}, "policies": {"-0": ""}}"#,
        SourceFormat::ApiJson,
    );
}

/// The export trimmed line ends inside a policy, changing the content of a heredoc `comment`
/// (`"A \n"` came back as `"A\n"`).
#[test]
fn heredocs_inside_policies_keep_trailing_blanks() {
    let policy = "path \"-\"{\ncapabilities=[]\ncomment=<<EOT\nA \nEOT\n}\n";
    let document = json!({"auth": {}, "policies": {"_": policy}}).to_string();
    assert_round_trips(&document, SourceFormat::ApiJson);
}

/// A policy line `EOT*/` ended the `<<-EOT` heredoc podpass.hcl wraps the policy in: HCL ends a
/// heredoc at a line that starts with the delimiter and a non-identifier character.
#[test]
fn a_policy_line_starting_with_the_delimiter_does_not_end_the_heredoc() {
    let policy = "path \"a\"{\ncapabilities=[]\n/*<<EOT\nEOT*/\n}\n";
    let document = json!({"auth": {}, "policies": {"_": policy}}).to_string();
    assert_round_trips(&document, SourceFormat::ApiJson);
}

/// A batch role's legacy `num_uses` was exported as `token_num_uses`, which Vault refuses on a
/// batch role (it checks only the `token_*` name).
#[test]
fn a_batch_role_keeps_its_legacy_use_limit() {
    assert_round_trips(
        r#"{"auth": {"kubernetes": {"roles": {"a": {
            "bound_service_account_names": "*", "bound_service_account_namespaces": "default",
            "num_uses": 1, "token_type": "batch"
        }}}}}"#,
        SourceFormat::ApiJson,
    );
}

// TTL arithmetic.

/// A duration setting: mostly plausible values, sometimes unset (0) or negative (both mean
/// "not set" to Vault), sometimes the largest a Go duration holds.
fn ttl_setting() -> impl Strategy<Value = i64> {
    prop_oneof![
        3 => Just(0i64),
        6 => 1i64..=100_000_000,
        1 => -100_000i64..0,
        1 => Just(MAX_DURATION_SECONDS),
    ]
}

/// Requests as logins and renewals make them: now a plausible Unix time, the token issued at
/// or before it (or `0`, "now").
fn plausible_request() -> impl Strategy<Value = TtlRequest> {
    (
        (ttl_setting(), ttl_setting(), ttl_setting()),
        (ttl_setting(), ttl_setting()),
        1_000_000_000i64..=4_000_000_000,
        prop_oneof![1 => Just(None), 3 => (0i64..=200_000_000).prop_map(Some)],
    )
        .prop_map(
            |((increment, backend_ttl, period), (backend_max_ttl, explicit_max_ttl), now, age)| {
                TtlRequest {
                    increment,
                    backend_ttl,
                    period,
                    backend_max_ttl,
                    explicit_max_ttl,
                    start_time: age.map_or(0, |age| now - age),
                    now,
                }
            },
        )
}

/// A mount's effective TTLs as a tune leaves them: both positive.
fn plausible_mount() -> impl Strategy<Value = MountTtls> {
    (1i64..=100_000_000, 1i64..=100_000_000).prop_map(|(default_lease_ttl, max_lease_ttl)| {
        MountTtls {
            default_lease_ttl,
            max_lease_ttl,
        }
    })
}

/// Any 64-bit value, the boundaries more often than chance would pick them.
fn extreme() -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => any::<i64>(),
        1 => select(vec![i64::MIN, i64::MIN + 1, -1, 0, 1, MAX_DURATION_SECONDS, i64::MAX - 1, i64::MAX]),
        1 => -1000i64..1000,
    ]
}

/// What a token asks for before any cap: the period, else the increment, else the role's TTL,
/// else the mount default (Vault's `CalculateTTL`, see `ttl.rs`).
fn requested(req: &TtlRequest, mount: &MountTtls) -> i64 {
    if req.period > 0 {
        req.period
    } else if req.increment > 0 {
        req.increment
    } else if req.backend_ttl > 0 {
        req.backend_ttl
    } else {
        mount.default_lease_ttl
    }
}

/// The effective max: the smallest of the mount max and the role's and the explicit max that
/// are set.
fn effective_max(req: &TtlRequest, mount: &MountTtls) -> i64 {
    [req.backend_max_ttl, req.explicit_max_ttl]
        .into_iter()
        .filter(|v| *v > 0)
        .fold(mount.max_lease_ttl, i64::min)
}

proptest! {
    #![proptest_config(config(1024))]

    /// For plausible inputs, the outcome is exactly Vault's: the requested TTL capped by the
    /// effective max and by what is left of the token's lifetime, with a warning exactly when
    /// something was capped.
    #[test]
    fn ttl_is_the_request_capped_by_every_max(req in plausible_request(), mount in plausible_mount()) {
        let start = if req.start_time == 0 { req.now } else { req.start_time };
        let max = effective_max(&req, &mount);
        let until = if req.period > 0 {
            (req.explicit_max_ttl > 0).then(|| start + req.explicit_max_ttl)
        } else {
            Some(start + max)
        };
        let result = calculate_ttl(&req, &mount);
        if let Some(until) = until && until <= req.now {
            prop_assert_eq!(result, Err(TtlError::PastMax));
            return Ok(());
        }
        let outcome = result.map_err(|e| TestCaseError::fail(format!("refused: {e}")))?;
        let wanted = requested(&req, &mount);
        prop_assert_eq!(outcome.effective_max_ttl, max);
        prop_assert_eq!(outcome.max_valid_until, until);
        let expected = wanted.min(max).min(until.map_or(i64::MAX, |u| u - req.now));
        prop_assert_eq!(outcome.ttl, expected);
        prop_assert_eq!(outcome.warnings.is_empty(), outcome.ttl == wanted, "{:?}", outcome.warnings);

        // The guarantees, stated on their own.
        prop_assert!(outcome.ttl > 0);
        prop_assert!(outcome.ttl <= outcome.effective_max_ttl);
        prop_assert!(outcome.effective_max_ttl <= mount.max_lease_ttl);
        if req.backend_max_ttl > 0 {
            prop_assert!(outcome.ttl <= req.backend_max_ttl);
        }
        if req.explicit_max_ttl > 0 {
            prop_assert!(outcome.ttl <= req.explicit_max_ttl);
            prop_assert!(req.now + outcome.ttl <= start + req.explicit_max_ttl);
        }
        if let Some(until) = outcome.max_valid_until {
            prop_assert!(req.now + outcome.ttl <= until);
        }
        if req.period > 0 && req.explicit_max_ttl <= 0 {
            // A periodic token without an explicit max is renewed forever, a period at a time.
            prop_assert_eq!(outcome.max_valid_until, None);
            prop_assert_eq!(outcome.ttl, req.period.min(max));
        }
    }

    /// A fresh login to a role without a TTL, period or increment gets the mount's default,
    /// capped by the effective max.
    #[test]
    fn an_unset_ttl_falls_back_to_the_mount_default(
        req in plausible_request(),
        mount in plausible_mount(),
        unset in select(vec![0i64, -1, -3600]),
    ) {
        let req = TtlRequest {
            increment: unset,
            backend_ttl: unset,
            period: unset,
            start_time: 0,
            ..req
        };
        let outcome = calculate_ttl(&req, &mount).unwrap();
        prop_assert_eq!(outcome.ttl, mount.default_lease_ttl.min(effective_max(&req, &mount)));
    }

    /// Whatever the inputs, the computation answers (an error is an answer) without panicking,
    /// and what it grants is positive and within the effective max whenever the token was not
    /// issued in the future.
    #[test]
    fn ttl_never_panics_and_stays_in_bounds(
        (increment, backend_ttl, period, backend_max_ttl) in (extreme(), extreme(), extreme(), extreme()),
        (explicit_max_ttl, start_time, now) in (extreme(), extreme(), extreme()),
        (default_lease_ttl, max_lease_ttl) in (extreme(), extreme()),
    ) {
        let req = TtlRequest { increment, backend_ttl, period, backend_max_ttl, explicit_max_ttl, start_time, now };
        let mount = MountTtls { default_lease_ttl, max_lease_ttl };
        let max = effective_max(&req, &mount);
        match calculate_ttl(&req, &mount) {
            Err(TtlError::NonPositiveMax) => prop_assert!(max <= 0),
            Err(TtlError::PastMax) => prop_assert!(max > 0),
            Ok(outcome) => {
                prop_assert!(max > 0);
                prop_assert_eq!(outcome.effective_max_ttl, max);
                prop_assert!(outcome.ttl > 0, "granted {} seconds", outcome.ttl);
                let start = if start_time == 0 { now } else { start_time };
                if start <= now {
                    prop_assert!(outcome.ttl <= max);
                }
                if let Some(until) = outcome.max_valid_until {
                    prop_assert!(now.checked_add(outcome.ttl).is_none_or(|end| end <= until));
                }
            }
        }
    }
}

/// Found by `ttl_never_panics_and_stays_in_bounds` (minimized: every setting `i64::MIN` or 0,
/// mount max 1): a mount default of zero or less, which a hand-built `MountTtls` can carry, was
/// granted as the TTL. Vault's mount default is never below one second (0 reads as the
/// system's), so podpass uses the system default, capped as usual.
#[test]
fn a_non_positive_mount_default_is_the_system_default() {
    let minimized = TtlRequest {
        increment: i64::MIN,
        period: i64::MIN,
        ..TtlRequest::default()
    };
    for default_lease_ttl in [i64::MIN, -1, 0] {
        let mount = MountTtls {
            default_lease_ttl,
            max_lease_ttl: 1,
        };
        assert_eq!(calculate_ttl(&minimized, &mount).unwrap().ttl, 1);
        let mount = MountTtls {
            default_lease_ttl,
            max_lease_ttl: i64::MAX,
        };
        let outcome = calculate_ttl(&TtlRequest::default(), &mount).unwrap();
        assert_eq!(outcome.ttl, SYSTEM_DEFAULT_LEASE_TTL);
        assert!(outcome.warnings.is_empty());
    }
}

/// Found by the import fuzz target: a policy in HCL1's looser syntax (here a list opening with
/// a comma, which Vault's HCL1 accepts) was written inline into podpass.hcl, whose HCL2 refused
/// it; such a policy goes in a heredoc.
#[test]
fn a_policy_only_hcl1_reads_exports_to_podpass_hcl_in_a_heredoc() {
    for policy in [
        "path \"a\" {\n  capabilities = [,\"read\"]\n}\n",
        "path \"a\" { capabilities = [\"read\"]\n}\n",
        "path \"a\" {\n  capabilities = [\"r\\145ad\"]\n}\n",
    ] {
        let document = json!({"auth": {}, "policies": {"p": policy}}).to_string();
        assert_round_trips(&document, SourceFormat::ApiJson);
    }
}
