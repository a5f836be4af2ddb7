//! The Kubernetes manifests in `deploy/`: every file parses as YAML, the objects the
//! in-cluster setup needs are there, and they agree with each other — the Deployment runs as the
//! ServiceAccount that the ClusterRoleBinding gives `system:auth-delegator`, its probes hit
//! `/v1/sys/health` on the port the container listens on, the Service selects its pods, and the
//! ConfigMap's podpass.hcl is a configuration podpass accepts, listening on that port.

use std::path::{Path, PathBuf};

use podpass_core::configuration::{Configuration, NoFiles};
use serde::Deserialize;
use serde_yaml_ng::Value;

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

/// Every document of every `deploy/*.yaml`, with the file it came from.
fn manifests() -> Vec<(String, Value)> {
    manifests_in(&deploy_dir(), &[])
}

/// What `kubectl apply` gets for replicas on PostgreSQL: `deploy/replicas/`, plus the objects
/// of `deploy/` it shares (namespace, service account and its binding, Service, seal key).
fn replica_manifests() -> Vec<(String, Value)> {
    let mut shared = manifests_in(
        &deploy_dir(),
        &[
            "deployment.yaml",
            "configmap.yaml",
            "persistentvolumeclaim.yaml",
        ],
    );
    shared.extend(manifests_in(&deploy_dir().join("replicas"), &[]));
    shared
}

/// The documents of the `*.yaml` files in `dir`, except those named in `skip`.
fn manifests_in(dir: &Path, skip: &[&str]) -> Vec<(String, Value)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .filter(|path| {
            !skip
                .iter()
                .any(|name| path.file_name().is_some_and(|file| file == *name))
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no manifests in {}", dir.display());
    let mut documents = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        for document in serde_yaml_ng::Deserializer::from_str(&text) {
            let value = Value::deserialize(document)
                .unwrap_or_else(|e| panic!("{name} is not valid YAML: {e}"));
            if !value.is_null() {
                documents.push((name.clone(), value));
            }
        }
    }
    documents
}

fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    let mut at = value;
    for key in path {
        at = &at[*key];
    }
    at.as_str()
        .unwrap_or_else(|| panic!("{} is not a string in {value:?}", path.join(".")))
}

/// The one object of `kind`.
fn only(manifests: &[(String, Value)], kind: &str) -> Value {
    let found: Vec<&Value> = manifests
        .iter()
        .filter(|(_, v)| v["kind"].as_str() == Some(kind))
        .map(|(_, v)| v)
        .collect();
    assert_eq!(found.len(), 1, "expected exactly one {kind} in deploy/");
    found[0].clone()
}

