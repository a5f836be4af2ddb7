// Shared by the Node test, the edge-worker test and the benchmarks: the repository's paths, the
// built package, the tutorial scenario and service-account tokens minted with npm `jose` from
// the fixture keys (tests/fixtures/keys), so nothing in the repository expires.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "../../../..");
export const pkg = join(root, "crates/podpass-wasm/pkg");
const testsRequire = createRequire(join(root, "tests/package.json"));

/** The JavaScript peers installed in tests/node_modules. */
export const jose = await import(pathToFileURL(testsRequire.resolve("jose")).href);

/** The build the tests run against: `full` (the default) or `edge` (PODPASS_BUILD). */
export const build = process.env.PODPASS_BUILD ?? "full";

/** Whether the tests run against the edge build, which has no sync signature check, lint or importScript. */
export const edge = build === "edge";

/**
 * A login decision on either build: `engine.login` on the full build; `engine.loginAsync` on the
 * edge build, which verifies signatures only through the host's WebCrypto (its sync `login`
 * refuses a mount with `pem_keys` as `not_in_this_build`).
 */
export async function decide(engine, request) {
  return edge ? await engine.loginAsync(request) : engine.login(request);
}

/** The built nodejs package (scripts/build-wasm-package.sh): the full build, or `which`. */
export function loadNodePackage(which = build) {
  const dir = which === "edge" ? "edge/nodejs" : "nodejs";
  return createRequire(import.meta.url)(join(pkg, dir, "podpass_wasm.js"));
}

export const read = (path) => readFileSync(join(root, path), "utf8");

/** The tutorial scenario as Vault API JSON with the RSA fixture key inline. */
export const tutorialJson = read("tests/fixtures/configuration/tutorial.json");

/**
 * The tutorial scenario without `pem_keys` on its mount: the signature check is skipped, so sync
 * `login` answers on the edge build too (the other checks are the same).
 */
export const tutorialJsonWithoutKeys = (() => {
  const config = JSON.parse(tutorialJson);
  delete config.auth.kubernetes.config.pem_keys;
  return JSON.stringify(config);
})();

/** The issuer of projected tokens in most clusters (podpass_core::mint's default). */
export const ISSUER = "https://kubernetes.default.svc.cluster.local";

export const keys = {
  tutorial: await jose.importPKCS8(read("tests/fixtures/keys/rsa-2048.key.pem"), "RS256"),
  tutorialPublic: await jose.importSPKI(read("tests/fixtures/keys/rsa-2048.pub.pem"), "RS256"),
  other: await jose.importPKCS8(read("tests/fixtures/keys/other-rsa-2048.key.pem"), "RS256"),
};

/**
 * A projected (bound) service-account token as a kubelet mounts it, signed RS256.
 * `issuedAt` in seconds since the epoch, valid `ttl` seconds.
 */
export async function mintToken({
  namespace,
  serviceAccount,
  key = keys.tutorial,
  issuedAt = Math.floor(Date.now() / 1000) - 60,
  ttl = 3600,
  audience = [ISSUER],
}) {
  const uid = (name) => `00000000-0000-4000-8000-${Buffer.from(name).toString("hex").padEnd(12, "0").slice(0, 12)}`;
  return new jose.SignJWT({
    "kubernetes.io": {
      namespace,
      pod: { name: `${serviceAccount}-0`, uid: uid(`pod/${namespace}/${serviceAccount}`) },
      serviceaccount: { name: serviceAccount, uid: uid(`${namespace}/${serviceAccount}`) },
    },
  })
    .setProtectedHeader({ alg: "RS256" })
    .setIssuer(ISSUER)
    .setSubject(`system:serviceaccount:${namespace}:${serviceAccount}`)
    .setAudience(audience)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + ttl)
    .sign(key);
}

/** The ```js blocks of a markdown file in the repository, with the line each starts on. */
export function jsBlocks(file) {
  const blocks = [];
  let current = null;
  read(file).split("\n").forEach((line, index) => {
    if (current === null && line.trim() === "```js") {
      current = { line: index + 2, code: [] };
    } else if (current !== null && line.trim() === "```") {
      blocks.push({ line: current.line, code: current.code.join("\n") });
      current = null;
    } else if (current !== null) {
      current.code.push(line);
    }
  });
  return blocks;
}

/**
 * What the package README's examples leave to the reader, defined as JavaScript to put before
 * each: `setupScript` (the tutorial's `vault` commands), `configurationJson` (the tutorial as
 * Vault API JSON), `serviceAccountToken` (a token the tutorial's `grade-api` role admits) and
 * `clusterJwks` (the JWK Set of the key that signed it).
 */
export async function packageReadmePrelude() {
  const token = await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa" });
  const signingKey = { ...(await jose.exportJWK(keys.tutorialPublic)), kid: "tutorial", use: "sig" };
  return [
    `const clusterJwks = ${JSON.stringify({ keys: [signingKey] })};`,
    `const setupScript = ${JSON.stringify(read("tests/fixtures/configuration/tutorial.export.sh"))};`,
    `const serviceAccountToken = ${JSON.stringify(token)};`,
    `const configurationJson = ${JSON.stringify(tutorialJson)};`,
  ].join("\n");
}
