//! Loads the tutorial scenario from `tests/fixtures/tutorial/` and mints its tokens.
#![allow(dead_code)] // each including crate uses a different part
#![allow(clippy::disallowed_methods, reason = "size rules are for wasm faces")]

use std::path::{Path, PathBuf};

use podpass_core::configuration::Configuration;
use podpass_core::jwt::SigningAlgorithm;
use podpass_core::keys::KeySet;
use podpass_core::mint::{self, SigningKey, TokenSpec};
use podpass_core::mount::KubernetesMount;
use podpass_core::role::Role;
use podpass_core::ttl::MountTtls;
use serde_json::{Map, Value, json};

pub mod hostile;

/// A fixed "now" for every test: 2026-05-28T20:26:40Z.
pub const NOW: i64 = 1_780_000_000;
/// The accessor the tutorial's mount gets in tests.
pub const ACCESSOR: &str = "auth_kubernetes_5e1f0c2a";

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn key_pem(name: &str) -> String {
    read(&fixtures().join("keys").join(name))
}

/// Reads a JSON API body, replacing `"@file"` strings (also inside arrays) by the file's text,
/// as `vault write k=@file` does.
pub fn api_body(path: &Path) -> Map<String, Value> {
    let base = path.parent().unwrap_or(Path::new("."));
    let value: Value = serde_json::from_str(&read(path)).expect("fixture is JSON");
    fn resolve(value: Value, base: &Path) -> Value {
        match value {
            Value::String(s) if s.starts_with('@') => Value::String(read(&base.join(&s[1..]))),
            Value::Array(items) => {
                Value::Array(items.into_iter().map(|v| resolve(v, base)).collect())
            }
            Value::Object(map) => Value::Object(
                map.into_iter()
                    .map(|(k, v)| (k, resolve(v, base)))
                    .collect(),
            ),
            other => other,
        }
    }
    match resolve(value, base) {
        Value::Object(map) => map,
        _ => panic!("{} is not a JSON object", path.display()),
    }
}

/// The tutorial's mount: config with the RSA fixture key and the five roles.
pub fn tutorial_mount() -> KubernetesMount {
    let dir = fixtures().join("tutorial");
    let mut mount = KubernetesMount::new("kubernetes", ACCESSOR);
    mount
        .write_config(&api_body(&dir.join("config.json")))
        .expect("tutorial config is valid");
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join("roles"))
        .expect("roles dir")
        .map(|e| e.expect("entry").path())
        .collect();
    names.sort();
    for path in names {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let written = Role::write(&name, &api_body(&path), None, &MountTtls::default())
            .unwrap_or_else(|e| panic!("role {name}: {e}"));
        mount.put_role(written.role);
    }
    mount
}

/// The fixture P-256 public key as a JWK Set of one key named `kid`, as a cluster's OIDC
/// discovery serves its keys.
pub fn ec_p256_jwks(kid: &str) -> KeySet {
    let private = key_pem("ec-p256.key.pem");
    let encoding = jsonwebtoken::EncodingKey::from_ec_pem(private.as_bytes()).expect("ec key");
    let mut jwk =
        jsonwebtoken::jwk::Jwk::from_encoding_key(&encoding, jsonwebtoken::Algorithm::ES256)
            .expect("jwk");
    jwk.common.key_id = Some(kid.into());
    KeySet::from_jwks_json(&json!({"keys": [jwk]}).to_string()).expect("jwks")
}

pub fn rsa_key() -> SigningKey {
    SigningKey::from_pem(&key_pem("rsa-2048.key.pem"), SigningAlgorithm::RS256, None)
        .expect("rsa key")
}

/// A projected token for `namespace/service_account`, issued a minute before [`NOW`].
pub fn token(namespace: &str, service_account: &str) -> String {
    mint::mint(
        &TokenSpec::projected(namespace, service_account, NOW - 60),
        &rsa_key(),
    )
    .expect("mint")
}

pub fn spec(namespace: &str, service_account: &str) -> TokenSpec {
    TokenSpec::projected(namespace, service_account, NOW - 60)
}

pub fn sign(spec: &TokenSpec) -> String {
    mint::mint(spec, &rsa_key()).expect("mint")
}

pub fn body(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

/// A tiny seeded xorshift generator: hostile-input tests and benchmarks must draw the same
/// inputs every run, so failures reproduce, without a random-number dependency.
pub struct XorShift(pub u64);

impl XorShift {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// What must survive every form: mounts with their TTLs and configs, roles by their effective
/// settings (the legacy names record how a value was written, not what it is), and policies by
/// their parsed rules (line numbers depend on the layout).
pub fn configuration_view(configuration: &Configuration) -> Value {
    let mut mounts = Map::new();
    for (path, mount) in configuration.mounts() {
        let mut roles = Map::new();
        for (name, role) in mount.roles() {
            let mut role = role.clone();
            role.legacy = Default::default();
            roles.insert(name.clone(), role.to_read_json());
        }
        mounts.insert(
            path.clone(),
            json!({
                "ttls": [mount.ttls().default_lease_ttl, mount.ttls().max_lease_ttl],
                "config": mount.config().map(|c| serde_json::to_value(c).unwrap()),
                "roles": roles,
            }),
        );
    }
    let mut policies = Map::new();
    for (name, entry) in configuration.policies() {
        let rules: Vec<Value> = entry
            .policy
            .paths()
            .iter()
            .map(|rule| {
                let mut rule = rule.clone();
                rule.line = 0;
                serde_json::to_value(rule).unwrap()
            })
            .collect();
        policies.insert(name.clone(), Value::Array(rules));
    }
    json!({"mounts": mounts, "policies": policies})
}
