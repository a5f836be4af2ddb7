//! Checks of each role on its own: bindings, TTLs, audience, policies, CIDRs; and of mounts.

use super::{Context, Finding, LintOptions, RoleRef, Severity};
use crate::duration::format_duration;
use crate::policy::ROOT_POLICY_NAME;
use crate::selector::NamespaceSelector;
use crate::ttl::{SYSTEM_DEFAULT_LEASE_TTL, TtlRequest, calculate_ttl};

pub(super) fn check(context: &Context<'_>, options: &LintOptions, out: &mut Vec<Finding>) {
    for (path, mount) in context.config.mounts() {
        if mount.config().is_none() && !mount.roles().is_empty() {
            let origin = context
                .config
                .config_origin(path)
                .or_else(|| {
                    mount
                        .roles()
                        .keys()
                        .find_map(|name| context.config.role_origin(path, name))
                })
                .cloned()
                .unwrap_or_default();
            out.push(Finding {
                rule: "missing-config",
                severity: Severity::Error,
                message: format!(
                    "auth/{path}/ has {} role(s) but no config: every login fails with 500 \"could not load backend configuration\"",
                    mount.roles().len()
                ),
                origin,
                subject: format!("auth/{path}/config"),
                hint: format!(
                    "write auth/{path}/config with kubernetes_host (and pem_keys or kubernetes_ca_cert)"
                ),
            });
        }
    }
    for role in &context.roles {
        bindings(role, out);
        ttls(context, role, options, out);
        audience(role, out);
        policies(context, role, out);
        cidrs(role, out);
        selector_values(role, out);
    }
}

fn finding(
    role: &RoleRef<'_>,
    rule: &'static str,
    severity: Severity,
    message: String,
    hint: String,
) -> Finding {
    Finding {
        rule,
        severity,
        message,
        origin: role.origin.clone(),
        subject: role.subject(),
        hint,
    }
}

/// Whether the role admits every namespace: a first `*` in the list (Vault's rule), or a set
/// selector with no condition (it selects every namespace).
fn every_namespace(role: &RoleRef<'_>) -> bool {
    let r = role.role;
    r.admits_any_namespace_in_list()
        || (!r.bound_service_account_namespace_selector.trim().is_empty()
            && r.namespace_selector.as_ref().is_none_or(|s| s.is_empty()))
}

fn bindings(role: &RoleRef<'_>, out: &mut Vec<Finding>) {
    let r = role.role;
    let name = &r.name;
    let all_namespaces = every_namespace(role);
    let all_names = r.admits_any_service_account_name();
    if all_namespaces && all_names {
        out.push(finding(
            role,
            "cluster-wide-role",
            Severity::Error,
            format!(
                "role {name} admits every service account in every namespace: any pod of the cluster can log in and get its policies"
            ),
            "bind the role to the service accounts and namespaces that need it".to_string(),
        ));
        return;
    }
    let names = r.bound_service_account_names.join(", ");
    if all_namespaces {
        let how = if r.admits_any_namespace_in_list() {
            "bound_service_account_namespaces is \"*\"".to_string()
        } else {
            format!(
                "its namespace selector {:?} selects every namespace",
                r.bound_service_account_namespace_selector.trim()
            )
        };
        out.push(finding(
            role,
            "wildcard-namespace",
            Severity::Warning,
            format!(
                "role {name} admits [{names}] from every namespace ({how}): whoever can create a service account with that name in any namespace gets this role's policies"
            ),
            "list the namespaces (bound_service_account_namespaces=grade-api,analytics) or use a namespace selector with labels".to_string(),
        ));
    } else {
        let globs = globs(&r.bound_service_account_namespaces);
        if !globs.is_empty() {
            out.push(finding(
                role,
                "wildcard-namespace",
                Severity::Info,
                format!(
                    "role {name} admits namespaces matching {}: every new namespace that matches gets access",
                    globs.join(", ")
                ),
                "make sure only trusted teams can create namespaces with such names, or list them".to_string(),
            ));
        }
    }
    if all_names {
        let namespaces = if r.bound_service_account_namespaces.is_empty() {
            "the selected namespaces".to_string()
        } else {
            format!("[{}]", r.bound_service_account_namespaces.join(", "))
        };
        out.push(finding(
            role,
            "wildcard-name",
            Severity::Warning,
            format!(
                "role {name} admits every service account in {namespaces} (bound_service_account_names is \"*\"): any pod there, including the `default` service account, gets this role's policies"
            ),
            "list the service accounts that need the role (bound_service_account_names=grade-api-sa)".to_string(),
        ));
    } else {
        let globs = globs(&r.bound_service_account_names);
        if !globs.is_empty() {
            out.push(finding(
                role,
                "wildcard-name",
                Severity::Info,
                format!(
                    "role {name} admits service accounts matching {}: every new service account that matches gets access",
                    globs.join(", ")
                ),
                "list the service accounts, if their names are known".to_string(),
            ));
        }
    }
}

