//! Playground links: the playground's whole state, deflated and base64url-encoded into the
//! URL fragment of `/ui/`. The playground writes them as share links; the server's explain
//! endpoint writes one that opens a live denial in the playground. The fragment is never sent
//! to a server, so a link carries what it holds only to whoever it is given to.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// The playground's inputs. Every field is text as typed, so a half-typed value is kept as is
/// and reported, never lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct PlaygroundState {
    /// The configuration: `vault` commands, podpass.hcl or Vault API JSON.
    pub config: String,
    /// The service-account JWT.
    pub token: String,
    /// The auth mount's path (empty: the configuration's first mount).
    pub mount: String,
    /// The role the login names.
    pub role: String,
    /// The token namespace's labels, `key=value` separated by commas or new lines (for roles
    /// that bind namespaces by selector).
    pub namespace_labels: String,
    /// The caller's IP address (for `token_bound_cidrs`).
    pub remote_addr: String,
    /// "Now" for the time checks: empty for the clock, an RFC 3339 date, seconds since the
    /// epoch, or an offset from the clock such as `+2h` or `-30m`.
    pub now: String,
    /// The path to authorise with the issued token.
    pub path: String,
    /// The operation on that path (`read`, `list`, …).
    pub operation: String,
    /// The "mint a test token" form.
    pub mint: MintForm,
}

/// The "mint a test token" form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MintForm {
    /// Service-account namespace.
    pub namespace: String,
    /// Service-account name.
    pub service_account: String,
    /// Audiences, comma-separated (empty: no `aud` claim).
    pub audience: String,
    /// Lifetime as a duration (`1h`, `90m`, `3600`).
    pub ttl: String,
    /// Which key signs.
    pub key: KeyChoice,
}

impl Default for MintForm {
    fn default() -> Self {
        MintForm {
            namespace: String::new(),
            service_account: String::new(),
            audience: String::new(),
            ttl: "1h".to_string(),
            key: KeyChoice::Demo,
        }
    }
}

/// The key a minted token is signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KeyChoice {
    /// podpass's published demo key, which the presets' configurations trust.
    #[default]
    Demo,
    /// A key generated in this browser; its public half replaces the mount's `pem_keys`.
    Browser,
}

/// The fragment's key: `#s=<version>.<data>`.
const KEY: &str = "s=";
/// The encoding's version, so later layouts can still read old links.
const VERSION: &str = "1";
/// The most a link may inflate to; larger is refused rather than allocated.
const MAX_STATE_BYTES: usize = 1024 * 1024;

/// The fragment (without `#`) that [`decode_fragment`] turns back into `state`.
pub fn encode_fragment(state: &PlaygroundState) -> String {
    // Serialising plain strings into JSON cannot fail.
    let json = serde_json::to_vec(state).unwrap_or_default();
    let packed = miniz_oxide::deflate::compress_to_vec(&json, 9);
    format!("{KEY}{VERSION}.{}", URL_SAFE_NO_PAD.encode(packed))
}

/// Reads a fragment written by [`encode_fragment`] (a leading `#` is allowed). `Ok(None)` when
/// the fragment holds no state at all; an error names what is wrong with a damaged one.
pub fn decode_fragment(fragment: &str) -> Result<Option<PlaygroundState>, String> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let Some(payload) = fragment.strip_prefix(KEY) else {
        return Ok(None);
    };
    let Some((version, data)) = payload.split_once('.') else {
        return Err("the share link is cut short (no version)".to_string());
    };
    if version != VERSION {
        return Err(format!(
            "the share link uses layout {version}, this playground reads layout {VERSION}"
        ));
    }
    let packed = URL_SAFE_NO_PAD
        .decode(data.trim_end_matches('='))
        .map_err(|e| format!("the share link is damaged (not base64url: {e})"))?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_STATE_BYTES)
        .map_err(|e| format!("the share link is damaged (does not inflate: {e})"))?;
    serde_json::from_slice(&json)
        .map(Some)
        .map_err(|e| format!("the share link's state is not readable: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PlaygroundState {
        let mut state = PlaygroundState {
            // The tutorial scenario's text, read directly: the `demo` feature may be off.
            config: include_str!("demo/scenario.sh").to_string(),
            token: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln".to_string(),
            role: "grade-api".to_string(),
            path: "secret/data/payment/db".to_string(),
            operation: "read".to_string(),
            now: "+2h".to_string(),
            ..PlaygroundState::default()
        };
        state.mint.namespace = "payment".to_string();
        state.mint.key = KeyChoice::Browser;
        state
    }

    #[test]
    fn a_state_survives_the_round_trip() {
        let state = sample();
        let fragment = encode_fragment(&state);
        assert!(fragment.starts_with("s=1."));
        assert!(
            fragment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.=".contains(c))
        );
        assert_eq!(decode_fragment(&fragment).unwrap(), Some(state.clone()));
        assert_eq!(
            decode_fragment(&format!("#{fragment}")).unwrap(),
            Some(state)
        );
    }

    #[test]
    fn the_tutorial_scenario_compresses_well() {
        let fragment = encode_fragment(&sample());
        let plain = serde_json::to_string(&sample()).unwrap();
        assert!(
            fragment.len() < plain.len() * 2 / 3,
            "{} vs {}",
            fragment.len(),
            plain.len()
        );
    }

    #[test]
    fn fragments_without_state_are_not_errors() {
        assert_eq!(decode_fragment("").unwrap(), None);
        assert_eq!(decode_fragment("#section-2").unwrap(), None);
    }

    #[test]
    fn damaged_links_say_what_is_wrong() {
        assert!(decode_fragment("s=1").unwrap_err().contains("cut short"));
        assert!(decode_fragment("s=9.abc").unwrap_err().contains("layout 9"));
        assert!(
            decode_fragment("s=1.@@@")
                .unwrap_err()
                .contains("base64url")
        );
        assert!(decode_fragment("s=1.AAAA").unwrap_err().contains("inflate"));
        let not_state = URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(b"[1]", 9));
        assert!(
            decode_fragment(&format!("s=1.{not_state}"))
                .unwrap_err()
                .contains("not readable")
        );
    }
}
