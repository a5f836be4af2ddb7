//! Adversarial shapes next to ordinary ones: what an attacker's share link or an unlucky
//! generator can make the engine do. Each shape is timed at three sizes, doubling, so the
//! growth shows (about 2× per step when linear, 4× when quadratic).
//!
//! - lint on one policy path of 80k / 160k / 320k bytes, shared by two namespaces;
//! - lint on 500 / 1,000 / 2,000 roles whose policy sets share one policy of as many rules;
//! - a namespace selector of 10k / 20k / 40k nested YAML flow mappings (refused by the nesting
//!   bound before any parser runs), beside an ordinary selector.
//!
//! `cargo bench -p podpass-core --bench hostile`; results in docs/benchmarks.md.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // fixtures and test code: a failure should stop loudly

#[path = "../tests/core/support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use podpass_core::lint::lint;
use podpass_core::selector::NamespaceSelector;
use support::hostile;

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("hostile");
    group.sample_size(10);
    for length in [80_000, 160_000, 320_000] {
        let config = hostile::long_path(length);
        group.bench_with_input(
            BenchmarkId::new("lint_long_path", length),
            &config,
            |b, config| b.iter(|| lint(black_box(config))),
        );
    }
    for roles in [500, 1_000, 2_000] {
        let config = hostile::shared_policy(roles);
        group.bench_with_input(
            BenchmarkId::new("lint_shared_policy", roles),
            &config,
            |b, config| b.iter(|| lint(black_box(config))),
        );
    }
    for depth in [10_000, 20_000, 40_000] {
        let text = hostile::nested_selector(depth);
        group.bench_with_input(
            BenchmarkId::new("selector_nested_yaml", depth),
            &text,
            |b, text| b.iter(|| NamespaceSelector::parse(black_box(text))),
        );
    }
    let ordinary = "matchLabels:\n  team: payments\n  env: prod\n";
    group.bench_function("selector_ordinary_yaml", |b| {
        b.iter(|| NamespaceSelector::parse(black_box(ordinary)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
