//! The configuration in its three forms (Vault commands, podpass.hcl, Vault API JSON): the
//! tutorial read from each gives the same configuration and the same logins, origins point at
//! the defining lines, and every export imports back to an equal configuration.

use crate::support;

use std::path::{Path, PathBuf};

use podpass_core::configuration::{Configuration, FileSource, Imported, NoFiles, SourceFormat};
use podpass_core::login::LoginRequest;
use serde_json::json;

/// Reads referenced files relative to a directory, as the CLI does relative to the input file.
struct Dir(PathBuf);

impl FileSource for Dir {
    fn read_file(&self, path: &str) -> Result<String, String> {
        std::fs::read_to_string(self.0.join(path)).map_err(|e| e.to_string())
    }
}

fn fixture(dir: &str, name: &str) -> Imported {
    let dir = support::fixtures().join(dir);
    let text = support::read(&dir.join(name));
    Configuration::import(&text, name, None, &Dir(dir)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn setup_sh() -> Imported {
    fixture("tutorial", "setup.sh")
}

fn assert_same(a: &Configuration, b: &Configuration, what: &str) {
    let (a, b) = (
        support::configuration_view(a),
        support::configuration_view(b),
    );
    assert!(
        a == b,
        "{what}: configurations differ\n--- left\n{}\n--- right\n{}",
        serde_json::to_string_pretty(&a).unwrap(),
        serde_json::to_string_pretty(&b).unwrap()
    );
}

fn reimport(text: &str, format: SourceFormat) -> Configuration {
    Configuration::import(text, "<export>", Some(format), &NoFiles)
        .unwrap_or_else(|e| panic!("export does not import back: {e}\n{text}"))
        .configuration
}

/// Every export imports back to the same configuration and writes the same text again.
fn assert_round_trips(configuration: &Configuration, what: &str) {
    let hcl = configuration.to_podpass_hcl();
    let commands = configuration.to_vault_commands();
    let json = configuration.to_api_json();
    let json_text = serde_json::to_string_pretty(&json).unwrap();

    let from_hcl = reimport(&hcl, SourceFormat::PodpassHcl);
    let from_commands = reimport(&commands, SourceFormat::VaultCommands);
    let from_json = reimport(&json_text, SourceFormat::ApiJson);
    assert_same(configuration, &from_hcl, &format!("{what} via podpass.hcl"));
    assert_same(
        configuration,
        &from_commands,
        &format!("{what} via commands"),
    );
    assert_same(configuration, &from_json, &format!("{what} via JSON"));

    assert_eq!(
        from_hcl.to_podpass_hcl(),
        hcl,
        "{what}: podpass.hcl is a fixpoint"
    );
    assert_eq!(
        from_commands.to_vault_commands(),
        commands,
        "{what}: commands are a fixpoint"
    );
    assert_eq!(from_json.to_api_json(), json, "{what}: JSON is a fixpoint");
    // Any form to any other gives the same text.
    assert_eq!(
        from_commands.to_podpass_hcl(),
        hcl,
        "{what}: commands -> hcl"
    );
    assert_eq!(
        from_json.to_vault_commands(),
        commands,
        "{what}: json -> commands"
    );
    assert_eq!(from_hcl.to_api_json(), json, "{what}: hcl -> json");
}

const TUTORIAL_FORMS: [(&str, SourceFormat); 4] = [
    ("tutorial-pasted.sh", SourceFormat::VaultCommands),
    ("tutorial.podpass.hcl", SourceFormat::PodpassHcl),
    ("tutorial.json", SourceFormat::ApiJson),
    ("tutorial.requests.json", SourceFormat::ApiJson),
];

#[test]
fn the_tutorial_in_every_form_is_the_same_configuration() {
    let reference = setup_sh();
    assert_eq!(reference.format, SourceFormat::VaultCommands);
    assert!(reference.notes.is_empty(), "{:?}", reference.notes);
    let configuration = &reference.configuration;
    let mount = configuration.mount("kubernetes").expect("mount");
    let names: Vec<&str> = mount.roles().keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "any-ns",
            "grade-api",
            "namespace-wide",
            "payment-api",
            "shared-reader"
        ]
    );
    let names: Vec<&str> = configuration
        .policies()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(names, ["grade-api", "payment-api", "shared-reader"]);
    assert_eq!(mount.keys().keys().len(), 1);

    for (name, format) in TUTORIAL_FORMS {
        let imported = fixture("configuration", name);
        assert_eq!(imported.format, format, "{name}");
        assert_same(configuration, &imported.configuration, name);
    }
}

