//! Tokens: Vault's service tokens (`hvs.`), stored only under a keyed hash, and batch tokens
//! (`hvb.`), which are not stored at all but sealed with the server's key.
//!
//! Tokens form Vault's tree: a token created by another (not as an orphan) is its child, lives
//! only while every ancestor does, and is revoked with it. [`TokenStore`] keeps the live tokens
//! and serialises every change to one token, so a revocation is final and a use limit exact;
//! [`child`] holds Vault's rules for what a child may ask of its parent.

pub mod child;
mod store;

use std::collections::BTreeMap;
use std::sync::Arc;

use podpass_core::cidr::BoundCidrs;
use podpass_core::identity::Identity;
use podpass_core::login::LoginSuccess;
use podpass_core::role::TokenType;
pub use podpass_core::ttl::TtlSettings;
use serde::{Deserialize, Serialize};

use crate::storage::StorageError;

pub(crate) use store::TOKEN_KEY_PREFIX;
pub use store::{IssueError, TokenStore};

/// Prefix of service tokens, as Vault 1.10+ issues them.
pub const SERVICE_TOKEN_PREFIX: &str = "hvs.";
/// Prefix of batch tokens.
pub const BATCH_TOKEN_PREFIX: &str = "hvb.";

/// Service or batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Persisted, renewable, revocable.
    Service,
    /// Stateless: sealed into the token itself; not renewable, not revocable.
    Batch,
}

impl TokenKind {
    /// Vault's `type` field.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Service => "service",
            TokenKind::Batch => "batch",
        }
    }
}

/// What every token issued to the same identity through the same role has in common. Live
/// tokens share one copy (see [`TokenStore`]), so a hundred thousand tokens from a handful of
/// service accounts cost a handful of profiles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenProfile {
    /// Service or batch.
    pub kind: TokenKind,
    /// Sanitised policy names.
    pub policies: Vec<String>,
    /// The login's identity (fills templated policy paths).
    pub identity: Option<Identity>,
    /// `meta`.
    pub meta: BTreeMap<String, String>,
    /// `display_name`.
    pub display_name: String,
    /// The path that created the token, e.g. `auth/kubernetes/login`.
    pub path: String,
    /// The auth mount that issued the token (`kubernetes`), or `token`.
    pub mount: String,
    /// How to renew.
    pub ttl: TtlSettings,
    /// Whether renewal is allowed.
    pub renewable: bool,
    /// CIDRs the token may be used from, parsed once (stored as the list of strings Vault shows).
    pub bound_cidrs: BoundCidrs,
}

impl TokenProfile {
    /// What a token issued by a granted login on `mount` carries: the login's policies,
    /// identity, metadata, TTL settings and bound CIDRs.
    pub fn from_login(mount: &str, success: &LoginSuccess) -> TokenProfile {
        TokenProfile {
            kind: if success.token_type == TokenType::Batch {
                TokenKind::Batch
            } else {
                TokenKind::Service
            },
            policies: success.policies.clone(),
            identity: Some(success.identity.clone()),
            meta: success.metadata.clone(),
            display_name: success.display_name.clone(),
            path: format!("auth/{mount}/login"),
            mount: mount.to_string(),
            ttl: success.ttl_settings,
            renewable: success.renewable,
            bound_cidrs: success.bound_cidrs.clone(),
        }
    }

    /// The root token's profile: the `root` policy and nothing else.
    pub fn root() -> TokenProfile {
        TokenProfile {
            kind: TokenKind::Service,
            policies: vec!["root".into()],
            identity: None,
            meta: BTreeMap::new(),
            display_name: "root".into(),
            path: "auth/token/root".into(),
            mount: "token".into(),
            ttl: TtlSettings::default(),
            renewable: false,
            bound_cidrs: BoundCidrs::default(),
        }
    }
}

/// A token's state, as `auth/token/lookup` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenEntry {
    /// What the token shares with its siblings.
    #[serde(flatten)]
    pub profile: Arc<TokenProfile>,
    /// The accessor (empty for batch tokens, which have none).
    pub accessor: String,
    /// Unix seconds.
    pub creation_time: i64,
    /// The TTL at creation (0: never expires).
    pub creation_ttl: i64,
    /// Unix seconds after which the token is invalid; `None` for tokens that never expire (root).
    pub expire_time: Option<i64>,
    /// Uses left (0 = unlimited).
    pub num_uses: i64,
    /// The keyed hash of the parent token; `None` for orphans. A child is valid only while its
    /// parent is, and is revoked with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// When the token was last renewed (Unix seconds), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_renewal: Option<i64>,
    /// The use limit it was issued with (0: none), which Vault's renewal answers repeat.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub creation_num_uses: i64,
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

