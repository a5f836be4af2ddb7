//! Which backend handles a path, whether it needs a token, and what it is checked as.

mod explain;
mod kubernetes;
mod kv;
mod policy;
mod sys;
mod token;

use podpass_core::acl::Operation;
use podpass_core::policy::{is_relative_name, normalize_name};
use podpass_core::role::Role;

use crate::app::App;
use crate::error::ApiError;
use crate::kv::KV_MOUNT;
use crate::request::{ApiRequest, ApiResponse};
use crate::token::ResolvedToken;

/// An endpoint of the Vault API subset podpass serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `sys/health`.
    Health,
    /// `sys/seal-status`.
    SealStatus,
    /// `sys/init`.
    Init,
    /// `sys/leader` (asked by `vault status`).
    Leader,
    /// `sys/internal/ui/mounts/<path>`: which engine serves a path (asked by `vault kv`).
    UiMount(String),
    /// `sys/auth`: the enabled auth methods.
    AuthMounts,
    /// `sys/auth/<path>`: enable, read or disable a method.
    AuthMount(String),
    /// `sys/auth/<path>/tune` (root-protected, as all of `sys/auth/`) or
    /// `sys/mounts/auth/<path>/tune` (what `vault auth tune` calls; not root-protected): read
    /// or set a method's lease TTLs and description.
    AuthTune {
        /// The method's mount path.
        path: String,
        /// Whether the request came through `sys/auth/`, which needs `sudo`.
        sudo: bool,
    },
    /// `sys/mounts`: the secrets engines.
    Mounts,
    /// `sys/policies/acl` (`legacy`: `sys/policy`).
    Policies {
        /// Whether this is the legacy `sys/policy` form.
        legacy: bool,
    },
    /// `sys/policies/acl/<name>` (`legacy`: `sys/policy/<name>`).
    Policy {
        /// The policy name.
        name: String,
        /// Whether this is the legacy `sys/policy` form.
        legacy: bool,
    },
    /// `sys/capabilities-self`.
    CapabilitiesSelf,
    /// `sys/capabilities`.
    Capabilities,
    /// `sys/podpass/explain`: why a token or a login may or may not do something (sudo).
    Explain,
    /// `sys/metrics`: the Prometheus exposition (needs `read` on `sys/metrics`, as in Vault).
    Metrics,
    /// `auth/token/<operation>`.
    Token(String),
    /// `auth/<mount>/config`.
    KubernetesConfig(String),
    /// `auth/<mount>/role`: list.
    KubernetesRoles(String),
    /// `auth/<mount>/role/<name>`.
    KubernetesRole(String, String),
    /// `auth/<mount>/login`.
    KubernetesLogin(String),
    /// `secret/data/<path>`.
    KvData(String),
    /// `secret/metadata/<path>` (a list when the request is one).
    KvMetadata(String),
    /// `secret/delete/<path>`, `secret/undelete/<path>`, `secret/destroy/<path>`.
    KvVersions(crate::kv::VersionAction, String),
    /// `secret/config`.
    KvConfig,
    /// `secret/subkeys/<path>`: a version's keys without their values.
    KvSubkeys(String),
    /// `secret/data`, `secret/metadata`, `secret/delete`, `secret/undelete`, `secret/destroy`
    /// or `secret/subkeys` with nothing after it.
    KvSection(String),
    /// Any other path in the KV v2 mount: KV's 404 that names the command to use.
    KvInvalid,
    /// A path no endpoint serves (its 404), answered after the token and the ACL are checked,
    /// as Vault's router answers it: a caller without a token learns nothing of which paths
    /// exist.
    NoEndpoint(ApiError),
}

