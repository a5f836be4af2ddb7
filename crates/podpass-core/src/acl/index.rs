//! Lookup structures over the non-exact rules, so a request never scans every rule.
//!
//! - [`PrefixIndex`]: plain `prefix*` rules, bucketed by their `/`-ended stem; the longest prefix
//!   of a path takes one hash lookup per `/` of the path.
//! - [`SegmentTrie`]: `+` rules as a trie of path segments (literal children and one `+` child),
//!   walked along the request's segments.

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

/// Plain-prefix rules, bucketed by the part of the prefix up to and including its last `/`.
///
/// A path's longest matching prefix is found by looking up the path's own `/`-ended stems,
/// longest first: the first stem whose bucket holds a pattern starting the rest of the path is
/// the answer, since any prefix ending in a later segment is longer. That is a handful of hash
/// lookups whatever the number of rules, and stems of lengths no rule has are skipped.
///
/// The map takes a stem to its bucket's position in `buckets`: the engine's other maps take a
/// path to a number too, so all of them are one hash-map instance in the compiled engine.
#[derive(Debug, Default)]
pub(crate) struct PrefixIndex {
    stems: FxHashMap<Box<str>, u32>,
    /// `(the rest of the prefix after its stem, rule)`, longest rest first, per stem.
    buckets: Vec<Vec<(Box<str>, u32)>>,
    /// `stem_lengths[n]`: some bucket has a stem of `n` bytes.
    stem_lengths: Vec<bool>,
}

impl PrefixIndex {
    /// Builds the index from `(prefix, rule)` pairs with distinct prefixes.
    pub(crate) fn build(entries: Vec<(Box<str>, u32)>) -> PrefixIndex {
        let mut stems: FxHashMap<Box<str>, u32> = FxHashMap::default();
        let mut buckets: Vec<Vec<(Box<str>, u32)>> = Vec::new();
        let mut stem_lengths = Vec::new();
        for (key, rule) in entries {
            let cut = key.rfind('/').map_or(0, |i| i + 1);
            let (stem, partial) = key.split_at(cut);
            if stem_lengths.len() <= stem.len() {
                stem_lengths.resize(stem.len() + 1, false);
            }
            stem_lengths[stem.len()] = true;
            // Fewer stems than rules, and rules are numbered by u32.
            let next = u32::try_from(buckets.len()).unwrap_or(u32::MAX);
            let at = *stems.entry(stem.into()).or_insert(next);
            if at == next {
                buckets.push(Vec::new());
            }
            if let Some(bucket) = buckets.get_mut(at as usize) {
                bucket.push((partial.into(), rule));
            }
        }
        for partials in &mut buckets {
            crate::order::sort_by(partials, |a, b| b.0.len().cmp(&a.0.len()));
        }
        PrefixIndex {
            stems,
            buckets,
            stem_lengths,
        }
    }

    /// The rule of the longest prefix that `path` starts with.
    pub(crate) fn longest(&self, path: &str) -> Option<u32> {
        let mut found = None;
        self.for_each_match(path, |rule| {
            found = Some(rule);
            false
        });
        found
    }

    /// Calls `found` with every matching prefix rule, longest first, while it returns true.
    pub(crate) fn for_each_match(&self, path: &str, mut found: impl FnMut(u32) -> bool) {
        if self.buckets.is_empty() {
            return;
        }
        let mut end = path.len();
        loop {
            let cut = path[..end].rfind('/').map_or(0, |i| i + 1);
            if self.stem_lengths.get(cut).copied().unwrap_or(false)
                && let Some(partials) = self
                    .stems
                    .get(&path[..cut])
                    .and_then(|&at| self.buckets.get(at as usize))
            {
                let rest = &path[cut..];
                for (partial, rule) in partials {
                    if rest.starts_with(&**partial) && !found(*rule) {
                        return;
                    }
                }
            }
            if cut == 0 {
                return;
            }
            end = cut - 1;
        }
    }
}

#[derive(Debug, Default)]
struct Node {
    literal: FxHashMap<Box<str>, u32>,
    plus: Option<u32>,
    /// A rule without trailing `*` whose segments end here.
    terminal: Option<u32>,
    /// Rules ending in `*` whose last segment pattern applies to the next request segment:
    /// `(pattern, rule)`; the segment must start with the pattern.
    prefixed: Vec<(Box<str>, u32)>,
}

/// The `+` rules as a trie of segments.
#[derive(Debug)]
pub(crate) struct SegmentTrie {
    nodes: Vec<Node>,
    rules: usize,
}

