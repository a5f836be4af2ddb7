//! The playground under `/ui/`: from a directory (`--ui web/dist`), from files built into the
//! binary (the `podpass` crate's `embed-ui` feature), or, when neither is there, a page that
//! says how to get it rather than an empty 404.

use std::path::PathBuf;

use axum::Router;
use axum::extract::{Path, Request};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// One file of the built playground: its path inside `web/dist` (`/`-separated, no leading
/// slash) and its bytes.
pub type EmbeddedFile = (&'static str, &'static [u8]);

/// Where the playground comes from.
#[derive(Debug, Clone, Default)]
pub enum Playground {
    /// Not available: `/ui/` explains how to build and serve it.
    #[default]
    Missing,
    /// Trunk's output directory on disk.
    Dir(PathBuf),
    /// Files built into the binary.
    Embedded(&'static [EmbeddedFile]),
}

impl Playground {
    /// Whether there is a playground to serve.
    pub fn is_available(&self) -> bool {
        !matches!(self, Playground::Missing)
    }

    /// The routes for `/ui` (and `/` redirecting there when the playground is available).
    pub fn routes(&self) -> Router {
        match self {
            Playground::Missing => Router::new()
                .route("/ui", get(missing))
                .route("/ui/", get(missing))
                .route("/ui/{*rest}", get(missing)),
            Playground::Dir(dir) => {
                let index = dir.join("index.html");
                let files = ServeDir::new(dir).fallback(ServeFile::new(index.clone()));
                // The directory may still be being built (`scripts/run.sh` starts the server
                // first): until its index exists, say so instead of answering an empty 404.
                let serve = move |request: Request| {
                    let files = files.clone();
                    let built = index.is_file();
                    async move {
                        if !built {
                            return pending_page();
                        }
                        match files.oneshot(request).await {
                            Ok(response) => response.into_response(),
                            Err(never) => match never {},
                        }
                    }
                };
                Router::new()
                    .nest_service("/ui", axum::routing::get(serve))
                    .route("/", get(|| async { Redirect::temporary("/ui/") }))
            }
            Playground::Embedded(files) => {
                let files: &'static [EmbeddedFile] = files;
                Router::new()
                    .route("/ui", get(|| async { Redirect::permanent("/ui/") }))
                    .route("/ui/", get(move || async move { embedded(files, "") }))
                    .route(
                        "/ui/{*path}",
                        get(move |Path(path): Path<String>| async move { embedded(files, &path) }),
                    )
                    .route("/", get(|| async { Redirect::temporary("/ui/") }))
            }
        }
    }
}

/// A file of the embedded playground; paths that name no file get `index.html`, as the
/// directory service does, so the single-page app handles them.
fn embedded(files: &'static [EmbeddedFile], path: &str) -> Response {
    let lookup = |wanted: &str| files.iter().find(|(name, _)| *name == wanted);
    match lookup(path).or_else(|| lookup("index.html")) {
        Some((name, bytes)) => {
            ([(header::CONTENT_TYPE, content_type(name))], *bytes).into_response()
        }
        None => missing_page(),
    }
}

/// The content type of a built playground file, by extension (Trunk emits only these kinds).
fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "webmanifest") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

async fn missing() -> Response {
    missing_page()
}

/// What `/ui/` says when this server has no playground: a 404, but one that says what to do.
fn missing_page() -> Response {
    (StatusCode::NOT_FOUND, Html(MISSING_PAGE)).into_response()
}

/// What `/ui/` says while the playground directory has no `index.html` yet: 503, reloading
/// itself until the build is done.
fn pending_page() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::RETRY_AFTER, "10")],
        Html(PENDING_PAGE),
    )
        .into_response()
}

const PENDING_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>podpass: the playground is on its way</title></head>
<body style="font-family: sans-serif; max-width: 46rem; margin: 3rem auto; line-height: 1.5">
<h1>The playground is on its way</h1>
<p>The server is up (Vault's API answers under <code>/v1/</code>), and the web playground is
still being built: the first build installs Trunk and compiles the page to WebAssembly, which
takes several minutes. This page reloads itself every ten seconds until it is ready.</p>
</body>
</html>
"#;

const MISSING_PAGE: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>podpass: the playground is not built in</title></head>
<body style="font-family: sans-serif; max-width: 46rem; margin: 3rem auto; line-height: 1.5">
<h1>The playground is not part of this server</h1>
<p>This podpass serves Vault's API under <code>/v1/</code>, but was started without the web
playground. To get it at <code>/ui/</code>, either:</p>
<ul>
<li>build it with Trunk and point the server at the output:
<pre>trunk build --release
podpass dev --demo --ui web/dist</pre></li>
<li>or build podpass with the playground inside (after the Trunk build above):
<pre>cargo build --release -p podpass --features embed-ui</pre></li>
<li>or, from a checkout, run <code>./scripts/run.sh</code>, which does the first for you.</li>
</ul>
<p>Without a server at all, <code>trunk serve</code> runs it at
<code>http://127.0.0.1:8080/ui/</code>.</p>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_files_fall_back_to_the_index_and_carry_their_type() {
        static FILES: [EmbeddedFile; 2] = [("index.html", b"<html>"), ("app_bg.wasm", b"\0asm")];
        let wasm = embedded(&FILES, "app_bg.wasm");
        assert_eq!(wasm.headers()[header::CONTENT_TYPE], "application/wasm");
        let route = embedded(&FILES, "some/client/route");
        assert_eq!(route.status(), StatusCode::OK);
        assert_eq!(
            route.headers()[header::CONTENT_TYPE],
            "text/html; charset=utf-8"
        );
        assert_eq!(embedded(&[], "x").status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn a_directory_still_being_built_says_so_until_its_index_appears() {
        let dir = tempfile::tempdir().expect("dir");
        let routes = Playground::Dir(dir.path().to_path_buf()).routes();
        let get = |path: &str| {
            axum::http::Request::builder()
                .uri(path)
                .body(axum::body::Body::empty())
                .expect("request")
        };
        let pending = routes.clone().oneshot(get("/ui/")).await.expect("answer");
        assert_eq!(pending.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(pending.headers()[header::RETRY_AFTER], "10");
        std::fs::write(dir.path().join("index.html"), "<html>built</html>").expect("index");
        std::fs::write(dir.path().join("app.js"), "js").expect("js");
        let built = routes.clone().oneshot(get("/ui/")).await.expect("answer");
        assert_eq!(built.status(), StatusCode::OK);
        let asset = routes
            .clone()
            .oneshot(get("/ui/app.js"))
            .await
            .expect("answer");
        assert_eq!(asset.headers()[header::CONTENT_TYPE], "text/javascript");
        let route = routes
            .oneshot(get("/ui/some/client/route"))
            .await
            .expect("answer");
        assert_eq!(route.status(), StatusCode::OK);
    }
}
