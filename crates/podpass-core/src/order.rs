//! The engine's one sort. Every `sort_by` on a new element type or comparison compiles its own
//! copy of the standard library's sort, 3–4 KB of wasm each (more than a dozen of them once
//! lint, import and the login each sorted their own way). Here the standard sort runs once, on
//! the items' positions, through one comparison callback, and the items are then moved into
//! place: one copy of the sort for the whole engine, and a few bytes per element type.

use std::cmp::Ordering;

/// Sorts `items` into ascending order, stably.
#[inline]
pub(crate) fn sort<T: Ord>(items: &mut [T]) {
    sort_by(items, T::cmp);
}

/// Sorts `items` by `compare`, stably (equal items keep their order).
#[inline]
pub(crate) fn sort_by<T>(items: &mut [T], compare: impl Fn(&T, &T) -> Ordering) {
    if items.len() < 2 {
        return;
    }
    let order = sorted_positions(items.len(), &|a, b| compare(&items[a], &items[b]));
    move_into_place(items, order);
}

/// Positions `0..len`, sorted stably by `compare`; the only instance of the standard sort.
#[inline(never)]
#[allow(clippy::disallowed_methods, reason = "the one compiled standard sort")]
fn sorted_positions(len: usize, compare: &dyn Fn(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

/// Rearranges `items` so that position `i` holds what was at `order[i]`, following each cycle of
/// the permutation with swaps: linear, in place, no allocation.
fn move_into_place<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut current = start;
        // A position whose item is in place points at itself; placing marks it so.
        while order[current] != start {
            let next = order[current];
            items.swap(current, next);
            order[current] = current;
            current = next;
        }
        order[current] = current;
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods, reason = "compared with the standard sort")]
mod tests {
    use super::*;

    #[test]
    fn sorts_as_the_standard_stable_sort_does() {
        // Pairs compared by their first half only, so stability shows in the second.
        let cases: Vec<Vec<(u8, usize)>> = vec![
            vec![],
            vec![(1, 0)],
            vec![(2, 0), (1, 1)],
            vec![(3, 0), (1, 1), (2, 2), (1, 3), (3, 4), (0, 5)],
            (0..200).map(|i| (((i * 7919) % 13) as u8, i)).collect(),
            (0..50).rev().map(|i| (i as u8, i)).collect(),
        ];
        for case in cases {
            let mut ours = case.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut standard = case.clone();
            standard.sort_by_key(|a| a.0);
            assert_eq!(ours, standard, "{case:?}");
        }
    }

    #[test]
    fn sorts_owned_items_without_losing_any() {
        let mut words: Vec<String> = ["pear", "apple", "fig", "apple", "kiwi"]
            .iter()
            .map(|w| w.to_string())
            .collect();
        sort(&mut words);
        assert_eq!(words, ["apple", "apple", "fig", "kiwi", "pear"]);
    }
}