impl Default for SegmentTrie {
    fn default() -> Self {
        SegmentTrie {
            nodes: vec![Node::default()],
            rules: 0,
        }
    }
}

impl SegmentTrie {
    /// Whether the trie holds no rule.
    pub(crate) fn is_empty(&self) -> bool {
        self.rules == 0
    }

    /// Adds a rule; `stem` is its path without the trailing `*` (if `is_prefix`).
    pub(crate) fn insert(&mut self, stem: &str, is_prefix: bool, rule: u32) {
        self.rules += 1;
        let mut segments: Vec<&str> = stem.split('/').collect();
        let last = if is_prefix { segments.pop() } else { None };
        let mut at = 0usize;
        for segment in segments {
            at = self.child(at, segment);
        }
        match last {
            Some(pattern) => self.nodes[at].prefixed.push((pattern.into(), rule)),
            None => self.nodes[at].terminal = Some(rule),
        }
    }

    fn child(&mut self, at: usize, segment: &str) -> usize {
        let existing = if segment == "+" {
            self.nodes[at].plus
        } else {
            self.nodes[at].literal.get(segment).copied()
        };
        if let Some(next) = existing {
            return next as usize;
        }
        let next = self.nodes.len();
        let id = u32::try_from(next).unwrap_or(u32::MAX);
        self.nodes.push(Node::default());
        if segment == "+" {
            self.nodes[at].plus = Some(id);
        } else {
            self.nodes[at].literal.insert(segment.into(), id);
        }
        next
    }

    /// Calls `found` with every rule matching `path`, in no particular order.
    pub(crate) fn for_each_match(&self, path: &str, mut found: impl FnMut(u32)) {
        // (node, byte offset of the next segment, or None once every segment is consumed)
        let mut stack: SmallVec<[(u32, Option<usize>); 16]> = SmallVec::new();
        stack.push((0, Some(0)));
        while let Some((node, offset)) = stack.pop() {
            let node = &self.nodes[node as usize];
            let Some(offset) = offset else {
                if let Some(rule) = node.terminal {
                    found(rule);
                }
                continue;
            };
            let rest = &path[offset..];
            let (segment, next) = match rest.find('/') {
                Some(slash) => (&rest[..slash], Some(offset + slash + 1)),
                None => (rest, None),
            };
            for (pattern, rule) in &node.prefixed {
                if segment.starts_with(&**pattern) {
                    found(*rule);
                }
            }
            if let Some(&child) = node.literal.get(segment) {
                stack.push((child, next));
            }
            if let Some(child) = node.plus {
                stack.push((child, next));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix() {
        let index = PrefixIndex::build(
            ["a/", "a/b", "a/c", "a/cd", "", "b", "a/c/", "x/y/z"]
                .iter()
                .enumerate()
                .map(|(i, k)| (Box::from(*k), i as u32))
                .collect(),
        );
        let longest = |p: &str| index.longest(p);
        assert_eq!(longest("a/d"), Some(0));
        assert_eq!(longest("a/cde"), Some(3));
        assert_eq!(longest("a/c"), Some(2));
        assert_eq!(longest("a/c/d"), Some(6));
        assert_eq!(longest("a/bz"), Some(1));
        assert_eq!(longest("a"), Some(4), "only the empty prefix");
        assert_eq!(longest("zzz"), Some(4));
        assert_eq!(longest("x/y/zz/q"), Some(7));
        let mut chain = Vec::new();
        index.for_each_match("a/c/x", |r| {
            chain.push(r);
            true
        });
        assert_eq!(chain, [6, 2, 0, 4], "longest first");
        assert_eq!(PrefixIndex::default().longest("a"), None);
    }

    #[test]
    fn segments() {
        let mut trie = SegmentTrie::default();
        trie.insert("a/+/c", false, 0);
        trie.insert("a/+/", true, 1);
        trie.insert("+", false, 2);
        trie.insert("a/+/b", true, 3);
        let matches = |p: &str| {
            let mut v = Vec::new();
            trie.for_each_match(p, |r| v.push(r));
            crate::order::sort(&mut v);
            v
        };
        assert_eq!(matches("a/x/c"), [0, 1]);
        assert_eq!(matches("a/x/bc/d"), [1, 3]);
        assert_eq!(matches("a/x"), Vec::<u32>::new());
        assert_eq!(matches("a"), [2]);
        assert_eq!(matches(""), [2], "+ matches an empty segment");
        assert_eq!(matches("a//c"), [0, 1]);
    }
}
