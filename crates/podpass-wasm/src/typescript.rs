//! The package's TypeScript definitions that are not derived from Rust types.
//!
//! The core's answers (logins, checks, identities, decisions, explanations, diagnostics, lint
//! findings, decoded JWTs…) declare themselves: the core's `typescript` feature derives their
//! declarations from the same types (and serde attributes) that serialize them, so the two
//! cannot drift. What is declared here is the package's own: its errors, the inputs of
//! `inputs` module (camelCase, as JavaScript writes them) and the names the JavaScript API
//! has always used. The extern types below give the generated signatures these names instead
//! of `any`; `tests/node/usage.ts` type-checks them.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &str = r#"
/** A granted login, as `LoginResult.outcome` holds it. */
export type LoginAllowed = { result: "allowed" } & LoginSuccess;

/** A refused login, as `LoginResult.outcome` holds it. */
export type LoginDenied = { result: "denied" } & Denial;

/**
 * `login` and `loginAsync` answer with the outcome and, when the request asked `authorize` and
 * the login is allowed, the issued token's decision on it. The `trace` is computed when first
 * read (it stays an ordinary enumerable property for JSON.stringify, spreading and comparing);
 * read it before freeing the engine.
 */
export interface LoginResult {
  authorization?: Decision;
}

/** What every podpass function throws (and `loginAsync` rejects with). */
export interface PodpassError extends Error {
  name: "PodpassError";
  code: ErrorCode;
  location?: ErrorLocation;
  /** The core's diagnostics about the input (empty when the failure is not about a text). */
  diagnostics: Diagnostic[];
}

/** Whose permissions: a token's policies (and identity, for templated paths), or a login. */
export type Subject =
  | { policies: string[]; identity?: Identity | null }
  | LoginAllowed
  | LoginResult;
"#;

#[wasm_bindgen]
extern "C" {
    /// `EngineOptions`.
    #[wasm_bindgen(typescript_type = "EngineOptions")]
    pub type EngineOptionsJs;
    /// `ImportNote[]`.
    #[wasm_bindgen(typescript_type = "ImportNote[]")]
    pub type ImportNotesJs;
    /// `LoginRequest`.
    #[wasm_bindgen(typescript_type = "LoginRequest")]
    pub type LoginRequestJs;
    /// `LoginResult`.
    #[wasm_bindgen(typescript_type = "LoginResult")]
    pub type LoginResultJs;
    /// `Subject`.
    #[wasm_bindgen(typescript_type = "Subject")]
    pub type SubjectJs;
    /// `AuthorizeRequest`.
    #[wasm_bindgen(typescript_type = "AuthorizeRequest")]
    pub type AuthorizeRequestJs;
    /// `Decision`.
    #[wasm_bindgen(typescript_type = "Decision")]
    pub type DecisionJs;
    /// `DecodedJwt`.
    #[wasm_bindgen(typescript_type = "DecodedJwt")]
    pub type DecodedJwtJs;
    /// `LintOptions`.
    #[wasm_bindgen(typescript_type = "LintOptions")]
    pub type LintOptionsJs;
    /// `Finding[]`.
    #[wasm_bindgen(typescript_type = "Finding[]")]
    pub type FindingsJs;
    /// `ImportOptions`.
    #[wasm_bindgen(typescript_type = "ImportOptions")]
    pub type ImportOptionsJs;
    /// `ImportResult`.
    #[wasm_bindgen(typescript_type = "ImportResult")]
    pub type ImportResultJs;
    /// `HttpOptions`.
    #[wasm_bindgen(typescript_type = "HttpOptions")]
    pub type HttpOptionsJs;
    /// A `string` argument, received as any JS value: the generated glue does not check a
    /// `&str` parameter's type in release builds, and a number there reads out of bounds.
    #[wasm_bindgen(typescript_type = "string")]
    pub type TextJs;
}
