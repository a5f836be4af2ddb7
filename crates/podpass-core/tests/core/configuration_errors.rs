//! Bad input in every form: each error names the problem (Vault's message where Vault would
//! refuse the same input) at the right line and column, and no input panics or is silently
//! dropped.

use crate::support;

use podpass_core::configuration::{Configuration, FileSource, ImportError, NoFiles, SourceFormat};
use support::XorShift;

/// A single policy file, for errors inside referenced files.
struct OneFile;

impl FileSource for OneFile {
    fn read_file(&self, path: &str) -> Result<String, String> {
        match path {
            "policies/bad.hcl" => {
                Ok("# bad\npath \"secret/*\" {\n  capabilities = [\"reed\"]\n}\n".into())
            }
            other => Err(format!("open {other}: no such file or directory")),
        }
    }
}

fn error(text: &str, source: &str, format: SourceFormat) -> String {
    match Configuration::import(text, source, Some(format), &OneFile) {
        Ok(imported) => panic!("{source} imported: {:?}", imported.notes),
        Err(e) => {
            assert!(e.location.line >= 1 && e.location.column >= 1, "{e:?}");
            e.to_string()
        }
    }
}

fn hcl(text: &str) -> String {
    error(text, "podpass.hcl", SourceFormat::PodpassHcl)
}

fn sh(text: &str) -> String {
    error(text, "setup.sh", SourceFormat::VaultCommands)
}

fn json(text: &str) -> String {
    error(text, "config.json", SourceFormat::ApiJson)
}

const ROLE_HEAD: &str = "auth \"kubernetes\" {\n  role \"grade-api\" {\n    bound_service_account_names      = [\"grade-api-sa\"]\n    bound_service_account_namespaces = [\"grade-api\"]\n";

