//! The bracket-nesting limit every reader of HCL text applies (policies, `fmt`, podpass.hcl,
//! test files), checked over the raw text before any parser recurses into it.

/// The deepest nesting of `{`, `[` and `(` an HCL text may reach, counted over the raw text.
/// hcl-edit backtracks through nested templates, objects and indexes in time that doubles with
/// each level past about 30 (found by fuzzing: 534 bytes nested 47 deep ran for minutes), and
/// the policy reader recurses once per level; real policies, podpass.hcl files and test files
/// nest fewer than ten.
pub(crate) const MAX_HCL_NESTING: usize = 32;

/// Where a text first nests deeper than [`MAX_HCL_NESTING`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooDeep {
    /// The byte offset of the bracket that opens one level too many.
    pub(crate) offset: usize,
}

impl TooDeep {
    /// The first bracket of `text` that opens one level more than [`MAX_HCL_NESTING`], if any.
    pub(crate) fn find(text: &str) -> Option<TooDeep> {
        let mut depth = 0usize;
        for (offset, byte) in text.bytes().enumerate() {
            match byte {
                b'{' | b'[' | b'(' => {
                    depth += 1;
                    if depth > MAX_HCL_NESTING {
                        return Some(TooDeep { offset });
                    }
                }
                b'}' | b']' | b')' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        None
    }

    /// What the reader says about it.
    pub(crate) fn message(self) -> String {
        format!(
            "brackets nest deeper than {MAX_HCL_NESTING} levels here; no policy or configuration needs that many"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bracket_past_the_limit_is_found() {
        let text = format!("a = {}", "[".repeat(MAX_HCL_NESTING + 1));
        assert_eq!(
            TooDeep::find(&text),
            Some(TooDeep {
                offset: 4 + MAX_HCL_NESTING
            })
        );
        let closed = "[]".repeat(100);
        assert_eq!(TooDeep::find(&closed), None);
    }
}
