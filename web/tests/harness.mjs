// Shared by the end-to-end test and the benchmark: the built playground served under /ui/,
// Debian's Chromium driven by playwright-core, and a record of every request the page makes.

import { createRequire } from "node:module";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { serveDist } from "./serve.mjs";

// playwright-core is installed with the other JavaScript peers in tests/node_modules.
const require = createRequire(new URL("../../tests/package.json", import.meta.url));
const { chromium } = require("playwright-core");

/** Where screenshots go (tests/out/playground/). */
export const OUT_DIR = fileURLToPath(new URL("../../tests/out/playground/", import.meta.url));

/** Starts the server and the browser. */
export async function start() {
  mkdirSync(OUT_DIR, { recursive: true });
  const { server, origin, base } = await serveDist(0);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  return {
    origin,
    base,
    browser,
    async stop() {
      await browser.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * A fresh page (own storage) that records its requests and errors. `requests` lists every URL
 * the page asked for; `problems` every uncaught error and console error.
 */
export async function openPage(browser, { dark = false } = {}) {
  const context = await browser.newContext({
    viewport: { width: 1440, height: 1000 },
    colorScheme: dark ? "dark" : "light",
  });
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  return { context, page, requests, problems };
}
