//! `bound_service_account_namespace_selector` as Vault reads it (YAML or JSON, the role write's
//! check and the login's), matched against labels. The input's first line is the labels as
//! `k=v,k=v`; the rest is the selector.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use podpass_core::selector::NamespaceSelector;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (labels, selector) = text.split_once('\n').unwrap_or(("", text));
    let labels: BTreeMap<String, String> = labels
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    for parsed in [
        NamespaceSelector::parse(selector),
        NamespaceSelector::parse_vault(selector),
    ] {
        if let Ok(parsed) = parsed {
            let _ = parsed.describe();
            let _ = parsed.validate_for_login();
            let _ = parsed.matches(&labels);
        }
    }
});
