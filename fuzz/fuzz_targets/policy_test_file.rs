//! `podpass test` files: parsed, and when small enough run against the keyless tutorial (the
//! runner mints a token per case, so a file of many cases would only measure RSA signing).
#![no_main]

mod common;

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use podpass_core::configuration::Configuration;
use podpass_core::policy_test::{parse, run};

use common::{NOW, tutorial};

static CONFIGURATION: LazyLock<Configuration> = LazyLock::new(|| tutorial(false));

/// Cases run per input at most.
const MAX_CASES_RUN: usize = 4;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(file) = parse(text) else {
        return;
    };
    if file.cases.len() <= MAX_CASES_RUN {
        let _ = run(&CONFIGURATION, &file, NOW);
    }
});
