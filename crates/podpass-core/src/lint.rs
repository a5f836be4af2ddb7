//! Lint: the mistakes that make Vault answer `permission denied` (or, worse, say yes to the
//! wrong pod), found in a [`Configuration`] before it is deployed.
//!
//! Every rule has a stable id (see [`RULES`]) so tools can filter and count findings. The
//! checks are pure and deterministic: findings come out sorted by source, line, rule and
//! subject.
//!
//! ```
//! use podpass_core::configuration::{Configuration, Origin};
//! use podpass_core::lint::{lint, Severity};
//!
//! let mut config = Configuration::new();
//! config.put_policy(
//!     "grade-api",
//!     "path \"secret/grade-api/*\" {\n  capabilities = [\"read\"]\n}\n",
//!     Origin::new("grade-api.hcl", 1),
//! )?;
//! let findings = lint(&config);
//! let kv = findings.iter().find(|f| f.rule == "kv-v2-path").unwrap();
//! assert_eq!(kv.severity, Severity::Error);
//! assert_eq!(kv.origin.to_string(), "grade-api.hcl:1");
//! assert!(kv.hint.contains("secret/data/grade-api/*"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod policies;
mod reach;
mod roles;
mod token_review;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::configuration::{Configuration, Origin};
use crate::diagnostic::{Diagnostic, Location};
use crate::login::sanitize_policies;
use crate::role::Role;

pub use crate::diagnostic::Severity;

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Finding {
    /// The rule's stable id, e.g. `wildcard-namespace` (see [`RULES`]).
    pub rule: &'static str,
    /// How much it matters.
    pub severity: Severity,
    /// What is wrong, in one or two sentences.
    pub message: String,
    /// Where: the role's or the policy path's source and line (line 0 when unknown).
    pub origin: Origin,
    /// What the finding is about, e.g. `auth/kubernetes/role/any-ns` or
    /// `policy grade-api path secret/grade-api/*`.
    pub subject: String,
    /// How to fix it.
    pub hint: String,
}

impl Finding {
    /// The finding as a diagnostic: its rule id is the code, its hint the help, and it points
    /// at the start of its origin's line (the column is not known; line 0 means no place).
    pub fn diagnostic(&self) -> Diagnostic {
        let diagnostic = Diagnostic::new(self.severity, self.rule, self.message.clone())
            .in_source(self.origin.source.clone())
            .with_help(self.hint.clone());
        if self.origin.line == 0 {
            diagnostic
        } else {
            diagnostic.at(Location::new(self.origin.line, 1))
        }
    }
}

/// A lint rule, for documentation and `--help` listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// The stable id.
    pub id: &'static str,
    /// Its usual severity (a few rules report a milder variant, noted in the summary).
    pub severity: Severity,
    /// What it checks.
    pub summary: &'static str,
}

