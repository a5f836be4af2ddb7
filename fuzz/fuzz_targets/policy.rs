//! Policies as `vault policy write` and the playground take them: HCL, or JSON when the text
//! starts with `{`. The input's first line is a path to ask about; the rest is the policy. A
//! parsed policy is compiled into an ACL and asked about the path for every operation, and the
//! text goes through `fmt`, whose output must parse to the same rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podpass_core::acl::{Acl, Operation, Request};
use podpass_core::policy::{PathRule, Policy, format_policy};

const OPERATIONS: [Operation; 6] = [
    Operation::Read,
    Operation::Create,
    Operation::Update,
    Operation::Delete,
    Operation::List,
    Operation::Patch,
];

/// A policy's rules with their line numbers cleared: `fmt` may move a block, never change it.
fn rules_without_lines(policy: &Policy) -> Vec<PathRule> {
    let mut rules = policy.paths().to_vec();
    for rule in &mut rules {
        rule.line = 0;
    }
    rules
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (path, text) = text.split_once('\n').unwrap_or(("secret/data/a", text));
    let parsed = Policy::parse("fuzzed", text);
    if let Ok(policy) = &parsed
        && let Ok(acl) = Acl::new([policy], None)
    {
        let _ = acl.capabilities(path);
        for operation in OPERATIONS {
            let decision = acl.authorize(&Request::new(operation, path));
            let _ = decision.reason();
        }
    }
    if let Ok(Some(formatted)) = format_policy(text) {
        let reformatted = Policy::parse("fuzzed", &formatted);
        match (&parsed, &reformatted) {
            (Ok(before), Ok(after)) => assert_eq!(
                rules_without_lines(before),
                rules_without_lines(after),
                "fmt changed the rules of a policy:\n{text}\n--- formatted ---\n{formatted}"
            ),
            (Ok(_), Err(error)) => {
                panic!(
                    "fmt made a valid policy invalid ({error}):\n{text}\n--- formatted ---\n{formatted}"
                )
            }
            _ => {}
        }
    }
});
