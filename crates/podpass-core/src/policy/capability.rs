//! Capabilities: what a path rule grants.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// One capability a policy path rule can grant (or `deny`, which revokes all of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum Capability {
    /// `create`: write an item that does not exist yet.
    Create,
    /// `read`.
    Read,
    /// `update`: write an existing item (and most `POST`s to non-storage endpoints).
    Update,
    /// `patch`.
    Patch,
    /// `delete`.
    Delete,
    /// `list`.
    List,
    /// `sudo`: needed, on top of the operation's own capability, by root-protected endpoints.
    Sudo,
    /// `deny`: a rule carrying it grants nothing, whatever else it lists.
    Deny,
    /// `subscribe`: event subscriptions.
    Subscribe,
    /// `recover`: snapshot recovery.
    Recover,
}

impl Capability {
    /// Every capability, in the order the policy documentation lists them (used for display).
    pub const ALL: [Capability; 10] = [
        Capability::Create,
        Capability::Read,
        Capability::Update,
        Capability::Patch,
        Capability::Delete,
        Capability::List,
        Capability::Sudo,
        Capability::Deny,
        Capability::Subscribe,
        Capability::Recover,
    ];

    /// Alphabetical, as the capabilities endpoints sort their answers.
    const SORTED: [Capability; 10] = [
        Capability::Create,
        Capability::Delete,
        Capability::Deny,
        Capability::List,
        Capability::Patch,
        Capability::Read,
        Capability::Recover,
        Capability::Subscribe,
        Capability::Sudo,
        Capability::Update,
    ];

    /// The name used in policies.
    pub const fn as_str(self) -> &'static str {
        match self {
            Capability::Create => "create",
            Capability::Read => "read",
            Capability::Update => "update",
            Capability::Patch => "patch",
            Capability::Delete => "delete",
            Capability::List => "list",
            Capability::Sudo => "sudo",
            Capability::Deny => "deny",
            Capability::Subscribe => "subscribe",
            Capability::Recover => "recover",
        }
    }

    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Capability {
    type Err = ();

    /// Exact, case-sensitive names only, as Vault accepts them.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(())
    }
}

/// A set of capabilities (a bitmap, cheap to copy and to test).
///
/// Serializes as the sorted list of names, like Vault's capabilities endpoints.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Capabilities(u16);

impl Capabilities {
    /// The empty set.
    pub const NONE: Capabilities = Capabilities(0);
    /// Just `deny`: what every rule carrying `deny` collapses to.
    pub const DENY: Capabilities = Capabilities(Capability::Deny.bit());

    /// Whether `capability` is in the set.
    pub const fn contains(self, capability: Capability) -> bool {
        self.0 & capability.bit() != 0
    }

    /// Adds `capability`.
    pub fn insert(&mut self, capability: Capability) {
        self.0 |= capability.bit();
    }

    /// The union of both sets.
    #[must_use]
    pub const fn union(self, other: Capabilities) -> Capabilities {
        Capabilities(self.0 | other.0)
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether the set carries `deny` (and so grants nothing).
    pub const fn is_deny(self) -> bool {
        self.contains(Capability::Deny)
    }

    /// The capabilities in alphabetical order.
    pub fn iter(self) -> impl Iterator<Item = Capability> {
        Capability::SORTED
            .into_iter()
            .filter(move |c| self.contains(*c))
    }

    /// The sorted names, as Vault's `sys/capabilities` answers: `["deny"]` when the set grants
    /// nothing (empty, or carrying `deny`).
    pub fn to_vault_list(self) -> Vec<&'static str> {
        if self.is_deny() || self.is_empty() {
            return vec![Capability::Deny.as_str()];
        }
        self.iter().map(Capability::as_str).collect()
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(iter: I) -> Self {
        let mut set = Capabilities::NONE;
        for c in iter {
            set.insert(c);
        }
        set
    }
}

/// `[read list]`: the documentation's order, which reads naturally in explanations.
impl fmt::Display for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[")?;
        let mut first = true;
        for c in Capability::ALL.into_iter().filter(|c| self.contains(*c)) {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            f.write_str(c.as_str())?;
        }
        f.write_str("]")
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// The TypeScript shape of [`Capabilities`]' serialized form.
#[cfg(feature = "typescript")]
#[wasm_bindgen::prelude::wasm_bindgen(typescript_custom_section)]
const CAPABILITIES_TS: &str =
    "/** A set of capabilities, in Vault's order. */\nexport type Capabilities = Capability[];";

impl Serialize for Capabilities {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(Capability::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_display_orders() {
        let caps: Capabilities = [Capability::Read, Capability::List, Capability::Update]
            .into_iter()
            .collect();
        assert_eq!(caps.to_vault_list(), ["list", "read", "update"]);
        assert_eq!(caps.to_string(), "[read update list]");
        assert_eq!(Capabilities::NONE.to_vault_list(), ["deny"]);
        assert_eq!(
            Capabilities::DENY.union(caps).to_vault_list(),
            ["deny"],
            "deny wins over anything else in the set"
        );
        assert_eq!("patch".parse::<Capability>(), Ok(Capability::Patch));
        assert!("Read".parse::<Capability>().is_err());
    }
}
