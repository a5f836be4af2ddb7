//! `podpass lint`: findings with `file:line`, exit 1 on errors (and on warnings with --strict).

use std::fmt::Write as _;

use podpass_core::duration::parse_duration_str;
use podpass_core::lint::{Finding, LintOptions, RULES, Severity, lint_with};
use serde_json::json;

use super::Outcome;
use crate::cli::LintArgs;
use crate::files::{InputError, load_config};
use crate::style::{BAD, BOLD, DIM, INFO, WARN, paint};

/// `podpass lint`.
pub fn run(args: &LintArgs) -> Result<Outcome, InputError> {
    if args.rules {
        let mut out = String::new();
        for rule in RULES {
            let _ = writeln!(
                out,
                "{:<22} {:<8} {}",
                paint(BOLD, rule.id),
                rule.severity,
                rule.summary
            );
        }
        anstream::print!("{out}");
        return Ok(Outcome::Success);
    }
    let Some(path) = &args.config else {
        return Err(InputError::new("lint needs a CONFIG"));
    };
    let options = options(args)?;
    for rule in &args.ignore {
        if !RULES.iter().any(|r| r.id == rule) {
            return Err(InputError::new(format!(
                "--ignore: no rule {rule:?} (podpass lint --rules lists them)"
            )));
        }
    }
    let imported = load_config(path, args.from)?;
    let mut findings = lint_with(&imported.configuration, &options);
    findings.retain(|f| !args.ignore.iter().any(|rule| rule == f.rule));
    let count = |severity: Severity| findings.iter().filter(|f| f.severity == severity).count();
    let (errors, warnings, infos) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    let failed = errors > 0 || (args.strict && warnings > 0);
    if args.json {
        let value = json!({
            "findings": findings,
            "errors": errors,
            "warnings": warnings,
            "infos": infos,
            "ok": !failed,
        });
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| InputError::new(format!("cannot render JSON: {e}")))?;
        anstream::println!("{text}");
        return Ok(Outcome::from_ok(!failed));
    }
    let mut out = String::new();
    for finding in &findings {
        render(&mut out, finding, &path.display().to_string());
    }
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let _ = writeln!(
        out,
        "{}, {}, {}",
        plural(errors, "error"),
        plural(warnings, "warning"),
        plural(infos, "info")
    );
    anstream::print!("{out}");
    Ok(Outcome::from_ok(!failed))
}

fn options(args: &LintArgs) -> Result<LintOptions, InputError> {
    let mut options = LintOptions::default();
    for mount in &args.kv2 {
        let mount = mount.trim_matches('/').to_string();
        if !options.kv_v2_mounts.contains(&mount) {
            options.kv_v2_mounts.push(mount);
        }
    }
    for mount in &args.kv1 {
        let mount = mount.trim_matches('/');
        options.kv_v2_mounts.retain(|m| m != mount);
    }
    if let Some(text) = &args.max_ttl {
        options.long_ttl_seconds = parse_duration_str(text)
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| InputError::new(format!("--max-ttl: invalid duration {text:?}")))?;
    }
    Ok(options)
}

/// `file:line: warning[rule]: message` and an indented hint: the compact form of a finding's
/// diagnostic, one per finding, since a lint run lists many (findings know their line, not a
/// column, so no snippet is drawn).
fn render(out: &mut String, finding: &Finding, config: &str) {
    let diagnostic = finding.diagnostic();
    let source = if diagnostic.source.is_empty() {
        config
    } else {
        diagnostic.source.as_str()
    };
    let location = match diagnostic.location() {
        Some(at) => format!("{source}:{}", at.line),
        None => source.to_string(),
    };
    let style = match diagnostic.severity {
        Severity::Error => BAD,
        Severity::Warning => WARN,
        Severity::Info => INFO,
    };
    let _ = writeln!(
        out,
        "{}: {}: {}",
        paint(BOLD, location),
        paint(
            style,
            format!("{}[{}]", diagnostic.severity, diagnostic.code)
        ),
        diagnostic.message
    );
    let _ = writeln!(out, "    {}", paint(DIM, &finding.subject));
    if let Some(help) = &diagnostic.help {
        let _ = writeln!(out, "    hint: {help}");
    }
}
