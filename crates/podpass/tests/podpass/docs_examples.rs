//! The command-line examples in README.md and docs/*.md, run: every ```console block's `$ `
//! commands are run with `sh` against the built binary, in a fresh directory where `tests/` is
//! the repository's, and each must exit as shown (`# exit N` after the command; 0 otherwise)
//! and print the lines shown, in order. `...` stands for lines left out; `…` inside a line for
//! text left out. `cargo run [-q] -p podpass --` is run as the built `podpass`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One `$ ` command of a block and what it should print and exit with.
#[derive(Debug)]
struct Example {
    /// Where it is, for failures: `docs/cli.md:120`.
    at: String,
    command: String,
    expected: Vec<String>,
    code: i32,
}

/// The console blocks of a markdown file, as lists of examples.
fn console_blocks(file: &Path, name: &str) -> Vec<Vec<Example>> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut blocks = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((_, line)) = lines.next() {
        if line.trim() != "```console" {
            continue;
        }
        let mut block: Vec<Example> = Vec::new();
        let mut heredoc_end: Option<String> = None;
        let mut continued = false;
        for (number, line) in lines.by_ref() {
            if line.trim() == "```" {
                break;
            }
            if let Some(end) = &heredoc_end {
                let example = block.last_mut().unwrap();
                example.command.push('\n');
                example.command.push_str(line);
                if line.trim() == end {
                    heredoc_end = None;
                }
                continue;
            }
            if continued {
                let example = block.last_mut().unwrap();
                example.command.push('\n');
                example.command.push_str(line);
                continued = line.ends_with('\\');
            } else if let Some(command) = line.strip_prefix("$ ") {
                block.push(Example {
                    at: format!("{name}:{}", number + 1),
                    command: command.to_string(),
                    expected: Vec::new(),
                    code: 0,
                });
                continued = line.ends_with('\\');
            } else if let Some(example) = block.last_mut() {
                example.expected.push(line.to_string());
                continue;
            }
            let command = &block.last().unwrap().command;
            if let Some((_, rest)) = command.rsplit_once("<<") {
                let end = rest
                    .trim()
                    .trim_matches(|c| c == '\'' || c == '"' || c == '-');
                heredoc_end = Some(end.to_string());
            }
        }
        for example in &mut block {
            // `# exit N` ends the command's last line (the shell reads it as a comment).
            example.code = example
                .command
                .lines()
                .last()
                .and_then(|last| last.rsplit_once("# exit "))
                .and_then(|(_, n)| n.trim().parse().ok())
                .unwrap_or(0);
        }
        blocks.push(block);
    }
    blocks
}

/// Whether `line` holds the expected text, where `…` stands for anything.
fn line_matches(expected: &str, line: &str) -> bool {
    let mut rest = line;
    for piece in expected
        .trim()
        .split('…')
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    true
}

fn run_block(block: &[Example], dir: &Path) {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_podpass")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for example in block {
        let command = example
            .command
            .replace("cargo run -q -p podpass --", "podpass")
            .replace("cargo run -p podpass --", "podpass");
        let output = Command::new("sh")
            .arg("-c")
            .arg(&command)
            .current_dir(dir)
            .env("PATH", &path)
            .env("NO_COLOR", "1")
            .env_remove("CLICOLOR_FORCE")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let shown = format!("{}\n--- stderr\n{}", stdout, stderr);
        assert_eq!(
            output.status.code(),
            Some(example.code),
            "{}: `{command}` exited otherwise than shown\n{shown}",
            example.at
        );
        let actual: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
        let mut position = 0;
        for expected in &example.expected {
            let wanted = expected.trim();
            if wanted.is_empty() || wanted == "..." {
                continue;
            }
            match actual[position..]
                .iter()
                .position(|line| line_matches(wanted, line))
            {
                Some(found) => position += found + 1,
                None => panic!(
                    "{}: `{command}` did not print (in this order) the line\n    {wanted}\nIt printed:\n{shown}",
                    example.at
                ),
            }
        }
    }
}

#[cfg(unix)]
#[test]
fn console_examples_in_the_docs_run_as_shown() {
    let repo = repo();
    let mut files = vec![repo.join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(repo.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    let mut ran = 0;
    for file in &files {
        let name = file.strip_prefix(&repo).unwrap().display().to_string();
        for (n, block) in console_blocks(file, &name).iter().enumerate() {
            let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("docs-{}-{n}", name.replace(['/', '.'], "-")));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::os::unix::fs::symlink(repo.join("tests"), dir.join("tests")).unwrap();
            run_block(block, &dir);
            ran += block.len();
        }
    }
    assert!(ran >= 8, "only {ran} console examples found");
}

#[test]
fn the_block_reader_and_matcher_follow_the_conventions() {
    assert!(line_matches(
        "ALLOWED  policies […], ttl 1h",
        "ALLOWED  policies [a, b], ttl 1h, max"
    ));
    assert!(!line_matches("denied   read x", "allowed  read x"));
    assert!(line_matches("…ttl 1h", "a ttl 1h"));
}