#[test]
fn tutorial_logins_get_the_grade_api_policies_and_an_hour_in_every_form() {
    let forms = std::iter::once(setup_sh()).chain(
        TUTORIAL_FORMS
            .iter()
            .map(|(name, _)| fixture("configuration", name)),
    );
    for imported in forms {
        let configuration = &imported.configuration;
        let request = LoginRequest {
            role: "grade-api".into(),
            jwt: support::token("grade-api", "grade-api-sa"),
            now: support::NOW,
            ..Default::default()
        };
        let result = configuration.login("kubernetes", &request).expect("mount");
        let success = result
            .success()
            .unwrap_or_else(|| panic!("denied:\n{}", result.trace));
        assert_eq!(success.policies, ["default", "grade-api"]);
        assert_eq!(success.lease_duration, 3600);
        assert!(configuration.missing_policies(&success.policies).is_empty());

        // The tutorial's wrong-namespace case is refused with Vault's message.
        let request = LoginRequest {
            jwt: support::token("payment", "grade-api-sa"),
            ..request
        };
        let result = configuration.login("kubernetes", &request).expect("mount");
        assert_eq!(
            result.denial().map(|d| d.message.as_str()),
            Some("namespace not authorized")
        );
        let any_ns = LoginRequest {
            role: "any-ns".into(),
            jwt: support::token("anywhere", "vault-reader"),
            now: support::NOW,
            ..Default::default()
        };
        let result = configuration.login("kubernetes", &any_ns).expect("mount");
        assert_eq!(result.success().map(|s| s.lease_duration), Some(1800));
    }
}

#[test]
fn origins_point_at_the_defining_lines() {
    let imported = setup_sh();
    let c = &imported.configuration;
    assert_eq!(
        c.config_origin("kubernetes").map(ToString::to_string),
        Some("setup.sh:4".into())
    );
    let role_lines: Vec<(String, u32)> = c
        .mount("kubernetes")
        .unwrap()
        .roles()
        .keys()
        .map(|name| {
            (
                name.clone(),
                c.role_origin("kubernetes", name).unwrap().line,
            )
        })
        .collect();
    assert_eq!(
        role_lines,
        [
            ("any-ns".to_string(), 42),
            ("grade-api".to_string(), 16),
            ("namespace-wide".to_string(), 35),
            ("payment-api".to_string(), 22),
            ("shared-reader".to_string(), 28),
        ]
    );
    // A policy file is its own origin; a here-document's text is padded so its lines are the
    // script's lines.
    let grade = c.policy("grade-api").unwrap();
    assert_eq!(grade.origin.to_string(), "policies/grade-api.hcl:1");
    assert_eq!(grade.policy.paths()[0].line, 2);
    let shared = c.policy("shared-reader").unwrap();
    assert_eq!(shared.origin.to_string(), "setup.sh:10");
    let rule = &shared.policy.paths()[0];
    assert_eq!(
        shared.origin.line + rule.line - 1,
        11,
        "path line in setup.sh"
    );

    let imported = fixture("configuration", "tutorial.podpass.hcl");
    let c = &imported.configuration;
    assert_eq!(c.config_origin("kubernetes").unwrap().line, 5);
    assert_eq!(c.role_origin("kubernetes", "grade-api").unwrap().line, 10);
    assert_eq!(c.role_origin("kubernetes", "any-ns").unwrap().line, 42);
    let grade = c.policy("grade-api").unwrap();
    assert_eq!(
        grade.origin.to_string(),
        "../tutorial/policies/grade-api.hcl:1"
    );
    // Inline blocks and heredocs: origin line + rule line - 1 is the rule's line in the file.
    let payment = c.policy("payment-api").unwrap();
    assert_eq!(payment.origin.to_string(), "tutorial.podpass.hcl:56");
    let lines: Vec<u32> = payment
        .policy
        .paths()
        .iter()
        .map(|r| payment.origin.line + r.line - 1)
        .collect();
    assert_eq!(lines, [58, 62]);
    let shared = c.policy("shared-reader").unwrap();
    assert_eq!(shared.origin.line + shared.policy.paths()[0].line - 1, 71);

    let imported = fixture("configuration", "tutorial.json");
    let c = &imported.configuration;
    assert_eq!(c.role_origin("kubernetes", "any-ns").unwrap().line, 14);
    assert_eq!(c.policy("payment-api").unwrap().origin.line, 20);
    let imported = fixture("configuration", "tutorial.requests.json");
    let c = &imported.configuration;
    assert_eq!(c.role_origin("kubernetes", "grade-api").unwrap().line, 10);
    assert_eq!(c.config_origin("kubernetes").unwrap().line, 3);
}

