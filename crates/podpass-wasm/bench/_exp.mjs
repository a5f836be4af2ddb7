import { jose, keys, loadNodePackage, mintToken, tutorialJson } from "../tests/node/fixtures.mjs";
const podpass = loadNodePackage("edge");
const eng = new podpass.Engine(tutorialJson, { hostCrypto: "webcrypto" });
const tokens = [];
for (let i = 0; i < 16; i++) tokens.push(await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa", issuedAt: Math.floor(Date.now() / 1000) - 60 - i }));
const key = keys.tutorialPublic;
const enc = new TextEncoder();
const parts = tokens.map(t => { const [h, p, s] = t.split("."); return { data: enc.encode(h + "." + p), sig: jose.base64url.decode(s) }; });
async function raw(i) { const x = parts[i % 16]; return crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, x.sig, x.data); }
async function rawDecode(i) { const t = tokens[i%16]; const [h,p,s]=t.split("."); const ok = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, jose.base64url.decode(s), enc.encode(h+"."+p)); return JSON.parse(new TextDecoder().decode(jose.base64url.decode(p))); }
async function joseV(i) { return jose.jwtVerify(tokens[i % 16], key, { algorithms: ["RS256"], clockTolerance: 60 }); }
async function pp(i) { return eng.loginAsync({ role: "grade-api", jwt: tokens[i % 16] }); }
const paths = [["raw subtle.verify", raw], ["raw decode+verify+parse", rawDecode], ["jose jwtVerify", joseV], ["podpass edge webcrypto", pp]];
const samples = paths.map(() => []);
let i = 0;
for (const [, f] of paths) for (let k = 0; k < 300; k++) await f(k);
for (let r = 0; r < 12; r++) for (const [p, [, f]] of paths.entries()) {
  const until = performance.now() + 250;
  while (performance.now() < until) { const t0 = performance.now(); for (let j = 0; j < 50; j++, i++) await f(i); samples[p].push((performance.now() - t0) * 20); }
}
for (const [p, [l]] of paths.entries()) { const s = samples[p].sort((a, b) => a - b); console.log(l, s[s.length >> 1].toFixed(1), s[0].toFixed(1)); }
