import { jose, keys, loadNodePackage, mintToken, tutorialJson } from "../tests/node/fixtures.mjs";
const podpass = loadNodePackage("edge");
const eng = new podpass.Engine(tutorialJson, { hostCrypto: "webcrypto" });
const tokens = [];
for (let i = 0; i < 16; i++) tokens.push(await mintToken({ namespace: "grade-api", serviceAccount: "grade-api-sa", issuedAt: Math.floor(Date.now() / 1000) - 60 - i }));
for (let k = 0; k < 500; k++) await eng.loginAsync({ role: "grade-api", jwt: tokens[k % 16] });
const orig = crypto.subtle.verify.bind(crypto.subtle);
let tCall = 0, tVerifyDone = 0;
crypto.subtle.verify = (...a) => { tCall = performance.now(); return orig(...a).then(v => { tVerifyDone = performance.now(); return v; }); };
const ver = [], pre = [], after = [], syncEnd = [], tot = [];
for (let k = 0; k < 3000; k++) {
  const t0 = performance.now();
  const p = eng.loginAsync({ role: "grade-api", jwt: tokens[k % 16] });
  const t1 = performance.now();
  await p;
  const t2 = performance.now();
  pre.push((tCall - t0) * 1000); ver.push((tVerifyDone - tCall) * 1000); syncEnd.push((t1 - tCall) * 1000); after.push((t2 - tVerifyDone) * 1000); tot.push((t2 - t0) * 1000);
}
const med = a => { a.sort((x, y) => x - y); return `${a[a.length>>3].toFixed(1)}/${a[a.length >> 1].toFixed(1)}`; };
console.log("before verify call", med(pre), "verify call → return", med(syncEnd), "verify resolved → awaited", med(after), "total", med(tot), "verify", med(ver));
