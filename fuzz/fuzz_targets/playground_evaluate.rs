//! The playground's evaluation entry point, as a visitor or a share link reaches it: the input
//! is either a share link's fragment (decoded, then evaluated) or the page's fields typed
//! directly, separated by the unit separator (U+001F) in the order config, token, mount, role,
//! labels, remote address, now, path, operation. Anything but an answer (a panic, an abort, a
//! hang) is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use podpass_core::host_signature::HostVerdict;
use podpass_web::evaluate::{evaluate, over_live_budget};
use podpass_web::share::decode_fragment;
use podpass_web::signatures::{EngineCrypto, Verdicts};
use podpass_web::state::PlaygroundState;

/// A fixed clock, so a crash reproduces.
const NOW: i64 = 1_780_000_000;

fn run(state: &PlaygroundState) {
    // The budget check runs first in the page too; evaluation itself must hold either way.
    let _ = over_live_budget(state);
    let _ = evaluate(state, NOW, &EngineCrypto);
    // As the page runs it: the signatures asked for come back from WebCrypto (here: the first
    // candidate said to verify, a verdict the core must take apart like any other), then the
    // state is evaluated again.
    let mut verdicts = Verdicts::default();
    let _ = evaluate(state, NOW, &verdicts);
    for job in verdicts.take_wanted() {
        let verified_by = job.candidates.first().map(|(index, _)| *index);
        verdicts.insert(job, Ok(HostVerdict { verified_by }));
    }
    let _ = evaluate(state, NOW, &verdicts);
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Some(state)) = decode_fragment(text) {
        run(&state);
    }
    let mut fields = text.split('\u{1f}').map(str::to_string);
    let mut next = || fields.next().unwrap_or_default();
    let mut state = PlaygroundState::default();
    state.config = next();
    state.token = next();
    state.mount = next();
    state.role = next();
    state.namespace_labels = next();
    state.remote_addr = next();
    state.now = next();
    state.path = next();
    state.operation = next();
    run(&state);
});