impl TokenEntry {
    /// A token about to be issued at `now` for `ttl` seconds (0: it never expires) with a use
    /// limit of `num_uses` (0: none), the child of the token whose keyed hash is `parent`
    /// (`None`: an orphan). The store assigns the accessor.
    pub fn new(
        profile: TokenProfile,
        now: i64,
        ttl: i64,
        num_uses: i64,
        parent: Option<String>,
    ) -> TokenEntry {
        TokenEntry {
            profile: Arc::new(profile),
            accessor: String::new(),
            creation_time: now,
            creation_ttl: ttl,
            expire_time: (ttl > 0).then(|| now.saturating_add(ttl)),
            num_uses,
            parent,
            last_renewal: None,
            creation_num_uses: num_uses,
        }
    }

    /// Seconds left at `now` (0 for tokens that never expire, as Vault shows them).
    pub fn ttl_left(&self, now: i64) -> i64 {
        self.expire_time.map_or(0, |t| (t - now).max(0))
    }

    /// Whether the token has expired at `now`.
    pub fn is_expired(&self, now: i64) -> bool {
        self.expire_time.is_some_and(|t| now >= t)
    }

    /// Whether the token has no parent (Vault's `orphan`).
    pub fn is_orphan(&self) -> bool {
        self.parent.is_none()
    }

    /// Whether the token never expires (root tokens created without a TTL).
    pub fn never_expires(&self) -> bool {
        self.expire_time.is_none()
    }

    /// The entity id (empty for tokens without identity).
    pub fn entity_id(&self) -> &str {
        self.profile
            .identity
            .as_ref()
            .map_or("", |i| i.entity_id.as_str())
    }
}

/// A token found by [`TokenStore::resolve`].
#[derive(Debug, Clone)]
pub struct ResolvedToken {
    /// The stored hash (service tokens) — `None` for batch tokens.
    pub hash: Option<String>,
    /// Its state.
    pub entry: TokenEntry,
}

/// A random identifier of `len` base62 characters (about 5.95 bits each).
pub fn random_id(len: usize) -> Result<String, StorageError> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).map_err(|e| StorageError::Random(e.to_string()))?;
        // Rejection sampling keeps every character equally likely.
        for b in buf {
            if usize::from(b) < ALPHABET.len() * 4 && out.len() < len {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A service token as storage held it before bound CIDRs were parsed once: the same JSON
    /// reads, allows the same callers, and is written back unchanged.
    #[test]
    fn stored_tokens_read_and_write_the_same_json() {
        let stored = serde_json::json!({
            "kind": "service",
            "policies": ["default", "grade-api"],
            "identity": null,
            "meta": {"role": "grade-api"},
            "display_name": "kubernetes-grade-api-grade-api-sa",
            "path": "auth/kubernetes/login",
            "mount": "kubernetes",
            "ttl": {
                "backend_ttl": 3600,
                "backend_max_ttl": 0,
                "period": 0,
                "explicit_max_ttl": 0,
                "mount_default_ttl": 2764800,
                "mount_max_ttl": 2764800
            },
            "renewable": true,
            "bound_cidrs": ["10.0.0.0/8", "192.168.1.7"],
            "accessor": "acc",
            "creation_time": 1780000000,
            "creation_ttl": 3600,
            "expire_time": 1780003600,
            "num_uses": 0
        });
        let entry: TokenEntry = serde_json::from_value(stored.clone()).expect("stored token");
        let cidrs = &entry.profile.bound_cidrs;
        assert!(cidrs.allows_addr("10.1.2.3".parse().expect("ip")));
        assert!(cidrs.allows_addr("::ffff:192.168.1.7".parse().expect("ip")));
        assert!(!cidrs.allows_addr("172.16.0.1".parse().expect("ip")));
        assert_eq!(entry.profile.ttl.backend_ttl, 3600);
        assert_eq!(serde_json::to_value(&entry).expect("json"), stored);
    }

    #[test]
    fn new_entries_expire_after_their_ttl_unless_it_is_zero() {
        let entry = TokenEntry::new(TokenProfile::root(), 100, 0, 0, None);
        assert!(entry.never_expires() && entry.is_orphan());
        let entry = TokenEntry::new(TokenProfile::root(), 100, 60, 3, Some("p".into()));
        assert_eq!(entry.expire_time, Some(160));
        assert_eq!((entry.num_uses, entry.creation_num_uses), (3, 3));
        assert_eq!(entry.parent.as_deref(), Some("p"));
    }
}
