// Where a module's generic code goes: from twiggy's CSV of a build whose symbols kept their type
// arguments (Rust's v0 mangling; scripts/size-generics.sh builds it), two markdown tables:
// - families: each generic function with how many instances the module compiled and their
//   bytes, so that a sort, a map or a parser compiled once per element type shows up;
// - compiled twice: an instance present more than once under the same full name, which is the
//   same code compiled by two crates (the wasm package's layer at opt-level 3 beside the core's
//   size-first copy, or two crates each instantiating it).
//   node crates/podpass-wasm/bench/generics.mjs target/generics/edge.csv [TOP]
import { readFileSync } from "node:fs";

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error("usage: generics.mjs <twiggy csv of a v0-mangled build> [TOP]");
  process.exit(2);
}
const TOP = Number(topArg ?? 25);

/** twiggy's rows: `[name, bytes]`, crate disambiguators (`[0123abcd]`) dropped. */
function rows(csv) {
  const out = [];
  for (const line of csv.split("\n").slice(1)) {
    const match = line.match(/^"?(.*?)"?,(\d+),/);
    if (!match) continue;
    const name = match[1].replaceAll('""', '"').replace(/\[[0-9a-f]+\]/g, "");
    if (name.startsWith("data segment") || name.includes("function names") || name === "code") continue;
    out.push([name, Number(match[2])]);
  }
  return out;
}

/**
 * The generic function all of a name's instances share: its type arguments (`Vec<u8>`,
 * `::<T>`) removed, a qualified path's `<Type as Trait>` kept.
 */
function family(name) {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    const arguments_ = c === "<" && /([\w>]|::)$/.test(out);
    if (!arguments_) {
      out += c;
      continue;
    }
    // Skip to the matching `>`; a turbofish's `::` goes with its arguments.
    let depth = 1;
    while (depth > 0 && ++i < name.length) {
      if (name[i] === "<") depth += 1;
      else if (name[i] === ">" && name[i - 1] !== "-") depth -= 1;
    }
    if (out.endsWith("::")) out = out.slice(0, -2);
  }
  return out;
}

function table(title, header, entries) {
  console.log(`\n${title}\n`);
  console.log(`| ${header.join(" | ")} |`);
  console.log(`|${header.map((_, i) => (i === header.length - 1 ? "---" : "---:")).join("|")}|`);
  for (const entry of entries) console.log(`| ${entry.join(" | ")} |`);
}

const all = rows(readFileSync(file, "utf8"));
const total = all.reduce((sum, [, bytes]) => sum + bytes, 0);

const families = new Map();
const byName = new Map();
for (const [name, bytes] of all) {
  if (name.includes("<")) {
    const key = family(name);
    const entry = families.get(key) ?? { count: 0, bytes: 0 };
    entry.count += 1;
    entry.bytes += bytes;
    families.set(key, entry);
  }
  byName.set(name, [...(byName.get(name) ?? []), bytes]);
}

console.log(`${file}: ${(total / 1024).toFixed(1)} KB of functions after wasm-opt`);
table(
  "Generic families (two or more instances), by bytes:",
  ["bytes", "instances", "generic function"],
  [...families]
    .filter(([, e]) => e.count > 1)
    .sort((a, b) => b[1].bytes - a[1].bytes)
    .slice(0, TOP)
    .map(([name, e]) => [e.bytes, e.count, `\`${name.slice(0, 140)}\``]),
);

const twice = [...byName].filter(([, sizes]) => sizes.length > 1);
const extra = twice.reduce((sum, [, sizes]) => sum + sizes.reduce((a, b) => a + b, 0) - Math.min(...sizes), 0);
table(
  `Compiled more than once (${twice.length} instances, ${(extra / 1024).toFixed(1)} KB beyond one copy each):`,
  ["bytes", "copies", "instance"],
  twice
    .sort((a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0))
    .slice(0, TOP)
    .map(([name, sizes]) => [sizes.join(" + "), sizes.length, `\`${name.slice(0, 140)}\``]),
);
