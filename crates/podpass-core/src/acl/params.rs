//! `required_parameters`, `denied_parameters` and `allowed_parameters`, checked the way Vault
//! checks a request body.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::names::lowercase_cow;

/// The first reason a request body fails the parameter constraints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParamFailure {
    RequiredMissing(String),
    AllDenied,
    Denied(String),
    NotAllowed(String),
    ValueNotAllowed(String),
}

pub(crate) struct Constraints<'p> {
    pub(crate) required: &'p [String],
    pub(crate) allowed: &'p BTreeMap<String, Vec<Value>>,
    pub(crate) denied: &'p BTreeMap<String, Vec<Value>>,
}

/// Checks a request body; `Ok` when it passes.
pub(crate) fn check(
    c: &Constraints<'_>,
    data: Option<&Map<String, Value>>,
) -> Result<(), ParamFailure> {
    let empty = Map::new();
    let data = data.unwrap_or(&empty);
    // Vault lowercases the policy's name but looks it up in the body as sent.
    for name in c.required {
        if !data.contains_key(&*lowercase_cow(name)) {
            return Err(ParamFailure::RequiredMissing(name.clone()));
        }
    }
    if data.is_empty() {
        return Ok(());
    }
    if !c.denied.is_empty() {
        if c.denied.contains_key("*") {
            return Err(ParamFailure::AllDenied);
        }
        for (name, value) in data {
            if let Some(list) = c.denied.get(&*lowercase_cow(name))
                && value_in_denied_list(value, list)
            {
                return Err(ParamFailure::Denied(name.clone()));
            }
        }
    }
    if c.allowed.is_empty() {
        return Ok(());
    }
    let allowed_all = c.allowed.contains_key("*");
    if allowed_all && c.allowed.len() == 1 {
        return Ok(());
    }
    for (name, value) in data {
        match c.allowed.get(&*lowercase_cow(name)) {
            None if !allowed_all => return Err(ParamFailure::NotAllowed(name.clone())),
            Some(list) if !value_in_allowed_list(value, list) => {
                return Err(ParamFailure::ValueNotAllowed(name.clone()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// An empty list allows any value; so does a list matching the value itself, every element of an
/// array value, or every item of a comma-separated string (Vault assumes such strings may be
/// comma-separated lists).
fn value_in_allowed_list(value: &Value, list: &[Value]) -> bool {
    if list.is_empty() || value_in_list(value, list) {
        return true;
    }
    match value {
        Value::Array(items) => items.iter().all(|v| value_in_list(v, list)),
        Value::String(s) => comma_items(s).all(|item| string_in_list(item, list)),
        _ => false,
    }
}

/// An empty list denies any value; otherwise the value, any element of an array value, or any
/// item of a comma-separated string that matches denies it.
fn value_in_denied_list(value: &Value, list: &[Value]) -> bool {
    if list.is_empty() || value_in_list(value, list) {
        return true;
    }
    match value {
        Value::Array(items) => items.iter().any(|v| value_in_list(v, list)),
        Value::String(s) => comma_items(s).any(|item| string_in_list(item, list)),
        _ => false,
    }
}

/// Vault splits on commas and trims blanks; an empty string is an empty list.
fn comma_items(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').filter(move |_| !s.is_empty()).map(str::trim)
}

fn string_in_list(s: &str, list: &[Value]) -> bool {
    list.iter()
        .any(|el| matches!(el, Value::String(pattern) if globbed_match(pattern, s)))
}

fn value_in_list(value: &Value, list: &[Value]) -> bool {
    list.iter().any(|el| match (el, value) {
        (Value::Null, _) | (_, Value::Null) => el.is_null() && value.is_null(),
        (Value::String(pattern), Value::String(s)) => globbed_match(pattern, s),
        (Value::String(_), _) => false,
        _ => vault_equal(el, value),
    })
}

/// Vault compares other values with Go's `reflect.DeepEqual` between the policy's decoded value
/// and the request's. Request bodies are decoded keeping numbers as `json.Number`, a type no
/// policy value has, so a number in a request never equals anything in a list: we keep that.
fn vault_equal(policy: &Value, request: &Value) -> bool {
    match (policy, request) {
        (_, Value::Number(_)) => false,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| vault_equal(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| vault_equal(v, w)))
        }
        _ => policy == request,
    }
}

/// A leading and/or trailing `*` in the pattern globs; a pattern shorter than two characters
/// (including a lone `*`) only matches itself.
pub(crate) fn globbed_match(pattern: &str, value: &str) -> bool {
    if pattern.len() < 2 {
        return pattern == value;
    }
    match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
        (Some(_), Some(_)) => value.contains(&pattern[1..pattern.len() - 1]),
        (Some(suffix), None) => value.ends_with(suffix),
        (None, Some(prefix)) => value.starts_with(prefix),
        (None, None) => pattern == value,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn globs() {
        assert!(globbed_match("foo*", "foobar"));
        assert!(globbed_match("*bar", "foobar"));
        assert!(globbed_match("*oba*", "foobar"));
        assert!(globbed_match("**", "anything"));
        assert!(!globbed_match("*", "anything"), "a lone * is literal");
        assert!(globbed_match("*", "*"));
        assert!(!globbed_match("fo*o", "foo"));
    }

    #[test]
    fn lists() {
        let list = vec![
            json!("a*"),
            json!(5),
            json!(null),
            json!(true),
            json!(["x"]),
        ];
        assert!(value_in_allowed_list(&json!("abc"), &list));
        assert!(
            !value_in_allowed_list(&json!(5), &list),
            "request numbers never match, as in Vault"
        );
        assert!(value_in_allowed_list(&json!(true), &list));
        assert!(value_in_allowed_list(&json!([["x"]]), &list));
        assert!(value_in_allowed_list(&json!(null), &list));
        assert!(value_in_allowed_list(&json!(["ab", "ac"]), &list));
        assert!(!value_in_allowed_list(&json!(["ab", "b"]), &list));
        assert!(value_in_allowed_list(&json!("ab, ac"), &list));
        assert!(
            value_in_allowed_list(&json!(""), &list),
            "an empty string is an empty list"
        );
        assert!(!value_in_allowed_list(&json!(false), &list));
        assert!(value_in_denied_list(&json!(["x", "ab"]), &list));
        assert!(value_in_denied_list(&json!("x,ab"), &list));
        assert!(!value_in_denied_list(&json!("x"), &list));
        assert!(value_in_denied_list(&json!("x"), &[]));
    }
}
