// Login results with a lazy trace, the readers of the hot paths' inputs (imported by the wasm
// glue; see src/lazy.rs), loginAsync's waits for WebCrypto (src/host_crypto.rs), and an engine's
// verified tokens (src/verified.rs).
//
// `login` decides eagerly and hands back `{ outcome, authorization?, trace }` where `trace` is
// an enumerable accessor: the first read asks the engine to re-evaluate the login from a
// snapshot of its inputs (same `now`, same signature verdict, so the same trace) and caches the
// answer as a plain data property. Nothing is kept in wasm memory per login.
//
// An ES module whose one export statement is the last line: scripts/build-wasm-package.sh
// turns that line into `module.exports = …` for the CommonJS (nodejs) build.

const ENCODER = new TextEncoder();

/**
 * Writes `text` as UTF-8 into `into`, a view of wasm memory, and answers the bytes written, or
 * `undefined` when not all of it fit. The host's encoder copies natively, where the glue's own
 * string passing copies ASCII one character at a time in JavaScript (a service-account JWT is
 * about 900 of them). A lone surrogate becomes U+FFFD, as it does in the glue.
 */
function utf8Into(text, into) {
  const { read, written } = ENCODER.encodeInto(text, into);
  return read === text.length ? written : undefined;
}

const DECODER = new TextDecoder();

/**
 * The answer of `decodeJwt`: `json`, UTF-8 bytes (a view of wasm memory) valid by construction,
 * so that wasm need not check them again, parsed, and the signature as a substring of the token
 * itself (UTF-16 units `start` to `end`), so that its longest part is never copied as text.
 */
function decodedJwt(json, token, start, end) {
  const decoded = JSON.parse(DECODER.decode(json));
  decoded.signature = token.slice(start, end);
  return decoded;
}

const LOGIN_KEYS = new Set(["role", "jwt", "mount", "remoteAddr", "namespaceLabels", "now", "authorize"]);

const optionalString = (value) => value === undefined || value === null || typeof value === "string";

/** Whether `request` is a plain login request the engine may read field by field. */
function plainLoginRequest(request) {
  if (typeof request !== "object" || request === null || Array.isArray(request)) return false;
  if (typeof request.toJSON === "function") return false;
  for (const key of Object.keys(request)) {
    if (!LOGIN_KEYS.has(key)) return false;
  }
  if (typeof request.role !== "string" || typeof request.jwt !== "string") return false;
  if (!optionalString(request.mount) || !optionalString(request.remoteAddr)) return false;
  const labels = request.namespaceLabels;
  if (labels !== undefined && labels !== null) {
    if (typeof labels !== "object" || Array.isArray(labels) || typeof labels.toJSON === "function") return false;
    for (const key of Object.keys(labels)) {
      if (typeof labels[key] !== "string") return false;
    }
  }
  return true;
}

/** Where a result keeps what its trace is computed from (not enumerable: never copied). */
const PENDING = Symbol("podpass pending trace");

/** A snapshot of the request fields the login read. */
class Snapshot {
  constructor(request, now, verifiedBy) {
    this.role = request.role;
    this.jwt = request.jwt;
    this.mount = request.mount ?? undefined;
    this.remoteAddr = request.remoteAddr ?? undefined;
    const labels = request.namespaceLabels;
    this.namespaceLabels = labels === undefined || labels === null ? undefined : { ...labels };
    this.now = now;
    this.verifiedBy = verifiedBy;
  }
}

function settle(result, trace) {
  Object.defineProperty(result, "trace", { value: trace, writable: true, enumerable: true, configurable: true });
  if (Object.prototype.hasOwnProperty.call(result, PENDING)) result[PENDING] = undefined;
}

/** The `trace` accessor, shared by every result: the first read computes and caches. */
const TRACE = {
  enumerable: true,
  configurable: true,
  get() {
    const [explainer, snapshot] = this[PENDING];
    const trace = explainer.trace(snapshot);
    settle(this, trace);
    return trace;
  },
  set(trace) {
    settle(this, trace);
  },
};

/**
 * A deep copy of a parsed JSON value, the same as parsing its JSON again: a key `__proto__` (a
 * map's key can be anything) stays an own property, as `JSON.parse` makes it.
 */
function copy(value) {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    const copied = new Array(value.length);
    for (let i = 0; i < value.length; i++) copied[i] = copy(value[i]);
    return copied;
  }
  const copied = {};
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (key === "__proto__") Object.defineProperty(copied, key, { value: copy(value[key]), writable: true, enumerable: true, configurable: true });
    else copied[key] = copy(value[key]);
  }
  return copied;
}

/** An engine's kept answers (src/answers.rs): the parsed answer of each slot. */
function keptAnswers() {
  return [];
}

/**
 * An answer: `json` parsed, and a copy of it kept in `answers[slot]` when a slot is given; or,
 * when `json` is `undefined`, a copy of the answer kept in `slot` before. A kept answer is only
 * ever handed out as a copy, so no caller sees another's object.
 */
function keptAnswer(json, answers, slot) {
  if (json === undefined) return copy(answers[slot]);
  const parsed = JSON.parse(json);
  if (slot !== undefined) answers[slot] = copy(parsed);
  return parsed;
}

/**
 * The login result for the eagerly decided answer (`{"outcome":…}`, see `keptAnswer`), its
 * trace computed on first read by `explainer.trace(snapshot)`.
 */
