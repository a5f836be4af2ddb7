//! Checks of policy paths: KV version 2 paths, misplaced globs, unused policies, and writes to
//! `sys/` and `auth/`.

use super::{Context, Finding, LintOptions, Severity, policy_rule_origin};
use crate::configuration::PolicyEntry;
use crate::policy::{Capabilities, Capability, DEFAULT_POLICY_NAME, PathRule, Policy};

/// The first path segments of KV version 2's API under its mount.
const KV_V2_ENDPOINTS: [&str; 8] = [
    "data",
    "metadata",
    "delete",
    "undelete",
    "destroy",
    "subkeys",
    "config",
    "detailed-metadata",
];

/// Capabilities that change Vault itself when granted on `sys/` or `auth/`.
const PRIVILEGED: [Capability; 5] = [
    Capability::Create,
    Capability::Update,
    Capability::Patch,
    Capability::Delete,
    Capability::Sudo,
];

pub(super) fn check(context: &Context<'_>, options: &LintOptions, out: &mut Vec<Finding>) {
    let builtin_default = Policy::default_policy();
    for (name, entry) in context.config.policies() {
        let users = context.users.get(name).map(Vec::as_slice).unwrap_or(&[]);
        if users.is_empty() && name != DEFAULT_POLICY_NAME {
            out.push(Finding {
                rule: "unused-policy",
                severity: Severity::Info,
                message: format!(
                    "policy {name} is attached by no role of this configuration (other auth methods or tokens may still use it)"
                ),
                origin: entry.origin.clone(),
                subject: format!("policy {name}"),
                hint: format!(
                    "attach it to a role (token_policies={name}) or delete it if nothing uses it"
                ),
            });
        }
        for rule in entry.policy.paths() {
            kv_v2(name, entry, rule, options, out);
            literal_star(name, entry, rule, out);
            if !users.is_empty() {
                privileged(context, name, entry, rule, users, &builtin_default, out);
            }
        }
    }
}

fn subject(name: &str, rule: &PathRule) -> String {
    format!("policy {name} path {}", rule.path)
}

/// The capabilities of a rule as HCL: `["read", "list"]`.
fn hcl_list(caps: Capabilities) -> String {
    let names: Vec<String> = caps.iter().map(|c| format!("\"{}\"", c.as_str())).collect();
    format!("[{}]", names.join(", "))
}

fn kv_v2(
    name: &str,
    entry: &PolicyEntry,
    rule: &PathRule,
    options: &LintOptions,
    out: &mut Vec<Finding>,
) {
    for mount in &options.kv_v2_mounts {
        let mount = mount.trim_matches('/');
        let Some(rest) = rule
            .path
            .strip_prefix(mount)
            .and_then(|r| r.strip_prefix('/'))
        else {
            continue;
        };
        let first = rest.split('/').next().unwrap_or_default();
        if rest.is_empty() || first == "+" || KV_V2_ENDPOINTS.contains(&first) {
            continue;
        }
        // `secret/d*` still reaches `secret/data/...`.
        if let Some(stem) = first.strip_suffix('*')
            && !rest.contains('/')
            && KV_V2_ENDPOINTS.iter().any(|e| e.starts_with(stem))
        {
            continue;
        }
        let caps = rule.capabilities;
        let data_caps: Capabilities = caps
            .iter()
            .filter(|c| *c != Capability::List)
            .collect::<Capabilities>();
        let mut suggestions = Vec::new();
        if caps.is_deny() {
            suggestions.push(format!(
                "path \"{mount}/data/{rest}\" {{ capabilities = [\"deny\"] }}"
            ));
            suggestions.push(format!(
                "path \"{mount}/metadata/{rest}\" {{ capabilities = [\"deny\"] }}"
            ));
        } else {
            if !data_caps.is_empty() {
                suggestions.push(format!(
                    "path \"{mount}/data/{rest}\" {{ capabilities = {} }}",
                    hcl_list(data_caps)
                ));
            }
            if caps.contains(Capability::List) {
                suggestions.push(format!(
                    "path \"{mount}/metadata/{rest}\" {{ capabilities = [\"list\"] }}"
                ));
            }
        }
        if suggestions.is_empty() {
            suggestions.push(format!("path \"{mount}/data/{rest}\""));
        }
        out.push(Finding {
            rule: "kv-v2-path",
            severity: Severity::Error,
            message: format!(
                "path \"{}\" is on the KV version 2 mount {mount}/, whose API paths are {mount}/data/... (read, write, delete) and {mount}/metadata/... (list): this rule matches no KV request, so `vault kv get {mount}/{rest}` is denied",
                rule.path
            ),
            origin: policy_rule_origin(&entry.origin, rule.line),
            subject: subject(name, rule),
            hint: format!(
                "write {} (if {mount}/ is KV version 1, lint with --kv1 {mount})",
                suggestions.join(" and ")
            ),
        });
    }
}

