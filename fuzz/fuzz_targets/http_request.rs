//! A request to `podpass serve` up to routing: the URL path cleaned as Go's `ServeMux` cleans
//! it, the path, query, headers and body read, unsupported features refused and the endpoint
//! found. The input's fields (U+001F apart) are the method, the URL path after `/v1/`, the
//! query, headers as `name: value` lines, and the body. The server state is the demo scenario
//! in memory; nothing here writes to it.
#![no_main]

use std::sync::{Arc, LazyLock};

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use libfuzzer_sys::fuzz_target;
use podpass_server::app::App;
use podpass_server::request::{ApiRequest, clean_path};
use podpass_server::routes::{Route, refuse_unsupported_features};
use podpass_server::server::{apply_configuration, demo_configuration, fixed_clock};
use podpass_server::storage::{MemoryBackend, SealKey, Store};

/// A fixed clock, so a crash reproduces.
const NOW: i64 = 1_780_000_000;

static APP: LazyLock<Arc<App>> = LazyLock::new(|| {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    runtime.block_on(async {
        let key = SealKey::generate().unwrap_or_else(|e| panic!("seal key: {e}"));
        let store = Store::new(Arc::new(MemoryBackend::new()), key);
        let app =
            Arc::new(App::load(store, fixed_clock(NOW)).unwrap_or_else(|e| panic!("app: {e}")));
        let demo = demo_configuration().unwrap_or_else(|e| panic!("demo: {e}"));
        apply_configuration(&app, &demo)
            .await
            .unwrap_or_else(|e| panic!("demo applies: {e}"));
        app
    })
});

fn headers(text: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in text.lines() {
        if let Some((name, value)) = line.split_once(':')
            && let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.trim().as_bytes()),
                HeaderValue::from_str(value.trim()),
            )
        {
            headers.append(name, value);
        }
    }
    headers
}

fuzz_target!(|data: &[u8]| {
    let mut fields = data.split(|b| *b == 0x1f);
    let mut next = || fields.next().unwrap_or_default();
    let Ok(method) = Method::from_bytes(next()) else {
        return;
    };
    let Ok(path) = std::str::from_utf8(next()) else {
        return;
    };
    let query = std::str::from_utf8(next()).ok().filter(|q| !q.is_empty());
    let headers = headers(&String::from_utf8_lossy(next()));
    let body = next();

    let url_path = format!("/v1/{path}");
    if let Some(clean) = clean_path(&url_path) {
        // The redirect's target must be clean, or a client would be sent round in circles.
        assert_eq!(
            clean_path(&clean),
            None,
            "{url_path:?} cleans to {clean:?}, which is not clean"
        );
        return;
    }
    let Ok(request) = ApiRequest::parse(method, path, query, &headers, body, None) else {
        return;
    };
    if refuse_unsupported_features(&headers, &request).is_err() {
        return;
    }
    let Ok(route) = Route::parse(&request, &APP) else {
        return;
    };
    let acl_path = route.acl_path(&request.path);
    assert!(
        !acl_path.split('/').any(|s| s == ".." || s == "."),
        "{path:?} routes to the relative ACL path {acl_path:?}"
    );
    let _ = (
        route.kind(),
        route.is_unauthenticated(),
        route.is_root_protected(),
    );
});
