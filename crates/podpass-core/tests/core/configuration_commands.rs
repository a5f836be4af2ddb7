//! Reading the tutorial's shell commands: what is applied, what is reported and skipped (with
//! its line), variables, `@file`, here-documents, continuations, flags and Vault's sequential
//! write semantics.

use crate::support;

use std::collections::BTreeMap;

use podpass_core::configuration::{
    Configuration, FileSource, ImportError, Imported, NoFiles, SourceFormat,
};

/// Files by name, for inputs that reference a few.
struct Files(BTreeMap<&'static str, &'static str>);

impl FileSource for Files {
    fn read_file(&self, path: &str) -> Result<String, String> {
        self.0
            .get(path)
            .map(|s| (*s).to_string())
            .ok_or_else(|| format!("open {path}: no such file or directory"))
    }
}

fn files() -> Files {
    Files(BTreeMap::from([
        (
            "key.pem",
            include_str!("../../../../tests/fixtures/keys/rsa-2048.pub.pem"),
        ),
        (
            "ca.crt",
            include_str!("../../../../tests/fixtures/keys/rsa-2048.cert.pem"),
        ),
        (
            "grade-api.hcl",
            "path \"secret/data/grade-api/*\" {\n  capabilities = [\"read\"]\n}\n",
        ),
        (
            "role.json",
            r#"{"bound_service_account_names": ["a", "b"], "token_ttl": 60}"#,
        ),
    ]))
}

