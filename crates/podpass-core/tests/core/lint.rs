//! Lint rules: each one on a small configuration, and the tutorial scenario's expected findings.

use crate::support;

use podpass_core::configuration::{Configuration, Origin};
use podpass_core::lint::{Finding, LintOptions, RULES, Severity, lint, lint_with};
use podpass_core::role::Role;
use podpass_core::ttl::MountTtls;
use serde_json::json;

/// The tutorial scenario as a configuration, with the origins an import would record.
fn tutorial() -> Configuration {
    let dir = support::fixtures().join("tutorial");
    let mut config = Configuration::new();
    let mount = support::tutorial_mount();
    let roles: Vec<String> = mount.roles().keys().cloned().collect();
    config.insert_mount(mount);
    config.set_config_origin("kubernetes", Origin::new("config.json", 1));
    for role in roles {
        config.set_role_origin(
            "kubernetes",
            &role,
            Origin::new(&format!("roles/{role}.json"), 1),
        );
    }
    for name in ["grade-api", "payment-api", "shared-reader"] {
        let path = dir.join("policies").join(format!("{name}.hcl"));
        config
            .put_policy(
                name,
                &support::read(&path),
                Origin::new(&format!("policies/{name}.hcl"), 1),
            )
            .expect("tutorial policy parses");
    }
    config
}

/// A configuration with a configured mount and the given roles (name, API body) and policies.
fn config_with(roles: &[(&str, serde_json::Value)], policies: &[(&str, &str)]) -> Configuration {
    let mut config = Configuration::new();
    let mount = config.enable_kubernetes("kubernetes");
    mount
        .write_config(&support::body(json!({
            "kubernetes_host": "https://k8s:443",
            "pem_keys": [support::key_pem("rsa-2048.pub.pem")],
        })))
        .expect("config");
    for (name, body) in roles {
        let written = Role::write(
            name,
            &support::body(body.clone()),
            None,
            &MountTtls::default(),
        )
        .unwrap_or_else(|e| panic!("role {name}: {e}"));
        mount.put_role(written.role);
    }
    for (i, (name, _)) in roles.iter().enumerate() {
        config.set_role_origin(
            "kubernetes",
            name,
            Origin::new("podpass.hcl", 10 * (i as u32 + 1)),
        );
    }
    for (name, text) in policies {
        config
            .put_policy(name, text, Origin::new(&format!("{name}.hcl"), 1))
            .expect("policy parses");
    }
    config
}

/// A tidy role: one name, one namespace, audience, 1h TTL, 24h max.
fn tidy(namespace: &str, policies: &str) -> serde_json::Value {
    json!({
        "bound_service_account_names": format!("{namespace}-sa"),
        "bound_service_account_namespaces": namespace,
        "audience": "vault",
        "token_policies": policies,
        "token_ttl": "1h",
        "token_max_ttl": "24h",
    })
}

fn of<'a>(findings: &'a [Finding], rule: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.rule == rule).collect()
}

fn summary(findings: &[Finding]) -> Vec<(String, &'static str, Severity)> {
    findings
        .iter()
        .map(|f| (f.subject.clone(), f.rule, f.severity))
        .collect()
}