fn ttls(context: &Context<'_>, role: &RoleRef<'_>, options: &LintOptions, out: &mut Vec<Finding>) {
    let token = &role.role.token;
    let name = &role.role.name;
    let Some(mount) = context.config.mount(role.mount) else {
        return;
    };
    let mount_ttls = mount.ttls();
    let request = TtlRequest {
        backend_ttl: token.ttl,
        period: token.period,
        backend_max_ttl: token.max_ttl,
        explicit_max_ttl: token.explicit_max_ttl,
        ..TtlRequest::default()
    };
    // A role whose TTLs cannot be computed fails every login; the login trace says why.
    let Ok(outcome) = calculate_ttl(&request, mount_ttls) else {
        return;
    };
    let long = options.long_ttl_seconds;
    let limit = format_duration(long);
    let default_source = if mount_ttls.default_lease_ttl == SYSTEM_DEFAULT_LEASE_TTL {
        "Vault's system default"
    } else {
        "the mount's tuned default"
    };
    if token.period > 0 {
        if outcome.ttl > long {
            out.push(finding(
                role,
                "long-ttl",
                Severity::Warning,
                format!(
                    "role {name} issues periodic tokens with a period of {} (over {limit})",
                    format_duration(outcome.ttl)
                ),
                format!("lower token_period to {limit} or less; periodic tokens renew for that long each time"),
            ));
        }
    } else if token.ttl == 0 {
        if outcome.ttl > long {
            out.push(finding(
                role,
                "ttl-unset",
                Severity::Warning,
                format!(
                    "role {name} sets no token_ttl: tokens get the mount's default TTL of {} ({default_source})",
                    format_duration(outcome.ttl)
                ),
                format!("set token_ttl={limit} (or less)"),
            ));
        }
    } else if outcome.ttl > long {
        out.push(finding(
            role,
            "long-ttl",
            Severity::Warning,
            format!(
                "role {name} issues tokens that live {} (over {limit})",
                format_duration(outcome.ttl)
            ),
            format!("lower token_ttl to {limit} or less; clients renew or log in again"),
        ));
    }
    if token.max_ttl == 0 && token.explicit_max_ttl == 0 {
        let message = if token.period > 0 {
            format!(
                "role {name} sets neither token_max_ttl nor token_explicit_max_ttl: its periodic tokens can be renewed forever"
            )
        } else {
            format!(
                "role {name} sets no token_max_ttl: tokens can be renewed for up to {} (the mount's maximum)",
                format_duration(mount_ttls.max_lease_ttl)
            )
        };
        out.push(finding(
            role,
            "no-max-ttl",
            Severity::Warning,
            message,
            "set token_max_ttl (e.g. token_max_ttl=24h) so a leaked token stops working"
                .to_string(),
        ));
    }
}

fn audience(role: &RoleRef<'_>, out: &mut Vec<Finding>) {
    if role.role.audience.is_empty() {
        let name = &role.role.name;
        out.push(finding(
            role,
            "no-audience",
            Severity::Warning,
            format!(
                "role {name} sets no audience: a service-account token minted for any other service (and replayed to Vault) is accepted too"
            ),
            "set audience=vault on the role and request that audience in the pod's projected token".to_string(),
        ));
    }
}

fn policies(context: &Context<'_>, role: &RoleRef<'_>, out: &mut Vec<Finding>) {
    let name = &role.role.name;
    if role.policies.iter().any(|p| p == ROOT_POLICY_NAME) {
        out.push(finding(
            role,
            "root-policy",
            Severity::Error,
            format!(
                "role {name} lists the root policy: Vault refuses the login (\"auth methods cannot create root tokens\")"
            ),
            "write a policy with the paths the workload needs and attach it instead".to_string(),
        ));
    }
    for missing in context.config.missing_policies(&role.policies) {
        let known: Vec<&str> = context
            .config
            .policies()
            .keys()
            .map(String::as_str)
            .collect();
        let suggestion = closest(missing, &known)
            .map(|s| format!("did you mean `{s}`? "))
            .unwrap_or_default();
        out.push(finding(
            role,
            "missing-policy",
            Severity::Error,
            format!(
                "role {name} attaches policy `{missing}`, which is not defined: Vault attaches the name anyway and it grants nothing"
            ),
            format!("{suggestion}write the policy (vault policy write {missing} {missing}.hcl) or fix the name"),
        ));
    }
}

fn cidrs(role: &RoleRef<'_>, out: &mut Vec<Finding>) {
    for entry in role.role.token.bound_cidrs.non_ip_entries() {
        out.push(finding(
            role,
            "unmatchable-cidr",
            Severity::Error,
            format!(
                "role {} has token_bound_cidrs entry {entry:?}, which is not a CIDR: Vault keeps it as a UNIX socket path, so it never matches a network caller",
                role.role.name
            ),
            "write a valid CIDR such as 10.0.0.0/8".to_string(),
        ));
    }
}

/// Plain YAML values of the namespace selector that Vault reads as other strings (YAML 1.1's
/// types): `team: yes` selects namespaces labelled `team=true`, and nothing says so.
fn selector_values(role: &RoleRef<'_>, out: &mut Vec<Finding>) {
    let retyped =
        NamespaceSelector::retyped_scalars(&role.role.bound_service_account_namespace_selector);
    if retyped.is_empty() {
        return;
    }
    let described: Vec<String> = retyped
        .iter()
        .map(|r| format!("`{}` is read as {:?}", r.written, r.read_as))
        .collect();
    let first = &retyped[0].written;
    out.push(finding(
        role,
        "yaml-selector-value",
        Severity::Warning,
        format!(
            "role {}'s namespace selector is YAML, whose plain values Vault reads with YAML 1.1's types: {}",
            role.role.name,
            described.join(", ")
        ),
        format!("quote the values meant as written (`\"{first}\"`), or write the selector as JSON"),
    ));
}

/// The known name closest to a misspelt one (at most two edits away).
fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The bound values that are globs (a `*` somewhere in them).
fn globs(bound: &[String]) -> Vec<&str> {
    bound
        .iter()
        .filter(|n| n.contains('*'))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_finds_typos() {
        assert_eq!(edit_distance("grade-apii", "grade-api"), 1);
        assert_eq!(
            closest("grade-ap", &["grade-api", "payment-api"]),
            Some("grade-api")
        );
        assert_eq!(closest("zzz", &["grade-api"]), None);
    }
}