impl Route {
    /// Finds the endpoint for a request's path (after `/v1/`, trimmed).
    pub fn parse(request: &ApiRequest, app: &App) -> Result<Route, ApiError> {
        let route = Self::endpoint(request, app)?;
        // Vault's path patterns take a trailing `/` where a list is served or a name may end
        // in one; elsewhere such a path has no endpoint (in the KV mount: KV's invalid path).
        match route {
            _ if !request.trailing_slash || request.list || route.takes_trailing_slash() => {
                Ok(route)
            }
            Route::KvConfig => Ok(Route::KvInvalid),
            _ => Err(ApiError::unsupported_path()),
        }
    }

    fn takes_trailing_slash(&self) -> bool {
        matches!(
            self,
            Route::UiMount(_)
                | Route::AuthMount(_)
                | Route::AuthTune { .. }
                | Route::Policies { .. }
                | Route::KubernetesRoles(_)
                | Route::KvData(_)
                | Route::KvMetadata(_)
                | Route::KvVersions(..)
                | Route::KvSubkeys(_)
                | Route::KvSection(_)
                | Route::KvInvalid
        )
    }

    fn endpoint(request: &ApiRequest, app: &App) -> Result<Route, ApiError> {
        let path = request.path.as_str();
        // Vault routes a list with a trailing `/`, and its 404 says so.
        let no_route = || match request.list {
            true => ApiError::no_route(&format!("{path}/")),
            false => ApiError::no_route(path),
        };
        let segments: Vec<&str> = path.split('/').collect();
        let route = match segments.as_slice() {
            ["sys", "health"] => Route::Health,
            ["sys", "seal-status"] => Route::SealStatus,
            ["sys", "init"] => Route::Init,
            ["sys", "leader"] => Route::Leader,
            ["sys", "internal", "ui", "mounts", rest @ ..] => Route::UiMount(rest.join("/")),
            ["sys", "auth"] => Route::AuthMounts,
            ["sys", "auth", rest @ .., "tune"] if !rest.is_empty() => Route::AuthTune {
                path: rest.join("/"),
                sudo: true,
            },
            ["sys", "mounts", "auth", rest @ .., "tune"] if !rest.is_empty() => Route::AuthTune {
                path: rest.join("/"),
                sudo: false,
            },
            ["sys", "auth", rest @ ..] if !rest.is_empty() => Route::AuthMount(rest.join("/")),
            ["sys", "mounts"] => Route::Mounts,
            ["sys", "policies", "acl"] => Route::Policies { legacy: false },
            ["sys", "policies", "acl", name] => policy_route(name, false),
            ["sys", "policy"] => Route::Policies { legacy: true },
            ["sys", "policy", name] => policy_route(name, true),
            ["sys", "capabilities-self"] => Route::CapabilitiesSelf,
            ["sys", "capabilities"] => Route::Capabilities,
            ["sys", "metrics"] => Route::Metrics,
            ["sys", "podpass", "explain"] => Route::Explain,
            ["sys", "mounts", ..] => {
                return Err(ApiError::not_implemented(
                    "mounting or tuning secrets engines (KV v2 is fixed at secret/)",
                ));
            }
            ["sys", "policies", kind, ..] => {
                return Err(ApiError::not_implemented(&format!("{kind} policies")));
            }
            ["sys", first, ..] if VAULT_SYS_ENDPOINTS.contains(first) => {
                return Err(ApiError::not_implemented(&format!(
                    "the Vault endpoint sys/{first}"
                )));
            }
            ["sys", ..] => return Err(ApiError::unsupported_path()),
            ["auth", "token", operation] => Route::Token((*operation).to_string()),
            ["auth", "token", ..] => return Err(ApiError::unsupported_path()),
            ["auth", rest @ ..] => return kubernetes_route(rest, app, no_route),
            [mount, section] if *mount == KV_MOUNT && KV_SECTIONS.contains(section) => {
                Route::KvSection((*section).to_string())
            }
            [mount, "data", rest @ ..] if *mount == KV_MOUNT && !rest.is_empty() => {
                Route::KvData(rest.join("/"))
            }
            [mount, "metadata", rest @ ..] if *mount == KV_MOUNT => {
                Route::KvMetadata(rest.join("/"))
            }
            [
                mount,
                action @ ("delete" | "undelete" | "destroy"),
                rest @ ..,
            ] if *mount == KV_MOUNT && !rest.is_empty() => match version_action(action) {
                Some(action) => Route::KvVersions(action, rest.join("/")),
                None => return Err(ApiError::unsupported_path()),
            },
            [mount, "config"] if *mount == KV_MOUNT => Route::KvConfig,
            [mount, "subkeys", rest @ ..] if *mount == KV_MOUNT && !rest.is_empty() => {
                Route::KvSubkeys(rest.join("/"))
            }
            [mount, ..] if *mount == KV_MOUNT => Route::KvInvalid,
            _ => return Err(no_route()),
        };
        Ok(route)
    }

