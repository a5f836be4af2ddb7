// End-to-end test of the built playground in headless Chromium:
// load → tutorial preset → allowed, [default, grade-api], 1h → the token's namespace changed →
// "namespace not authorized" → broken HCL → error at its line → share link restores the state →
// secret/data/payment/db with the grade-api token → denied. Along the way: a token minted with a
// key made in the browser, the dark theme, and no request to anything but the local server.
//
// Run by scripts/test-web.sh after `trunk build --release`: node --test web/tests/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";

import { OUT_DIR, openPage, start } from "./harness.mjs";

/** A podpass.hcl whose line 8 has an unterminated string. */
const BROKEN_HCL = `auth "kubernetes" {
  config {
    kubernetes_host = "https://kubernetes.default.svc:443"
  }

  role "grade-api" {
    bound_service_account_names = ["grade-api-sa"]
    token_policies = ["grade-api]
  }
}
`;

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

const shot = (page, name) => page.screenshot({ path: join(OUT_DIR, name), fullPage: true });

async function text(page, selector) {
  return (await page.locator(selector).innerText()).trim();
}

/** Every request went to the local server, and nothing failed loudly. */
function assertStayedLocal({ requests, problems }) {
  assert.ok(requests.length > 0, "the page made its own requests");
  const elsewhere = requests.filter((url) => !url.startsWith(`${env.origin}/`));
  assert.deepEqual(elsewhere, [], "requests to anything but the local server");
  assert.deepEqual(problems, [], "page errors or console errors");
}

test("the tutorial scenario, step by step, and a share link that restores it", async () => {
  const first = await openPage(env.browser);
  const { page } = first;
  await page.goto(env.base);
  await page.waitForSelector("#login-status");
  assert.equal(await page.locator("#loading").count(), 0, "the loading note is gone");

  // Choose the tutorial preset.
  await page.selectOption("#preset", "tutorial");
  await page.click("#load-preset");
  await page.waitForSelector("#login-status.pass");
  assert.match(await text(page, "#login-status"), /Allowed/);
  const policies = await page.locator("#policies .chip").allInnerTexts();
  assert.deepEqual(policies, ["default", "grade-api"]);
  assert.equal(await text(page, "#ttl"), "1h");
  assert.match(await text(page, "#signature-status"), /Verified/);
  assert.match(await text(page, "#time-status"), /Valid/);
  assert.match(await text(page, "#time-status"), /expires in 5\dm/);
  assert.equal(await page.locator("#trace li.fail").count(), 0);
  await shot(page, "01-tutorial-allowed.png");

  // Change the token's namespace: mint it again for the payment namespace.
  await page.fill("#mint-namespace", "payment");
  await page.click("#mint");
  await page.waitForSelector("#login-status.fail");
  assert.match(await text(page, "#login-status"), /Denied/);
  assert.equal(await text(page, "#denial-message"), "namespace not authorized");
  assert.match(await text(page, "#outcome"), /HTTP 403/);
  const failed = await page.locator("#trace li.fail").allInnerTexts();
  assert.equal(failed.length, 1);
  assert.match(failed[0], /fail\s+namespace\s+namespace `payment` is not in \[grade-api\]/);
  assert.match(await text(page, "#signature-status"), /Verified/, "still signed by a trusted key");
  await shot(page, "02-namespace-not-authorized.png");

  // Paste broken HCL: the error is reported at line 8, marked in the gutter, and reachable.
  await page.fill("#config", BROKEN_HCL);
  await page.waitForSelector("#config-error");
  assert.match(await text(page, "#config-error"), /^✗ Line 8, column \d+: invalid HCL/);
  assert.equal(await page.locator(".gutter .error").count(), 1);
  assert.equal(await page.locator(".gutter .error").getAttribute("data-line"), "8");
  assert.match(await text(page, "#login-status"), /Not evaluated/);
  assert.match(await text(page, "#signature-status"), /Not checked/);
  await page.click("#config-error button");
  const selected = await page.$eval("#config", (area) =>
    area.value.slice(area.selectionStart, area.selectionEnd),
  );
  assert.equal(selected, '    token_policies = ["grade-api]');
  await shot(page, "03-broken-hcl.png");

  // Back to the tutorial, then share it: a fresh browser (no storage) opens the link.
  await page.click("#load-preset");
  await page.waitForSelector("#login-status.pass");
  await page.fill("#path", "secret/data/payment/db");
  const config = await page.inputValue("#config");
  const token = await page.inputValue("#token");
  // The state holds a token: the page says so before making the link.
  await page.click("#share");
  assert.match(await text(page, "#share-prompt"), /would contain the pasted token/);
  assert.equal(await page.locator("#share-link").count(), 0, "no link before the choice");
  await page.click("#share-with-token");
  const link = await page.inputValue("#share-link");
  assert.ok(link.startsWith(`${env.base}#s=1.`), link);
  assertStayedLocal(first);
  await first.context.close();

  const second = await openPage(env.browser);
  await second.page.goto(link);
  const restored = second.page;
  // The page verifies the token's signature with WebCrypto before the login shows.
  await restored.waitForSelector("#login-status.pass");
  assert.match(await text(restored, "#restore-notice"), /Restored from the share link/);
  assert.equal(await restored.inputValue("#config"), config);
  assert.equal(await restored.inputValue("#token"), token);
  assert.equal(await restored.inputValue("#path"), "secret/data/payment/db");
  assert.equal(await restored.inputValue("#role"), "grade-api");

  // The grade-api token may not read the payment team's secret.
  assert.match(await text(restored, "#login-status"), /Allowed/);
  assert.match(await text(restored, "#authz"), /^✗ Denied\s+read secret\/data\/payment\/db/);
  assert.match(await text(restored, "#authz-reason"), /no rule matches "secret\/data\/payment\/db"/);
  assert.deepEqual(await restored.locator("#capabilities .chip").allInnerTexts(), ["deny"]);
  await shot(restored, "04-shared-link-payment-denied.png");

  // Its own path is allowed, with the deciding rule's line in the configuration.
  await restored.fill("#path", "secret/data/grade-api/config");
  await restored.waitForSelector("#authz.pass");
  assert.match(await text(restored, "#authz"), /policy grade-api line 3 \(config line 14\)/);
  assertStayedLocal(second);
  await second.context.close();
});

