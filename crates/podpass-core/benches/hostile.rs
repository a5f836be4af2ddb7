//! Adversarial shapes next to ordinary ones: what an attacker's share link or an unlucky
//! generator can make the engine do. Each shape is timed at three sizes, doubling, so the
//! growth shows (about 2× per step when linear, 4× when quadratic).
//!
//! - lint on one policy path of 80k / 160k / 320k bytes, shared by two namespaces;
//! - lint on 500 / 1,000 / 2,000 roles whose policy sets share one policy of as many rules;
//! - a namespace selector of 10k / 20k / 40k nested YAML flow mappings (refused by the nesting
//!   bound before any parser runs), beside an ordinary selector;
//! - a YAML selector of 10k / 20k / 40k labels;
//! - podpass.hcl of 25k / 50k / 100k top-level attributes (read whole, then refused);
//! - Vault API JSON of 5k / 10k / 20k roles on one line (every key placed by line and column).
//!
//! `cargo bench -p podpass-core --bench hostile`; results in docs/benchmarks.md.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)] // fixtures and test code: a failure should stop loudly

#[path = "../tests/core/support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use podpass_core::configuration::{Configuration, Imported, NoFiles};
use podpass_core::lint::lint;
use podpass_core::selector::NamespaceSelector;
use support::hostile;

fn import(text: &str, source: &str) -> Option<Imported> {
    Configuration::import(text, source, None, &NoFiles).ok()
}

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
    for keys in [10_000, 20_000, 40_000] {
        let text = hostile::selector_many_keys(keys);
        group.bench_with_input(
            BenchmarkId::new("selector_many_keys", keys),
            &text,
            |b, text| b.iter(|| NamespaceSelector::parse(black_box(text))),
        );
    }
    for attributes in [25_000, 50_000, 100_000] {
        let text = hostile::hcl_attributes(attributes);
        group.bench_with_input(
            BenchmarkId::new("podpass_hcl_attributes", attributes),
            &text,
            |b, text| b.iter(|| import(black_box(text), "podpass.hcl")),
        );
    }
    for roles in [5_000, 10_000, 20_000] {
        let text = hostile::api_json_one_line(roles);
        group.bench_with_input(
            BenchmarkId::new("api_json_one_line", roles),
            &text,
            |b, text| b.iter(|| import(black_box(text), "config.json")),
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