    /// The path the ACL checks. Vault stores policy and role names lowercased, and checks the
    /// ACL on the lowercased path too, so a deny on `sys/policies/acl/admin` also stops a
    /// write to `ADMIN` (which would replace `admin`).
    pub fn acl_path(&self, path: &str) -> String {
        match self {
            // `..` is refused by the handler; until then, Vault checks the path as sent.
            Route::Policy { name, .. } if is_relative_name(name) => path.to_string(),
            Route::Policy {
                name,
                legacy: false,
            } => format!("sys/policies/acl/{name}"),
            Route::Policy { name, legacy: true } => format!("sys/policy/{name}"),
            Route::KubernetesRole(mount, name) => format!("auth/{mount}/role/{name}"),
            _ => path.to_string(),
        }
    }

    /// The endpoint's kind, for metrics labels and logs: a fixed name per endpoint, never
    /// the raw path (so secret paths and role names do not become label values).
    pub fn kind(&self) -> &'static str {
        match self {
            Route::Health => "sys/health",
            Route::SealStatus => "sys/seal-status",
            Route::Init => "sys/init",
            Route::Leader => "sys/leader",
            Route::UiMount(_) => "sys/internal/ui/mounts",
            Route::AuthMounts => "sys/auth",
            Route::AuthMount(_) => "sys/auth/:path",
            Route::AuthTune { .. } => "sys/auth/:path/tune",
            Route::Mounts => "sys/mounts",
            Route::Policies { .. } => "sys/policies/acl",
            Route::Policy { .. } => "sys/policies/acl/:name",
            Route::CapabilitiesSelf => "sys/capabilities-self",
            Route::Capabilities => "sys/capabilities",
            Route::Metrics => "sys/metrics",
            Route::Explain => "sys/podpass/explain",
            Route::Token(_) => "auth/token/:operation",
            Route::KubernetesConfig(_) => "auth/:mount/config",
            Route::KubernetesRoles(_) => "auth/:mount/role",
            Route::KubernetesRole(..) => "auth/:mount/role/:name",
            Route::KubernetesLogin(_) => "auth/:mount/login",
            Route::KvData(_) => "secret/data",
            Route::KvMetadata(_) => "secret/metadata",
            Route::KvVersions(crate::kv::VersionAction::Delete, _) => "secret/delete",
            Route::KvVersions(crate::kv::VersionAction::Undelete, _) => "secret/undelete",
            Route::KvVersions(crate::kv::VersionAction::Destroy, _) => "secret/destroy",
            Route::KvConfig => "secret/config",
            Route::KvSubkeys(_) => "secret/subkeys",
            Route::KvSection(_) | Route::KvInvalid => "secret/:invalid",
            Route::NoEndpoint(_) => "unsupported",
        }
    }

    /// Endpoints Vault answers without a token.
    pub fn is_unauthenticated(&self) -> bool {
        matches!(
            self,
            Route::Health
                | Route::SealStatus
                | Route::Init
                | Route::Leader
                | Route::KubernetesLogin(_)
        )
    }

    /// Endpoints that need a token but are not asked of the ACL on their own path: Vault's
    /// mount lookup for the `vault kv` commands, which any token may make.
    pub fn skips_the_acl(&self) -> bool {
        matches!(self, Route::UiMount(_))
    }

    /// Endpoints that need `sudo` on top of the operation's capability.
    pub fn is_root_protected(&self) -> bool {
        matches!(
            self,
            Route::AuthMount(_) | Route::AuthTune { sudo: true, .. } | Route::Explain
        )
    }

    /// Whether a write creates (`true` when the item already exists: an update). Only
    /// endpoints with an existence check tell create from update, as in Vault.
    pub async fn item_exists(&self, app: &App) -> Result<bool, ApiError> {
        match self {
            Route::KubernetesRole(mount, name) => {
                Ok(app.with_configuration(|c| c.mount(mount).and_then(|m| m.role(name)).is_some()))
            }
            Route::KvData(path) | Route::KvMetadata(path) => app.kv.exists(path).await,
            _ => Ok(true),
        }
    }

    /// Runs the endpoint. `caller` is the resolved token (`None` on unauthenticated endpoints).
    pub async fn handle(
        &self,
        app: &App,
        request: &ApiRequest,
        operation: Operation,
        caller: Option<&Caller>,
    ) -> Result<ApiResponse, ApiError> {
        match self {
            Route::Health => Ok(sys::health(app, request)),
            Route::SealStatus => Ok(sys::seal_status()),
            Route::Init => Ok(sys::init(request)),
            Route::Leader => Ok(sys::leader()),
            Route::UiMount(path) => sys::ui_mount(path),
            Route::AuthMounts => sys::auth_mounts(app, operation),
            Route::AuthMount(path) => sys::auth_mount(app, request, operation, path).await,
            Route::AuthTune { path, .. } => sys::auth_tune(app, request, operation, path).await,
            Route::Mounts => sys::mounts(operation),
            Route::Policies { legacy } => policy::list(app, operation, *legacy),
            Route::Policy { name, legacy } => {
                policy::one(app, request, operation, name, *legacy).await
            }
            Route::CapabilitiesSelf => sys::capabilities_self(app, request, operation, caller),
            Route::Capabilities => sys::capabilities(app, request, operation).await,
            Route::Metrics => crate::metrics::endpoint(app, request, operation),
            Route::Explain => explain::explain(app, request, operation).await,
            Route::Token(name) => token::handle(app, request, operation, name, caller).await,
            Route::KubernetesConfig(mount) => {
                kubernetes::config(app, request, operation, mount).await
            }
            Route::KubernetesRoles(mount) => kubernetes::roles(app, operation, mount),
            Route::KubernetesRole(mount, name) => {
                kubernetes::role(app, request, operation, mount, name).await
            }
            Route::KubernetesLogin(mount) => {
                kubernetes::login(app, request, operation, mount).await
            }
            Route::KvData(path) => kv::data(app, request, operation, path).await,
            Route::KvMetadata(path) => kv::metadata(app, request, operation, path).await,
            Route::KvVersions(action, path) => {
                kv::versions(app, request, operation, *action, path).await
            }
            Route::KvConfig => kv::config(app, request, operation).await,
            Route::KvSubkeys(path) => kv::subkeys(app, request, operation, path).await,
            Route::KvSection(section) => kv::section(app, request, operation, section).await,
            Route::KvInvalid => Ok(kv::invalid_path(operation)),
            Route::NoEndpoint(error) => Err(error.clone()),
        }
    }
}

