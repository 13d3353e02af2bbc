// The dashboard in headless Chromium against a real `csoc demo` (simulated fleet + server in one
// process): the fleet matrix and states, the evidence of a failure, live updates without a reload,
// no console errors or CSP violations, and a page that still works with JavaScript disabled.
// Screenshots go to build/screenshots/.
//
// Run: CSOC_BINARY=build/default/src/csoc node --test tests/browser/dashboard.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, launchChromium, screenshots, sleep, spawnCsoc, stopProcess, waitForReady } from '../support/csoc.mjs';


let csoc;
let dataDir;
let base;
let browser;

async function fleetJson() {
  const res = await fetch(`${base}/api/v1/fleet`);
  assert.equal(res.status, 200);
  return res.json();
}

async function environmentHealth(name) {
  const res = await fetch(`${base}/api/v1/environments/${encodeURIComponent(name)}`);
  assert.equal(res.status, 200);
  return (await res.json()).health;
}

// Polls until `fn` returns a truthy value.
async function eventually(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await sleep(250);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

// A page that records console errors, uncaught exceptions and CSP violations.
async function watchedPage(context) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return { page, problems };
}

async function assertClean(page, problems) {
  const csp = await page.evaluate(() => window.__csp || []);
  assert.deepEqual(csp, [], `CSP violations: ${csp.join(', ')}`);
  assert.deepEqual(problems, [], problems.join('\n'));
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'csoc-browser-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  csoc = spawnCsoc(['demo', '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir, '--base-port', '0']);
  await waitForReady(csoc, `${base}/readyz`, 60_000, 100);
  // Let the first round of probes land so that states are known.
  await eventually(async () => (await environmentHealth('gen3-prod-eu')) === 'down', 60_000, 'gen3-prod-eu down');
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopProcess(csoc);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('fleet overview shows the matrix, the states and what is wrong', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const { page, problems } = await watchedPage(context);
  const res = await page.goto(`${base}/`);
  assert.equal(res.status(), 200);
  const csp = res.headers()['content-security-policy'];
  assert.match(csp, /default-src 'none'; script-src 'self'; style-src 'self'/);

  // Two clusters, six environments, each cell with its name and state word.
  assert.equal(await page.locator('.matrix-row').count(), 2);
  assert.equal(await page.locator('.matrix .cell').count(), 6);
  const fleet = await fleetJson();
  for (const cluster of fleet.clusters) {
    const row = page.locator(`.matrix-row[data-cluster="${cluster.name}"]`);
    assert.equal(await row.locator('.cell').count(), cluster.environments.length);
  }
  const prodEu = page.locator('.cell[data-environment="gen3-prod-eu"]');
  assert.equal(await prodEu.getAttribute('data-health'), 'down');
  assert.equal(await prodEu.locator('.cell-state').innerText(), 'down');
  const devEu = page.locator('.cell[data-environment="gen3-dev-eu"]');
  assert.equal(await devEu.getAttribute('data-health'), 'down');
  assert.equal(await page.locator('.cell[data-environment="gen3-prod-us"]').getAttribute('data-health'), 'up');

  // Worst first: within each cluster no cell is better than the one after it.
  const order = { down: 3, degraded: 2, unknown: 1, up: 0 };
  for (const row of await page.locator('.matrix-row').all()) {
    const states = await row.locator('.cell').evaluateAll((cells) => cells.map((c) => c.dataset.health));
    for (let i = 1; i < states.length; i++) assert.ok(order[states[i - 1]] >= order[states[i]], states.join(','));
  }

  // Headline in colour and in words.
  assert.equal(await page.locator('#headline .state-word').innerText(), fleet.health);
  assert.match(await page.locator('.headline-sub').innerText(), /environments need attention/);

  // What is wrong now carries the evidence.
  const wrong = page.locator('.problem[data-environment="gen3-prod-eu"]');
  assert.match(await wrong.innerText(), /fence \/ \w+[\s\S]*503/);
  assert.match(await page.locator('.problem[data-environment="gen3-dev-eu"]').innerText(), /refused/i);

  await page.screenshot({ path: path.join(screenshots, 'overview.png'), fullPage: true });
  await assertClean(page, problems);
  await context.close();
});