test("a token minted with a key made in the browser is trusted and logs in", async () => {
  const session = await openPage(env.browser);
  const { page } = session;
  await page.goto(env.base);
  await page.waitForSelector("#login-status.pass");
  await page.check("#mint-key-browser");
  await page.fill("#mint-audience", "");
  await page.fill("#mint-ttl", "15m");
  await page.click("#mint");
  await page.waitForSelector("#mint-notice >> text=key made in this browser");
  await page.waitForSelector("#login-status.pass");
  assert.match(await text(page, "#signature-status"), /Verified/);
  assert.match(await text(page, "#time-status"), /expires in 1\dm/);
  const config = await page.inputValue("#config");
  assert.ok(!config.includes("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJuTSAwlhtZwc8roebYPFsbPS2ET4"),
    "the demo key no longer trusted");
  assert.match(config, /pem_keys=/);
  await shot(page, "07-browser-key-minted.png");
  assertStayedLocal(session);
  await session.context.close();
});

test("expiry can be played with, the theme follows the system and toggles, clear-all forgets", async () => {
  const session = await openPage(env.browser, { dark: true });
  const { page } = session;
  await page.goto(env.base);
  await page.waitForSelector("#login-status.pass");
  const background = () =>
    page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(await background(), "rgb(14, 17, 22)", "dark by system preference");

  await page.fill("#now", "+3h");
  await page.waitForSelector("#time-status.fail");
  assert.match(await text(page, "#time-status"), /Expired/);
  assert.match(await text(page, "#denial-message"), /token is expired/);
  await shot(page, "05-dark-expired.png");

  await page.click("#theme");
  assert.equal(await background(), "rgb(244, 246, 249)", "light after the toggle");
  await page.reload();
  await page.waitForSelector("#login-status");
  assert.equal(await background(), "rgb(244, 246, 249)", "the choice is remembered");
  assert.equal(await page.inputValue("#now"), "+3h", "the state is remembered");

  await page.click("#clear-all");
  await page.waitForSelector("#login-status.idle");
  assert.equal(await page.inputValue("#config"), "");
  await page.reload();
  await page.waitForSelector("#login-status");
  assert.equal(await page.inputValue("#config"), "", "nothing came back after clear-all");
  assert.equal(await page.locator("#restore-notice").count(), 0);
  await shot(page, "06-cleared.png");
  await page.click("#getting-started button");
  await page.waitForSelector("#login-status.pass");
  assertStayedLocal(session);
  await session.context.close();
});

test("inputs are labelled and the page is keyboard-usable", async () => {
  const session = await openPage(env.browser);
  const { page } = session;
  await page.goto(env.base);
  await page.waitForSelector("#login-status");
  const unlabelled = await page.$$eval("input, select, textarea", (controls) =>
    controls
      .filter((c) => c.type !== "radio" && !(c.labels && c.labels.length) && !c.getAttribute("aria-label"))
      .map((c) => c.id || c.outerHTML.slice(0, 60)),
  );
  assert.deepEqual(unlabelled, []);
  // Tab reaches the preset picker first, then its button; Enter loads the preset.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "preset");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "load-preset");
  await page.fill("#now", "+5h");
  await page.waitForSelector("#time-status.fail");
  await page.focus("#load-preset");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#time-status.pass");
  assertStayedLocal(session);
  await session.context.close();
});