/// The first segments of Vault's `sys/` endpoints that podpass does not serve: asked for,
/// they get a 501 naming the endpoint instead of Vault's 404 for a path that does not exist.
const VAULT_SYS_ENDPOINTS: &[&str] = &[
    "audit",
    "audit-hash",
    "config",
    "control-group",
    "experiments",
    "generate-recovery-token",
    "generate-root",
    "ha-status",
    "host-info",
    "in-flight-req",
    "internal",
    "key-status",
    "leases",
    "license",
    "locked-users",
    "loggers",
    "managed-keys",
    "mfa",
    "monitor",
    "namespaces",
    "plugins",
    "pprof",
    "quotas",
    "raw",
    "rekey",
    "rekey-recovery-key",
    "remount",
    "renew",
    "replication",
    "revoke",
    "revoke-force",
    "revoke-prefix",
    "rotate",
    "seal",
    "sealwrap",
    "step-down",
    "storage",
    "sync",
    "tools",
    "unseal",
    "version-history",
    "wrapping",
];

fn version_action(segment: &str) -> Option<crate::kv::VersionAction> {
    use crate::kv::VersionAction;
    match segment {
        "delete" => Some(VersionAction::Delete),
        "undelete" => Some(VersionAction::Undelete),
        "destroy" => Some(VersionAction::Destroy),
        _ => None,
    }
}

