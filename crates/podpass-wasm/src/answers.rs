//! The answers of an engine's recent logins and decisions, so that one that equals an answer
//! given before is handed a copy of it instead of an answer written as JSON and parsed again.
//!
//! A gateway sees the same pods log in again and again and ask for the same paths, and their
//! logins decide the same: the same granted outcome and, when a decision is asked (`authorize`,
//! alone or in the login's call), the same decision. The outcome is compared as the core's value,
//! and a decision by what decides it (the same compiled ACL and the same request), which costs a
//! fraction of writing the answer and parsing it, and spares computing the decision. The
//! JavaScript side (`js/lazy.js`) keeps each answer parsed and hands out deep copies, so no
//! caller sees another's object. A handful of answers are kept, the oldest replaced first;
//! denials, rarer and varied, are always written afresh.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use podpass_core::acl::{Acl, Request};
use podpass_core::login::{LoginOutcome, LoginSuccess};
use wasm_bindgen::prelude::*;

use crate::error::PodpassError;

/// How many answers an engine keeps.
const KEPT: usize = 16;

#[wasm_bindgen(module = "/js/lazy.js")]
extern "C" {
    #[wasm_bindgen(js_name = keptAnswers)]
    fn kept_answers() -> JsValue;

    /// `json` parsed (and kept in `answers[slot]` when a slot is given), or, without `json`, a
    /// copy of the answer kept in `slot`.
    #[wasm_bindgen(js_name = keptAnswer)]
    fn kept_answer(json: Option<String>, answers: &JsValue, slot: Option<u32>) -> JsValue;
}

/// The decision asked for with a login: the ACL that decided it and the request.
pub(crate) type Authorized<'a> = Option<(&'a Arc<Acl>, &'a Request)>;

/// What an answer was made from: a granted login's outcome, the decision asked, or both.
struct Kept {
    granted: Option<LoginSuccess>,
    authorized: Option<(Arc<Acl>, Request)>,
}

impl Kept {
    fn is(&self, granted: Option<&LoginSuccess>, authorized: Authorized<'_>) -> bool {
        let same_decision = match (&self.authorized, authorized) {
            (None, None) => true,
            (Some((acl, request)), Some((other_acl, other_request))) => {
                Arc::ptr_eq(acl, other_acl) && request == other_request
            }
            _ => false,
        };
        same_decision && self.granted.as_ref() == granted
    }
}

/// An engine's kept answers: what each was made from here, the parsed answers in JavaScript.
pub(crate) struct Answers {
    kept: RefCell<Vec<Kept>>,
    /// The slot the next new answer takes once all are used.
    next: Cell<usize>,
    /// The JavaScript side: the parsed answer of each slot.
    parsed: JsValue,
}

impl Answers {
    pub(crate) fn new() -> Answers {
        Answers {
            kept: RefCell::default(),
            next: Cell::new(0),
            parsed: kept_answers(),
        }
    }

    /// The JavaScript side, handed to `lazyLogin`.
    pub(crate) fn parsed(&self) -> &JsValue {
        &self.parsed
    }

    /// A login's answer as `lazyLogin` takes it: its JSON (from `write`) unless a copy of a kept
    /// answer will do, and the slot it is kept in, if it is kept (a granted login).
    pub(crate) fn login(
        &self,
        outcome: &LoginOutcome,
        authorized: Authorized<'_>,
        write: impl FnOnce() -> Result<String, PodpassError>,
    ) -> Result<(Option<String>, Option<u32>), PodpassError> {
        let granted = match outcome {
            LoginOutcome::Allowed(granted) => Some(&**granted),
            LoginOutcome::Denied(_) => None,
        };
        if let Some(slot) = granted.and_then(|granted| self.find(Some(granted), authorized)) {
            return Ok((None, Some(slot)));
        }
        let json = write()?;
        Ok((
            Some(json),
            granted.and_then(|granted| self.keep(Some(granted), authorized)),
        ))
    }

    /// The decision of `request` by `acl`: a copy of the one kept, or decided, written and kept.
    pub(crate) fn decision(
        &self,
        acl: &Arc<Acl>,
        request: &Request,
    ) -> Result<JsValue, PodpassError> {
        if let Some(slot) = self.find(None, Some((acl, request))) {
            return Ok(kept_answer(None, &self.parsed, Some(slot)));
        }
        let json =
            serde_json::to_string(&acl.authorize(request)).map_err(PodpassError::serializing)?;
        let slot = self.keep(None, Some((acl, request)));
        Ok(kept_answer(Some(json), &self.parsed, slot))
    }

    fn find(&self, granted: Option<&LoginSuccess>, authorized: Authorized<'_>) -> Option<u32> {
        let kept = self.kept.borrow();
        let slot = kept.iter().position(|k| k.is(granted, authorized))?;
        u32::try_from(slot).ok()
    }

    fn keep(&self, granted: Option<&LoginSuccess>, authorized: Authorized<'_>) -> Option<u32> {
        let entry = Kept {
            granted: granted.cloned(),
            authorized: authorized.map(|(acl, request)| (Arc::clone(acl), request.clone())),
        };
        let mut kept = self.kept.borrow_mut();
        let slot = if kept.len() < KEPT {
            kept.push(entry);
            kept.len() - 1
        } else {
            let slot = self.next.get();
            self.next.set((slot + 1) % KEPT);
            kept[slot] = entry;
            slot
        };
        u32::try_from(slot).ok()
    }
}