/// Every rule, in the order they are documented.
pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "missing-config",
        severity: Severity::Error,
        summary: "a mount has roles but no config: every login fails with 500 \"could not load backend configuration\"",
    },
    RuleInfo {
        id: "cluster-wide-role",
        severity: Severity::Error,
        summary: "a role binds `*` names in `*` namespaces: every service account of the cluster can log in",
    },
    RuleInfo {
        id: "wildcard-namespace",
        severity: Severity::Warning,
        summary: "a role admits every namespace (`*`, or a selector matching all); a partial glob such as `team-*` is reported as info",
    },
    RuleInfo {
        id: "wildcard-name",
        severity: Severity::Warning,
        summary: "a role admits every service account name (`*`); a partial glob such as `*-sa` is reported as info",
    },
    RuleInfo {
        id: "ttl-unset",
        severity: Severity::Warning,
        summary: "a role sets no token_ttl, so tokens get the mount default (768h unless the mount is tuned)",
    },
    RuleInfo {
        id: "long-ttl",
        severity: Severity::Warning,
        summary: "tokens live longer than 1h (token_ttl or token_period)",
    },
    RuleInfo {
        id: "no-max-ttl",
        severity: Severity::Warning,
        summary: "a role sets no token_max_ttl: tokens can be renewed up to the mount maximum (768h), periodic ones forever",
    },
    RuleInfo {
        id: "no-audience",
        severity: Severity::Warning,
        summary: "a role sets no audience, so a token minted for any other service is accepted too",
    },
    RuleInfo {
        id: "yaml-selector-value",
        severity: Severity::Warning,
        summary: "a YAML namespace selector has a plain value Vault reads as another string (`yes` as `true`, `017` as `15`), so it selects other labels than written",
    },
    RuleInfo {
        id: "root-policy",
        severity: Severity::Error,
        summary: "a role lists the root policy: Vault refuses such logins (auth methods cannot create root tokens)",
    },
    RuleInfo {
        id: "missing-policy",
        severity: Severity::Error,
        summary: "a role names a policy the configuration does not define: Vault attaches the name silently and it grants nothing",
    },
    RuleInfo {
        id: "unmatchable-cidr",
        severity: Severity::Error,
        summary: "a token_bound_cidrs entry is not a CIDR (e.g. 10.0.0.0/33): Vault stores it as a socket path that never matches",
    },
    RuleInfo {
        id: "kv-v2-path",
        severity: Severity::Error,
        summary: "a policy path on a KV version 2 mount (secret/ by default) lacks data/ or metadata/, so it matches no KV request",
    },
    RuleInfo {
        id: "literal-star",
        severity: Severity::Error,
        summary: "a `*` that is not the last character of a policy path is a literal `*` in Vault, not a wildcard",
    },
    RuleInfo {
        id: "unused-policy",
        severity: Severity::Info,
        summary: "no role of the configuration attaches the policy",
    },
    RuleInfo {
        id: "privileged-path",
        severity: Severity::Warning,
        summary: "a role's policies grant create, update, patch, delete or sudo on sys/ or auth/ paths",
    },
    RuleInfo {
        id: "token-review-disabled",
        severity: Severity::Warning,
        summary: "a mount sets disable_token_review: the token of a deleted pod keeps logging in until it expires (Vault asks TokenReview at each login)",
    },
    RuleInfo {
        id: "cross-namespace-reach",
        severity: Severity::Warning,
        summary: "roles bound to different namespaces reach the same secret paths (the tutorial's exercise 3, as a check)",
    },
];

/// What the checks assume about the Vault the configuration is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintOptions {
    /// Mount paths of KV version 2 secrets engines, without slashes. `secret` by default, as
    /// `vault server -dev` mounts it.
    pub kv_v2_mounts: Vec<String>,
    /// TTLs above this many seconds are reported (`long-ttl`, `ttl-unset`). 3600 by default.
    pub long_ttl_seconds: i64,
}

impl Default for LintOptions {
    fn default() -> Self {
        LintOptions {
            kv_v2_mounts: vec!["secret".to_string()],
            long_ttl_seconds: 3600,
        }
    }
}

/// Lints with the default options ([`LintOptions::default`]).
pub fn lint(config: &Configuration) -> Vec<Finding> {
    lint_with(config, &LintOptions::default())
}

/// Lints with explicit options.
pub fn lint_with(config: &Configuration, options: &LintOptions) -> Vec<Finding> {
    let context = Context::new(config);
    let mut findings = Vec::new();
    roles::check(&context, options, &mut findings);
    policies::check(&context, options, &mut findings);
    reach::check(&context, &mut findings);
    token_review::check(&context, &mut findings);
    sort(&mut findings);
    findings
}

/// Sorts findings into their reporting order: source, line, rule, subject.
pub fn sort(findings: &mut [Finding]) {
    crate::order::sort_by(findings, |a, b| {
        (
            &a.origin.source,
            a.origin.line,
            a.rule,
            &a.subject,
            &a.message,
        )
            .cmp(&(
                &b.origin.source,
                b.origin.line,
                b.rule,
                &b.subject,
                &b.message,
            ))
    });
}

