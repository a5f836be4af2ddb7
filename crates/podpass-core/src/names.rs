//! How Vault folds the case of names: policy names, role names and ACL parameter names are
//! lowercased with Go's `strings.ToLower`.
//!
//! Go maps each character on its own to its simple lowercase form. Rust's `str::to_lowercase`
//! differs in two places: it applies the Greek final-sigma rule (`"AΣ"` becomes `"aς"`, where
//! Vault stores `"aσ"`) and expands `İ` (U+0130) to `i` and a combining dot, where Go gives `i`.
//! Names compared or stored with the two would disagree, so every name is folded here.

use std::borrow::Cow;

/// `name` lowercased as Vault (Go's `strings.ToLower`) lowercases it.
#[inline]
pub fn lowercase(name: &str) -> String {
    if name.is_ascii() {
        return name.to_ascii_lowercase();
    }
    lowercase_unicode(name)
}

/// [`lowercase`] of a name that is not all ASCII. Kept out of line: the usual name is ASCII,
/// and the wasm package's speed-tuned layer, which inlines `lowercase`, need not carry a copy.
#[inline(never)]
fn lowercase_unicode(name: &str) -> String {
    name.chars().map(lowercase_char).collect()
}

/// Like [`lowercase`], borrowing `name` when folding would not change it.
#[inline]
pub(crate) fn lowercase_cow(name: &str) -> Cow<'_, str> {
    let unchanged = if name.is_ascii() {
        !name.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        name.chars().all(|c| lowercase_char(c) == c)
    };
    if unchanged {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(lowercase(name))
    }
}

/// One character's simple lowercase mapping (Go's `unicode.ToLower`).
fn lowercase_char(c: char) -> char {
    // Rust's mapping is Unicode's full one, which differs from the simple one only for U+0130
    // (the one unconditional multi-character lowercase mapping); every other character maps to
    // exactly one.
    if c == '\u{130}' {
        return 'i';
    }
    let mut lower = c.to_lowercase();
    match (lower.next(), lower.next()) {
        (Some(single), None) => single,
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What OpenBao 2.7.2 answered to `bao policy write` with these names ("Policy name was
    /// converted from … to …").
    #[test]
    fn names_fold_as_vault_folds_them() {
        assert_eq!(lowercase("AΣ"), "aσ");
        assert_eq!(lowercase("İx"), "ix");
        assert_eq!(lowercase("ΣAΣ b"), "σaσ b");
        assert_eq!(lowercase("Grade-API"), "grade-api");
        assert_eq!(lowercase("ǅ"), "ǆ");
        assert_eq!(lowercase("ß"), "ß");
    }

    #[test]
    fn folding_borrows_only_what_it_would_not_change() {
        assert!(matches!(lowercase_cow("grade-api"), Cow::Borrowed(_)));
        assert!(matches!(lowercase_cow("σaσ"), Cow::Borrowed(_)));
        assert_eq!(lowercase_cow("Grade"), "grade");
        // A titlecase letter is not uppercase, but it still folds.
        assert_eq!(lowercase_cow("ǅx"), "ǆx");
        assert_eq!(lowercase_cow("AΣ"), "aσ");
    }

    /// Every character folds to one character, and folding twice changes nothing more.
    #[test]
    fn folding_is_one_to_one_in_length_and_settles() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let once = lowercase_char(c);
            assert_eq!(lowercase_char(once), once, "{c:?}");
        }
    }
}