#[test]
fn podpass_hcl_returns_its_server_block() {
    let imported = fixture("configuration", "tutorial.podpass.hcl");
    let server = imported.server.expect("a server block");
    let written: Vec<(&str, &str, u32)> = server
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.value.as_str(), a.name_at.line))
        .collect();
    assert_eq!(server.source, "tutorial.podpass.hcl");
    assert_eq!(
        written,
        [
            ("listen", "127.0.0.1:8200", 78),
            ("data_dir", "/var/lib/podpass", 79),
        ]
    );
    assert_eq!(setup_sh().server, None);
}

#[test]
fn the_tutorial_round_trips_through_every_form() {
    assert_round_trips(&setup_sh().configuration, "setup.sh");
    for (name, _) in TUTORIAL_FORMS {
        assert_round_trips(&fixture("configuration", name).configuration, name);
    }
}

#[test]
fn every_field_round_trips_through_every_form() {
    let imported = fixture("configuration", "all-fields.podpass.hcl");
    let c = &imported.configuration;
    assert!(imported.notes.is_empty(), "{:?}", imported.notes);

    let mount = c.mount("kubernetes").unwrap();
    assert_eq!(mount.ttls().default_lease_ttl, 7200);
    assert_eq!(mount.ttls().max_lease_ttl, 86400);
    assert_eq!(mount.keys().keys().len(), 2);
    let everything = mount.role("everything").unwrap().to_read_json();
    for (field, value) in [
        ("bound_service_account_names", json!(["app-*", "worker"])),
        (
            "bound_service_account_namespace_selector",
            json!(r#"{"matchLabels":{"team":"a"}}"#),
        ),
        ("alias_name_source", json!("serviceaccount_name")),
        ("alias_metadata", json!({"env": "prod", "team": "a"})),
        ("token_policies", json!(["app", "shared-reader"])),
        ("token_no_default_policy", json!(true)),
        ("token_ttl", json!(3600)),
        ("token_max_ttl", json!(14400)),
        ("token_explicit_max_ttl", json!(28800)),
        ("token_period", json!(7200)),
        ("token_num_uses", json!(5)),
        ("token_type", json!("service")),
        ("audience", json!("vault")),
    ] {
        assert_eq!(everything[field], value, "{field}");
    }
    let legacy = mount.role("legacy-batch").unwrap();
    assert_eq!((legacy.token.period, legacy.token.num_uses), (1800, -1));

    let prod = c.mount("k8s/prod").unwrap();
    let config = prod.config().unwrap();
    assert!(
        config
            .kubernetes_ca_cert
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    assert_eq!(config.token_reviewer_jwt, "reviewer.jwt.value");
    assert!(!config.disable_iss_validation);
    assert!(config.disable_local_ca_jwt && config.use_annotations_as_alias_metadata);
    let odd = prod.role("Mixed.Case_name").unwrap();
    assert_eq!(odd.bound_service_account_names, ["it's", "a,b", "@at", "-"]);
    assert_eq!(
        odd.bound_service_account_namespaces,
        ["$HOME", "${x}", "%{y}"]
    );
    assert!(
        c.policy("json-policy").is_some()
            && c.policy("per-namespace").unwrap().policy.is_templated()
    );

    assert_round_trips(c, "all-fields.podpass.hcl");
}

#[test]
fn json_to_hcl_to_commands_to_json() {
    let start = fixture("configuration", "tutorial.json").configuration;
    let hcl = reimport(&start.to_podpass_hcl(), SourceFormat::PodpassHcl);
    let commands = reimport(&hcl.to_vault_commands(), SourceFormat::VaultCommands);
    assert_same(&start, &commands, "json -> hcl -> commands");
    assert_eq!(commands.to_api_json(), start.to_api_json());
}

#[test]
fn exports_match_the_golden_files() {
    // The golden files document the three output styles; regenerate them deliberately when the
    // format changes.
    let configuration = setup_sh().configuration;
    let dir = support::fixtures().join("configuration");
    let cases = [
        (
            "tutorial.export.podpass.hcl",
            configuration.export(SourceFormat::PodpassHcl),
        ),
        (
            "tutorial.export.sh",
            configuration.export(SourceFormat::VaultCommands),
        ),
        (
            "tutorial.export.json",
            configuration.export(SourceFormat::ApiJson),
        ),
    ];
    for (name, actual) in cases {
        let path: &Path = &dir.join(name);
        if std::env::var_os("PODPASS_BLESS").is_some() {
            std::fs::write(path, &actual).unwrap();
        }
        assert_eq!(
            support::read(path),
            actual,
            "{name} (PODPASS_BLESS=1 rewrites it)"
        );
    }
}

#[test]
fn export_writes_each_form_as_a_file_that_imports_back() {
    let configuration = setup_sh().configuration;
    for format in [
        SourceFormat::PodpassHcl,
        SourceFormat::VaultCommands,
        SourceFormat::ApiJson,
    ] {
        let text = configuration.export(format);
        assert!(text.ends_with('\n'), "{format}: no final newline");
        assert_same(
            &configuration,
            &reimport(&text, format),
            &format!("export as {format}"),
        );
    }
    assert_eq!(
        configuration.export(SourceFormat::PodpassHcl),
        configuration.to_podpass_hcl()
    );
}

#[test]
fn exports_are_deterministic_and_sorted() {
    let a = fixture("configuration", "all-fields.podpass.hcl").configuration;
    let b = fixture("configuration", "all-fields.podpass.hcl").configuration;
    assert_eq!(a.to_podpass_hcl(), b.to_podpass_hcl());
    assert_eq!(a.to_vault_commands(), b.to_vault_commands());
    let hcl = a.to_podpass_hcl();
    let order: Vec<usize> = [
        "auth \"k8s/prod\"",
        "auth \"kubernetes\"",
        "role \"everything\"",
        "role \"legacy-batch\"",
        "policy \"app\"",
        "policy \"with-heredoc\"",
    ]
    .iter()
    .map(|needle| hcl.find(needle).unwrap_or_else(|| panic!("{needle}")))
    .collect();
    assert!(order.is_sorted(), "{order:?}");
    let json = a.to_api_json();
    let keys: Vec<&String> = json["auth"]["kubernetes"]["roles"]["everything"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert!(keys.is_sorted(), "{keys:?}");
}

#[test]
fn an_empty_configuration_exports_headers_only_and_imports_back() {
    let empty = Configuration::new();
    assert_eq!(empty.to_api_json(), json!({"auth": {}, "policies": {}}));
    for (text, format) in [
        (empty.to_podpass_hcl(), SourceFormat::PodpassHcl),
        (empty.to_vault_commands(), SourceFormat::VaultCommands),
    ] {
        assert!(text.lines().all(|l| l.starts_with('#')), "{text}");
        let back = reimport(&text, format);
        assert!(back.mounts().is_empty() && back.policies().is_empty());
    }
}

#[test]
fn large_inputs_are_read_whole_and_placed() {
    // The hostile benchmark's shapes, at sizes a quadratic reader would take seconds over.
    let json = support::hostile::api_json_one_line(5_000);
    let imported = Configuration::import(&json, "config.json", None, &NoFiles).expect("imports");
    let mount = imported.configuration.mount("kubernetes").expect("mount");
    assert_eq!(mount.roles().len(), 5_000);
    let origin = imported
        .configuration
        .role_origin("kubernetes", "r4999")
        .expect("origin");
    assert_eq!(origin.to_string(), "config.json:1");

    let hcl = support::hostile::hcl_attributes(50_000);
    let error = Configuration::import(&hcl, "podpass.hcl", None, &NoFiles)
        .err()
        .map(|e| e.to_string());
    assert!(
        error.as_deref().is_some_and(|e| e.contains("a0")),
        "{error:?}"
    );

    let selector = support::hostile::selector_many_keys(40_000);
    let parsed = podpass_core::selector::NamespaceSelector::parse(&selector).expect("parses");
    assert_eq!(parsed.match_labels.len(), 40_000);
}
