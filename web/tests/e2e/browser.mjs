// The end-to-end tests' browser: Debian's Chromium driven by playwright-core, against the
// shop at E2E_BASE_URL (the Rust test that runs these starts the all-in-one platform).
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';

import { chromium } from 'playwright-core';

export const BASE = process.env.E2E_BASE_URL ?? 'http://127.0.0.1:8080';
const SHOTS = process.env.E2E_SCREENSHOTS ?? 'screenshots';
mkdirSync(SHOTS, { recursive: true });

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export const DESKTOP = { width: 1280, height: 900 };
export const MOBILE = { width: 390, height: 844 };

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** A fresh visitor: its own cookies, failing on any script error or CSP violation. */
export async function visitor(browser, viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, baseURL: BASE });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push(`script error: ${e.message}`));
  // Refusals the app answers (a 401 for a visitor without a session, a 402 for a declined
  // card) are part of the journeys; a server error or a CSP violation never is.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) page.problems.push(m.text());
  });
  page.on('response', (r) => {
    if (r.status() >= 500) page.problems.push(`${r.status()} from ${r.url()}`);
  });
  return { context, page };
}

/** Screenshots of the page as it is, at desktop and mobile widths. */
export async function shoot(page, name) {
  await page.screenshot({ path: `${SHOTS}/${name}-desktop.png`, fullPage: true });
  const size = page.viewportSize();
  await page.setViewportSize(MOBILE);
  await page.screenshot({ path: `${SHOTS}/${name}-mobile.png`, fullPage: true });
  await page.setViewportSize(size);
}

/** axe-core's serious and critical violations on the page (run through the DevTools
 * protocol: the shop's Content-Security-Policy allows no injected script). */
export async function accessibilityProblems(page) {
  await page.evaluate(`${AXE}\n;void 0`);
  const result = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

/** Bytes of the page's initial scripts, gzipped as the shop serves them. */
export async function initialScriptBytes(page) {
  const sources = await page.evaluate(() => [...document.querySelectorAll('script[src], link[rel=modulepreload]')].map((s) => s.src || s.href));
  let total = 0;
  for (const src of sources) {
    const body = Buffer.from(await (await fetch(src)).arrayBuffer());
    total += gzipSync(body, { level: 9 }).length;
  }
  return total;
}

export const unique = (what) => `${what}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
