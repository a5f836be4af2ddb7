//! The engine option `requireSignatures`: refuse a configuration in which a login could be
//! allowed without its signature verified. On a mount without keys Vault leaves the signature to
//! Kubernetes' TokenReview API, which an engine never calls, so there `allowed` means only that
//! the claims fit the role. That is what the playground explains; a gateway wants it refused.

use podpass_core::configuration::Configuration;

use crate::error::PodpassError;

const OPTION: &str = "engine options: requireSignatures";

/// Refuses `configuration` when `required` and a mount admits tokens unverified, naming every
/// such mount.
pub(crate) fn refuse_unverified_mounts(
    configuration: &Configuration,
    required: bool,
) -> Result<(), PodpassError> {
    if !required {
        return Ok(());
    }
    let mut mounts = String::new();
    let mut count = 0;
    for (path, mount) in configuration.mounts() {
        if mount.admits_unverified_tokens() {
            mounts.push_str(if count == 0 { " " } else { ", " });
            mounts.push_str(path);
            mounts.push('/');
            count += 1;
        }
    }
    let (noun, have) = match count {
        0 => return Ok(()),
        1 => ("mount", "has"),
        _ => ("mounts", "have"),
    };
    Err(PodpassError::argument(
        OPTION,
        format!(
            "{noun}{mounts} {have} no pem_keys, so a login there would be allowed without the \
             token's signature verified (Vault leaves it to the TokenReview API, which an engine \
             cannot call); give pem_keys, or set jwks_discovery=true and pass the cluster's keys \
             as the jwks option"
        ),
    ))
}
