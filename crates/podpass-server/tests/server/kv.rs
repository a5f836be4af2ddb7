//! KV v2 complete: version actions, metadata writes and patches, the engine's config, merge
//! patches, Vault's version bookkeeping and its refusals, every request through the ACL.
//! Expected answers were taken from OpenBao 2.7.2 given the same requests.

use crate::support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use support::demo::{Harness, ROOT, errors};

/// A token carrying only `policy` (no default policy).
async fn token_with(h: &Harness, policy: &str) -> String {
    h.put_policy("kv-test", policy).await;
    let (status, body) = h
        .call(
            "POST",
            "auth/token/create",
            Some(ROOT),
            Some(json!({"policies": ["kv-test"], "no_default_policy": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["auth"]["client_token"].as_str().unwrap().to_string()
}

async fn metadata(h: &Harness, path: &str) -> Value {
    let (status, body) = h
        .call("GET", &format!("secret/metadata/{path}"), Some(ROOT), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"].clone()
}

#[tokio::test]
async fn delete_undelete_destroy_through_the_acl() {
    let h = Harness::demo().await;
    for i in 1..=3 {
        let (status, _) = h
            .call(
                "POST",
                "secret/data/app/db",
                Some(ROOT),
                Some(json!({"data": {"i": i}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
    }
    let token = token_with(
        &h,
        "path \"secret/delete/app/*\" {\n  capabilities = [\"update\"]\n}\npath \"secret/undelete/app/*\" {\n  capabilities = [\"update\"]\n}\n",
    )
    .await;
    let versions = |v: Value| Some(json!({ "versions": v }));
    let (status, _) = h
        .call(
            "POST",
            "secret/delete/app/db",
            Some(&token),
            versions(json!([1, 2])),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // Destroy is a separate path the policy does not grant.
    let (status, _) = h
        .call(
            "POST",
            "secret/destroy/app/db",
            Some(&token),
            versions(json!([1])),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let meta = metadata(&h, "app/db").await;
    assert_ne!(meta["versions"]["1"]["deletion_time"], "");
    assert_ne!(meta["versions"]["2"]["deletion_time"], "");
    assert_eq!(meta["versions"]["3"]["deletion_time"], "");
    let (status, body) = h
        .call("GET", "secret/data/app/db?version=1", Some(ROOT), None)
        .await;
    assert_eq!(
        (status, body["data"]["data"].clone()),
        (StatusCode::NOT_FOUND, Value::Null)
    );

    // A comma-separated string works as in Vault.
    let (status, _) = h
        .call(
            "POST",
            "secret/undelete/app/db",
            Some(&token),
            versions(json!("1")),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = h
        .call("GET", "secret/data/app/db?version=1", Some(ROOT), None)
        .await;
    assert_eq!(
        (status, body["data"]["data"].clone()),
        (StatusCode::OK, json!({"i": 1}))
    );

    let (status, _) = h
        .call(
            "POST",
            "secret/destroy/app/db",
            Some(ROOT),
            versions(json!([1, 99])),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = h
        .call("GET", "secret/data/app/db?version=1", Some(ROOT), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["data"]["metadata"]["destroyed"], true);
    // A destroyed version cannot be undeleted.
    h.call(
        "POST",
        "secret/undelete/app/db",
        Some(ROOT),
        versions(json!([1])),
    )
    .await;
    assert_eq!(
        metadata(&h, "app/db").await["versions"]["1"]["destroyed"],
        true
    );

    for (path, message) in [
        ("secret/delete/app/db", "No version number provided"),
        ("secret/undelete/app/db", "No version number provided"),
        ("secret/destroy/app/db", "no version number provided"),
    ] {
        let (status, body) = h.call("POST", path, Some(ROOT), Some(json!({}))).await;
        assert_eq!(
            (status, errors(&body)),
            (StatusCode::BAD_REQUEST, vec![message.to_string()])
        );
    }
    let (status, body) = h
        .call(
            "POST",
            "secret/delete/app/db",
            Some(ROOT),
            versions(json!(["x"])),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        errors(&body),
        [
            "Field validation failed: error converting input for field \"versions\": decoding failed due to the following error(s):\n\n'[0]' cannot parse value as 'int': strconv.ParseInt: invalid syntax"
        ]
    );
}

#[tokio::test]
async fn metadata_writes_patches_and_bookkeeping() {
    let h = Harness::demo().await;
    // Metadata may be written before any version.
    let token = token_with(
        &h,
        "path \"secret/metadata/app/*\" {\n  capabilities = [\"create\", \"read\"]\n}\npath \"secret/data/app/*\" {\n  capabilities = [\"create\", \"update\", \"read\"]\n}\n",
    )
    .await;
    let (status, body) = h
        .call(
            "POST",
            "secret/metadata/app/cfg",
            Some(&token),
            Some(
                json!({"max_versions": 2, "cas_required": true, "delete_version_after": "1h",
                        "custom_metadata": {"owner": "me", "n": 1, "b": true}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let meta = metadata(&h, "app/cfg").await;
    assert_eq!(
        (
            meta["current_version"].clone(),
            meta["current_metadata_version"].clone(),
            meta["oldest_version"].clone(),
            meta["delete_version_after"].clone(),
            meta["custom_metadata"].clone(),
            meta["versions"].clone(),
        ),
        (
            json!(0),
            json!(1),
            json!(0),
            json!("1h0m0s"),
            json!({"owner": "me", "n": "1", "b": "1"}),
            json!({})
        )
    );
    // The secret now exists: a second metadata write is an update, which the policy lacks.
    let (status, _) = h
        .call(
            "POST",
            "secret/metadata/app/cfg",
            Some(&token),
            Some(json!({"max_versions": 3})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // cas_required applies; delete_version_after schedules each new version's deletion.
    let (status, body) = h
        .call(
            "POST",
            "secret/data/app/cfg",
            Some(&token),
            Some(json!({"data": {"a": 1}})),
        )
        .await;
    assert_eq!(
        (status, errors(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec!["check-and-set parameter required for this call".to_string()]
        )
    );
    for cas in 0..3 {
        let (status, body) = h
            .call(
                "POST",
                "secret/data/app/cfg",
                Some(&token),
                Some(json!({"data": {"a": cas}, "options": {"cas": cas}})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_ne!(body["data"]["deletion_time"], "", "scheduled deletion");
        assert_eq!(body["data"]["custom_metadata"]["owner"], "me");
    }
    // Three versions with max_versions 2: version 1 is gone and oldest_version moved up.
    let meta = metadata(&h, "app/cfg").await;
    assert_eq!(meta["oldest_version"], 2);
    assert_eq!(
        meta["versions"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["2", "3"]
    );

    // PATCH merges custom_metadata (null removes) and needs the patch capability.
    let (status, _) = h
        .call(
            "PATCH",
            "secret/metadata/app/cfg",
            Some(&token),
            Some(json!({"max_versions": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = h
        .call(
            "PATCH",
            "secret/metadata/app/cfg",
            Some(ROOT),
            Some(json!({"custom_metadata": {"n": null, "team": "t"}, "max_versions": 5})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let meta = metadata(&h, "app/cfg").await;
    assert_eq!(
        meta["custom_metadata"],
        json!({"owner": "me", "b": "1", "team": "t"})
    );
    assert_eq!(
        (
            meta["max_versions"].clone(),
            meta["current_metadata_version"].clone()
        ),
        (json!(5), json!(2))
    );
    let (status, body) = h
        .call(
            "PATCH",
            "secret/metadata/app/none",
            Some(ROOT),
            Some(json!({"max_versions": 5})),
        )
        .await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, Value::Null));

    // Vault's validation messages.
    for (body, message) in [
        (
            json!({"custom_metadata": {"k": ""}}),
            "1 error occurred:\n\t* custom_metadata validation failed: length of value for key \"k\" is 0 but must be 0 < len(value) <= 512\n\n",
        ),
        (
            json!({"custom_metadata": "x"}),
            "error converting input for field \"custom_metadata\": '' expected type 'map[string]interface {}', got unconvertible type 'string'",
        ),
        (
            json!({"delete_version_after": "-5s"}),
            "error converting input for field \"delete_version_after\": cannot provide negative value '-5'",
        ),
        (
            json!({"cas_required": "yes"}),
            "error converting input for field \"cas_required\": '' cannot parse value as 'bool': strconv.ParseBool: invalid syntax",
        ),
    ] {
        let (status, answer) = h
            .call("POST", "secret/metadata/app/cfg", Some(ROOT), Some(body))
            .await;
        assert_eq!(
            (status, errors(&answer)),
            (StatusCode::BAD_REQUEST, vec![message.to_string()])
        );
    }
}

#[tokio::test]
async fn engine_config_patch_content_type_and_folder_writes() {
    let h = Harness::demo().await;
    let (status, body) = h.call("GET", "secret/config", Some(ROOT), None).await;
    assert_eq!(
        (status, body["data"].clone()),
        (
            StatusCode::OK,
            json!({"cas_required": false, "delete_version_after": "0s", "max_versions": 0})
        )
    );
    let (status, _) = h
        .call(
            "POST",
            "secret/config",
            Some(ROOT),
            Some(json!({"max_versions": 3, "delete_version_after": "2h"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, body) = h.call("GET", "secret/config", Some(ROOT), None).await;
    assert_eq!(
        body["data"],
        json!({"cas_required": false, "delete_version_after": "2h0m0s", "max_versions": 3})
    );
    let (status, body) = h
        .call(
            "POST",
            "secret/config",
            Some(ROOT),
            Some(json!({"delete_version_after": "x"})),
        )
        .await;
    assert_eq!(
        (status, errors(&body)),
        (StatusCode::BAD_REQUEST, vec!["Field validation failed: error converting input for field \"delete_version_after\": time: invalid duration \"x\"".to_string()])
    );
    // The engine's max_versions applies to secrets that set none.
    for i in 0..4 {
        h.call(
            "POST",
            "secret/data/c",
            Some(ROOT),
            Some(json!({"data": {"i": i}})),
        )
        .await;
    }
    assert_eq!(metadata(&h, "c").await["oldest_version"], 2);

    // PATCH must be a merge patch: 415 otherwise, before the token is even checked.
    let patch = |content_type: Option<&str>, token: Option<&str>| {
        let mut builder = Request::builder().method("PATCH").uri("/v1/secret/data/c");
        if let Some(content_type) = content_type {
            builder = builder.header("Content-Type", content_type);
        }
        if let Some(token) = token {
            builder = builder.header("X-Vault-Token", token);
        }
        builder
            .body(Body::from(json!({"data": {"x": 1}}).to_string()))
            .unwrap()
    };
    let (status, body) = h.send(patch(Some("application/json"), None)).await;
    assert_eq!(
        (status, errors(&body)),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, vec!["PATCH requires Content-Type of application/merge-patch+json, provided application/json".to_string()])
    );
    let (status, body) = h.send(patch(None, Some(ROOT))).await;
    assert_eq!(
        (status, errors(&body)),
        (
            StatusCode::BAD_REQUEST,
            vec!["mime: no media type".to_string()]
        )
    );
    let (status, body) = h
        .send(patch(
            Some("Application/Merge-Patch+JSON; charset=utf-8"),
            Some(ROOT),
        ))
        .await;
    assert_eq!(
        (status, body["data"]["version"].clone()),
        (StatusCode::OK, json!(5))
    );
    let (_, body) = h.call("GET", "secret/data/c", Some(ROOT), None).await;
    assert_eq!(body["data"]["data"], json!({"i": 3, "x": 1}));

    // A patch of a deleted version is a 404 carrying its metadata; of nothing, an empty 404.
    h.call("DELETE", "secret/data/c", Some(ROOT), None).await;
    let (status, body) = h
        .call(
            "PATCH",
            "secret/data/c",
            Some(ROOT),
            Some(json!({"data": {"y": 1}})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["data"]["version"], 5);
    assert_ne!(body["data"]["deletion_time"], "");
    let (status, body) = h
        .call(
            "PATCH",
            "secret/data/nothing",
            Some(ROOT),
            Some(json!({"data": {"y": 1}})),
        )
        .await;
    assert_eq!((status, body), (StatusCode::NOT_FOUND, Value::Null));

    // Writes to a folder are refused; a delete there is a no-op, as in Vault.
    for (method, path) in [
        ("POST", "secret/data/app/dir/"),
        ("PUT", "secret/data/app/dir/"),
        ("PATCH", "secret/data/app/dir/"),
        ("POST", "secret/metadata/app/dir/"),
    ] {
        let (status, body) = h
            .call(
                method,
                path,
                Some(ROOT),
                Some(json!({"data": {"a": 1}, "max_versions": 1})),
            )
            .await;
        assert_eq!(
            (status, errors(&body)),
            (
                StatusCode::BAD_REQUEST,
                vec!["cannot write to a path ending in '/'".to_string()]
            ),
            "{method} {path}"
        );
    }
    assert_eq!(
        h.call("DELETE", "secret/data/app/dir/", Some(ROOT), None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );

    let (status, body) = h
        .call(
            "POST",
            "secret/data/t",
            Some(ROOT),
            Some(json!({"data": [1]})),
        )
        .await;
    assert_eq!(
        (status, errors(&body)),
        (StatusCode::BAD_REQUEST, vec!["error converting input for field \"data\": '[0]' expected type 'map[string]interface {}', got unconvertible type 'json.Number'".to_string()])
    );
}

#[tokio::test]
async fn subkeys_show_the_shape_without_the_values() {
    let h = Harness::demo().await;
    let data = json!({"data": {"a": 1, "b": {"c": {"d": 2}, "e": [1, {"x": 1}]}, "f": null}});
    h.call("POST", "secret/data/s", Some(ROOT), Some(data))
        .await;
    let subkeys = |query: &'static str| {
        let h = &h;
        async move {
            let (status, body) = h
                .call("GET", &format!("secret/subkeys/s{query}"), Some(ROOT), None)
                .await;
            (status, body["data"]["subkeys"].clone())
        }
    };
    assert_eq!(
        subkeys("").await,
        (
            StatusCode::OK,
            json!({"a": null, "b": {"c": {"d": null}, "e": null}, "f": null})
        )
    );
    assert_eq!(
        subkeys("?depth=1").await,
        (StatusCode::OK, json!({"a": null, "b": null, "f": null}))
    );
    assert_eq!(
        subkeys("?depth=2").await,
        (
            StatusCode::OK,
            json!({"a": null, "b": {"c": null, "e": null}, "f": null})
        )
    );
    let (status, body) = h
        .call("GET", "secret/subkeys/s?depth=x", Some(ROOT), None)
        .await;
    assert_eq!(
        (status, errors(&body)),
        (StatusCode::BAD_REQUEST, vec!["Field validation failed: error converting input for field \"depth\": '' cannot parse value as 'int': strconv.ParseInt: invalid syntax".to_string()])
    );
    h.call("DELETE", "secret/data/s", Some(ROOT), None).await;
    let (status, body) = h.call("GET", "secret/subkeys/s", Some(ROOT), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["data"]["subkeys"], Value::Null);
    assert_ne!(body["data"]["metadata"]["deletion_time"], "");
    let (status, body) = h
        .call("POST", "secret/subkeys/s", Some(ROOT), Some(json!({})))
        .await;
    assert_eq!(
        (status, errors(&body)),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            vec!["1 error occurred:\n\t* unsupported operation\n\n".to_string()]
        )
    );
    // Through the ACL on its own path.
    let token = token_with(
        &h,
        "path \"secret/data/*\" {\n  capabilities = [\"read\"]\n}\n",
    )
    .await;
    assert_eq!(
        h.call("GET", "secret/subkeys/s", Some(&token), None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
}
