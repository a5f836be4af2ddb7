// Trunk's post-build hook: allows exactly the page's inline scripts (the theme snippet in
// index.html and the loader Trunk writes) by their SHA-256 hashes, in place of the
// 'inline-script-hashes' marker in the Content-Security-Policy meta tag. The loader names the
// build's hashed files, so its hash is only known after the build. Fails the build when the
// marker or the staged page is missing, rather than ship a page whose scripts are blocked.
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const MARKER = "'inline-script-hashes'";
const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) throw new Error("csp.mjs runs as Trunk's post_build hook (TRUNK_STAGING_DIR unset)");
const page = join(staging, "index.html");
const html = readFileSync(page, "utf8");
if (!html.includes(MARKER)) throw new Error(`${page}: no ${MARKER} in the Content-Security-Policy`);

const hashes = [];
for (const [, attributes, body] of html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
  if (/\bsrc\s*=/.test(attributes)) continue;
  hashes.push(`'sha256-${createHash("sha256").update(body, "utf8").digest("base64")}'`);
}
if (hashes.length === 0) throw new Error(`${page}: no inline script to allow`);
writeFileSync(page, html.replace(MARKER, hashes.join(" ")));
console.log(`csp.mjs: ${hashes.length} inline scripts allowed by hash`);
