//! Vault's order between two non-exact rules that both match a path.

use std::cmp::Ordering;

use serde::Serialize;

/// Which of Vault's rules decided between the winning rule and another matching one.
///
/// Numbers 1–5 are Vault's priority rules, applied in order until one decides; an exact rule is
/// never compared, it wins outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "typescript", derive(tsify::Tsify))]
pub enum PriorityRule {
    /// An exact (wildcard-free) rule matched, so no other rule was considered.
    ExactMatchWins,
    /// 1: the winner's first `+` or `*` comes later in the path.
    FirstWildcardLater,
    /// 2: the winner does not end in `*` and the other does.
    NotPrefix,
    /// 3: the winner has fewer `+` segments.
    FewerSegmentWildcards,
    /// 4: the winner is longer.
    Longer,
    /// 5: the winner sorts later (a tie-break that real policies hardly ever reach).
    LexicographicallyLater,
}

impl PriorityRule {
    /// Vault's number for the rule (1–5); None for an exact match.
    pub const fn number(self) -> Option<u8> {
        match self {
            PriorityRule::ExactMatchWins => None,
            PriorityRule::FirstWildcardLater => Some(1),
            PriorityRule::NotPrefix => Some(2),
            PriorityRule::FewerSegmentWildcards => Some(3),
            PriorityRule::Longer => Some(4),
            PriorityRule::LexicographicallyLater => Some(5),
        }
    }

    /// Why the winner won, from the winner's side.
    pub const fn description(self) -> &'static str {
        match self {
            PriorityRule::ExactMatchWins => "exact match wins",
            PriorityRule::FirstWildcardLater => "its first + or * comes later",
            PriorityRule::NotPrefix => "it does not end in *",
            PriorityRule::FewerSegmentWildcards => "it has fewer + segments",
            PriorityRule::Longer => "it is longer",
            PriorityRule::LexicographicallyLater => "it sorts later",
        }
    }
}

/// What Vault compares, computed once per rule when the ACL is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Priority {
    /// Byte index of the first `+` (segment rules) or of the `*` (prefix rules).
    pub(crate) first_wildcard: u32,
    /// Length of the path without its trailing `*`.
    pub(crate) len: u32,
    /// Number of `+` segments.
    pub(crate) wildcards: u32,
    /// Ends in `*`.
    pub(crate) is_prefix: bool,
}

/// Lengths beyond 4 GiB saturate; two such paths fall through to the lexicographic rule.
fn small(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Priority {
    /// A plain prefix rule `key*`.
    pub(crate) fn prefix(key: &str) -> Priority {
        Priority {
            first_wildcard: small(key.len()),
            is_prefix: true,
            wildcards: 0,
            len: small(key.len()),
        }
    }

    /// A segment-wildcard rule, `*` included if it has one. Like Vault, the first `+` anywhere
    /// counts, even one inside a literal segment such as `a+b`.
    pub(crate) fn segment(path: &str) -> Priority {
        let (stem, is_prefix) = match path.strip_suffix('*') {
            Some(stem) => (stem, true),
            None => (path, false),
        };
        Priority {
            first_wildcard: small(path.find('+').unwrap_or(path.len())),
            is_prefix,
            wildcards: small(stem.split('/').filter(|s| *s == "+").count()),
            len: small(stem.len()),
        }
    }

    /// Rules 1–4 as one comparable key (rule 5 needs the paths).
    pub(crate) fn key(&self) -> (u32, bool, std::cmp::Reverse<u32>, u32) {
        (
            self.first_wildcard,
            !self.is_prefix,
            std::cmp::Reverse(self.wildcards),
            self.len,
        )
    }
}

/// Orders `a` against `b` (Greater: `a` wins), with the rule that decided. `stem` is the path
/// without its trailing `*`.
pub(crate) fn compare(a: (&Priority, &str), b: (&Priority, &str)) -> (Ordering, PriorityRule) {
    let (pa, sa) = a;
    let (pb, sb) = b;
    let steps = [
        (
            pa.first_wildcard.cmp(&pb.first_wildcard),
            PriorityRule::FirstWildcardLater,
        ),
        (pb.is_prefix.cmp(&pa.is_prefix), PriorityRule::NotPrefix),
        (
            pb.wildcards.cmp(&pa.wildcards),
            PriorityRule::FewerSegmentWildcards,
        ),
        (pa.len.cmp(&pb.len), PriorityRule::Longer),
        (sa.cmp(sb), PriorityRule::LexicographicallyLater),
    ];
    steps
        .into_iter()
        .find(|(ordering, _)| ordering.is_ne())
        .unwrap_or((Ordering::Equal, PriorityRule::LexicographicallyLater))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(a: &str, b: &str) -> (Ordering, PriorityRule) {
        let pri = |p: &str| {
            if p.contains('+') {
                Priority::segment(p)
            } else {
                Priority::prefix(p.trim_end_matches('*'))
            }
        };
        let stem = |p: &str| p.trim_end_matches('*').to_string();
        compare((&pri(a), &stem(a)), (&pri(b), &stem(b)))
    }

    #[test]
    fn vault_examples() {
        // The examples in Vault's own comments on the ordering.
        assert_eq!(
            cmp("foo/a*", "foo/+"),
            (Ordering::Greater, PriorityRule::FirstWildcardLater)
        );
        assert_eq!(
            cmp("foo/bar/+/baz", "foo/+/bar/baz"),
            (Ordering::Greater, PriorityRule::FirstWildcardLater)
        );
        assert_eq!(
            cmp("foo/+/bar", "foo/+/ba*"),
            (Ordering::Greater, PriorityRule::NotPrefix)
        );
        assert_eq!(
            cmp("foo/+", "foo/*"),
            (Ordering::Greater, PriorityRule::NotPrefix)
        );
        assert_eq!(
            cmp("foo/bar/+/baz", "foo/bar/+/+/baz").0,
            Ordering::Greater,
            "same first wildcard"
        );
        assert_eq!(
            cmp("foo/+/bar/ba*", "foo/+/bar/b*"),
            (Ordering::Greater, PriorityRule::Longer)
        );
    }
}
