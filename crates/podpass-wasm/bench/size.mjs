// Where the wasm package's bytes go, by crate: twiggy's function sizes of a build that kept its
// names (target/podpass_wasm-<build>-unstripped.wasm, written by scripts/build-wasm-package.sh),
// grouped by the crate in each symbol. Sizes are before wasm-opt, so they add up to more than
// the shipped module; the shares are what matters. Prints a markdown table for each build.
import { execFileSync } from "node:child_process";
import { join } from "node:path";

import { root } from "../tests/node/fixtures.mjs";

const TOP = Number(process.env.TOP ?? 14);

/** The crate a symbol belongs to: the first path segment of a Rust path in its name. */
function crateOf(name) {
  if (name.startsWith("data segment") || name.startsWith("data[")) return "(data)";
  if (name.includes("function names") || name.startsWith("custom section")) return null;
  if (name.startsWith("export ") || name.startsWith("import ") || name.startsWith("__wbindgen_describe")) return null;
  const path = name.match(/(?:^|[<\s&(*])([a-z_][a-z0-9_]*)(?:\[[0-9a-f]+\])?::/);
  return path ? path[1] : "(other)";
}

function profile(build) {
  const file = join(root, `target/podpass_wasm-${build}-unstripped.wasm`);
  const csv = execFileSync("twiggy", ["top", "-n", "100000", "--format", "csv", file], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const sizes = new Map();
  let total = 0;
  for (const line of csv.split("\n").slice(1)) {
    const match = line.match(/^"?(.*?)"?,(\d+),/);
    if (!match) continue;
    const crate = crateOf(match[1].replaceAll('""', '"'));
    if (crate === null) continue;
    const size = Number(match[2]);
    sizes.set(crate, (sizes.get(crate) ?? 0) + size);
    total += size;
  }
  const rows = [...sizes.entries()].sort((a, b) => b[1] - a[1]);
  console.log(`\n${build} build: ${(total / 1024).toFixed(0)} KB of code and data before wasm-opt\n`);
  console.log("| crate | KB | share |");
  console.log("|---|---:|---:|");
  for (const [crate, size] of rows.slice(0, TOP)) {
    console.log(`| \`${crate}\` | ${(size / 1024).toFixed(1)} | ${((100 * size) / total).toFixed(1)} % |`);
  }
  const rest = rows.slice(TOP).reduce((sum, [, size]) => sum + size, 0);
  console.log(`| the rest (${rows.length - TOP} crates) | ${(rest / 1024).toFixed(1)} | ${((100 * rest) / total).toFixed(1)} % |`);
}

for (const build of process.argv.slice(2).length ? process.argv.slice(2) : ["full", "edge"]) profile(build);
