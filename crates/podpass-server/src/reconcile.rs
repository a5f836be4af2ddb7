//! Applying podpass.hcl at `podpass serve` start as the source of truth for what it names.
//!
//! Every mount (with its tuning and config), role and policy the file names is written, so an
//! API change to one of them lasts only until the next start (and is reported then). Items an
//! earlier start wrote from the file but that the file no longer names are removed; items
//! created only through the API are left alone. What the file wrote is remembered in storage
//! under [`MANAGED_KEY`], which is how the two are told apart.

use std::collections::{BTreeMap, BTreeSet};

use podpass_core::configuration::Configuration;
use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::server::{StartError, apply_configuration};

/// Where the names the configuration file wrote at the last start are kept.
pub const MANAGED_KEY: &str = "podpass/managed";

/// The names a configuration file wrote: mounts with their roles, and policies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Managed {
    /// Mount path to the (lowercased) names of the roles the file defines on it.
    pub mounts: BTreeMap<String, BTreeSet<String>>,
    /// Policy names.
    pub policies: BTreeSet<String>,
}

impl Managed {
    /// The names `configuration` defines.
    pub fn of(configuration: &Configuration) -> Managed {
        Managed {
            mounts: configuration
                .mounts()
                .iter()
                .map(|(path, mount)| (path.clone(), mount.roles().keys().cloned().collect()))
                .collect(),
            policies: configuration.policies().keys().cloned().collect(),
        }
    }
}

/// What a start changed, for the log line that says so.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Mounts, roles and policies the file defines (all written).
    pub written: Managed,
    /// Items the file wrote before but no longer names, now removed (`auth/<mount>/`,
    /// `auth/<mount>/role/<name>`, `policy <name>`).
    pub removed: Vec<String>,
    /// Items whose stored version differed from the file's (changed through the API since the
    /// last start), now replaced by the file's.
    pub replaced: Vec<String>,
}

impl Reconciled {
    /// One line for the start-up log.
    pub fn summary(&self) -> String {
        let roles: usize = self.written.mounts.values().map(BTreeSet::len).sum();
        let mut line = format!(
            "configuration applied: {} auth mount(s), {roles} role(s) and {} policy(ies) from the \
             file; the file is the source of truth for what it names (API changes to them are \
             replaced at each start), items created only through the API are kept",
            self.written.mounts.len(),
            self.written.policies.len(),
        );
        if !self.removed.is_empty() {
            line.push_str(&format!(
                "; removed, no longer in the file: {}",
                self.removed.join(", ")
            ));
        }
        line
    }
}

/// Makes the server hold what `configuration` defines, removing what an earlier start wrote
/// from the file but the file no longer names.
pub async fn reconcile_configuration(
    app: &App,
    configuration: &Configuration,
) -> Result<Reconciled, StartError> {
    let previous: Managed = app.store.fetch_json(MANAGED_KEY).await?.unwrap_or_default();
    let wanted = Managed::of(configuration);
    let replaced = differences(app, configuration);
    apply_configuration(app, configuration).await?;

    let problem = |e: crate::error::ApiError| StartError::Configuration(e.errors.join("; "));
    let mut removed = Vec::new();
    for (path, roles) in &previous.mounts {
        match wanted.mounts.get(path) {
            None => {
                if app.has_auth_mount(path) {
                    app.disable_auth(path).await.map_err(problem)?;
                    removed.push(format!("auth/{path}/"));
                }
            }
            Some(kept) => {
                for role in roles.difference(kept) {
                    let exists = app
                        .with_configuration(|c| c.mount(path).and_then(|m| m.role(role)).is_some());
                    if exists {
                        app.delete_role(path, role).await.map_err(problem)?;
                        removed.push(format!("auth/{path}/role/{role}"));
                    }
                }
            }
        }
    }
    for name in previous.policies.difference(&wanted.policies) {
        if app.with_configuration(|c| c.policy(name).is_some()) {
            app.delete_policy(name).await.map_err(problem)?;
            removed.push(format!("policy {name}"));
        }
    }
    app.store.put_json(MANAGED_KEY, &wanted).await?;
    Ok(Reconciled {
        written: wanted,
        removed,
        replaced,
    })
}

/// The items the file names whose stored version differs from the file's.
fn differences(app: &App, configuration: &Configuration) -> Vec<String> {
    app.with_configuration(|stored| {
        let mut changed = Vec::new();
        for (path, mount) in configuration.mounts() {
            let Some(current) = stored.mount(path) else {
                continue;
            };
            if current.ttls() != mount.ttls() {
                changed.push(format!("auth/{path}/ tuning"));
            }
            if mount.config().is_some() && current.config() != mount.config() {
                changed.push(format!("auth/{path}/config"));
            }
            for (name, role) in mount.roles() {
                if current.role(name).is_some_and(|r| r != &**role) {
                    changed.push(format!("auth/{path}/role/{name}"));
                }
            }
        }
        for (name, entry) in configuration.policies() {
            if stored.policy(name).is_some_and(|p| p.text != entry.text) {
                changed.push(format!("policy {name}"));
            }
        }
        changed
    })
}
