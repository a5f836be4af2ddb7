//! One configuration model for every face: Kubernetes auth mounts (each with its config and
//! roles) and ACL policies, with where each item was defined so tools can point at it.
//!
//! It is filled from Vault API bodies, a `podpass.hcl` file or the tutorial's own `vault`
//! commands (see the reader submodules), and answers the two questions podpass exists for: what
//! does a login get, and what may its token do.

// The readers are compiled in every build (the writers beside them serve `export`, and the
// `server {}` block's type is part of every import's answer); a reader whose feature is off is
// never reached from `Configuration::import`, so the linker leaves it out.
mod api_json;
#[cfg_attr(not(feature = "vault-commands"), allow(dead_code))]
mod commands;
mod export;
#[cfg_attr(not(feature = "podpass-hcl"), allow(dead_code))]
mod hcl_file;
mod import;
#[cfg_attr(not(feature = "vault-commands"), allow(dead_code))]
mod shell;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::acl::{Acl, AclError};
use crate::diagnostic::Location;
use crate::login::{LoginRequest, LoginResult, LoginSuccess, evaluate_login};
use crate::mount::KubernetesMount;
use crate::names;
use crate::policy::{DEFAULT_POLICY_NAME, Policy, PolicyError, normalize_name};

pub use hcl_file::{ServerAttribute, ServerBlock};
pub use import::{
    FileSource, ImportError, ImportNote, Imported, NoFiles, SourceFormat, detect_format,
};

/// Vault's default path for the Kubernetes auth method (`vault auth enable kubernetes`), and
/// the mount [`Configuration::default_mount`] prefers.
pub const DEFAULT_MOUNT_PATH: &str = "kubernetes";

/// Where an item was defined: a source name (file name, or `<input>` for pasted text) and a
/// 1-based line, 0 when unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub struct Origin {
    /// The file or input the item came from.
    pub source: String,
    /// The line it starts on (1-based; 0 when unknown).
    pub line: u32,
}

impl Origin {
    /// An origin at `line` of `source`.
    pub fn new(source: &str, line: u32) -> Origin {
        Origin {
            source: source.to_string(),
            line,
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            f.write_str(&self.source)
        } else {
            write!(f, "{}:{}", self.source, self.line)
        }
    }
}

/// A policy as written and as parsed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyEntry {
    /// The parsed policy.
    pub policy: Policy,
    /// The text it was parsed from (kept for formatting, export and line numbers).
    pub text: String,
    /// Where it was defined.
    pub origin: Origin,
}

/// Auth mounts and policies.
///
/// The maps' values are boxed, here and in [`KubernetesMount`]: every `BTreeMap<String, Box<_>>`
/// then compiles to the same B-tree code, which wasm-opt keeps once (about 15 KB gzip of the edge
/// build) where each value type would otherwise bring a copy of its own.
#[derive(Debug, Clone, Default)]
pub struct Configuration {
    mounts: BTreeMap<String, Box<KubernetesMount>>,
    role_origins: ByMountAndRole<Box<Origin>>,
    config_origins: BTreeMap<String, Box<Origin>>,
    policies: BTreeMap<String, Box<PolicyEntry>>,
}

/// Values by mount path, then by role name: maps keyed by `String` alone, boxed like the
/// [`Configuration`]'s, where a `(mount, role)` key would bring B-tree code of its own.
#[derive(Debug, Clone)]
#[allow(clippy::box_collection)] // boxed on purpose: see above
pub(crate) struct ByMountAndRole<V>(BTreeMap<String, Box<BTreeMap<String, V>>>);

impl<V> Default for ByMountAndRole<V> {
    fn default() -> Self {
        ByMountAndRole(BTreeMap::new())
    }
}

impl<V> ByMountAndRole<V> {
    /// Sets the value for `role` on `mount`, answering the one it replaces.
    pub(crate) fn insert(&mut self, mount: &str, role: String, value: V) -> Option<V> {
        self.0
            .entry(mount.to_string())
            .or_default()
            .insert(role, value)
    }