test('an environment with a failure shows its evidence, and its check page the details', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const { page, problems } = await watchedPage(context);
  await page.goto(`${base}/`);
  await page.locator('.cell[data-environment="gen3-prod-eu"]').click();
  await page.waitForURL(`${base}/environments/gen3-prod-eu`);
  assert.equal(await page.locator('h1').innerText(), 'gen3-prod-eu');

  const fence = page.locator('.check-row[data-check^="gen3-prod-eu/fence/"]').first();
  assert.equal(await fence.locator('.pill .state-word').first().innerText(), 'down');
  assert.match(await fence.innerText(), /status is 503|status 503/);
  assert.match(await fence.innerText(), /HTTP 503/);
  // The body excerpt is there, folded; opening it shows the service's own words.
  await fence.locator('details.excerpt summary').click();
  assert.match(await fence.locator('details.excerpt pre').innerText(), /database unavailable/);
  // History: the uptime bars and the latency chart are drawn (data or a "no data" note).
  assert.equal(await page.locator('svg.uptime-bars rect').count(), 90);
  assert.ok((await page.locator('.chart-svg, .chart-empty').count()) >= 1);
  await page.screenshot({ path: path.join(screenshots, 'environment.png'), fullPage: true });

  await fence.locator('a.check-name').click();
  await page.waitForURL(/\/checks\/gen3-prod-eu\/fence\//);
  assert.match(await page.locator('h1').innerText(), /^fence \/ /);
  assert.match(await page.locator('.meta').first().innerText(), /GET http:\/\/127\.0\.0\.1:\d+\/user\/_status/);
  await page.locator('.range a', { hasText: '1h' }).click();
  await page.waitForURL(/\?range=1h$/);
  assert.equal(await page.locator('.range a.active').innerText(), '1h');
  assert.match(await page.locator('.evidence').innerText(), /503/);
  await page.screenshot({ path: path.join(screenshots, 'check.png'), fullPage: true });
  await assertClean(page, problems);
  await context.close();
});

test('the overview updates live when the flapping environment changes state, without a reload', async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const { page, problems } = await watchedPage(context);
  await page.goto(`${base}/`);
  await page.waitForFunction(() => document.getElementById('live')?.dataset.state === 'live', null, {
    timeout: 10_000,
  });
  assert.equal(await page.locator('#live .live-text').innerText(), 'live');
  await page.evaluate(() => {
    window.__sameDocument = true;
  });
  const cell = page.locator('.cell[data-environment="gen3-research"]');
  const before = await cell.getAttribute('data-health');
  await page.waitForFunction(
    (initial) => {
      const c = document.querySelector('.cell[data-environment="gen3-research"]');
      return c && c.dataset.health !== initial;
    },
    before,
    { timeout: 90_000, polling: 250 },
  );
  const afterState = await cell.getAttribute('data-health');
  assert.notEqual(afterState, before);
  assert.equal(await cell.locator('.cell-state').innerText(), afterState);
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'the page was reloaded');
  await page.screenshot({ path: path.join(screenshots, 'overview-live.png'), fullPage: true });
  await assertClean(page, problems);
  await context.close();
});

test('pages work with JavaScript disabled', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${base}/`);
  assert.equal(await page.locator('.matrix .cell').count(), 6);
  assert.equal(await page.locator('.cell[data-environment="gen3-prod-eu"] .cell-state').innerText(), 'down');
  // Without the script there is no live link to announce.
  assert.equal(await page.locator('#live').isVisible(), false);
  await page.screenshot({ path: path.join(screenshots, 'overview-nojs.png'), fullPage: true });
  await page.goto(`${base}/environments/gen3-prod-eu`);
  assert.match(await page.locator('.check-row.s-down').first().innerText(), /status is 503|status 503/);
  await context.close();
});

test('the overview is readable on a phone', async () => {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const { page, problems } = await watchedPage(context);
  await page.goto(`${base}/`);
  // Nothing wider than the screen.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the viewport`);
  await page.screenshot({ path: path.join(screenshots, 'overview-phone.png'), fullPage: true });
  await page.goto(`${base}/environments/gen3-prod-eu`);
  const overflowEnv = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflowEnv <= 0, `environment page is ${overflowEnv}px wider than the viewport`);
  await page.screenshot({ path: path.join(screenshots, 'environment-phone.png'), fullPage: true });
  await assertClean(page, problems);
  await context.close();
});
