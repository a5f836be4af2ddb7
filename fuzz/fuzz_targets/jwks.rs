//! JWK Sets as a cluster serves them (`/openid/v1/jwks`, fetched by the server) or a host hands
//! them to the wasm engine: the input is the set's JSON text. Reading never panics, every entry
//! of the `keys` array is either a key or a reason it was skipped, and each key names its place.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podpass_core::keys::{KeyError, KeySet, KeySource};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let entries = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|document| document.get("keys")?.as_array().map(Vec::len));
    match KeySet::from_jwks_json(text) {
        Ok(set) => {
            let entries = entries.expect("a set was read from a `keys` array");
            assert_eq!(set.keys().len() + set.skipped().len(), entries, "{text}");
            for key in set.keys() {
                let KeySource::Jwks { index } = key.source() else {
                    panic!("a JWK Set's key comes from the set: {text}");
                };
                assert!(*index < entries);
                assert!(key.describe().contains(&format!("jwks keys[{index}]")));
            }
        }
        Err(KeyError::NoUsableJwk { skipped }) => {
            assert_eq!(Some(skipped.len()), entries, "{text}");
        }
        Err(KeyError::InvalidJwks(_)) => assert!(entries.is_none(), "{text}"),
        Err(other) => panic!("a JWK Set refused as {other:?}: {text}"),
    }
});
