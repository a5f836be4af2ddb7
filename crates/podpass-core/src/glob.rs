//! The glob matching Vault applies to `bound_service_account_names` and
//! `bound_service_account_namespaces` (go-glob, via `strutil.StrListContainsGlob`).
//!
//! Only `*` is special: it matches any run of characters, including none. There is no `?`,
//! no character class and no escaping; matching is case-sensitive and byte-exact. An empty
//! pattern matches only the empty string.

/// Whether `value` matches `pattern`, where `*` matches any run of characters (even empty).
#[inline]
pub(crate) fn glob_matches(pattern: &str, value: &str) -> bool {
    if pattern.is_empty() {
        return value.is_empty();
    }
    if pattern == "*" {
        return true;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        // No star at all: the pattern is a literal.
        return pattern == value;
    };
    // The first piece is anchored at the start (empty when the pattern begins with `*`).
    let Some(mut rest) = value.strip_prefix(first) else {
        return false;
    };
    // Middle pieces match at their leftmost position; taking the earliest occurrence leaves
    // the most room for what follows, so this never misses a match.
    for piece in middle {
        match rest.find(piece) {
            Some(index) => rest = &rest[index + piece.len()..],
            None => return false,
        }
    }
    // The last piece is anchored at the end (empty when the pattern ends with `*`), and must
    // not overlap what the earlier pieces consumed.
    rest.ends_with(last)
}

/// Whether any pattern in `patterns` matches `value` (Vault's `StrListContainsGlob`).
#[inline]
pub(crate) fn list_contains_glob(patterns: &[String], value: &str) -> bool {
    patterns.iter().any(|pattern| glob_matches(pattern, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_need_exact_equality() {
        assert!(glob_matches("vault", "vault"));
        assert!(!glob_matches("vault", "Vault"));
        assert!(!glob_matches("vault", "vaults"));
        assert!(!glob_matches("vault", ""));
    }

    #[test]
    fn empty_pattern_matches_only_empty() {
        assert!(glob_matches("", ""));
        assert!(!glob_matches("", "a"));
    }

    #[test]
    fn lone_star_matches_everything() {
        assert!(glob_matches("*", ""));
        assert!(glob_matches("*", "anything at all"));
        assert!(glob_matches("**", ""));
        assert!(glob_matches("**", "x"));
    }

    #[test]
    fn leading_trailing_and_middle_stars() {
        assert!(glob_matches("*-sa", "grade-api-sa"));
        assert!(!glob_matches("*-sa", "grade-api-sa2"));
        assert!(glob_matches("team-*", "team-"));
        assert!(glob_matches("team-*", "team-payments"));
        assert!(!glob_matches("team-*", "xteam-payments"));
        assert!(glob_matches("a*c", "abc"));
        assert!(glob_matches("a*c", "ac"));
        assert!(!glob_matches("a*c", "ab"));
        assert!(glob_matches("*pay*", "payments"));
        assert!(glob_matches("*pay*", "repay"));
        assert!(glob_matches("*pay*", "pay"));
        assert!(!glob_matches("*pay*", "pa-y"));
        assert!(glob_matches("a*b*c", "aXbYc"));
        assert!(glob_matches("a*b*c", "abbc"));
        assert!(!glob_matches("a*b*c", "acb"));
    }

    #[test]
    fn pieces_may_not_overlap() {
        assert!(!glob_matches("a*a", "a"));
        assert!(glob_matches("a*a", "aa"));
        assert!(glob_matches("a*a", "aba"));
        assert!(!glob_matches("ab*ba", "aba"));
        assert!(glob_matches("ab*ba", "abba"));
        assert!(glob_matches("*aa*aa", "aaaa"));
        assert!(!glob_matches("*aa*aa", "aaa"));
    }

    #[test]
    fn other_metacharacters_are_literal() {
        assert!(glob_matches("a?c", "a?c"));
        assert!(!glob_matches("a?c", "abc"));
        assert!(glob_matches("[ab]", "[ab]"));
        assert!(!glob_matches("[ab]", "a"));
        assert!(glob_matches("ns.*", "ns.prod"));
        assert!(!glob_matches("ns.*", "nsXprod"));
    }

    #[test]
    fn multibyte_values() {
        assert!(glob_matches("é*", "été"));
        assert!(glob_matches("*é", "été"));
        assert!(!glob_matches("é*é", "é"));
    }

    #[test]
    fn lists() {
        let patterns = vec!["web-*".to_string(), "api".to_string()];
        assert!(list_contains_glob(&patterns, "web-1"));
        assert!(list_contains_glob(&patterns, "api"));
        assert!(!list_contains_glob(&patterns, "api-2"));
        assert!(!list_contains_glob(&[], "api"));
    }
}
