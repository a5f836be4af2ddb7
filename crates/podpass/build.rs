//! With the `embed-ui` feature, builds the playground's files (Trunk's `web/dist`, or the
//! directory in `PODPASS_UI_DIST`) into the binary: writes `$OUT_DIR/embedded_ui.rs`, a table of
//! `include_bytes!` entries. Without the feature it does nothing, so builds where the playground
//! was never built are unaffected.

#![allow(clippy::disallowed_methods, reason = "size rules are for wasm faces")]

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PODPASS_UI_DIST");
    if std::env::var_os("CARGO_FEATURE_EMBED_UI").is_none() {
        return;
    }
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dist = std::env::var_os("PODPASS_UI_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("../../web/dist"));
    if !dist.join("index.html").is_file() {
        // A build script reports a refusal by failing; this is the message the user sees.
        eprintln!(
            "error: the embed-ui feature needs the built playground, and {} has no index.html.\n\
             Build it first (`trunk build --release` from the repository root, see README.md), \
             or set PODPASS_UI_DIST to Trunk's output directory.",
            dist.display()
        );
        std::process::exit(1);
    }
    println!("cargo:rerun-if-changed={}", dist.display());
    let mut files = Vec::new();
    collect(&dist, &dist, &mut files);
    files.sort();
    let mut out = String::from(
        "/// The playground's files, built in from Trunk's output.\n\
         pub static FILES: &[(&str, &[u8])] = &[\n",
    );
    for (name, path) in &files {
        out.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    let target =
        PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("embedded_ui.rs");
    if let Err(e) = std::fs::write(&target, out) {
        eprintln!("error: cannot write {}: {e}", target.display());
        std::process::exit(1);
    }
}

/// Every file under `dir`, as (path relative to `root` with `/` separators, absolute path).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
        } else if let Ok(relative) = path.strip_prefix(root) {
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let absolute = std::fs::canonicalize(&path).unwrap_or(path);
            files.push((name, absolute));
        }
    }
}
