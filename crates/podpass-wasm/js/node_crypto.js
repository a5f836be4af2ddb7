// Node's own crypto for loginAsync (imported by the wasm glue; see src/host_crypto.rs).
//
// Under Node (and runtimes with `process.getBuiltinModule`), node:crypto verifies
// synchronously, while WebCrypto's verify there is a round trip through the thread pool that
// costs more than the RSA arithmetic itself. Where it is missing, nothing here is used and
// loginAsync verifies with WebCrypto.
//
// An ES module whose one export statement is the last line (see js/lazy.js).

const nodeCrypto = globalThis.process?.getBuiltinModule?.("node:crypto");

/** A public key object for `jwk`, or undefined where node:crypto is missing or refuses it. */
function nodePublicKey(jwk) {
  try {
    return nodeCrypto?.createPublicKey({ key: jwk, format: "jwk" });
  } catch {
    return undefined;
  }
}

/**
 * Whether `signature` over `data` verifies with `key`, as JWS defines the algorithm: PSS with a
 * salt as long as the hash (`saltLength` > 0), ECDSA signatures as `r || s`.
 */
function nodeVerify(key, hash, saltLength, signature, data) {
  let options = key;
  if (saltLength > 0) {
    options = { key, padding: nodeCrypto.constants.RSA_PKCS1_PSS_PADDING, saltLength };
  } else if (key.asymmetricKeyType === "ec") {
    options = { key, dsaEncoding: "ieee-p1363" };
  }
  try {
    return nodeCrypto.verify(hash, data, options, signature) === true;
  } catch {
    return false;
  }
}

export { nodePublicKey, nodeVerify };
