//! The engine option `jwks`: the cluster's signing keys, as its `/openid/v1/jwks` serves them,
//! given by the host. podpass's server fetches them itself for mounts that set `jwks_discovery`;
//! an engine cannot fetch, so the host passes them once and they verify logins on exactly those
//! mounts. The keys stay the engine's for its lifetime, as `pem_keys` do: after the cluster
//! rotates its keys, build a new engine.

use podpass_core::configuration::Configuration;
use podpass_core::keys::KeySet;
use serde_json::Value;

use crate::error::PodpassError;

const OPTION: &str = "engine options: jwks";

/// Gives every mount of `configuration` whose config sets `jwks_discovery` the keys of the JWK
/// Set `given` (an object, or its JSON text). Refused when such a mount is left without keys (its
/// logins would go unverified, where the server verifies them), when `given` is not a JWK Set
/// with a usable key, or when no mount would use it: keys that verify nothing are a mistake.
pub(crate) fn trust_cluster_keys(
    configuration: &mut Configuration,
    given: Option<&Value>,
) -> Result<(), PodpassError> {
    let discovering: Vec<String> = configuration
        .mounts()
        .iter()
        .filter(|(_, mount)| mount.verification().discovery_keys)
        .map(|(path, _)| path.clone())
        .collect();
    let keys = match (given, discovering.first()) {
        (None, None) => return Ok(()),
        (None, Some(path)) => {
            return Err(PodpassError::argument(
                OPTION,
                format!(
                    "mount {path}/ sets jwks_discovery=true: its logins are verified with the \
                     cluster's signing keys, which an engine cannot fetch; pass them as this \
                     option (what the cluster serves at /openid/v1/jwks)"
                ),
            ));
        }
        (Some(_), None) => {
            return Err(PodpassError::argument(
                OPTION,
                "no mount sets jwks_discovery=true in its config, so no login would use these keys",
            ));
        }
        (Some(given), Some(_)) => read_key_set(given)?,
    };
    for path in discovering {
        if let Some(mount) = configuration.mount_mut(&path) {
            mount.add_jwks(keys.clone());
        }
    }
    Ok(())
}

/// The JWK Set the host gave, with a usable key.
fn read_key_set(given: &Value) -> Result<KeySet, PodpassError> {
    let read = match given {
        Value::String(text) => KeySet::from_jwks_json(text),
        Value::Object(_) => KeySet::from_jwks(given),
        _ => {
            return Err(PodpassError::argument(
                OPTION,
                "expected a JWK Set ({\"keys\": [...]}) as an object or as its JSON text",
            ));
        }
    };
    read.map_err(|error| match error.detail() {
        Some(detail) => PodpassError::argument(OPTION, format!("{error} ({detail})")),
        None => PodpassError::argument(OPTION, error),
    })
}
