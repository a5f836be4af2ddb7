import { startWorkerd } from "../examples/edge-worker/workerd.mjs";
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const r = { one: [], two: [], noeng: [], eng: [], "edge-worker": [] };
for (let i = 0; i < 21; i++) for (const k of Object.keys(r)) { const t = performance.now(); const s = await startWorkerd(`${process.cwd()}/crates/podpass-wasm/pkg/edge/${k}.capnp`, { pollMs: 1 }); r[k].push(performance.now() - t); s.stop(); }
for (const k of Object.keys(r)) console.log(k, median(r[k]).toFixed(1));