function lazyLogin(json, answers, slot, explainer, request, now, verifiedBy) {
  const result = keptAnswer(json, answers, slot);
  Object.defineProperty(result, PENDING, { value: [explainer, new Snapshot(request, now, verifiedBy)], writable: true });
  Object.defineProperty(result, "trace", TRACE);
  return result;
}

/**
 * `loginAsync`'s wait for WebCrypto's verdict on the first candidate key (`verifying`, what
 * `crypto.subtle.verify` returned): `prepared`, the answer made meanwhile for "it verifies" (an
 * error to throw when `failed`), if it did; else the engine tries the other keys. `engine` (the
 * engine's explainer) keeps the login in `slot` until told. One `then`, so a verified login costs
 * no more than awaiting the verify itself. A rejection (a malformed signature) does not verify.
 */
function afterFirstKey(verifying, prepared, failed, engine, slot) {
  return Promise.resolve(verifying).then(
    (verified) => {
      if (verified !== true) return engine.otherKeys(slot);
      engine.verified(slot);
      if (failed) throw prepared;
      return prepared;
    },
    () => engine.otherKeys(slot),
  );
}

/**
 * `loginAsync`'s other candidate keys (src/host_crypto.rs), tried in order: each imported first
 * when `jwk` is given instead of `key` (the engine keeps it; a key the host refuses ends the login
 * with the engine's error), until one verifies the signature. The engine then answers for that
 * key, or for none. Whatever WebCrypto returns or throws is awaited, so the login always settles;
 * a verify that rejects does not verify.
 */
async function tryKeys(engine, slot, job) {
  const { subtle, signature, data } = job;
  for (const { index, key, jwk } of job.candidates) {
    let imported = key;
    if (imported === undefined) {
      try {
        imported = await subtle.importKey("jwk", jwk, job.import, false, ["verify"]);
      } catch (error) {
        throw engine.keyRefused(slot, index, error);
      }
      engine.keyImported(slot, index, imported);
    }
    let verified = false;
    try {
      verified = (await subtle.verify(job.verify, imported, signature, data)) === true;
    } catch {
      // A malformed signature, or a host that failed: not verified by this key.
    }
    if (verified) return engine.decided(slot, index);
  }
  return engine.decided(slot);
}

const AUTHORIZE_KEYS = new Set(["operation", "path", "parameters", "wrapTtl", "rootProtected"]);

/** Whether `request` is an authorize request without parameters or wrapping, read field by field. */
function plainAuthorizeRequest(request) {
  if (typeof request !== "object" || request === null || Array.isArray(request)) return false;
  if (typeof request.toJSON === "function") return false;
  for (const key of Object.keys(request)) {
    if (!AUTHORIZE_KEYS.has(key)) return false;
  }
  return (
    typeof request.operation === "string" &&
    typeof request.path === "string" &&
    (request.parameters === undefined || request.parameters === null) &&
    (request.wrapTtl === undefined || request.wrapTtl === null) &&
    (request.rootProtected === undefined || typeof request.rootProtected === "boolean")
  );
}

/**
 * The object holding a subject's `policies` (the subject itself, or a login result's outcome)
 * when it is plain and allowed, else `undefined`. A login result's `trace` is never read.
 */
function plainSubject(subject) {
  if (typeof subject !== "object" || subject === null || Array.isArray(subject)) return undefined;
  if (typeof subject.toJSON === "function") return undefined;
  let target = subject;
  const outcome = subject.outcome;
  if (outcome !== undefined && outcome !== null) {
    if (typeof outcome !== "object" || Array.isArray(outcome) || typeof outcome.toJSON === "function") return undefined;
    if (outcome.outcome !== undefined && outcome.outcome !== null) return undefined;
    target = outcome;
  }
  const result = target.result;
  if (result !== undefined && result !== null && result !== "allowed") return undefined;
  const policies = target.policies;
  if (!Array.isArray(policies)) return undefined;
  for (const policy of policies) {
    if (typeof policy !== "string") return undefined;
  }
  return target;
}

/**
 * An engine's verified tokens (src/verified.rs): by mount, then by the token's last characters
 * (its signature's: hashing a whole token is most of a lookup's cost), the token and the index of
 * the key that verified it; at most `capacity` tokens, after which it starts over. A token is
 * found only when it equals the kept one in full.
 */
function verifiedTokens(capacity) {
  return { capacity, size: 0, byMount: new Map() };
}

const TOKEN_TAIL = 64;
const tail = (jwt) => (jwt.length > TOKEN_TAIL ? jwt.slice(-TOKEN_TAIL) : jwt);

/** The index of the key that verified `jwt` on `mount`, or `undefined`. */
function verifiedBy(tokens, mount, jwt) {
  const kept = tokens.byMount.get(mount)?.get(tail(jwt));
  return kept !== undefined && kept.jwt === jwt ? kept.index : undefined;
}

/** Keeps the index of the key that verified `jwt` on `mount`. */
function rememberVerified(tokens, mount, jwt, index) {
  if (tokens.size >= tokens.capacity) {
    tokens.byMount.clear();
    tokens.size = 0;
  }
  let verified = tokens.byMount.get(mount);
  if (verified === undefined) {
    verified = new Map();
    tokens.byMount.set(mount, verified);
  }
  const key = tail(jwt);
  if (!verified.has(key)) tokens.size += 1;
  verified.set(key, { jwt, index });
}

export { utf8Into, decodedJwt, plainLoginRequest, plainAuthorizeRequest, plainSubject, lazyLogin, afterFirstKey, tryKeys, verifiedTokens, verifiedBy, rememberVerified, keptAnswers, keptAnswer };
