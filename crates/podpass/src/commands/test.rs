//! `podpass test`: runs test files, one line per case, and closes with `N passed, N failed`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use podpass_core::configuration::Configuration;
use podpass_core::policy_test::{TestReport, parse_with_files, run as run_tests};
use serde_json::json;

use super::{Outcome, render_trace, shown};
use crate::cli::TestArgs;
use crate::files::{DirFiles, InputError, load_config, now, read_text};
use crate::style::{BAD, BOLD, DIM, GOOD, paint};

/// `podpass test`.
pub fn run(args: &TestArgs) -> Result<Outcome, InputError> {
    let now = now(args.now.as_deref())?;
    // Files of one suite usually share a configuration: import each once.
    let mut configs: BTreeMap<PathBuf, Configuration> = BTreeMap::new();
    let mut results: Vec<(String, String, TestReport)> = Vec::new();
    for file in &args.files {
        let text = read_text(file)?;
        let tests = parse_with_files(&text, &DirFiles::beside(file))
            .map_err(|e| InputError::diagnostic(&e.diagnostic(&shown(file)), Some(&text)))?;
        let config_path = match (&args.config, &tests.config) {
            (Some(path), _) => path.clone(),
            (None, Some(relative)) => DirFiles::beside(file).resolve(relative),
            (None, None) => {
                return Err(InputError::at(
                    file,
                    "no configuration to test: add `config = \"podpass.hcl\"` to the file or pass --config",
                ));
            }
        };
        if !configs.contains_key(&config_path) {
            let imported = load_config(&config_path, args.from)?;
            configs.insert(config_path.clone(), imported.configuration);
        }
        let Some(config) = configs.get(&config_path) else {
            continue;
        };
        let report = run_tests(config, &tests, now);
        results.push((shown(file), config_path.display().to_string(), report));
    }
    let passed: usize = results.iter().map(|(_, _, r)| r.passed).sum();
    let failed: usize = results.iter().map(|(_, _, r)| r.failed).sum();
    if args.json {
        let files: Vec<_> = results
            .iter()
            .map(|(file, config, report)| json!({"file": file, "config": config, "report": report}))
            .collect();
        let value = json!({"files": files, "passed": passed, "failed": failed});
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| InputError::new(format!("cannot render JSON: {e}")))?;
        anstream::println!("{text}");
        return Ok(Outcome::from_ok(failed == 0));
    }
    let mut out = String::new();
    for (file, config, report) in &results {
        let _ = writeln!(
            out,
            "{} {}",
            paint(BOLD, file),
            paint(DIM, format!("(config {config})"))
        );
        render_report(&mut out, file, report);
    }
    let _ = writeln!(out, "{passed} passed, {failed} failed");
    anstream::print!("{out}");
    Ok(Outcome::from_ok(failed == 0))
}

fn render_report(out: &mut String, file: &str, report: &TestReport) {
    for case in &report.cases {
        if case.passed {
            let _ = writeln!(out, "  {}    {}", paint(GOOD, "ok"), case.name);
            continue;
        }
        let _ = writeln!(
            out,
            "  {}  {} {}",
            paint(BAD, "FAIL"),
            case.name,
            paint(DIM, format!("({file}:{})", case.line))
        );
        for failure in &case.failures {
            let _ = writeln!(
                out,
                "        {}: {}: expected {}, got {}",
                paint(DIM, format!("{}:{}", file, failure.line)),
                failure.what,
                failure.expected,
                failure.actual
            );
            if let Some(detail) = &failure.detail {
                let _ = writeln!(out, "          {}", paint(DIM, detail));
            }
        }
        if let Some(trace) = &case.trace {
            out.push_str(&render_trace(trace, "        "));
        }
    }
}