#[test]
fn podpass_hcl_errors_point_at_the_problem() {
    let cases = [
        (
            "auth \"kubernetes\" {\n  role \"x\" {\n    token_ttl =\n  }\n}\n",
            "podpass.hcl:3:16: invalid HCL: expected a value: a string, a number, `true`, `false`, `null`, a list `[…]`, an object `{…}` or a heredoc `<<EOF`",
        ),
        (
            &format!(
                "{ROLE_HEAD}    polices                          = [\"grade-api\"]\n  }}\n}}\n"
            ),
            "podpass.hcl:5:5: unknown attribute `polices` in role \"grade-api\"; did you mean `policies`?",
        ),
        (
            &format!("{ROLE_HEAD}    token_ttl = \"1x\"\n  }}\n}}\n"),
            "podpass.hcl:5:5: auth/kubernetes/role/grade-api: Field validation failed: error converting input 1x for field \"token_ttl\": time: unknown unit \"x\" in duration \"1x\"",
        ),
        (
            "auth \"kubernetes\" {\n  role \"grade-api\" {\n    bound_service_account_names = [\"grade-api-sa\"]\n  }\n}\n",
            "podpass.hcl:2:3: auth/kubernetes/role/grade-api: \"bound_service_account_namespaces\" can not be empty if \"bound_service_account_namespace_selector\" is not set",
        ),
        (
            &format!("{ROLE_HEAD}    bound_service_account_names = [\"*\", \"b\"]\n  }}\n}}\n"),
            "podpass.hcl:5:5: invalid HCL: the attribute `bound_service_account_names` is set twice",
        ),
        (
            "auth \"kubernetes\" {\n  role \"r\" {\n    bound_service_account_names      = [\"*\", \"b\"]\n    bound_service_account_namespaces = [\"n\"]\n  }\n}\n",
            "podpass.hcl:3:5: auth/kubernetes/role/r: can not mix \"*\" with values",
        ),
        (
            "auth \"kubernetes\" {\n  roles \"r\" {}\n}\n",
            "podpass.hcl:2:3: unknown block `roles` in auth \"kubernetes\"; did you mean `role`?",
        ),
        (
            "polcy \"p\" {}\n",
            "podpass.hcl:1:1: unknown block `polcy` (podpass.hcl has `auth`, `policy`, `server` and `storage` blocks); did you mean `policy`?",
        ),
        (
            "ttl = 3\n",
            "podpass.hcl:1:1: unexpected attribute `ttl` at the top level (podpass.hcl has `auth`, `policy`, `server` and `storage` blocks)",
        ),
        (
            "auth \"a\" \"b\" {}\n",
            "podpass.hcl:1:10: a `auth` block takes one label: the mount path, as in auth \"kubernetes\" { … }",
        ),
        (
            "auth \"userpass\" {\n  type = \"userpass\"\n}\n",
            "podpass.hcl:2:10: auth \"userpass\": podpass models Kubernetes auth only (type = \"kubernetes\"), not \"userpass\"",
        ),
        (
            "auth \"kubernetes\" {\n  role \"r\" {\n    bound_service_account_names = [\"a\"]\n    bound_service_account_namespaces = [\"b\"]\n  }\n  role \"R\" {\n    bound_service_account_names = [\"a\"]\n    bound_service_account_namespaces = [\"b\"]\n  }\n}\n",
            "podpass.hcl:6:3: role \"R\" is defined twice in auth \"kubernetes\" (first at line 2)",
        ),
        (
            "policy \"p\" {\n}\npolicy \"P\" {\n}\n",
            "podpass.hcl:3:1: policy \"p\" is defined twice (first at line 1)",
        ),
        (
            "auth \"kubernetes\" {\n  role \"r\" {\n    token_type = batch\n  }\n}\n",
            "podpass.hcl:3:18: `batch` is not a value; quote it (\"batch\") if it is a string",
        ),
        (
            "auth \"kubernetes\" {\n  role \"r\" {\n    audience = \"${var.aud}\"\n  }\n}\n",
            "podpass.hcl:3:17: interpolation (`${…}`, `%{…}`) is not supported in podpass.hcl; write `$${` or `%%{` for the literal characters",
        ),
        (
            "auth \"kubernetes\" {\n  config {\n    pem_keys = [file(\"keys/missing.pem\")]\n  }\n}\n",
            "podpass.hcl:3:17: open keys/missing.pem: no such file or directory",
        ),
        (
            "auth \"kubernetes\" {\n  config {\n    pem_keys = [upper(\"x\")]\n  }\n}\n",
            "podpass.hcl:3:17: unknown function `upper`: podpass.hcl has only file(\"path\")",
        ),
        (
            "auth \"kubernetes\" {\n  config {\n    kubernetes_host = \"https://h\"\n    pem_keys        = [\"not a key\"]\n  }\n}\n",
            "podpass.hcl:4:5: auth/kubernetes/config: data does not contain any valid RSA or ECDSA public keys",
        ),
        (
            "auth \"kubernetes\" {\n  config {\n    issuer = \"x\"\n  }\n}\n",
            "podpass.hcl:2:3: auth/kubernetes/config: no host provided",
        ),
        (
            "auth \"kubernetes\" {\n  role \"r\" {\n    name = \"r\"\n  }\n}\n",
            "podpass.hcl:3:5: unknown attribute `name` in role \"r\"; the block's label is the role name",
        ),
        (
            "server {\n  listen = \"x\"\n  port = 1\n}\n",
            "podpass.hcl:3:10: server: `port` takes a string",
        ),
        (
            "server {\n  tls {\n  }\n}\n",
            "podpass.hcl:2:3: unexpected block `tls` in server (server settings are attributes: name = \"value\")",
        ),
        (
            "auth \"kubernetes\" {\n  role \"bad name\" {\n    bound_service_account_names = [\"a\"]\n    bound_service_account_namespaces = [\"b\"]\n  }\n}\n",
            "podpass.hcl:2:3: auth/kubernetes/role/bad name: unsupported path (a role name is letters, digits, `_`, `-` and `.`, starting and ending with a letter, digit or `_`)",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(hcl(text), expected, "{text}");
    }
}

#[test]
fn policy_errors_map_into_the_file_that_holds_the_policy() {
    // Inline block: the policy's own line and column are the file's.
    let inline = "# policies\n\npolicy \"grade-api\" {\n  path \"secret/data/grade-api/*\" {\n    capabilities = [\"reed\"]\n  }\n}\n";
    assert_eq!(
        hcl(inline),
        "podpass.hcl:5:21: policy \"grade-api\": path \"secret/data/grade-api/*\": invalid capability \"reed\""
    );
    // A heredoc, indented: columns count the indentation the heredoc strips.
    let heredoc = "policy \"p\" {\n  text = <<-EOT\n    path \"a/*\" {\n      capabilities = [\"read\"]\n      colour = \"blue\"\n    }\n  EOT\n}\n";
    assert_eq!(
        hcl(heredoc),
        "podpass.hcl:5:7: policy \"p\": path \"a/*\": invalid key \"colour\" on line 5"
    );
    // A policy file: the error is in that file.
    assert_eq!(
        hcl("policy \"bad\" {\n  file = \"policies/bad.hcl\"\n}\n"),
        "policies/bad.hcl:3:19: policy \"bad\": path \"secret/*\": invalid capability \"reed\" (policy file read at podpass.hcl:1)"
    );
    // The same policy through the commands: a here-document maps into the script.
    let script = "vault auth enable kubernetes\nvault policy write grade-api - <<EOF\npath \"secret/data/grade-api/*\" {\n  capabilities = [\"reed\"]\n}\nEOF\n";
    assert_eq!(
        sh(script),
        "setup.sh:4:19: policy \"grade-api\": path \"secret/data/grade-api/*\": invalid capability \"reed\""
    );
    let script = "vault policy write bad policies/bad.hcl\n";
    assert_eq!(
        sh(script),
        "policies/bad.hcl:3:19: policy \"bad\": path \"secret/*\": invalid capability \"reed\" (policy file read at setup.sh:1)"
    );
    // A JSON policy in a here-document: the JSON syntax error is located too.
    let script = "vault policy write j - <<'EOT'\n{\n  \"path\": {\n    \"a/*\": {\"capabilities\": [\"read\"],}\n  }\n}\nEOT\n";
    let message = sh(script);
    assert!(message.starts_with("setup.sh:4:"), "{message}");
    assert!(
        message.contains("policy \"j\": failed to parse policy"),
        "{message}"
    );
    // JSON document: a one-line string without escapes maps by column; otherwise the error is
    // at the key and says where in the text it is.
    let document = "{\n  \"policies\": {\n    \"p\": \"path {}\"\n  }\n}\n";
    assert_eq!(
        json(document),
        "config.json:3:11: policy \"p\": a path block takes exactly one path, as in path \"secret/*\" { … } (found 0)"
    );
    let document = "{\n  \"policies\": {\n    \"p\": \"# x\\npath \\\"a\\\" {\\n  capabilities = [\\\"reed\\\"]\\n}\"\n  }\n}\n";
    assert_eq!(
        json(document),
        "config.json:3:5: policy \"p\": path \"a\": invalid capability \"reed\" (line 3, column 19 of the policy text)"
    );
    assert_eq!(
        hcl("policy \"p\" {\n  text = \"path \\\"a\\\" { capabilities = [\\\"rd\\\"] }\"\n}\n"),
        "podpass.hcl:2:10: policy \"p\": path \"a\": invalid capability \"rd\" (line 1, column 28 of the policy text)"
    );
    assert_eq!(
        hcl("policy \"p\" {\n  text = \"path {}\"\n}\n"),
        "podpass.hcl:2:11: policy \"p\": a path block takes exactly one path, as in path \"secret/*\" { … } (found 0)"
    );
    assert_eq!(
        sh("vault policy write root - <<< 'path \"a\" { capabilities = [\"read\"] }'\n"),
        "setup.sh:1:1: policy \"root\": cannot update \"root\" policy"
    );
}

#[test]
fn command_errors_point_at_the_command_or_argument() {
    let cases = [
        (
            "vault auth enable kubernetes\nvault write auth/kubernetes/role/grade-api \\\n    bound_service_account_names=grade-api-sa \\\n    token_ttl=1x\n",
            "setup.sh:4:5: auth/kubernetes/role/grade-api: Field validation failed: error converting input 1x for field \"token_ttl\": time: unknown unit \"x\" in duration \"1x\"",
        ),
        (
            "vault write auth/kubernetes/role/r bound_service_account_names=a\n",
            "setup.sh:1:1: auth/kubernetes/role/r: \"bound_service_account_namespaces\" can not be empty if \"bound_service_account_namespace_selector\" is not set",
        ),
        (
            "vault write auth/kubernetes/config kubernetes_host=h pem_keys=garbage\n",
            "setup.sh:1:54: auth/kubernetes/config: data does not contain any valid RSA or ECDSA public keys",
        ),
        (
            "vault write auth/kubernetes/role/r bound_service_account_names=\"a\n",
            "setup.sh:1:64: unterminated double quote",
        ),
        (
            "# setup\n$ vault policy write p - <<EOF\npath \"a\" {}\n",
            "setup.sh:2:26: here-document is not terminated: no line `EOF` before the end of the input",
        ),
        (
            "vault auth enable -path=k8s\n",
            "setup.sh:1:1: vault auth enable: missing the auth method type (e.g. kubernetes)",
        ),
        (
            "vault write auth/kubernetes/role/r bound_service_account_names=a oops\n",
            "setup.sh:1:66: Invalid key/value pair 'oops': format must be key=value",
        ),
        (
            "vault policy write only-a-name\n",
            "setup.sh:1:1: vault policy write: needs a policy name and a file (or `-` with a here-document)",
        ),
        (
            "vault write auth/kubernetes/role/r - <<EOF\nnot json\nEOF\n",
            "setup.sh:1:36: the JSON data is not an object: expected ident at line 1 column 2",
        ),
        (
            "vault write sys/auth/k8s description=x\n",
            "setup.sh:1:1: sys/auth/k8s: missing auth method type (`type`)",
        ),
        (
            "vault auth tune -default-lease-ttl=forever kubernetes\n",
            "setup.sh:1:17: auth/kubernetes/ tune: default_lease_ttl: time: invalid duration \"forever\"",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(sh(text), expected, "{text}");
    }
}

#[test]
fn json_errors_point_at_the_key() {
    let cases = [
        (
            "{\"auth\": {,}}",
            "config.json:1:11: invalid JSON: Unexpected token in object",
        ),
        ("", "config.json:1:1: the input is empty"),
        (
            "\"text\"",
            "config.json:1:1: expected a configuration document ({\"auth\": …, \"policies\": …}) or a request list ([{\"path\": …, \"data\": …}])",
        ),
        (
            "{\"auth\": {}, \"auth\": {}}",
            "config.json:1:14: duplicate key \"auth\" (first at line 1)",
        ),
        (
            "{\"policys\": {}}",
            "config.json:1:2: unknown key \"policys\" (a configuration document has \"auth\" and \"policies\"; a request list is a JSON array)",
        ),
        (
            "{\"auth\": {\"kubernetes\": {\n  \"roles\": {\n    \"r\": {\n      \"bound_service_account_names\": \"a\",\n      \"ttl\": \"1x\"\n    }\n  }\n}}}\n",
            "config.json:5:7: auth/kubernetes/role/r: Field validation failed: error converting input 1x for field \"ttl\": time: unknown unit \"x\" in duration \"1x\"",
        ),
        (
            "{\"auth\": {\"kubernetes\": {\"roles\": {\"r\": {\"a\": 1, \"a\": 2}}}}}",
            "config.json:1:50: duplicate key \"a\" (first at line 1)",
        ),
        (
            "{\"auth\": {\"kubernetes\": {\"type\": \"jwt\"}}}",
            "config.json:1:34: auth \"kubernetes\": podpass models Kubernetes auth only (\"type\": \"kubernetes\")",
        ),
        (
            "{\"auth\": {\"kubernetes\": {\"roles\": []}}}",
            "config.json:1:35: auth \"kubernetes\" roles must be an object, not an array",
        ),
        (
            "[{\"data\": {}}]",
            "config.json:1:2: a request needs a \"path\"",
        ),
        (
            "[1]",
            "config.json:1:2: each request must be an object, not a number",
        ),
        (
            "[\n  {\"path\": \"auth/kubernetes/role/r\", \"data\": {\"bound_service_account_names\": \"a\"}}\n]",
            "config.json:2:4: auth/kubernetes/role/r: \"bound_service_account_namespaces\" can not be empty if \"bound_service_account_namespace_selector\" is not set",
        ),
        (
            "{\"policies\": {\"p\": 1}}",
            "config.json:1:20: policy \"p\" must be the policy text (a string), not a number",
        ),
        (
            "{\"auth\": {\"k\": {\"config\": {\"kubernetes_host\": 1e999}}}}",
            "config.json:1:47: number 1e999 is out of range",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(json(text), expected, "{text}");
    }
}

fn import_everything(text: &str) -> Vec<Result<(), ImportError>> {
    [
        None,
        Some(SourceFormat::VaultCommands),
        Some(SourceFormat::PodpassHcl),
        Some(SourceFormat::ApiJson),
    ]
    .into_iter()
    .map(|format| {
        Configuration::import(text, "fuzz", format, &NoFiles).map(|imported| {
            // Whatever was imported exports and imports back.
            let c = imported.configuration;
            for (text, form) in [
                (c.to_podpass_hcl(), SourceFormat::PodpassHcl),
                (c.to_vault_commands(), SourceFormat::VaultCommands),
            ] {
                if let Err(e) = Configuration::import(&text, "export", Some(form), &NoFiles) {
                    panic!("export of {text:?} does not import: {e}");
                }
            }
        })
    })
    .collect()
}

#[test]
fn garbage_never_panics() {
    let pieces = [
        "vault",
        " ",
        "write",
        "auth/kubernetes/role/r",
        "policy",
        "auth",
        "enable",
        "kubernetes",
        "\n",
        "\\\n",
        "\\",
        "'",
        "\"",
        "$",
        "${",
        "}",
        "$(",
        ")",
        "`",
        "<<",
        "<<-",
        "EOF",
        "<<<",
        "<",
        ">",
        "|",
        "&&",
        ";",
        "#",
        "=",
        "@",
        "-",
        "bound_service_account_names=a",
        "bound_service_account_namespaces=b",
        "{",
        "[",
        "]",
        ",",
        ":",
        "\"auth\"",
        "\"path\"",
        "auth \"k\" {",
        "role \"r\" {",
        "policy \"p\" {",
        "path \"a\" {",
        "capabilities = [\"read\"]",
        "file(\"x\")",
        "<<EOT\n",
        "EOT",
        "\t",
        "\r\n",
        "é",
        "😀",
        "\u{0}",
        "\u{feff}",
        "export X=",
        "$X",
        "%{",
        "token_ttl",
        "1h",
        "null",
        "true",
        "0",
        "-1",
        "1e999",
    ];
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let len = (rng.next() % 40) as usize;
        let text: String = (0..len).map(|_| rng.pick(&pieces)).collect();
        let _ = import_everything(&text);
    }
    // Random bytes, made into text the way a caller reading a file lossily would.
    for _ in 0..500 {
        let len = (rng.next() % 200) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| (rng.next() & 0xff) as u8).collect();
        let _ = import_everything(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn every_prefix_of_every_fixture_imports_or_fails_cleanly() {
    let dir = support::fixtures();
    let files = [
        "tutorial/setup.sh",
        "configuration/tutorial-pasted.sh",
        "configuration/tutorial.podpass.hcl",
        "configuration/tutorial.json",
        "configuration/tutorial.requests.json",
        "configuration/all-fields.podpass.hcl",
        "configuration/tutorial.export.sh",
    ];
    for file in files {
        let text = support::read(&dir.join(file));
        let boundaries: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(3).collect();
        for end in boundaries {
            let prefix = &text[..end];
            for format in [
                SourceFormat::VaultCommands,
                SourceFormat::PodpassHcl,
                SourceFormat::ApiJson,
            ] {
                if let Err(e) = Configuration::import(prefix, file, Some(format), &NoFiles) {
                    assert!(
                        e.location.line >= 1 && e.location.column >= 1,
                        "{file}[..{end}]: {e:?}"
                    );
                    assert!(!e.message.is_empty());
                }
            }
        }
    }
}

/// Inputs the fuzz targets found that kept hcl-edit busy for minutes (its backtracking doubles
/// with each nesting level past about 30): every HCL reader now refuses them at once, naming
/// the limit and where it was passed.
#[test]
fn hcl_nested_past_the_limit_is_refused_by_every_reader() {
    let fuzz = support::fixtures().join("fuzz");
    let read =
        |name: &str| String::from_utf8_lossy(&std::fs::read(fuzz.join(name)).unwrap()).to_string();
    let deep = "brackets nest deeper than 32 levels";

    let policy = read("deep-policy.hcl");
    let policy = policy
        .split_once('\n')
        .map_or(policy.as_str(), |(_, rest)| rest);
    let error = podpass_core::policy::Policy::parse("deep", policy)
        .unwrap_err()
        .to_string();
    assert!(error.contains(deep), "{error}");
    let error = podpass_core::policy::format_policy(policy).unwrap_err();
    assert!(error.message.contains(deep), "{}", error.message);

    let config = read("deep.podpass.hcl");
    let error = Configuration::import(
        &config,
        "deep.podpass.hcl",
        Some(SourceFormat::PodpassHcl),
        &NoFiles,
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains(deep), "{error}");

    let tests = read("deep.test.hcl");
    let error = podpass_core::policy_test::parse(&tests)
        .unwrap_err()
        .to_string();
    assert!(error.contains(deep), "{error}");
}
