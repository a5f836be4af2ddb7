// A tiny static server for the built playground: web/dist under /ui/, as the native server
// serves it (and, through `serveStatic`, any directory). Used by the end-to-end test and the benchmark; run it alone with
//   node web/tests/serve.mjs [port]
// (port 0 or none: a free one). Loopback only.

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";

const DIST = fileURLToPath(new URL("../dist/", import.meta.url));
const PREFIX = "/ui/";
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
};

/** Starts the server on 127.0.0.1:`port`; resolves to { server, origin, base }. */
export function serveDist(port = 0) {
  return serveStatic(DIST, PREFIX, port);
}

/**
 * Serves the files under `directory` at `prefix` (which ends with `/`), `index.html` for the
 * prefix itself, without caching; also used for the wasm package's browser test.
 */
export function serveStatic(directory, prefix, port = 0) {
  const bare = prefix.slice(0, -1);
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url, "http://localhost").pathname);
    if (path === bare) {
      response.writeHead(301, { location: prefix }).end();
      return;
    }
    if (!path.startsWith(prefix)) {
      response.writeHead(404).end("not found");
      return;
    }
    const relative = normalize(path.slice(prefix.length) || "index.html");
    if (relative.startsWith("..") || relative.includes(`${sep}..`)) {
      response.writeHead(400).end("bad path");
      return;
    }
    try {
      const file = relative.endsWith(sep) || relative === "." ? "index.html" : relative;
      const body = await readFile(join(directory, file));
      response.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "cache-control": "no-store",
      });
      response.end(body);
    } catch {
      response.writeHead(404).end("not found");
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolve({ server, origin, base: `${origin}${prefix}` });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { base } = await serveDist(Number(process.argv[2] ?? 0));
  console.log(`serving web/dist at ${base}`);
}