#[test]
fn the_tutorial_gets_the_expected_findings() {
    let findings = lint(&tutorial());
    for f in &findings {
        println!(
            "{}: {}[{}] {} — {}",
            f.origin, f.severity, f.rule, f.message, f.hint
        );
    }
    let any_ns = of(&findings, "wildcard-namespace");
    assert_eq!(any_ns.len(), 1);
    assert_eq!(any_ns[0].subject, "auth/kubernetes/role/any-ns");
    assert_eq!(any_ns[0].severity, Severity::Warning);
    assert_eq!(any_ns[0].origin.to_string(), "roles/any-ns.json:1");
    assert!(any_ns[0].message.contains("vault-reader"));

    let wide = of(&findings, "wildcard-name");
    assert_eq!(wide.len(), 1);
    assert_eq!(wide[0].subject, "auth/kubernetes/role/namespace-wide");
    assert!(wide[0].message.contains("[grade-api]"));

    // No role sets an audience or a max TTL; every TTL is 1h or less.
    assert_eq!(of(&findings, "no-audience").len(), 5);
    assert_eq!(of(&findings, "no-max-ttl").len(), 5);
    assert!(of(&findings, "long-ttl").is_empty());
    assert!(of(&findings, "ttl-unset").is_empty());

    // Exercise 3 holds (grade-api and payment-api share nothing), but every namespace reaches
    // shared-reader's secrets through any-ns.
    let reach = of(&findings, "cross-namespace-reach");
    assert_eq!(reach.len(), 1, "{reach:#?}");
    assert_eq!(reach[0].subject, "roles any-ns, shared-reader");
    assert!(reach[0].message.contains("secret/data/shared/*"));
    assert!(reach[0].message.contains("any-ns (namespaces *)"));
    assert_eq!(reach[0].origin.to_string(), "policies/shared-reader.hcl:2");

    // Nothing is an error: the tutorial works.
    assert!(findings.iter().all(|f| f.severity != Severity::Error));
    assert_eq!(findings.len(), 13);
}