#[test]
fn every_manifest_is_a_kubernetes_object_in_the_podpass_namespace() {
    let manifests = manifests();
    let namespace = only(&manifests, "Namespace");
    let name = text(&namespace, &["metadata", "name"]);
    for (file, object) in &manifests {
        assert!(
            !text(object, &["apiVersion"]).is_empty(),
            "{file}: apiVersion"
        );
        let kind = text(object, &["kind"]);
        assert!(!text(object, &["metadata", "name"]).is_empty(), "{file}");
        let cluster_scoped = matches!(kind, "Namespace" | "ClusterRoleBinding");
        if !cluster_scoped {
            assert_eq!(
                text(object, &["metadata", "namespace"]),
                name,
                "{file}: {kind} outside the namespace"
            );
        }
    }
    let mut kinds: Vec<&str> = manifests
        .iter()
        .map(|(_, v)| v["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    for kind in [
        "ClusterRoleBinding",
        "ConfigMap",
        "Deployment",
        "Namespace",
        "Secret",
        "Service",
        "ServiceAccount",
    ] {
        assert!(kinds.contains(&kind), "deploy/ has no {kind}: {kinds:?}");
    }
}

#[test]
fn the_deployment_runs_as_the_service_account_bound_to_auth_delegator() {
    let manifests = manifests();
    let account = only(&manifests, "ServiceAccount");
    let deployment = only(&manifests, "Deployment");
    let binding = only(&manifests, "ClusterRoleBinding");
    let account_name = text(&account, &["metadata", "name"]);
    assert_eq!(
        text(
            &deployment,
            &["spec", "template", "spec", "serviceAccountName"]
        ),
        account_name
    );
    assert_eq!(text(&binding, &["roleRef", "kind"]), "ClusterRole");
    assert_eq!(
        text(&binding, &["roleRef", "name"]),
        "system:auth-delegator"
    );
    assert_eq!(
        text(&binding, &["roleRef", "apiGroup"]),
        "rbac.authorization.k8s.io"
    );
    let subjects = binding["subjects"].as_sequence().unwrap();
    assert!(
        subjects.iter().any(|s| {
            s["kind"].as_str() == Some("ServiceAccount")
                && s["name"].as_str() == Some(account_name)
                && s["namespace"] == account["metadata"]["namespace"]
        }),
        "the ClusterRoleBinding does not bind {account_name}: {subjects:?}"
    );
}

/// The container port a probe or Service names, by number or by port name.
fn resolve_port(container: &Value, port: &Value) -> u64 {
    let ports = container["ports"].as_sequence().unwrap();
    match port {
        Value::Number(n) => {
            let n = n.as_u64().unwrap();
            assert!(
                ports.iter().any(|p| p["containerPort"].as_u64() == Some(n)),
                "port {n} is not a container port"
            );
            n
        }
        Value::String(name) => ports
            .iter()
            .find(|p| p["name"].as_str() == Some(name))
            .and_then(|p| p["containerPort"].as_u64())
            .unwrap_or_else(|| panic!("no container port named {name}")),
        other => panic!("a port must be a number or a name, not {other:?}"),
    }
}

#[test]
fn probes_hit_sys_health_on_the_port_podpass_listens_on() {
    let manifests = manifests();
    let deployment = only(&manifests, "Deployment");
    let containers = deployment["spec"]["template"]["spec"]["containers"]
        .as_sequence()
        .unwrap();
    assert_eq!(containers.len(), 1);
    let container = &containers[0];
    let mut probed = Vec::new();
    for probe in ["readinessProbe", "livenessProbe"] {
        let get = &container[probe]["httpGet"];
        assert_eq!(text(get, &["path"]), "/v1/sys/health", "{probe}");
        probed.push(resolve_port(container, &get["port"]));
    }

    // The ConfigMap's podpass.hcl is what the container is started with, and listens there.
    let args: Vec<&str> = container["args"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[0], "serve");
    let config_path = args[args.iter().position(|a| *a == "--config").unwrap() + 1];
    let mounts = container["volumeMounts"].as_sequence().unwrap();
    let config_mount = mounts
        .iter()
        .find(|m| config_path.starts_with(text(m, &["mountPath"])))
        .expect("the --config file is not on a mounted volume");
    let volume = deployment["spec"]["template"]["spec"]["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| v["name"] == config_mount["name"])
        .unwrap();
    let config_map = only(&manifests, "ConfigMap");
    assert_eq!(
        text(volume, &["configMap", "name"]),
        text(&config_map, &["metadata", "name"])
    );
    let file_name = Path::new(config_path)
        .file_name()
        .unwrap()
        .to_string_lossy();
    let hcl = text(&config_map, &["data", &file_name]);
    let imported = Configuration::import(hcl, "configmap.yaml", None, &NoFiles)
        .unwrap_or_else(|e| panic!("the ConfigMap's podpass.hcl is refused: {e}"));
    let server = imported.server.expect("podpass.hcl has no server block");
    let settings = podpass_server::settings::ServerSettings::from_block(&server)
        .unwrap_or_else(|e| panic!("the server refuses the ConfigMap's server block: {e}"));
    let listen = settings.listen.expect("the server block sets no listen");
    let listen_port: u64 = listen.rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        probed.iter().all(|p| *p == listen_port),
        "probes hit {probed:?}, podpass listens on {listen}"
    );
    assert!(
        imported.configuration.mount("kubernetes").is_some(),
        "no kubernetes auth mount"
    );

    // The seal key reaches the container from the Secret.
    let secret = only(&manifests, "Secret");
    let env = container["env"].as_sequence().unwrap();
    let seal = env
        .iter()
        .find(|e| e["name"].as_str() == Some("PODPASS_SEAL_KEY"))
        .expect("PODPASS_SEAL_KEY is not set");
    assert_eq!(
        text(seal, &["valueFrom", "secretKeyRef", "name"]),
        text(&secret, &["metadata", "name"])
    );

    // The Service sends traffic to this port on these pods.
    let service = only(&manifests, "Service");
    let selector = service["spec"]["selector"].as_mapping().unwrap();
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    for (key, value) in selector {
        assert_eq!(&labels[key.as_str().unwrap()], value, "selector {key:?}");
    }
    let service_port = &service["spec"]["ports"][0];
    assert_eq!(
        resolve_port(container, &service_port["targetPort"]),
        listen_port
    );
}

/// The one object of `kind` called `name`.
fn named(manifests: &[(String, Value)], kind: &str, name: &str) -> Value {
    manifests
        .iter()
        .map(|(_, v)| v)
        .find(|v| v["kind"].as_str() == Some(kind) && v["metadata"]["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {kind} called {name}"))
        .clone()
}

#[test]
fn replicas_share_postgresql_and_keep_two_ready_through_disruptions() {
    let manifests = replica_manifests();
    let deployment = only(&manifests, "Deployment");
    let replicas = deployment["spec"]["replicas"].as_u64().unwrap();
    assert_eq!(replicas, 3);
    let pod = &deployment["spec"]["template"];
    let container = &pod["spec"]["containers"][0];

    // The store is the database: no volume claim, and both secrets reach the container.
    let volumes = pod["spec"]["volumes"].as_sequence().unwrap();
    assert!(
        volumes.iter().all(|v| v["persistentVolumeClaim"].is_null()),
        "a replica must not need a volume of its own: {volumes:?}"
    );
    let env = container["env"].as_sequence().unwrap();
    for (variable, secret) in [
        ("PODPASS_SEAL_KEY", "podpass-seal-key"),
        ("PODPASS_STORAGE_URL", "podpass-storage"),
    ] {
        let entry = env
            .iter()
            .find(|e| e["name"].as_str() == Some(variable))
            .unwrap_or_else(|| panic!("{variable} is not set"));
        let reference = &entry["valueFrom"]["secretKeyRef"];
        assert_eq!(text(reference, &["name"]), secret);
        let secret = named(&manifests, "Secret", secret);
        assert!(
            !secret["stringData"][text(reference, &["key"])].is_null(),
            "{secret:?} has no {variable}"
        );
    }

    // Readiness follows sys/health (503 while the database is away); liveness does not.
    let listen_port = 8200;
    let readiness = &container["readinessProbe"]["httpGet"];
    assert_eq!(text(readiness, &["path"]), "/v1/sys/health");
    assert_eq!(resolve_port(container, &readiness["port"]), listen_port);
    assert!(container["livenessProbe"]["httpGet"].is_null());
    assert_eq!(
        resolve_port(container, &container["livenessProbe"]["tcpSocket"]["port"]),
        listen_port
    );

    // The file selects PostgreSQL, with the URL from the environment.
    let config_map = only(&manifests, "ConfigMap");
    let hcl = text(&config_map, &["data", "podpass.hcl"]);
    let imported = Configuration::import(hcl, "replicas/configmap.yaml", None, &NoFiles)
        .unwrap_or_else(|e| panic!("the replicas' podpass.hcl is refused: {e}"));
    let storage = imported.storage.expect("no storage block");
    let settings = podpass_server::settings::storage_from_block(
        &storage,
        Some("postgres://podpass@db/podpass".into()),
    )
    .unwrap_or_else(|e| panic!("the server refuses the storage block: {e}"));
    assert_eq!(settings.connection_url, "postgres://podpass@db/podpass");
    let server = podpass_server::settings::ServerSettings::from_block(
        &imported.server.expect("no server block"),
    )
    .unwrap();
    assert_eq!(server.listen.as_deref(), Some("0.0.0.0:8200"));

    // The budget keeps a majority of these pods through voluntary disruptions.
    let budget = only(&manifests, "PodDisruptionBudget");
    let min_available = budget["spec"]["minAvailable"].as_u64().unwrap();
    assert!(min_available >= 2 && min_available < replicas);
    let labels = &pod["metadata"]["labels"];
    for (key, value) in budget["spec"]["selector"]["matchLabels"]
        .as_mapping()
        .unwrap()
    {
        assert_eq!(
            &labels[key.as_str().unwrap()],
            value,
            "budget selector {key:?}"
        );
    }
}