/// One role with what the checks keep asking about it.
pub(crate) struct RoleRef<'a> {
    pub(crate) mount: &'a str,
    pub(crate) role: &'a Role,
    pub(crate) origin: Origin,
    /// The token policies a login gets (sanitised, `default` added unless disabled).
    pub(crate) policies: Vec<String>,
}

impl RoleRef<'_> {
    /// `auth/<mount>/role/<name>`.
    pub(crate) fn subject(&self) -> String {
        format!("auth/{}/role/{}", self.mount, self.role.name)
    }
}

/// The configuration, with roles flattened and the policy → roles index built once.
pub(crate) struct Context<'a> {
    pub(crate) config: &'a Configuration,
    pub(crate) roles: Vec<RoleRef<'a>>,
    /// Policy name → indexes into `roles` of the roles attaching it.
    pub(crate) users: BTreeMap<String, Vec<usize>>,
}

impl<'a> Context<'a> {
    fn new(config: &'a Configuration) -> Context<'a> {
        let mut roles = Vec::new();
        let mut users: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (mount_path, mount) in config.mounts() {
            for role in mount.roles().values() {
                let policies =
                    sanitize_policies(&role.token.policies, !role.token.no_default_policy);
                for name in &policies {
                    users.entry(name.clone()).or_default().push(roles.len());
                }
                roles.push(RoleRef {
                    mount: mount_path,
                    role,
                    origin: config
                        .role_origin(mount_path, &role.name)
                        .cloned()
                        .unwrap_or_default(),
                    policies,
                });
            }
        }
        Context {
            config,
            roles,
            users,
        }
    }

    /// `a, b and 3 more` for messages about many roles.
    pub(crate) fn role_names(&self, indexes: &[usize], limit: usize) -> String {
        let names: Vec<String> = indexes
            .iter()
            .map(|&i| {
                let r = &self.roles[i];
                if self.config.mounts().len() > 1 {
                    format!("{}/{}", r.mount, r.role.name)
                } else {
                    r.role.name.clone()
                }
            })
            .collect();
        join_limited(&names, limit)
    }
}

/// Joins at most `limit` items with `, ` and says how many were left out.
pub(crate) fn join_limited(items: &[String], limit: usize) -> String {
    if items.len() <= limit {
        return items.join(", ");
    }
    format!(
        "{} and {} more",
        items[..limit].join(", "),
        items.len() - limit
    )
}

/// Where a policy's path block is: the policy text starts at `origin.line` of
/// `origin.source` (1 when the policy is a file of its own) and `rule_line` counts within the
/// text ([`crate::policy::PathRule::line`], [`crate::acl::RuleSource::line`]).
pub fn policy_rule_origin(origin: &Origin, rule_line: u32) -> Origin {
    let line = if origin.line == 0 {
        rule_line
    } else {
        origin.line + rule_line.saturating_sub(1)
    };
    Origin {
        source: origin.source.clone(),
        line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_kebab_case() {
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        assert!(ids.iter().all(|id| {
            id.chars()
                .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
        }));
        crate::order::sort(&mut ids);
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
    }

    #[test]
    fn policy_lines_add_up() {
        let file = Origin::new("p.hcl", 1);
        assert_eq!(policy_rule_origin(&file, 4).line, 4);
        let inline = Origin::new("podpass.hcl", 10);
        assert_eq!(policy_rule_origin(&inline, 2).line, 11);
        let unknown = Origin::new("x", 0);
        assert_eq!(policy_rule_origin(&unknown, 3).line, 3);
    }

    #[test]
    fn long_lists_are_shortened() {
        let items: Vec<String> = (0..8).map(|i| format!("r{i}")).collect();
        assert_eq!(join_limited(&items[..2], 5), "r0, r1");
        assert_eq!(join_limited(&items, 3), "r0, r1, r2 and 5 more");
    }
}