/// Refuses request features podpass does not implement, whatever the path: response wrapping
/// (`X-Vault-Wrap-TTL`, what `-wrap-ttl` sends) must not be answered in clear text, and
/// `?help=1` (what `vault path-help` sends) must not be answered as a read.
pub fn refuse_unsupported_features(
    headers: &axum::http::HeaderMap,
    request: &ApiRequest,
) -> Result<(), ApiError> {
    if headers.contains_key("x-vault-wrap-ttl") {
        return Err(ApiError::bad_request(
            "response wrapping is not supported by podpass (X-Vault-Wrap-TTL / -wrap-ttl): \
             send the request without it to get the answer directly",
        ));
    }
    if request.query.contains_key("help") {
        return Err(ApiError::not_implemented(
            "path help (?help=1, vault path-help)",
        ));
    }
    // podpass serves the root namespace only. A request meant for another one must not read
    // or write the root's data: it gets what OpenBao answers for a namespace that does not
    // exist.
    let namespace = headers.get("x-vault-namespace").map(|value| {
        String::from_utf8_lossy(value.as_bytes())
            .trim_matches('/')
            .to_string()
    });
    if namespace.is_some_and(|name| !name.is_empty() && name != "root") {
        return Err(ApiError::new(
            axum::http::StatusCode::NOT_FOUND,
            "namespace not found",
        ));
    }
    Ok(())
}

/// The token a request came with.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The token as sent.
    pub token: String,
    /// Its state.
    pub resolved: ResolvedToken,
}

/// One policy's endpoint. A name that is blank or `.` once trimmed is the list's endpoint,
/// as in Vault.
fn policy_route(name: &str, legacy: bool) -> Route {
    let name = normalize_name(name);
    if name.is_empty() || name == "." {
        return Route::Policies { legacy };
    }
    Route::Policy { name, legacy }
}

/// The KV v2 sections a secret's path follows.
const KV_SECTIONS: [&str; 6] = [
    "data", "metadata", "delete", "undelete", "destroy", "subkeys",
];

/// A path under `auth/`; `no_route` is the answer when no auth mount serves it.
fn kubernetes_route(
    rest: &[&str],
    app: &App,
    no_route: impl FnOnce() -> ApiError,
) -> Result<Route, ApiError> {
    // Mount paths may contain slashes: take the longest enabled mount that prefixes the path.
    let mounts = app.auth_mounts();
    let mut best: Option<(usize, String)> = None;
    for n in (1..=rest.len()).rev() {
        let candidate = rest[..n].join("/");
        if mounts.contains_key(&candidate) {
            best = Some((n, candidate));
            break;
        }
    }
    let Some((n, mount)) = best else {
        return Err(no_route());
    };
    let route = match &rest[n..] {
        ["config"] => Route::KubernetesConfig(mount),
        ["role"] => Route::KubernetesRoles(mount),
        // Vault's role path admits only its name pattern; any other name has no route.
        ["role", name] if !Role::is_valid_name(name) => return Err(ApiError::unsupported_path()),
        ["role", name] => Route::KubernetesRole(mount, podpass_core::names::lowercase(name)),
        ["login"] => Route::KubernetesLogin(mount),
        _ => return Err(ApiError::unsupported_path()),
    };
    Ok(route)
}
