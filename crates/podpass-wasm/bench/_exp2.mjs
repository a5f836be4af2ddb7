import { jose, keys, loadNodePackage, mintToken, tutorialJson } from "../tests/node/fixtures.mjs";
const podpass = loadNodePackage("edge");
const eng = new podpass.Engine(tutorialJson, { hostCrypto: "webcrypto" });
const tokens = [];
for (let i = 0; i < 16; i++) tokens.push(await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa", issuedAt: Math.floor(Date.now() / 1000) - 60 - i }));
for (let k = 0; k < 500; k++) await eng.loginAsync({ role: "grade-api", jwt: tokens[k % 16] });
// synchronous part only
let best = 1e9;
for (let r = 0; r < 40; r++) {
  const ps = [];
  const t0 = performance.now();
  for (let j = 0; j < 50; j++) ps.push(eng.loginAsync({ role: "grade-api", jwt: tokens[j % 16] }));
  const dt = (performance.now() - t0) * 20;
  await Promise.all(ps);
  best = Math.min(best, dt);
}
console.log("sync part of loginAsync µs", best.toFixed(1));
// the sync login with keys removed (engine work)
const key = keys.tutorialPublic;
best = 1e9;
for (let r = 0; r < 40; r++) {
  const ps = [];
  const t0 = performance.now();
  for (let j = 0; j < 50; j++) ps.push(crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, new Uint8Array(256), new Uint8Array(300)));
  const dt = (performance.now() - t0) * 20;
  await Promise.all(ps);
  best = Math.min(best, dt);
}
console.log("sync part of subtle.verify µs", best.toFixed(1));
