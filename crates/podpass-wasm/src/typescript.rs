//! The package's TypeScript definitions that are not derived from Rust types.
//!
//! The core's answers (checks, identities, decisions, explanations, decoded JWTs…) declare
//! themselves: the core's `typescript` feature derives their declarations from the same types
//! (and serde attributes) that serialize them, so the two cannot drift. What is left here is
//! declared by hand: the inputs of [`crate::inputs`] (camelCase, as JavaScript writes them). The extern types below give the
//! generated signatures these names instead of `any`; `tests/node/usage.ts` type-checks them.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TYPESCRIPT: &str = r#"
/** The stable codes of `PodpassError`. */
export type ErrorCode =
  | "invalid_configuration"
  | "invalid_argument"
  | "unknown_mount"
  | "invalid_jwt"
  | "login_denied"
  | "invalid_policies"
  | "host_crypto_unavailable"
  | "internal";

/** Where in an input a problem is (1-based). */
export interface ErrorLocation {
  line: number;
  column: number;
  source: string;
}

/** A place in a text, both 1-based; the column counts characters. */
export interface TextLocation {
  line: number;
  column: number;
}

/** A part of the text a diagnostic points at: the problem (`primary`) or context. */
export interface DiagnosticLabel {
  primary: boolean;
  start: TextLocation;
  /** Where the labelled text ends (not included), when more than its start is known. */
  end: TextLocation | null;
  message: string | null;
}

/** What podpass says about a text: the same shape everywhere (wasm, HTTP, the playground). */
export interface Diagnostic {
  severity: "error" | "warning" | "info";
  /** Stable id, e.g. `configuration/import`, `policy/invalid_capability` or a lint rule id. */
  code: string;
  /** Vault's own text where Vault refuses the same input. */
  message: string;
  /** The input's name (the `source` option) or the referenced file's. */
  source: string;
  /** The primary label's start. */
  location: TextLocation | null;
  labels: DiagnosticLabel[];
  help: string | null;
}

/** What every podpass function throws (and `loginAsync` rejects with). */
export interface PodpassError extends Error {
  name: "PodpassError";
  code: ErrorCode;
  location?: ErrorLocation;
  /** The core's diagnostics about the input (empty when the failure is not about a text). */
  diagnostics: Diagnostic[];
}

/** The three forms of a configuration. */
export type SourceFormat = "vault_commands" | "podpass_hcl" | "api_json";

export interface EngineOptions {
  /** The input's name in origins and error locations (default `<input>`). */
  source?: string;
  /** Skip detection. */
  format?: SourceFormat;
  /** The mount `login` uses when a request names none (default `kubernetes`, or the only one). */
  defaultMount?: string;
}

export interface ImportNote {
  line: number;
  message: string;
}

export interface LoginRequest {
  role: string;
  /** The service-account JWT. */
  jwt: string;
  /** Auth mount path; the engine's default mount when absent. */
  mount?: string;
  /** The caller's IP address, for `token_bound_cidrs`. */
  remoteAddr?: string;
  /** The namespace's labels, for `bound_service_account_namespace_selector`. */
  namespaceLabels?: Record<string, string>;
  /** Seconds since the epoch; the host's clock when absent. */
  now?: number;
}

/** A granted login: Vault's `auth` fields and the identity behind them. */
export interface LoginAllowed {
  result: "allowed";
  role: string;
  policies: string[];
  token_policies: string[];
  metadata: Record<string, string>;
  display_name: string;
  lease_duration: number;
  max_ttl: number;
  explicit_max_ttl: number;
  period: number;
  renewable: boolean;
  token_type: "service" | "batch";
  num_uses: number;
  bound_cidrs: string[];
  orphan: boolean;
  warnings: string[];
  identity: Identity;
}

/** A refused login: what Vault would answer. */
export interface LoginDenied {
  result: "denied";
  /** 400, 403 or 500, as Vault. */
  status: number;
  /** Vault's message. */
  message: string;
  /** The check that failed, when one did. */
  check: CheckId | null;
}

export interface LoginResult {
  outcome: LoginAllowed | LoginDenied;
  /** Every check, in Vault's order. */
  trace: Check[];
}

/** Whose permissions: a token's policies (and identity, for templated paths), or a login. */
export type Subject =
  | { policies: string[]; identity?: Identity | null }
  | LoginAllowed
  | LoginResult;

export interface AuthorizeRequest {
  operation: Operation;
  /** The API path after `/v1/`, e.g. `secret/data/grade-api/db`. */
  path: string;
  /** The request body, for parameter constraints. */
  parameters?: Record<string, unknown>;
  /** Requested response-wrapping TTL, seconds. */
  wrapTtl?: number;
  /** Whether the endpoint needs `sudo`. */
  rootProtected?: boolean;
}

export interface LintOptions {
  /** `lint()` only: the input's name. */
  source?: string;
  /** `lint()` only: skip detection. */
  format?: SourceFormat;
  /** KV version 2 mount paths (default `["secret"]`). */
  kvV2Mounts?: string[];
  /** TTLs above this are reported (default 3600). */
  longTtlSeconds?: number;
}

export interface Finding {
  /** Stable rule id, e.g. `kv-v2-path`. */
  rule: string;
  severity: "error" | "warning" | "info";
  message: string;
  origin: { source: string; line: number };
  subject: string;
  hint: string;
}

export interface ImportOptions {
  source?: string;
  format?: SourceFormat;
  /** The form to write (default `podpass_hcl`). */
  to?: SourceFormat;
}

export interface ImportResult {
  format: SourceFormat;
  to: SourceFormat;
  output: string;
  notes: ImportNote[];
}

export interface HttpOptions {
  /** A `GET` with `?list=true`. */
  list?: boolean;
  /** Whether the item a `POST`/`PUT` writes exists already (update) or not (create). */
  itemExists?: boolean;
}
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
