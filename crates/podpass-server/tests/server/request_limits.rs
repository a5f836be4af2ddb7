//! JSON bodies above the complexity limits are refused before they are parsed, with Vault's
//! error shape and OpenBao's words; bodies at the limits pass.

use crate::support;

use axum::http::StatusCode;
use serde_json::{Value, json};

use support::demo::{Harness, ROOT};

fn refused(what: &str) -> Value {
    json!({"errors": [format!("refused JSON input due to high complexity: exceeded maximum {what}")]})
}

async fn write(h: &Harness, body: String) -> (StatusCode, Value) {
    h.raw("POST", "secret/data/limits", Some(ROOT), Some(body))
        .await
}

#[tokio::test]
async fn too_many_strings_are_refused_everywhere_before_anything_else() {
    let h = Harness::demo().await;
    // "data", "a" and 9,998 values: 10,000 strings.
    let at_limit = json!({"data": {"a": vec!["s"; 9_998]}}).to_string();
    let (status, body) = write(&h, at_limit).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let above = json!({"data": {"a": vec!["s"; 9_999]}}).to_string();
    assert_eq!(
        write(&h, above.clone()).await,
        (StatusCode::BAD_REQUEST, refused("number of strings"))
    );
    // Refused on any path, and before the token is even looked at.
    for path in ["auth/kubernetes/login", "sys/policy/x", "auth/token/lookup"] {
        assert_eq!(
            h.raw("POST", path, None, Some(above.clone())).await,
            (StatusCode::BAD_REQUEST, refused("number of strings")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn depth_string_length_and_container_sizes_are_bounded() {
    let h = Harness::demo().await;
    let nested = |depth: usize| {
        format!(
            "{{\"data\":{{\"a\":{}1{}}}}}",
            "[".repeat(depth),
            "]".repeat(depth)
        )
    };
    // The body's object and "data" are two levels: 98 arrays reach the limit of 100.
    let (status, body) = write(&h, nested(98)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        write(&h, nested(99)).await,
        (StatusCode::BAD_REQUEST, refused("nesting depth"))
    );
    // A hundred thousand levels cost a linear scan, no recursion.
    assert_eq!(
        write(&h, nested(100_000)).await,
        (StatusCode::BAD_REQUEST, refused("nesting depth"))
    );

    let mib = 1024 * 1024;
    let (status, body) = write(&h, json!({"data": {"a": "x".repeat(mib)}}).to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        write(&h, json!({"data": {"a": "x".repeat(mib + 1)}}).to_string()).await,
        (StatusCode::BAD_REQUEST, refused("string length"))
    );

    let numbers: Vec<u32> = (0..10_000).collect();
    let (status, body) = write(&h, json!({"data": {"a": numbers}}).to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let numbers: Vec<u32> = (0..10_001).collect();
    assert_eq!(
        write(&h, json!({"data": {"a": numbers}}).to_string()).await,
        (StatusCode::BAD_REQUEST, refused("number of array elements"))
    );

    // Keys are strings too, so with the defaults an object reaches the bound on strings
    // before its own bound on entries (both 10,000).
    let keys = |n: usize| {
        let mut map = serde_json::Map::new();
        for i in 0..n {
            map.insert(format!("k{i}"), json!(1));
        }
        json!({"data": Value::Object(map)}).to_string()
    };
    let (status, body) = write(&h, keys(9_998)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        write(&h, keys(10_001)).await,
        (StatusCode::BAD_REQUEST, refused("number of strings"))
    );
    // Malformed JSON is still the parser's message.
    let (status, body) = write(&h, "{\"data\": ".to_string()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["errors"][0]
            .as_str()
            .unwrap()
            .starts_with("failed to parse JSON input:"),
        "{body}"
    );
}
