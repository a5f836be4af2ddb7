//! The reader against serde_yaml_ng (the YAML library podpass used before): where the reader
//! reads a document, serde_yaml_ng reads the same; where it calls a document not YAML,
//! serde_yaml_ng refuses it too. Forms the reader leaves out are refused by name and not
//! compared.
//!
//! serde_yaml_ng has YAML 1.2's types and refuses a repeated key, where Vault's YAML (and so the
//! reader) has YAML 1.1's and keeps the last value. The comparison is of everything else: the
//! reader is run with YAML 1.2's types ([`yaml_1_2`]), and documents serde_yaml_ng refuses only
//! for a repeated key are not compared. `scalar.rs`'s tests and the conformance run against
//! OpenBao check the YAML 1.1 side.

use serde_yaml_ng::Value;

use super::super::{Node, SelectorError, yaml_key};
use super::{YamlError, read_with};

/// serde_yaml_ng's reading of a document, as the selector decoder used to reduce it.
fn theirs(document: &str) -> Result<Node, String> {
    let value: Value = serde_yaml_ng::from_str(document).map_err(|e| e.to_string())?;
    from_yaml(value).map_err(|e| e.to_string())
}

fn from_yaml(value: Value) -> Result<Node, SelectorError> {
    Ok(match value {
        Value::Null => Node::Null,
        Value::Bool(flag) => Node::Bool(flag),
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() => Node::Float(float),
            _ => Node::Int(number.to_string()),
        },
        Value::String(text) => Node::Str(text),
        Value::Sequence(items) => {
            Node::Seq(items.into_iter().map(from_yaml).collect::<Result<_, _>>()?)
        }
        Value::Mapping(map) => {
            let mut entries = Vec::with_capacity(map.len());
            for (key, item) in map {
                entries.push((yaml_key(from_yaml(key)?)?, from_yaml(item)?));
            }
            Node::Map(entries)
        }
        Value::Tagged(tagged) => from_yaml(tagged.value)?,
    })
}

/// What the two readings say about a document, if they disagree.
fn disagreement(document: &str) -> Option<String> {
    let theirs = theirs(document);
    if theirs
        .as_ref()
        .is_err_and(|e| e.contains("duplicate entry"))
    {
        return None;
    }
    match read_with(document, yaml_1_2::resolve).map(|(node, _)| node) {
        Ok(ours) => match theirs {
            Ok(theirs) if format!("{ours:?}") == format!("{theirs:?}") => None,
            other => Some(format!("ours {ours:?}, theirs {other:?}")),
        },
        Err(YamlError::Syntax(message)) => theirs
            .ok()
            .map(|theirs| format!("ours refuses ({message}), theirs {theirs:?}")),
        Err(YamlError::Unsupported(_)) => None,
    }
}

/// Documents a selector is written as; each must be read, and read alike.
const READ_ALIKE: &[&str] = &[
    "",
    "# only a comment\n",
    "matchLabels:\n  stage: prod\n",
    "matchLabels:\n  stage: prod\n  team: \"payments\"\n",
    "matchLabels: {stage: prod, app: 'vault'}\n",
    "matchLabels:\n    env: 1\n    on: true\n    pi: 3.25\n    nothing: ~\n    hex: 0x1F\n",
    "matchExpressions:\n- key: tier\n  operator: In\n  values: [a, b]\n",
    "matchExpressions:\n  - key: tier\n    operator: In\n    values:\n      - a\n      - b\n",
    "matchExpressions: [{key: tier, operator: Exists}]\n",
    "{\"matchLabels\": {\"a\": \"b\"},}\n",
    "{'matchLabels': {'a': 'b'}}\n",
    "{matchLabels: {a: b}}\n",
    "{\n  matchLabels: {\n    a: b\n  }\n}\n",
    "matchLabels:\n  a: b # comment\n\n# between\n  c: d\n",
    "a: \"\\u00e9\\t\\x41\\\"\"\n",
    "a: 'it''s'\n",
    "a: b:c\nd: http://x/y\ne: a#b\n",
    "a :  b  \n",
    "a:\nb:\n",
    "- a\n- b\n",
    "-1\n",
    "team=payments\n",
    "a: 012\nb: -0x1A\nc: +5\nd: 0o17\ne: 0b101\nf: .inf\ng: -.INF\nh: .nan\ni: 1e3\nj: 1_000\n",
    "1: a\ntrue: b\n1.5: c\n",
    "a: [ ]\nb: { }\nc: []\n",
    "a: [1, [2, 3], {x: y}]\n",
];

#[test]
fn selector_documents_read_as_serde_yaml_ng_reads_them() {
    for document in READ_ALIKE {
        let ours = read_with(document, yaml_1_2::resolve).map(|(node, _)| node);
        assert!(
            !matches!(ours, Err(YamlError::Unsupported(_))),
            "{document:?}: {ours:?}"
        );
        assert_eq!(disagreement(document), None, "{document:?}");
    }
}