fn literal_star(name: &str, entry: &PolicyEntry, rule: &PathRule, out: &mut Vec<Finding>) {
    let path = &rule.path;
    let body = path.strip_suffix('*').unwrap_or(path);
    if !body.contains('*') {
        return;
    }
    let segments: Vec<&str> = body.split('/').collect();
    let whole_segments = segments
        .iter()
        .filter(|s| s.contains('*'))
        .all(|s| *s == "*");
    let hint = if whole_segments {
        let fixed: Vec<&str> = segments
            .iter()
            .map(|s| if *s == "*" { "+" } else { s })
            .collect();
        let tail = if path.ends_with('*') { "*" } else { "" };
        format!(
            "use `+` for one path segment: \"{}{tail}\"",
            fixed.join("/")
        )
    } else {
        "Vault has no glob inside a segment: use `+` for a whole segment, or end the path with `*`"
            .to_string()
    };
    out.push(Finding {
        rule: "literal-star",
        severity: Severity::Error,
        message: format!(
            "path \"{path}\" has a `*` before its end: Vault treats only a final `*` as a wildcard, so this rule matches only paths with a literal `*` in them"
        ),
        origin: policy_rule_origin(&entry.origin, rule.line),
        subject: subject(name, rule),
        hint,
    });
}

/// Whether a rule's paths include some under `area` (`sys/` or `auth/`): it starts there, or
/// it is a wildcard rule whose literal beginning leads there.
fn reaches(path: &str, area: &str) -> bool {
    if path.starts_with(area) {
        return true;
    }
    // The literal part before the first wildcard.
    let literal_end = path
        .split('/')
        .scan(0usize, |offset, segment| {
            let start = *offset;
            *offset += segment.len() + 1;
            Some((start, segment))
        })
        .find(|(_, segment)| *segment == "+")
        .map(|(start, _)| start);
    let star = path.ends_with('*').then(|| path.len() - 1);
    let Some(end) = [literal_end, star].into_iter().flatten().min() else {
        return false;
    };
    area.starts_with(&path[..end])
}

#[allow(clippy::too_many_arguments)]
fn privileged(
    context: &Context<'_>,
    name: &str,
    entry: &PolicyEntry,
    rule: &PathRule,
    users: &[usize],
    builtin_default: &Policy,
    out: &mut Vec<Finding>,
) {
    let caps = rule.capabilities;
    if caps.is_deny() {
        return;
    }
    let granted: Capabilities = PRIVILEGED
        .into_iter()
        .filter(|c| caps.contains(*c))
        .collect();
    if granted.is_empty() {
        return;
    }
    let Some(area) = ["sys/", "auth/"]
        .into_iter()
        .find(|area| reaches(&rule.path, area))
    else {
        return;
    };
    // What Vault's own default policy grants (renew-self, revoke-self, ...) is not a finding.
    let in_default = builtin_default
        .paths()
        .iter()
        .any(|d| d.path == rule.path && granted.iter().all(|c| d.capabilities.contains(c)));
    if in_default {
        return;
    }
    out.push(Finding {
        rule: "privileged-path",
        severity: Severity::Warning,
        message: format!(
            "policy {name} grants {granted} on \"{}\" (under {area}), and roles {} attach it: their pods can change Vault's own configuration",
            rule.path,
            context.role_names(users, 5)
        ),
        origin: policy_rule_origin(&entry.origin, rule.line),
        subject: subject(name, rule),
        hint: format!(
            "grant only read/list under {area} to workloads; keep configuration changes with operators"
        ),
    });
}

#[cfg(test)]
mod tests {
    use super::reaches;

    #[test]
    fn wildcards_reach_areas() {
        assert!(reaches("sys/mounts", "sys/"));
        assert!(reaches("*", "sys/"));
        assert!(reaches("s*", "sys/"));
        assert!(reaches("+/policy", "sys/"));
        assert!(reaches("auth/+/role/*", "auth/"));
        assert!(!reaches("secret/*", "sys/"));
        assert!(!reaches("secret/+/x", "auth/"));
        assert!(!reaches("system", "sys/"));
    }
}