#[test]
fn findings_are_sorted_and_deterministic() {
    let a = lint(&tutorial());
    let b = lint(&tutorial());
    assert_eq!(a, b);
    let keys: Vec<_> = a
        .iter()
        .map(|f| (f.origin.source.clone(), f.origin.line, f.rule))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn a_tidy_configuration_is_clean() {
    let config = config_with(
        &[
            ("grade-api", tidy("grade-api", "grade-api")),
            ("payment-api", tidy("payment", "payment-api")),
        ],
        &[
            (
                "grade-api",
                "path \"secret/data/grade-api/*\" {\n  capabilities = [\"read\"]\n}\n",
            ),
            (
                "payment-api",
                "path \"secret/data/payment/*\" {\n  capabilities = [\"read\"]\n}\n",
            ),
        ],
    );
    assert_eq!(lint(&config), Vec::<Finding>::new());
}

#[test]
fn cluster_wide_roles_are_errors() {
    let mut body = tidy("x", "p");
    body["bound_service_account_names"] = json!("*");
    body["bound_service_account_namespaces"] = json!("*");
    let config = config_with(
        &[("everyone", body)],
        &[(
            "p",
            "path \"secret/data/p/*\" {\n  capabilities = [\"read\"]\n}\n",
        )],
    );
    let findings = lint(&config);
    assert_eq!(
        summary(&findings),
        [(
            "auth/kubernetes/role/everyone".to_string(),
            "cluster-wide-role",
            Severity::Error
        )]
    );
    assert_eq!(findings[0].origin.to_string(), "podpass.hcl:10");
}

#[test]
fn partial_globs_and_selectors() {
    let mut globs = tidy("x", "p");
    globs["bound_service_account_names"] = json!("*-sa");
    globs["bound_service_account_namespaces"] = json!("team-*");
    let mut selector = tidy("x", "p");
    selector["bound_service_account_namespaces"] = json!([]);
    selector["bound_service_account_namespace_selector"] = json!("{}");
    let config = config_with(
        &[("globs", globs), ("selector", selector)],
        &[(
            "p",
            "path \"secret/data/p/*\" {\n  capabilities = [\"read\"]\n}\n",
        )],
    );
    let findings = lint(&config);
    let got: Vec<_> = summary(&findings)
        .into_iter()
        .filter(|(_, rule, _)| rule.starts_with("wildcard"))
        .collect();
    assert_eq!(
        got,
        [
            (
                "auth/kubernetes/role/globs".to_string(),
                "wildcard-name",
                Severity::Info
            ),
            (
                "auth/kubernetes/role/globs".to_string(),
                "wildcard-namespace",
                Severity::Info
            ),
            (
                "auth/kubernetes/role/selector".to_string(),
                "wildcard-namespace",
                Severity::Warning
            ),
        ]
    );
    assert!(
        of(&findings, "wildcard-namespace")[1]
            .message
            .contains("selects every namespace")
    );
}

#[test]
fn ttl_rules() {
    let mut unset = tidy("a", "p");
    unset.as_object_mut().unwrap().remove("token_ttl");
    unset.as_object_mut().unwrap().remove("token_max_ttl");
    let mut long = tidy("b", "p");
    long["token_ttl"] = json!("2h");
    let mut periodic = tidy("c", "p");
    periodic["token_period"] = json!("4h");
    periodic.as_object_mut().unwrap().remove("token_max_ttl");
    let mut capped = tidy("d", "p");
    capped.as_object_mut().unwrap().remove("token_ttl");
    capped["token_max_ttl"] = json!("30m");
    let config = config_with(
        &[
            ("unset", unset),
            ("long", long),
            ("periodic", periodic),
            ("capped", capped),
            ("hour", tidy("e", "p")),
        ],
        &[(
            "p",
            "path \"secret/data/p/*\" {\n  capabilities = [\"read\"]\n}\n",
        )],
    );
    let findings = lint(&config);
    let ttl: Vec<_> = summary(&findings)
        .into_iter()
        .filter(|(_, rule, _)| rule.contains("ttl"))
        .collect();
    assert_eq!(
        ttl,
        [
            (
                "auth/kubernetes/role/unset".to_string(),
                "no-max-ttl",
                Severity::Warning
            ),
            (
                "auth/kubernetes/role/unset".to_string(),
                "ttl-unset",
                Severity::Warning
            ),
            (
                "auth/kubernetes/role/long".to_string(),
                "long-ttl",
                Severity::Warning
            ),
            (
                "auth/kubernetes/role/periodic".to_string(),
                "long-ttl",
                Severity::Warning
            ),
            (
                "auth/kubernetes/role/periodic".to_string(),
                "no-max-ttl",
                Severity::Warning
            ),
        ]
    );
    let unset = &of(&findings, "ttl-unset")[0];
    assert!(unset.message.contains("768h"), "{}", unset.message);
    assert!(unset.message.contains("Vault's system default"));
    let no_max = of(&findings, "no-max-ttl");
    assert!(
        no_max[0].message.contains("renewed for up to 768h"),
        "{}",
        no_max[0].message
    );
    assert!(no_max[1].message.contains("renewed forever"));

    // A stricter limit, through the options.
    let strict = LintOptions {
        long_ttl_seconds: 1800,
        ..LintOptions::default()
    };
    assert_eq!(of(&lint_with(&config, &strict), "long-ttl").len(), 3);
}

#[test]
fn a_tuned_mount_default_is_named() {
    let mut body = tidy("a", "p");
    body.as_object_mut().unwrap().remove("token_ttl");
    let mut config = config_with(
        &[("r", body)],
        &[(
            "p",
            "path \"secret/data/p/*\" {\n  capabilities = [\"read\"]\n}\n",
        )],
    );
    config.mount_mut("kubernetes").unwrap().set_ttls(MountTtls {
        default_lease_ttl: 8 * 3600,
        max_lease_ttl: 48 * 3600,
    });
    let findings = lint(&config);
    // token_max_ttl=24h caps the 8h default? No: 8h < 24h, so tokens live 8h.
    let unset = of(&findings, "ttl-unset");
    assert_eq!(unset.len(), 1);
    assert!(
        unset[0].message.contains("8h (the mount's tuned default)"),
        "{}",
        unset[0].message
    );
}

#[test]
fn audience_and_cidrs() {
    let mut body = tidy("a", "p");
    body.as_object_mut().unwrap().remove("audience");
    body["token_bound_cidrs"] = json!(["10.0.0.0/8", "10.0.0.0/33"]);
    let config = config_with(
        &[("r", body)],
        &[(
            "p",
            "path \"secret/data/p/*\" {\n  capabilities = [\"read\"]\n}\n",
        )],
    );
    let findings = lint(&config);
    assert_eq!(of(&findings, "no-audience").len(), 1);
    let cidr = of(&findings, "unmatchable-cidr");
    assert_eq!(cidr.len(), 1);
    assert!(cidr[0].message.contains("10.0.0.0/33"));
    assert_eq!(cidr[0].severity, Severity::Error);
}

#[test]
fn yaml_selector_values_vault_reads_as_other_strings() {
    let selector = |text: &str| {
        json!({
            "bound_service_account_names": "app-sa",
            "bound_service_account_namespace_selector": text,
            "audience": "vault",
            "token_policies": "p",
        })
    };
    let config = config_with(
        &[
            (
                "retyped",
                selector("matchLabels:\n  team: yes\n  tier: \"017\"\n  size: 1_000\n  n: 5\n"),
            ),
            (
                "quoted",
                selector("matchLabels:\n  team: 'yes'\n  tier: 15\n"),
            ),
            ("json", selector("{\"matchLabels\": {\"team\": \"yes\"}}")),
        ],
        &[(
            "p",
            "path \"secret/data/p/*\" {\n  capabilities = [\"read\"]\n}\n",
        )],
    );
    let findings = lint(&config);
    let retyped = of(&findings, "yaml-selector-value");
    assert_eq!(retyped.len(), 1, "{retyped:#?}");
    assert_eq!(retyped[0].subject, "auth/kubernetes/role/retyped");
    assert_eq!(retyped[0].severity, Severity::Warning);
    assert!(
        retyped[0].message.ends_with(
            "`yes` is read as \"true\", `1_000` is read as \"1000\", `n` is read as \"false\""
        ),
        "{}",
        retyped[0].message
    );
    assert!(retyped[0].hint.contains("`\"yes\"`"), "{}", retyped[0].hint);
}

#[test]
fn missing_and_root_policies_and_unused_ones() {
    let config = config_with(
        &[("r", tidy("a", "grade-apii")), ("s", tidy("s", "root"))],
        &[
            (
                "grade-api",
                "path \"secret/data/g/*\" {\n  capabilities = [\"read\"]\n}\n",
            ),
            (
                "unused",
                "path \"secret/data/u/*\" {\n  capabilities = [\"read\"]\n}\n",
            ),
        ],
    );
    let findings = lint(&config);
    let missing = of(&findings, "missing-policy");
    assert_eq!(missing.len(), 1);
    assert!(missing[0].message.contains("`grade-apii`"));
    assert!(
        missing[0].hint.starts_with("did you mean `grade-api`?"),
        "{}",
        missing[0].hint
    );
    assert_eq!(of(&findings, "root-policy").len(), 1);
    let unused: Vec<&str> = of(&findings, "unused-policy")
        .iter()
        .map(|f| f.subject.as_str())
        .collect();
    assert_eq!(unused, ["policy grade-api", "policy unused"]);
    assert_eq!(of(&findings, "unused-policy")[0].severity, Severity::Info);
}

#[test]
fn kv_version_1_paths_on_a_version_2_mount() {
    let text = "# KV v1 habits\npath \"secret/grade-api/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n\npath \"secret/data/ok/*\" {\n  capabilities = [\"read\"]\n}\n\npath \"secret/*\" {\n  capabilities = [\"list\"]\n}\n\npath \"secret/+/x\" {\n  capabilities = [\"read\"]\n}\n\npath \"kv/app/*\" {\n  capabilities = [\"update\"]\n}\n";
    let config = config_with(&[("r", tidy("a", "p"))], &[("p", text)]);
    let findings = lint(&config);
    let kv = of(&findings, "kv-v2-path");
    assert_eq!(kv.len(), 1, "{kv:#?}");
    assert_eq!(kv[0].subject, "policy p path secret/grade-api/*");
    assert_eq!(kv[0].origin.to_string(), "p.hcl:2");
    assert!(
        kv[0]
            .hint
            .contains(r#"path "secret/data/grade-api/*" { capabilities = ["read"] }"#),
        "{}",
        kv[0].hint
    );
    assert!(
        kv[0]
            .hint
            .contains(r#"path "secret/metadata/grade-api/*" { capabilities = ["list"] }"#)
    );

    // Another KV v2 mount, and secret/ declared version 1.
    let options = LintOptions {
        kv_v2_mounts: vec!["kv".into()],
        ..LintOptions::default()
    };
    let kv = lint_with(&config, &options);
    let kv = of(&kv, "kv-v2-path");
    assert_eq!(kv.len(), 1);
    assert_eq!(kv[0].subject, "policy p path kv/app/*");
    assert!(
        kv[0]
            .hint
            .contains(r#"path "kv/data/app/*" { capabilities = ["update"] }"#)
    );
}

#[test]
fn a_star_before_the_end_is_literal() {
    let text = "path \"secret/data/*/config\" {\n  capabilities = [\"read\"]\n}\npath \"secret/data/app-*-db\" {\n  capabilities = [\"read\"]\n}\npath \"secret/data/app*\" {\n  capabilities = [\"read\"]\n}\n";
    let config = config_with(&[("r", tidy("a", "p"))], &[("p", text)]);
    let findings = lint(&config);
    let stars = of(&findings, "literal-star");
    assert_eq!(stars.len(), 2);
    assert_eq!(stars[0].origin.line, 1);
    assert!(
        stars[0].hint.contains("\"secret/data/+/config\""),
        "{}",
        stars[0].hint
    );
    assert_eq!(stars[1].origin.line, 4);
    assert!(stars[1].hint.contains("no glob inside a segment"));
}

#[test]
fn writes_to_sys_and_auth() {
    let text = "path \"sys/policies/acl/*\" {\n  capabilities = [\"create\", \"update\"]\n}\npath \"sys/mounts\" {\n  capabilities = [\"read\"]\n}\npath \"auth/token/renew-self\" {\n  capabilities = [\"update\"]\n}\npath \"+/audit\" {\n  capabilities = [\"sudo\", \"read\"]\n}\n";
    let config = config_with(&[("ops", tidy("ops", "ops"))], &[("ops", text)]);
    let findings = lint(&config);
    let privileged = of(&findings, "privileged-path");
    let subjects: Vec<&str> = privileged.iter().map(|f| f.subject.as_str()).collect();
    // Reading sys/mounts is fine; renew-self is what the default policy grants anyway.
    assert_eq!(
        subjects,
        [
            "policy ops path sys/policies/acl/*",
            "policy ops path +/audit"
        ]
    );
    assert!(privileged[0].message.contains("[create update]"));
    assert!(privileged[0].message.contains("roles ops attach it"));
}

#[test]
fn roles_on_one_namespace_share_freely_and_crossing_ones_are_reported() {
    let shared = "path \"secret/data/shared/*\" {\n  capabilities = [\"read\"]\n}\n";
    let team_a = "path \"secret/data/a/*\" {\n  capabilities = [\"read\"]\n}\n";
    // Team b reads all of secret/data/: a broad prefix rule that covers team a's secrets.
    let team_b = "path \"secret/data/*\" {\n  capabilities = [\"read\", \"list\"]\n}\npath \"secret/data/a/*\" {\n  capabilities = [\"deny\"]\n}\n";
    let team_c = "path \"secret/data/a/db\" {\n  capabilities = [\"read\"]\n}\n";
    let config = config_with(
        &[
            ("a1", tidy("a", "a,shared")),
            ("a2", tidy("a", "a")),
            ("b", tidy("b", "b")),
            ("c", tidy("c", "c")),
        ],
        &[
            ("shared", shared),
            ("a", team_a),
            ("b", team_b),
            ("c", team_c),
        ],
    );
    let findings = lint(&config);
    let reach = of(&findings, "cross-namespace-reach");
    let subjects: Vec<&str> = reach.iter().map(|f| f.subject.as_str()).collect();
    // a1 and a2 share a's paths within namespace a: fine. c's exact rule reaches a/db, one of
    // a's secrets. b's broad rule is overridden by its own deny on a/*, so b reaches none of
    // a's secrets, but its secret/data/* reaches a1's shared/ ones.
    assert_eq!(subjects, ["roles a1, a2, c", "roles a1, b"], "{reach:#?}");
    assert!(reach[0].message.contains("secret/data/a/db"));
    assert!(reach[1].message.contains("secret/data/shared/*"));
}

#[test]
fn a_mount_without_config_fails_every_login() {
    let mut config = Configuration::new();
    let mount = config.enable_kubernetes("k8s");
    let role = Role::write(
        "r",
        &support::body(tidy("a", "default")),
        None,
        &MountTtls::default(),
    )
    .expect("role")
    .role;
    mount.put_role(role);
    let findings = lint(&config);
    let missing = of(&findings, "missing-config");
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].subject, "auth/k8s/config");
}

#[test]
fn every_documented_rule_is_exercised() {
    // Each rule id in RULES appears in at least one of the configurations above: keep the
    // list and the checks in step.
    let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 18);
    let docs =
        std::fs::read_to_string(support::fixtures().join("../../docs/cli.md")).unwrap_or_default();
    for id in ids {
        assert!(
            docs.is_empty() || docs.contains(id),
            "docs/cli.md does not mention {id}"
        );
    }
}

#[test]
fn the_same_namespace_on_two_clusters_is_two_namespaces() {
    let mut config = config_with(
        &[("app", tidy("apps", "app"))],
        &[(
            "app",
            "path \"secret/data/app/*\" {\n  capabilities = [\"read\"]\n}\n",
        )],
    );
    let other = config.enable_kubernetes("k8s-dev");
    other
        .write_config(&support::body(
            json!({"kubernetes_host": "https://dev:443"}),
        ))
        .unwrap();
    other.put_role(
        Role::write(
            "app",
            &support::body(tidy("apps", "app")),
            None,
            &MountTtls::default(),
        )
        .unwrap()
        .role,
    );
    let findings = lint(&config);
    let reach = of(&findings, "cross-namespace-reach");
    assert_eq!(reach.len(), 1);
    assert_eq!(reach[0].subject, "roles k8s-dev/app, kubernetes/app");
}

#[test]
fn a_deny_in_another_policy_of_the_same_role_still_decides() {
    // Role b's tokens hold both policies: the deny in `no-a` beats the broad read in `all`, as
    // it would in the token's ACL, even though `no-a` grants nothing itself.
    let all = "path \"secret/data/*\" {\n  capabilities = [\"read\"]\n}\n";
    let no_a = "path \"secret/data/a/*\" {\n  capabilities = [\"deny\"]\n}\n";
    let a = "path \"secret/data/a/*\" {\n  capabilities = [\"read\"]\n}\n";
    let config = config_with(
        &[("a", tidy("a", "a")), ("b", tidy("b", "all,no-a"))],
        &[("a", a), ("all", all), ("no-a", no_a)],
    );
    assert!(of(&lint(&config), "cross-namespace-reach").is_empty());
    // Without the deny, b reaches a's secrets.
    let config = config_with(
        &[("a", tidy("a", "a")), ("b", tidy("b", "all"))],
        &[("a", a), ("all", all), ("no-a", no_a)],
    );
    let findings = lint(&config);
    let reach = of(&findings, "cross-namespace-reach");
    assert_eq!(reach.len(), 1, "{reach:#?}");
    assert_eq!(reach[0].subject, "roles a, b");
}

#[test]
fn a_very_long_policy_path_is_still_reported() {
    let config = support::hostile::long_path(100_000);
    let findings = lint(&config);
    let reach = of(&findings, "cross-namespace-reach");
    assert_eq!(reach.len(), 1, "{}", findings.len());
    assert_eq!(reach[0].subject, "roles one, two");
    assert!(reach[0].message.contains(&"a".repeat(100_000)));
}

#[test]
fn many_roles_sharing_one_large_policy_make_one_finding() {
    let roles = 300;
    let config = support::hostile::shared_policy(roles);
    let findings = lint(&config);
    let reach = of(&findings, "cross-namespace-reach");
    // Every role reaches every shared item; each team's own secrets stay its own.
    assert_eq!(reach.len(), 1, "{reach:#?}");
    assert!(reach[0].subject.starts_with("roles team-0, team-1, "));
    assert!(
        reach[0].message.contains("secret/data/shared/item-0 "),
        "{}",
        reach[0].message
    );
    assert!(!reach[0].message.contains("secret/data/team-"));
}