/// Pieces of YAML, valid and not, for documents made at random.
const PIECES: &[&str] = &[
    "a",
    "b c",
    "key",
    ":",
    ": ",
    "\n",
    "  ",
    "    ",
    " ",
    "- ",
    "-",
    "[",
    "]",
    "{",
    "}",
    ",",
    ", ",
    "'x'",
    "\"y\"",
    "\"\\u00e9\"",
    "''",
    "#c",
    " #c",
    "1",
    "-1",
    "0x1F",
    "1.5",
    "012",
    "~",
    "true",
    "null",
    ".inf",
    "&a ",
    "*a",
    "!t ",
    "|",
    ">",
    "?",
    "%",
    "@",
    "\\",
    "é",
    "a:b",
    "\r\n",
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

    #[test]
    fn random_documents_read_as_serde_yaml_ng_reads_them(
        pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..30)
    ) {
        let document = pieces.concat();
        let disagreement = disagreement(&document);
        proptest::prop_assert!(disagreement.is_none(), "{:?}: {:?}", document, disagreement);
    }

    /// A selector with two pieces put in and up to two characters taken out.
    #[test]
    fn near_valid_documents_read_as_serde_yaml_ng_reads_them(
        at in 0usize..200,
        piece in proptest::sample::select(PIECES),
        remove in 0usize..3,
        second_at in 0usize..200,
        second in proptest::sample::select(PIECES),
    ) {
        let valid = concat!(
            "matchLabels:\n  stage: prod # c\n  team: 'pay'\n  n: 1\nmatchExpressions:\n",
            "- key: tier\n  operator: In\n  values: [a, \"b\"]\n- {key: x, operator: Exists}\n",
        );
        let at = at.min(valid.len());
        let end = (at + remove).min(valid.len());
        let mut document = format!("{}{piece}{}", &valid[..at], &valid[end..]);
        if document.is_char_boundary(second_at.min(document.len())) {
            document.insert_str(second_at.min(document.len()), second);
        }
        let disagreement = disagreement(&document);
        proptest::prop_assert!(disagreement.is_none(), "{:?}: {:?}", document, disagreement);
    }
}

/// Plain scalars as serde_yaml_ng resolves them (YAML 1.2's core schema, with its number forms).
mod yaml_1_2 {
    use super::super::{Result, YamlError};
    use crate::selector::Node;

    /// A plain scalar as serde_yaml_ng resolves it: null, a boolean, an integer, a float, or a
    /// string; integers past 64 bits, which it has no value for, are refused.
    pub(super) fn resolve(text: String) -> Result<Node> {
        if text.is_empty() || matches!(text.as_str(), "~" | "null" | "Null" | "NULL") {
            return Ok(Node::Null);
        }
        match text.as_str() {
            "true" | "True" | "TRUE" => return Ok(Node::Bool(true)),
            "false" | "False" | "FALSE" => return Ok(Node::Bool(false)),
            _ => {}
        }
        if let Some(int) = unsigned_int(&text, u64::from_str_radix) {
            return Ok(Node::Int(int.to_string()));
        }
        if let Some(int) = negative_int(&text, i64::from_str_radix) {
            return Ok(Node::Int(int.to_string()));
        }
        if unsigned_int(&text, u128::from_str_radix).is_some()
            || negative_int(&text, i128::from_str_radix).is_some()
        {
            return Err(YamlError::Syntax(format!(
                "the integer {text} does not fit in 64 bits"
            )));
        }
        if !digits_but_not_number(&text)
            && let Some(float) = float(&text)
        {
            return Ok(Node::Float(float));
        }
        Ok(Node::Str(text))
    }

    type FromStrRadix<T> = fn(&str, u32) -> std::result::Result<T, std::num::ParseIntError>;

    /// An unsigned integer in decimal, `0x`, `0o` or `0b` form, an optional `+` first.
    fn unsigned_int<T>(text: &str, from_str_radix: FromStrRadix<T>) -> Option<T> {
        let unsigned = text.strip_prefix('+').unwrap_or(text);
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(digits) = unsigned.strip_prefix(prefix) {
                if digits.starts_with(['+', '-']) {
                    return None;
                }
                if let Ok(int) = from_str_radix(digits, radix) {
                    return Some(int);
                }
            }
        }
        if unsigned.starts_with(['+', '-']) || digits_but_not_number(text) {
            return None;
        }
        from_str_radix(unsigned, 10).ok()
    }

    /// A negative integer in decimal, `-0x`, `-0o` or `-0b` form.
    fn negative_int<T>(text: &str, from_str_radix: FromStrRadix<T>) -> Option<T> {
        for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
            if let Some(digits) = text.strip_prefix(prefix)
                && let Ok(int) = from_str_radix(&format!("-{digits}"), radix)
            {
                return Some(int);
            }
        }
        if digits_but_not_number(text) {
            return None;
        }
        from_str_radix(text, 10).ok()
    }

    /// A leading zero before more digits makes a string in YAML 1.2, not a number.
    fn digits_but_not_number(text: &str) -> bool {
        let text = text.strip_prefix(['-', '+']).unwrap_or(text);
        text.len() > 1 && text.starts_with('0') && text.bytes().skip(1).all(|b| b.is_ascii_digit())
    }

    /// A float as serde_yaml_ng reads one: Rust's float syntax (finite values) and YAML's
    /// `.inf`/`.nan` spellings.
    fn float(text: &str) -> Option<f64> {
        let unsigned = match text.strip_prefix('+') {
            Some(rest) if rest.starts_with(['+', '-']) => return None,
            Some(rest) => rest,
            None => text,
        };
        if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
            return Some(f64::INFINITY);
        }
        if matches!(text, "-.inf" | "-.Inf" | "-.INF") {
            return Some(f64::NEG_INFINITY);
        }
        if matches!(text, ".nan" | ".NaN" | ".NAN") {
            return Some(f64::NAN);
        }
        unsigned.parse::<f64>().ok().filter(|f| f.is_finite())
    }
}
