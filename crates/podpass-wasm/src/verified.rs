//! Tokens whose signature an engine has verified, kept when the engine is asked to
//! (`verifiedTokenCache`), so that a token presented again is not verified again.
//!
//! A pod sends the same projected service-account token with every request until the kubelet
//! rotates it, so a gateway sees each token many times. Verifying a signature is a pure function
//! of the token and the mount's keys, and an engine's keys never change, so the verdict of an
//! exact token (header, payload and signature, byte for byte) on a mount can be reused. Only
//! the signature is reused: every other check (expiry, not-before, issuer, audience, the role's
//! bindings) runs again on every login, against that login's `now`.
//!
//! Only tokens that verified are kept: a forged token costs a verification every time, and cannot
//! push genuine tokens out. When the cache is full it starts over, as the ACL cache does: a
//! bound on memory, not an eviction policy. The tokens are kept in a JavaScript `Map`
//! (`js/lazy.js`), which costs the module no map code of its own; the token is always the text
//! the engine read (the JavaScript string it read it from), never read again from the request.

use podpass_core::host_signature::HostVerdict;
use wasm_bindgen::prelude::*;

use crate::lazy::LoginRead;

/// The most tokens an engine may be asked to keep.
pub(crate) const MOST_VERIFIED_TOKENS: u32 = 100_000;

#[wasm_bindgen(module = "/js/lazy.js")]
extern "C" {
    #[wasm_bindgen(js_name = verifiedTokens)]
    fn verified_tokens(capacity: u32) -> JsValue;

    #[wasm_bindgen(js_name = verifiedBy)]
    fn verified_by(tokens: &JsValue, mount: &str, jwt: &JsValue) -> Option<u32>;

    #[wasm_bindgen(js_name = rememberVerified)]
    fn remember_verified(tokens: &JsValue, mount: &str, jwt: &JsValue, index: u32);
}

/// Verified tokens by mount and token, with the candidate key that verified each; nothing at
/// all when the engine keeps none.
pub(crate) struct VerifiedTokens(Option<JsValue>);

impl VerifiedTokens {
    /// A cache of at most `capacity` tokens; 0 keeps none.
    pub(crate) fn new(capacity: u32) -> VerifiedTokens {
        VerifiedTokens((capacity > 0).then(|| verified_tokens(capacity)))
    }

    /// The verdict remembered for the token of `read` on the mount at `mount`, if it verified
    /// before.
    pub(crate) fn get(&self, mount: &str, read: &LoginRead) -> Option<HostVerdict> {
        let index = verified_by(self.0.as_ref()?, mount, &read.jwt_text())?;
        Some(HostVerdict {
            verified_by: Some(index as usize),
        })
    }

    /// Remembers `verdict` for the token of `read` on the mount at `mount` when the signature
    /// verified.
    pub(crate) fn remember(&self, mount: &str, read: &LoginRead, verdict: HostVerdict) {
        if let (Some(tokens), Some(index)) = (&self.0, verdict.verified_by) {
            // A mount has far fewer keys than a u32 counts.
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            remember_verified(tokens, mount, &read.jwt_text(), index);
        }
    }
}