    pub(crate) fn get(&self, mount: &str, role: &str) -> Option<&V> {
        self.0.get(mount)?.get(role)
    }

    pub(crate) fn remove(&mut self, mount: &str, role: &str) -> Option<V> {
        let roles = self.0.get_mut(mount)?;
        let removed = roles.remove(role);
        if roles.is_empty() {
            self.0.remove(mount);
        }
        removed
    }

    /// Forgets every role of `mount`.
    pub(crate) fn remove_mount(&mut self, mount: &str) {
        self.0.remove(mount);
    }
}

/// Where each name was first defined in a text, so that a second definition is refused with
/// both places. Boxed like the [`Configuration`]'s maps, for the same reason.
#[derive(Default)]
pub(crate) struct FirstDefinitions(BTreeMap<String, Box<Location>>);

impl FirstDefinitions {
    /// Records `name` as defined at `at`; answers where it was defined before, if it was.
    pub(crate) fn define(&mut self, name: String, at: Location) -> Option<Location> {
        self.0.insert(name, Box::new(at)).map(|first| *first)
    }
}

/// The accessor podpass gives a mount offline: `auth_kubernetes_` and 8 hex digits derived from
/// the path, so templated policies written against it stay valid across runs.
pub(crate) fn offline_accessor(mount_path: &str) -> String {
    let id = uuid::Uuid::new_v5(
        &uuid::Uuid::NAMESPACE_URL,
        format!("podpass:mount:{mount_path}").as_bytes(),
    );
    format!("auth_kubernetes_{}", &id.simple().to_string()[..8])
}

impl Configuration {
    /// An empty configuration.
    pub fn new() -> Configuration {
        Configuration::default()
    }

    /// Enables the Kubernetes method at `auth/<path>/` (idempotent) and returns the mount.
    pub fn enable_kubernetes(&mut self, path: &str) -> &mut KubernetesMount {
        let path = path.trim_matches('/').to_string();
        self.mounts
            .entry(path.clone())
            .or_insert_with(|| Box::new(KubernetesMount::new(&path, &offline_accessor(&path))))
    }

    /// Adds a mount built elsewhere (e.g. with a server-assigned accessor), replacing one at the
    /// same path.
    pub fn insert_mount(&mut self, mount: KubernetesMount) {
        self.mounts
            .insert(mount.path().to_string(), Box::new(mount));
    }

    /// Disables the mount at `auth/<path>/` (`vault auth disable`), with its roles' origins;
    /// returns it if it existed.
    pub fn remove_mount(&mut self, path: &str) -> Option<KubernetesMount> {
        let path = path.trim_matches('/');
        self.role_origins.remove_mount(path);
        self.config_origins.remove(path);
        self.mounts.remove(path).map(|mount| *mount)
    }

    /// The mount at `auth/<path>/`.
    pub fn mount(&self, path: &str) -> Option<&KubernetesMount> {
        self.mounts
            .get(path.trim_matches('/'))
            .map(|mount| &**mount)
    }

    /// The mount at `auth/<path>/`, mutable.
    pub fn mount_mut(&mut self, path: &str) -> Option<&mut KubernetesMount> {
        self.mounts
            .get_mut(path.trim_matches('/'))
            .map(|mount| &mut **mount)
    }

    /// Every mount by path.
    pub fn mounts(&self) -> &BTreeMap<String, Box<KubernetesMount>> {
        &self.mounts
    }

    /// The mount a login or test uses when it names none: `kubernetes` when there is one
    /// (Vault's default path for the method), else the only mount, else none. Every face asks
    /// here, so a configuration with mounts `a` and `kubernetes` logs in on the same mount in
    /// the CLI, the wasm engine and the playground.
    pub fn default_mount(&self) -> Option<&str> {
        if let Some((path, _)) = self.mounts.get_key_value(DEFAULT_MOUNT_PATH) {
            return Some(path);
        }
        match self.mounts.keys().collect::<Vec<_>>().as_slice() {
            [only] => Some(only.as_str()),
            _ => None,
        }
    }