fn run(text: &str) -> Imported {
    Configuration::import(
        text,
        "setup.sh",
        Some(SourceFormat::VaultCommands),
        &files(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn fails(text: &str) -> ImportError {
    Configuration::import(
        text,
        "setup.sh",
        Some(SourceFormat::VaultCommands),
        &files(),
    )
    .expect_err("should fail")
}

fn notes(imported: &Imported) -> Vec<(u32, &str)> {
    imported
        .notes
        .iter()
        .map(|n| (n.line, n.message.as_str()))
        .collect()
}

fn role_json(imported: &Imported, mount: &str, role: &str) -> serde_json::Value {
    imported
        .configuration
        .mount(mount)
        .and_then(|m| m.role(role))
        .unwrap_or_else(|| panic!("no role {mount}/{role}"))
        .to_read_json()
}

const ROLE: &str = "bound_service_account_names=sa bound_service_account_namespaces=ns";

#[test]
fn a_pasted_tutorial_reports_every_skipped_line_with_its_number() {
    let dir = support::fixtures().join("configuration");
    let text = support::read(&dir.join("tutorial-pasted.sh"));
    struct Dir(std::path::PathBuf);
    impl FileSource for Dir {
        fn read_file(&self, path: &str) -> Result<String, String> {
            std::fs::read_to_string(self.0.join(path)).map_err(|e| e.to_string())
        }
    }
    let imported = Configuration::import(&text, "pasted.sh", None, &Dir(dir)).expect("imports");
    assert_eq!(
        notes(&imported),
        [
            (
                4,
                "skipped `kubectl create namespace grade-api` (not Vault configuration)"
            ),
            (
                5,
                "skipped `kubectl create sa grade-api-sa -n grade-api` (not Vault configuration)"
            ),
            (
                6,
                "skipped `kubectl apply -f - <<EOF` (not Vault configuration)"
            ),
            (
                14,
                "`export VAULT_ADDR='http://127.0.0.1:8200'` sets `$VAULT_ADDR` for later lines (not Vault configuration)"
            ),
            (
                15,
                "`export KUBE_HOST=\"https://kubernetes.default.svc:443\"` sets `$KUBE_HOST` for later lines (not Vault configuration)"
            ),
            (
                16,
                "`export SA_JWT_TOKEN=$(kubectl create token vault-auth -n vault)` sets `$SA_JWT_TOKEN` for later lines (not Vault configuration)"
            ),
            (
                17,
                "`export MOUNT=kubernetes` sets `$MOUNT` for later lines (not Vault configuration)"
            ),
            (
                19,
                "skipped `vault login root` (not a Vault configuration write)"
            ),
            (
                21,
                "skipped `Success! Enabled kubernetes auth method at: kubernetes/` (not Vault configuration)"
            ),
            (
                25,
                "dropped `token_reviewer_jwt` from auth/kubernetes/config: it uses `$SA_JWT_TOKEN` (set at line 16 from `$(kubectl create token vault-auth -n vault)`), which cannot be evaluated offline"
            ),
            (41, "skipped `cat <<-POLICY` (not Vault configuration)"),
            (
                41,
                "skipped `vault policy write shared-reader -` (its input comes from the previous command in the pipe, which cannot be evaluated offline)"
            ),
            (
                55,
                "skipped `Key                                 Value` (not Vault configuration)"
            ),
            (
                56,
                "skipped `---                                 -----` (not Vault configuration)"
            ),
            (
                57,
                "skipped `WARNING! The following warnings were returned from Vault:` (not Vault configuration)"
            ),
            (
                58,
                "skipped `* Role grade-api does not have an audience configured. While audiences…` (not Vault configuration)"
            ),
            (
                67,
                "skipped `echo \"role written\"` (not Vault configuration)"
            ),
            (
                74,
                "skipped `vault read auth/kubernetes/role/grade-api` (not a Vault configuration write)"
            ),
            (
                75,
                "skipped `curl --header \"X-Vault-Token: $VAULT_TOKEN\" $VAULT_ADDR/v1/auth/kubern…` (not Vault configuration)"
            ),
            (
                76,
                "skipped `kubectl exec -it devwebapp -- sh -c 'vault write auth/kubernetes/login…` (not Vault configuration)"
            ),
        ]
    );
    let config = imported
        .configuration
        .mount("kubernetes")
        .unwrap()
        .config()
        .unwrap();
    assert_eq!(config.kubernetes_host, "https://kubernetes.default.svc:443");
    assert_eq!(
        config.token_reviewer_jwt, "",
        "the unevaluable field was dropped"
    );
}

#[test]
fn text_that_is_not_shell_is_skipped_line_by_line() {
    let imported = run("Don't panic.\nvault auth enable kubernetes\n\"unbalanced\nls\n");
    assert_eq!(
        notes(&imported),
        [
            (
                1,
                "skipped `Don't panic.` (not Vault configuration; not readable as a shell command: unterminated single quote)"
            ),
            (
                3,
                "skipped `\"unbalanced` (not Vault configuration; not readable as a shell command: unterminated double quote)"
            ),
            (4, "skipped `ls` (not Vault configuration)"),
        ]
    );
    assert!(imported.configuration.mount("kubernetes").is_some());
}

#[test]
fn variables_expand_in_paths_flags_values_and_heredocs() {
    let imported = run(concat!(
        "export MOUNT=k8s HOST='https://h:443'\n",
        "NS=team-a\n",
        "vault auth enable -path=\"$MOUNT\" kubernetes\n",
        "vault write auth/${MOUNT}/config kubernetes_host=$HOST\n",
        "vault write auth/$MOUNT/role/r bound_service_account_names=sa bound_service_account_namespaces=\"${NS},$NS-2\"\n",
        "vault policy write p - <<EOF\npath \"secret/data/$NS/*\" { capabilities = [\"read\"] }\nEOF\n",
        "vault policy write q - <<'EOF'\npath \"secret/data/$NS/*\" { capabilities = [\"read\"] }\nEOF\n",
        "unset NS\n",
        "vault write auth/k8s/role/s bound_service_account_names=sa bound_service_account_namespaces=$NS\n",
    ));
    let c = &imported.configuration;
    assert_eq!(
        c.mount("k8s").unwrap().config().unwrap().kubernetes_host,
        "https://h:443"
    );
    assert_eq!(
        role_json(&imported, "k8s", "r")["bound_service_account_namespaces"],
        serde_json::json!(["team-a", "team-a-2"])
    );
    assert_eq!(
        c.policy("p").unwrap().policy.paths()[0].path,
        "secret/data/team-a/*"
    );
    assert_eq!(
        c.policy("q").unwrap().policy.paths()[0].path,
        "secret/data/$NS/*"
    );
    // After `unset`, $NS is unknown: the field is dropped, the role is refused by Vault's rule,
    // and since a field was dropped that is a note, not an error.
    assert_eq!(
        notes(&imported)[2..],
        [
            (
                12,
                "skipped `unset NS` (a shell command; the variables are forgotten)"
            ),
            (
                13,
                "dropped `bound_service_account_namespaces` from auth/k8s/role/s: it uses `$NS` (not set in this input), which cannot be evaluated offline"
            ),
            (
                13,
                "auth/k8s/role/s not written: \"bound_service_account_namespaces\" can not be empty if \"bound_service_account_namespace_selector\" is not set (after dropping `bound_service_account_namespaces`, which cannot be evaluated offline)"
            ),
        ]
    );
    assert_eq!(
        notes(&imported)[0].1,
        "`export MOUNT=k8s HOST='https://h:443'` sets `$MOUNT`, `$HOST` for later lines (not Vault configuration)"
    );
    assert_eq!(
        notes(&imported)[1].1,
        "sets `$NS` for later lines (not Vault configuration)"
    );
}

#[test]
fn command_substitutions_drop_one_field_and_say_so() {
    let imported = run(concat!(
        "vault write auth/kubernetes/config \\\n",
        "    kubernetes_host=\"https://$KUBERNETES_PORT_443_TCP_ADDR:443\" \\\n",
        "    kubernetes_ca_cert=\"$(kubectl config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d)\"\n",
        "vault write auth/kubernetes/role/r ",
        "bound_service_account_names=sa bound_service_account_namespaces=ns audience=`cat aud`\n",
    ));
    assert_eq!(
        notes(&imported),
        [
            (
                1,
                "auth/kubernetes/ was not enabled in this input; enabled it as a Kubernetes mount (as `vault auth enable -path=kubernetes kubernetes` would)"
            ),
            (
                1,
                "auth/kubernetes/config not written: no host provided (after dropping `kubernetes_host`, `kubernetes_ca_cert`, which cannot be evaluated offline)"
            ),
            (
                2,
                "dropped `kubernetes_host` from auth/kubernetes/config: it uses `$KUBERNETES_PORT_443_TCP_ADDR` (not set in this input), which cannot be evaluated offline"
            ),
            (
                3,
                "dropped `kubernetes_ca_cert` from auth/kubernetes/config: it uses `$(kubectl config view --raw -o jsonpath='{.clusters[0].clust…`, which cannot be evaluated offline"
            ),
            (
                4,
                "dropped `audience` from auth/kubernetes/role/r: it uses ``cat aud``, which cannot be evaluated offline"
            ),
        ]
    );
    let mount = imported.configuration.mount("kubernetes").unwrap();
    assert!(mount.config().is_none());
    assert_eq!(mount.role("r").unwrap().audience, "");
}

#[test]
fn file_references_are_read_through_the_file_source() {
    let imported = run(concat!(
        "vault auth enable kubernetes\n",
        "vault write auth/kubernetes/config kubernetes_host=https://h pem_keys=@key.pem kubernetes_ca_cert=@ca.crt\n",
        "vault write auth/kubernetes/role/r @role.json bound_service_account_namespaces=ns\n",
        "vault policy write grade-api grade-api.hcl\n",
        "vault write sys/policies/acl/other policy=@grade-api.hcl\n",
        "vault write auth/kubernetes/role/at bound_service_account_names='\\@literal' bound_service_account_namespaces=ns\n",
    ));
    let c = &imported.configuration;
    let config = c.mount("kubernetes").unwrap().config().unwrap();
    assert_eq!(config.pem_keys.len(), 1);
    assert!(
        config
            .kubernetes_ca_cert
            .ends_with("-----END CERTIFICATE-----\n")
    );
    let role = role_json(&imported, "kubernetes", "r");
    assert_eq!(
        role["bound_service_account_names"],
        serde_json::json!(["a", "b"])
    );
    assert_eq!(role["token_ttl"], 60);
    assert_eq!(
        c.policy("grade-api").unwrap().origin.to_string(),
        "grade-api.hcl:1"
    );
    assert_eq!(
        c.policy("other").unwrap().origin.to_string(),
        "grade-api.hcl:1"
    );
    assert_eq!(
        role_json(&imported, "kubernetes", "at")["bound_service_account_names"],
        serde_json::json!(["@literal"])
    );

    // Without files, a reference is an error that says why, at the reference.
    let err = Configuration::import(
        "vault write auth/kubernetes/config kubernetes_host=h pem_keys=@keys/sa.pub\n",
        "pasted",
        None,
        &NoFiles,
    )
    .expect_err("no files");
    assert_eq!(
        err.to_string(),
        "pasted:1:54: file references need files: `keys/sa.pub` cannot be read here"
    );
    let err = fails("vault policy write x missing.hcl\n");
    assert_eq!(
        err.to_string(),
        "setup.sh:1:22: open missing.hcl: no such file or directory"
    );
}

#[test]
fn stdin_from_heredocs_here_strings_and_redirections() {
    let imported = run(concat!(
        "vault write auth/kubernetes/role/a - <<EOF\n",
        "{\"bound_service_account_names\": \"sa\", \"bound_service_account_namespaces\": \"ns\"}\n",
        "EOF\n",
        "vault write auth/kubernetes/config kubernetes_host=h pem_keys=- <<'PEM'\n",
        include_str!("../../../../tests/fixtures/keys/rsa-2048.pub.pem"),
        "PEM\n",
        "vault policy write here - <<< 'path \"a/*\" { capabilities = [\"read\"] }'\n",
        "vault policy write redirected - < grade-api.hcl\n",
        "\tvault policy write tabbed - <<-\tEND\n\t\tpath \"t/*\" {\n\t\t  capabilities = [\"list\"]\n\t\t}\n\tEND\n",
    ));
    let c = &imported.configuration;
    assert!(c.mount("kubernetes").unwrap().role("a").is_some());
    assert_eq!(c.mount("kubernetes").unwrap().keys().keys().len(), 1);
    assert_eq!(c.policy("here").unwrap().policy.paths()[0].path, "a/*");
    assert_eq!(
        c.policy("redirected").unwrap().origin.to_string(),
        "grade-api.hcl:1"
    );
    assert_eq!(c.policy("tabbed").unwrap().policy.paths()[0].path, "t/*");
    assert_eq!(
        c.policy("tabbed").unwrap().text,
        "\npath \"t/*\" {\n  capabilities = [\"list\"]\n}\n",
        "tabs stripped, padded to the script's lines"
    );
}

#[test]
fn continuation_edge_cases() {
    // A continuation inside a value, a quoted value over several lines, a comment after the
    // last argument, a blank continuation line, and a prompt.
    let imported = run(concat!(
        "$ vault write auth/kubernetes/role/r \\\n",
        "      bound_service_account_names=grade-\\\n",
        "api-sa \\\n",
        "      \\\n",
        "      bound_service_account_namespaces=\"a,\n",
        "b\" # the namespaces\n",
        "vault write auth/kubernetes/role/s bound_service_account_names=x \\\n",
        "bound_service_account_namespaces=y\\\n",
        "\n",
    ));
    let role = role_json(&imported, "kubernetes", "r");
    assert_eq!(
        role["bound_service_account_names"],
        serde_json::json!(["grade-api-sa"])
    );
    assert_eq!(
        role["bound_service_account_namespaces"],
        serde_json::json!(["a", "b"])
    );
    assert!(
        imported
            .configuration
            .mount("kubernetes")
            .unwrap()
            .role("s")
            .is_some()
    );
    // A trailing backslash at the very end of the input is kept literally, as a shell does.
    let err = fails(
        "vault write auth/kubernetes/role/t bound_service_account_names=x bound_service_account_namespaces=y token_ttl=1h\\",
    );
    assert_eq!(err.location.line, 1);
    assert!(
        err.message.contains("time: unknown unit \"h\\\\\""),
        "{}",
        err.message
    );
    // A backslash followed by a space is an escaped space, not a continuation: the space is an
    // argument of its own, which Vault's CLI refuses (and the next line would be a separate
    // command).
    let err = fails(concat!(
        "vault write auth/kubernetes/role/r bound_service_account_names=sa \\ \n",
        "    bound_service_account_namespaces=ns\n",
    ));
    assert_eq!(
        err.to_string(),
        "setup.sh:1:67: Invalid key/value pair ' ': format must be key=value"
    );
}

#[test]
fn repeated_keys_become_lists_and_vault_warnings_become_notes() {
    let imported = run(concat!(
        "vault write auth/kubernetes/role/r bound_service_account_names=a bound_service_account_names=b \\\n",
        "    bound_service_account_namespaces=ns polices=oops token_max_ttl=1000h\n",
    ));
    assert_eq!(
        role_json(&imported, "kubernetes", "r")["bound_service_account_names"],
        serde_json::json!(["a", "b"])
    );
    let messages: Vec<&str> = notes(&imported).into_iter().map(|(_, m)| m).collect();
    assert_eq!(
        messages[1..],
        [
            "auth/kubernetes/role/r: Vault warns: max_ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated",
            "auth/kubernetes/role/r: Vault warns: Endpoint ignored these unrecognized parameters: [polices]",
        ]
    );
}

#[test]
fn writes_replay_vaults_sequential_semantics() {
    let imported = run(concat!(
        "vault auth enable kubernetes\n",
        "vault write auth/kubernetes/role/r bound_service_account_names=a bound_service_account_namespaces=ns token_ttl=1h\n",
        "vault write auth/kubernetes/role/R token_ttl=2h\n",
        "vault policy write p - <<< 'path \"a\" { capabilities = [\"read\"] }'\n",
        "vault policy write p - <<< 'path \"b\" { capabilities = [\"read\"] }'\n",
        "vault write auth/kubernetes/role/gone bound_service_account_names=a bound_service_account_namespaces=ns\n",
        "vault delete auth/kubernetes/role/gone\n",
        "vault policy delete nothing\n",
        "vault auth enable kubernetes\n",
    ));
    let role = role_json(&imported, "kubernetes", "r");
    assert_eq!(role["token_ttl"], 7200, "the update changed the TTL");
    assert_eq!(
        role["bound_service_account_names"],
        serde_json::json!(["a"]),
        "and kept the rest"
    );
    let c = &imported.configuration;
    assert_eq!(c.role_origin("kubernetes", "r").unwrap().line, 3);
    assert_eq!(c.policy("p").unwrap().policy.paths()[0].path, "b");
    assert!(c.mount("kubernetes").unwrap().role("gone").is_none());
    assert!(c.role_origin("kubernetes", "gone").is_none());
    assert_eq!(
        notes(&imported),
        [
            (
                3,
                "auth/kubernetes/role/R updates the role written at line 2 (fields not given keep their values)"
            ),
            (5, "policy `p` replaces the policy written at line 4"),
            (8, "policy `nothing` did not exist; nothing deleted"),
            (
                9,
                "auth/kubernetes/ is already enabled (line 1); Vault would refuse this second enable (path is already in use)"
            ),
        ]
    );
}

#[test]
fn flags_paths_tuning_and_other_auth_methods() {
    let imported = run(concat!(
        "vault auth enable -path prod -description='Production cluster' -namespace=team kubernetes\n",
        "vault auth enable --path=k8s/dev/ -default-lease-ttl=1h -max-lease-ttl=2h -local kubernetes\n",
        "vault auth tune -max-lease-ttl=12h prod/\n",
        "vault auth enable userpass\n",
        "vault write auth/userpass/users/alice password=x\n",
        "vault write auth/userpass/role/x a=b\n",
        "vault write -format=json auth/prod/role/r ",
        "bound_service_account_names=sa bound_service_account_namespaces=ns token_period=6h\n",
        "vault write auth/prod/login role=r jwt=x\n",
        "vault secrets enable -path=secret kv-v2\n",
        "vault auth disable k8s/dev\n",
    ));
    let c = &imported.configuration;
    let paths: Vec<&str> = c.mounts().keys().map(String::as_str).collect();
    assert_eq!(paths, ["prod"]);
    assert_eq!(c.mount("prod").unwrap().ttls().max_lease_ttl, 12 * 3600);
    assert_eq!(
        notes(&imported),
        [
            (
                1,
                "ignored `-namespace=team` (podpass has no Vault Enterprise namespaces)"
            ),
            (2, "ignored `-local` (podpass does not model it)"),
            (
                4,
                "skipped enabling the `userpass` auth method at auth/userpass/ (podpass models Kubernetes auth only)"
            ),
            (
                5,
                "skipped `vault write auth/userpass/users/alice password=x` (a write to auth/userpass/users/alice, which is not Kubernetes auth or ACL policy configuration)"
            ),
            (
                6,
                "skipped auth/userpass/role/x: auth/userpass/ is a `userpass` mount, which podpass does not model"
            ),
            (
                8,
                "skipped `vault write auth/prod/login role=r jwt=x` (a login to auth/prod/login, not configuration)"
            ),
            (
                9,
                "skipped `vault secrets enable -path=secret kv-v2` (not a Vault configuration write)"
            ),
            (10, "disabled auth/k8s/dev/ (its config and roles are gone)"),
        ]
    );
    // The mount's tuning applies to role writes: a period above the mount max is refused.
    let err = fails(
        "vault auth enable -max-lease-ttl=1h kubernetes\nvault write auth/kubernetes/role/r bound_service_account_names=sa bound_service_account_namespaces=ns token_period=2h\n",
    );
    assert_eq!(
        err.to_string(),
        "setup.sh:2:103: auth/kubernetes/role/r: token period of '\"2h0m0s\"' is greater than the backend's maximum lease TTL of '\"1h0m0s\"'"
    );
    let err = fails("vault auth enable -default-lease-ttl=2h -max-lease-ttl=1h kubernetes\n");
    assert_eq!(
        err.to_string(),
        "setup.sh:1:41: backend max lease TTL of 3600 would be less than backend default lease TTL of 7200"
    );
}

#[test]
fn login_results_use_the_imported_configuration() {
    let imported = run(&format!(
        "vault auth enable kubernetes\nvault write auth/kubernetes/config kubernetes_host=h pem_keys=@key.pem\nvault write auth/kubernetes/role/grade-api {ROLE} token_policies=grade-api token_ttl=1h\n"
    ));
    let request = podpass_core::login::LoginRequest {
        role: "grade-api".into(),
        jwt: support::token("ns", "sa"),
        now: support::NOW,
        ..Default::default()
    };
    let result = imported
        .configuration
        .login("kubernetes", &request)
        .unwrap();
    let success = result
        .success()
        .unwrap_or_else(|| panic!("{}", result.trace));
    assert_eq!(success.policies, ["default", "grade-api"]);
    assert_eq!(success.lease_duration, 3600);
    assert_eq!(
        imported.configuration.missing_policies(&success.policies),
        ["grade-api"],
        "no policy named grade-api was written"
    );
}
