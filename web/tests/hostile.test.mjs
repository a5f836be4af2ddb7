// The playground under hostile input: a share link an attacker sends a victim, a huge pasted
// configuration, a saved session that a slow state must not lock the user out of, and a
// visitor's saved work that an opened link must not silently replace.
//
// Run by scripts/test-web.sh after `trunk build --release`: node --test web/tests/

import { test, before, after } from "node:test";
import assert from "node:assert/strict";

import { openPage, start } from "./harness.mjs";

let env;
before(async () => {
  env = await start();
});
after(async () => {
  await env?.stop();
});

const text = async (page, selector) => (await page.locator(selector).innerText()).trim();

/**
 * Puts `value` into the textarea `selector` the way a paste does: one input event. (Playwright's
 * `fill` is much slower on texts of many lines than the page is.)
 */
async function paste(page, selector, value) {
  await page.$eval(
    selector,
    (area, value) => {
      area.value = value;
      area.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertFromPaste" }));
    },
    value,
  );
}

/** Makes a share link of the page's current state, without its token. */
async function shareWithoutToken(page) {
  await page.click("#share");
  if (await page.locator("#share-prompt").count()) await page.click("#share-without-token");
  return page.inputValue("#share-link");
}

test("the page allows its inline scripts by hash, not 'unsafe-inline'", async () => {
  const session = await openPage(env.browser);
  const { page, problems } = session;
  await page.goto(env.base);
  await page.waitForSelector("#login-status");
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', "content");
  const scriptSrc = csp.split(";").map((d) => d.trim()).find((d) => d.startsWith("script-src"));
  assert.ok(!scriptSrc.includes("'unsafe-inline'"), scriptSrc);
  assert.match(scriptSrc, /'sha256-[A-Za-z0-9+/]+=*'.*'sha256-/);
  // Both inline scripts ran under that policy: the theme snippet and Trunk's loader.
  assert.deepEqual(problems, [], "no CSP violation or other error");
  await session.context.close();
});

test("300,000 lines stay out of live evaluation, the gutter stays small, Evaluate now works", async () => {
  const session = await openPage(env.browser);
  const { page } = session;
  await page.goto(env.base);
  await page.waitForSelector("#login-status.pass");
  const huge = `${"\n".repeat(300_000)}vault auth enable kubernetes\n`;
  await paste(page, "#config", huge);
  await page.waitForSelector("#live-notice");
  assert.match(await text(page, "#live-notice"), /Too large to evaluate live: the configuration has 300002 lines/);
  assert.match(await text(page, "#live-notice"), /not for the current inputs/);
  const drawn = await page.locator(".gutter div[data-line]").count();
  assert.ok(drawn > 0 && drawn <= 500, `${drawn} gutter lines drawn`);
  // Scrolled to the end, the gutter draws the last lines.
  await page.$eval("#config", (area) => { area.scrollTop = area.scrollHeight; });
  await page.waitForSelector('.gutter div[data-line="300002"]');
  await page.click("#evaluate-now");
  await page.waitForSelector("#config-format");
  assert.match(await text(page, "#config-format"), /read as/);

  // The huge state was remembered: a reload comes back to it without evaluating, and the
  // page stays usable (Clear all works).
  await page.reload();
  await page.waitForSelector("#live-notice");
  assert.equal((await page.inputValue("#config")).length, huge.length);
  await page.click("#clear-all");
  await page.waitForSelector("#login-status.idle");
  assert.equal(await page.locator("#live-notice").count(), 0);
  await session.context.close();
});

test("a share link of 300,000 newlines opens without evaluating and keeps the visitor's session", async () => {
  const author = await openPage(env.browser);
  await author.page.goto(env.base);
  await author.page.waitForSelector("#login-status.pass");
  await paste(author.page, "#config", "\n".repeat(300_000));
  await author.page.waitForSelector("#live-notice");
  const link = await shareWithoutToken(author.page);
  assert.ok(link.length < 4000, `the link is small (${link.length} characters)`);
  await author.context.close();

  // The victim has a session of their own.
  const victim = await openPage(env.browser);
  const { page } = victim;
  await page.goto(env.base);
  await page.waitForSelector("#login-status.pass");
  await page.fill("#path", "secret/data/mine");
  // Remembered once typing pauses.
  await page.waitForFunction(() =>
    (localStorage.getItem("podpass.playground.state") ?? "").includes("secret/data/mine"),
  );
  const saved = await page.evaluate(() => localStorage.getItem("podpass.playground.state"));

  await page.goto(link);
  await page.reload();
  await page.waitForSelector("#live-notice");
  assert.match(await text(page, "#restore-notice"), /Your own session is still saved/);
  assert.ok(await page.locator("#saved-session").isVisible());
  // Edits to the shared state do not replace the saved session while the visitor has not chosen.
  await page.fill("#path", "secret/data/theirs");
  await page.waitForTimeout(400);
  assert.equal(await page.evaluate(() => localStorage.getItem("podpass.playground.state")), saved);
  await page.click("#restore-saved");
  await page.waitForSelector("#login-status.pass");
  assert.equal(await page.inputValue("#path"), "secret/data/mine");
  assert.equal(await page.locator("#saved-session").count(), 0);
  assert.deepEqual(victim.problems, []);
  await victim.context.close();
});

test("a link of deeply nested YAML in a namespace selector is refused at once", async () => {
  const session = await openPage(env.browser);
  const { page } = session;
  await page.goto(env.base);
  await page.waitForSelector("#login-status.pass");
  const config =
    "vault auth enable kubernetes\n" +
    `vault write auth/kubernetes/role/r bound_service_account_names=a bound_service_account_namespace_selector='a: ${"{".repeat(90_000)}'\n`;
  await paste(page, "#config", config);
  await page.waitForSelector("#config-error");
  assert.match(await text(page, "#config-error"), /bound_service_account_namespace_selector/);
  assert.equal(await page.locator("#live-notice").count(), 0, "evaluated live, quickly");
  await session.context.close();
});

test("a token is left out of a share link when the author chooses so", async () => {
  const session = await openPage(env.browser);
  const { page } = session;
  await page.goto(env.base);
  await page.waitForSelector("#login-status.pass");
  assert.notEqual(await page.inputValue("#token"), "");
  await page.click("#share");
  await page.waitForSelector("#share-prompt");
  await page.click("#share-cancel");
  assert.equal(await page.locator("#share-prompt").count(), 0);
  assert.equal(await page.locator("#share-link").count(), 0);
  const link = await shareWithoutToken(page);
  await session.context.close();

  const visitor = await openPage(env.browser);
  await visitor.page.goto(link);
  await visitor.page.waitForSelector("#login-status");
  assert.equal(await visitor.page.inputValue("#token"), "");
  assert.ok((await visitor.page.inputValue("#config")).includes("grade-api"));
  await visitor.context.close();
});

test("without WebCrypto (plain HTTP to another host) the page says why it cannot check signatures", async () => {
  // The tutorial's configuration and a token, from a page that has WebCrypto.
  const source = await openPage(env.browser);
  await source.page.goto(env.base);
  await source.page.waitForSelector("#login-status.pass");
  const config = await source.page.inputValue("#config");
  const token = await source.page.inputValue("#token");
  await source.context.close();

  const { page, context, problems } = await openPage(env.browser);
  // Browsers leave `crypto.subtle` undefined outside secure contexts.
  await page.addInitScript(() => Object.defineProperty(globalThis.crypto, "subtle", { value: undefined }));
  await page.goto(env.base);
  await page.waitForSelector("#restore-notice");
  assert.match(await text(page, "#restore-notice"), /WebCrypto needs a secure context/);
  assert.equal(await page.inputValue("#token"), "", "no tutorial token without WebCrypto to sign it");

  // The pasted token cannot be checked: the login says so instead of deciding.
  await paste(page, "#config", config);
  await paste(page, "#token", token);
  await page.selectOption("#role", "grade-api");
  await page.waitForSelector("#login-status >> text=the signature could not be checked");
  assert.match(await text(page, "#login-status"), /Not evaluated/);
  assert.match(await text(page, "#signature-status"), /Not checked[\s\S]*WebCrypto needs a secure context/);
  assert.deepEqual(problems, []);
  await context.close();
});