    /// Records where a role was defined.
    pub fn set_role_origin(&mut self, mount: &str, role: &str, origin: Origin) {
        self.role_origins.insert(
            mount.trim_matches('/'),
            names::lowercase(role),
            Box::new(origin),
        );
    }

    /// Where a role was defined, if known.
    pub fn role_origin(&self, mount: &str, role: &str) -> Option<&Origin> {
        self.role_origins
            .get(mount.trim_matches('/'), &names::lowercase(role))
            .map(|origin| &**origin)
    }

    /// Records where a mount's config was written.
    pub fn set_config_origin(&mut self, mount: &str, origin: Origin) {
        self.config_origins
            .insert(mount.trim_matches('/').to_string(), Box::new(origin));
    }

    /// Where a mount's config was written, if known.
    pub fn config_origin(&self, mount: &str) -> Option<&Origin> {
        self.config_origins
            .get(mount.trim_matches('/'))
            .map(|origin| &**origin)
    }

    /// Parses and stores a policy (`vault policy write <name>`), replacing one of the same name.
    pub fn put_policy(
        &mut self,
        name: &str,
        text: &str,
        origin: Origin,
    ) -> Result<&PolicyEntry, PolicyError> {
        let policy = Policy::parse(name, text)?;
        let key = policy.name().to_string();
        self.policies.insert(
            key.clone(),
            Box::new(PolicyEntry {
                policy,
                text: text.to_string(),
                origin,
            }),
        );
        Ok(&self.policies[&key])
    }

    /// A policy by (case-insensitive) name; `default` is Vault's built-in unless overridden.
    pub fn policy(&self, name: &str) -> Option<&PolicyEntry> {
        self.policies
            .get(&normalize_name(name))
            .map(|entry| &**entry)
    }

    /// The policies written into this configuration, by name.
    pub fn policies(&self) -> &BTreeMap<String, Box<PolicyEntry>> {
        &self.policies
    }

    /// Removes a policy.
    pub fn remove_policy(&mut self, name: &str) -> Option<PolicyEntry> {
        self.policies
            .remove(&normalize_name(name))
            .map(|entry| *entry)
    }

    /// Evaluates a login on a mount offline (TokenReview skipped). `None` when no such mount.
    pub fn login(&self, mount: &str, request: &LoginRequest) -> Option<LoginResult> {
        self.mount(mount).map(|m| evaluate_login(m, request))
    }

    /// The names among `names` that no policy defines (Vault attaches them to tokens silently;
    /// they grant nothing). `default` and `root` are always defined.
    pub fn missing_policies<'a>(&self, names: &'a [String]) -> Vec<&'a str> {
        names
            .iter()
            .map(String::as_str)
            .filter(|n| *n != DEFAULT_POLICY_NAME && *n != "root" && self.policy(n).is_none())
            .collect()
    }

    /// The ACL of the token a successful login issues: its policies (Vault's built-in `default`
    /// unless written here; names no policy defines grant nothing) with templated paths filled
    /// from the login's identity.
    pub fn acl_for_login(&self, success: &LoginSuccess) -> Result<Acl, AclError> {
        self.acl_for_policies(&success.policies, Some(&success.identity))
    }

    /// The ACL for a list of policy names, optionally with an identity for templated paths.
    pub fn acl_for_policies(
        &self,
        names: &[String],
        identity: Option<&crate::identity::Identity>,
    ) -> Result<Acl, AclError> {
        let builtin_default = Policy::default_policy();
        let root = Policy::root();
        let mut chosen: Vec<&Policy> = Vec::with_capacity(names.len());
        for name in names {
            let name = normalize_name(name);
            match self.policies.get(&name) {
                Some(entry) => chosen.push(&entry.policy),
                None if name == DEFAULT_POLICY_NAME => chosen.push(&builtin_default),
                None if name == "root" => chosen.push(&root),
                None => {}
            }
        }
        Acl::new(chosen, identity)
    }
}
