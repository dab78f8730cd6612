// Debian's headless Chromium driven by playwright-core (no browser download): the flags keep
// it off the network (this machine's is closed) and a fresh user-data dir keeps runs apart.
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "./server.mjs";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ARTIFACTS = join(root, "tests", "artifacts", "browser");

export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: \`apt-get install -y chromium\` (scripts/setup.sh --browser does it)`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const userDataDir = mkdtempSync(join(tmpdir(), "edge-llm-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--disable-quic", "--no-first-run", "--disable-default-apps",
    ],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    reducedMotion: "reduce", // no bar animations: screenshots show the state the test reads
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A new tab (its own sessionStorage) on the page, with the tokenizer loaded. Console errors
 * and failed requests are collected on `page.problems`.
 */
export async function openPage(context, url, { token, viewport } = {}) {
  const page = trackProblems(await context.newPage());
  if (viewport) await page.setViewportSize(viewport);
  await page.goto(url);
  await page.waitForFunction(() => window.edgeLlmReady instanceof Promise);
  if (!(await page.evaluate(() => window.edgeLlmReady))) throw new Error("the wasm package did not load");
  if (token) await setToken(page, token);
  return page;
}

/** Console errors, uncaught exceptions and failed requests, collected on `page.problems`. */
export function trackProblems(page) {
  page.problems = [];
  page.on("console", (m) => { if (m.type() === "error") page.problems.push(`console: ${m.text()}`); });
  page.on("pageerror", (e) => page.problems.push(`pageerror: ${e.message}`));
  page.on("requestfailed", (r) => page.problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
  return page;
}

/** Enters the gateway token through the page's form. */
export async function setToken(page, token) {
  await page.getByLabel("Token for the Worker's /v1 routes").fill(token);
  await page.getByRole("button", { name: "Use token" }).click();
  await page.waitForFunction(() => document.body.dataset.token === "set");
}

export async function screenshot(page, name, options = {}) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true, ...options });
}
