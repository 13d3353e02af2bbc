// The public status page (/status) in headless Chromium, fed by real monitoring: `csoc simulate`
// runs the simulated fleet, `csoc serve` watches it with one status page component per commons
// (automatic incidents after 1 s instead of the demo's 20 s). Checks the content (banner,
// components, an incident with its update, 90 day bars each), that nothing is loaded from another
// origin, that it works without JavaScript, its weight, and that it fits a 360 px phone.
// Screenshots go to build/screenshots/status-*.png.
//
// Run: CSOC_BINARY=build/default/src/csoc node --test tests/browser/status_page.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertSameOrigin, freePort, launchChromium, screenshots, sleep, spawnCsoc, stopProcess } from '../support/csoc.mjs';


const kDays = 90;
const kMaxWeight = 50_000; // bytes of HTML + CSS

let simulator;
let server;
let workDir;
let base;
let browser;
const commons = []; // [{ cluster, name }] as the simulator prints them
let brokenIncident; // an open automatic incident that stays open: gen3-prod-eu's (fence answers 503)

// Polls until `fn` returns a truthy value (an exception counts as not yet).
async function eventually(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    for (const [name, child] of [['simulator', simulator], ['server', server]]) {
      if (child && child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${child.log}`);
    }
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = String(e);
    }
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})\n${server?.log ?? ''}`);
}

async function getJson(p) {
  const res = await fetch(`${base}${p}`);
  assert.equal(res.status, 200, `${p}: ${res.status}`);
  return res.json();
}

const displayName = (name) => `Data commons ${name}`;

// A page that records every request it makes, console errors and CSP violations.
async function watchedPage(context) {
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (req) => requests.push(req.url()));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return { page, requests, problems };
}

// The components as the page lists them: name, badge text and the number of day bars.
async function listedComponents(page) {
  return page.locator('.sp-components > li').evaluateAll((items) =>
    items.map((li) => ({
      name: li.querySelector('.sp-comp-name')?.textContent.trim(),
      badge: li.querySelector('.sp-badge')?.textContent.trim(),
      days: li.querySelectorAll('.sp-bar i').length,
    })),
  );
}

async function assertContent(page) {
  // The banner says in words what status.json says.
  const status = await getJson('/api/v2/status.json');
  const banner = (await page.locator('.sp-banner').innerText()).trim();
  assert.equal(banner, status.status.description);
  assert.equal(banner, 'Major System Outage'); // two commons are down for good

  // Every commons is listed by name, with its status in words and 90 day bars.
  const listed = await listedComponents(page);
  assert.deepEqual(listed.map((c) => c.name).sort(), commons.map((c) => displayName(c.name)).sort());
  for (const c of listed) assert.equal(c.days, kDays, `${c.name} has ${c.days} day bars`);
  const badge = (name) => listed.find((c) => c.name === displayName(name)).badge;
  assert.match(badge('gen3-prod-us'), /Operational/);
  assert.match(badge('gen3-prod-eu'), /Major outage/);
  assert.match(badge('gen3-dev-eu'), /Major outage/);
  // Grouped by cluster.
  const groups = await page.locator('.sp-group h3').allInnerTexts();
  assert.deepEqual(groups.map((g) => g.trim()).sort(), ['cluster-east', 'cluster-west']);

  // The incident monitoring opened for gen3-prod-eu, with its update and the evidence.
  const card = page.locator(`article.sp-incident:has(a[href="/status/incidents/${brokenIncident.id}"])`);
  assert.equal(await card.count(), 1, 'the open incident of gen3-prod-eu is not on the page');
  const text = await card.innerText();
  assert.ok(text.includes(brokenIncident.name), text);
  assert.equal((await card.locator('.sp-state').textContent()).trim(), 'investigating');
  assert.equal((await card.locator('.sp-updates li strong').first().textContent()).trim(), 'Investigating');
  assert.match(text, /fence/);
  assert.match(text, /503/);
  assert.ok((await card.locator('.sp-updates li').count()) >= 1, 'the incident shows no update');
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  workDir = mkdtempSync(path.join(os.tmpdir(), 'csoc-status-browser-'));
  const configDir = path.join(workDir, 'fleet');
  const dataDir = path.join(workDir, 'data');
  simulator = spawnCsoc([
    'simulate',
    '--base-port', '0',
    '--flap-period', '3s',
    '--probe-interval', '500ms',
    '--write-config', configDir,
    '--data-dir', dataDir,
  ]);
  await eventually(() => simulator.log.includes('fleet config written'), 20_000, 'the simulated fleet');
  for (const m of simulator.log.matchAll(/^(cluster-[a-z]+)\/([a-z0-9-]+) http/gm)) {
    commons.push({ cluster: m[1], name: m[2] });
  }
  assert.equal(commons.length, 6, simulator.log);

  // The demo's components, but incidents open after 1 s instead of 20 s.
  const components = commons
    .map(
      (c) =>
        `    - name: "${c.name}"\n      display_name: "${displayName(c.name)}"\n      group: "${c.cluster}"\n` +
        `      environments: ["${c.name}"]\n`,
    )
    .join('');
  writeFileSync(
    path.join(configDir, 'status-page.yaml'),
    'status_page:\n  title: "csoc demo status"\n' +
      '  description: "Live status of the simulated Gen3 data commons, measured by csoc."\n' +
      '  automatic_incidents:\n    after: 1s\n  components:\n' +
      components,
  );

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawnCsoc(['serve', '--config', configDir, '--listen', `127.0.0.1:${port}`]);
  await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 30_000, 'csoc ready');

  // Monitoring opens incidents: gen3-prod-eu's stays open (fence keeps failing); the flapping
  // gen3-research's is resolved at its next recovery and then shows under past incidents.
  const prodEu = await getJson('/api/v2/components.json').then(
    (j) => j.components.find((c) => c.name === displayName('gen3-prod-eu')).id,
  );
  brokenIncident = await eventually(
    async () => {
      const j = await getJson('/api/v2/incidents/unresolved.json');
      return j.incidents.find((i) => i.components.some((c) => c.id === prodEu) && i.incident_updates.length > 0);
    },
    30_000,
    'an automatic incident for gen3-prod-eu',
  );
  await eventually(
    async () => {
      const j = await getJson('/api/v2/incidents.json');
      return j.incidents.find((i) => i.name.includes('gen3-research') && i.status === 'resolved');
    },
    30_000,
    'a resolved incident for gen3-research',
  );

  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopProcess(server);
  await stopProcess(simulator);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test('the status page on a desktop shows the banner, the components and the incident', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { page, requests, problems } = await watchedPage(context);
  const bodies = [];
  page.on('response', (res) => {
    const type = res.request().resourceType();
    if (type === 'document' || type === 'stylesheet') {
      bodies.push(res.body().then((b) => ({ url: res.url(), bytes: b.length }), () => ({ url: res.url(), bytes: -1 })));
    }
  });
  const res = await page.goto(`${base}/status`, { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-type'], /^text\/html/);
  // Page weight: the document and its stylesheet (the first load, as a visitor gets it).
  const loaded = await Promise.all(bodies);
  const doc = loaded.filter((b) => b.url === `${base}/status`).at(0);
  const css = loaded.filter((b) => new URL(b.url).pathname.endsWith('.css'));
  assert.ok(doc, `no document response recorded: ${JSON.stringify(loaded)}`);
  assert.ok(css.length >= 1, `no stylesheet response recorded: ${JSON.stringify(loaded)}`);
  const weight = doc.bytes + css[0].bytes;
  assert.ok(weight < kMaxWeight, `HTML ${doc.bytes} B + CSS ${css[0].bytes} B = ${weight} B, over ${kMaxWeight} B`);
  console.log(`status page weight: HTML ${doc.bytes} B + CSS ${css[0].bytes} B = ${weight} B`);
  // The page needs no script at all.
  assert.equal(await page.locator('script').count(), 0);
  await assertContent(page);

  // The incident's own page has the same card with its updates.
  await page.locator(`a[href="/status/incidents/${brokenIncident.id}"]`).first().click();
  await page.waitForURL(`${base}/status/incidents/${brokenIncident.id}`);
  assert.equal((await page.locator('.sp-incident h3').innerText()).trim(), brokenIncident.name);
  assert.ok((await page.locator('.sp-incident .sp-updates li').count()) >= 1);
  await page.goto(`${base}/status`);

  // Past incidents: the flapping commons' resolved one.
  const past = page
    .locator('section')
    .filter({ has: page.locator('h2', { hasText: 'Past incidents' }) })
    .locator('article.sp-incident');
  assert.ok((await past.count()) >= 1, 'no past incident is listed');
  assert.equal((await past.first().locator('.sp-state').textContent()).trim(), 'resolved');

  await page.screenshot({ path: path.join(screenshots, 'status-desktop.png'), fullPage: true });
  assertSameOrigin(requests, base);
  assert.deepEqual(problems, [], problems.join('\n'));

  await context.close();
});

test('the status page fits a 360 px phone', async () => {
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const { page, requests, problems } = await watchedPage(context);
  await page.goto(`${base}/status`, { waitUntil: 'load' });
  await assertContent(page);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width}px wide on a 360px screen`);
  // Every day bar is on screen; a phone shows the last 30 days, each wide enough to point at.
  const bars = await page.locator('.sp-bar').evaluateAll((els) =>
    els.map((e) => {
      const r = e.getBoundingClientRect();
      const shown = [...e.querySelectorAll('i')].map((d) => d.getBoundingClientRect().width).filter((w) => w > 0);
      return { left: r.left, right: r.right, shown: shown.length, narrowest: Math.min(...shown) };
    }),
  );
  for (const b of bars) {
    assert.ok(b.left >= 0 && b.right <= 360, `a day bar reaches outside the screen: ${JSON.stringify(b)}`);
    assert.equal(b.shown, 30, `a phone shows the last 30 days: ${JSON.stringify(b)}`);
    assert.ok(b.narrowest >= 5, `day cells are too narrow to point at: ${JSON.stringify(b)}`);
  }
  await page.screenshot({ path: path.join(screenshots, 'status-phone.png'), fullPage: true });
  assertSameOrigin(requests, base);
  assert.deepEqual(problems, [], problems.join('\n'));
  await context.close();
});

test('the status page works with JavaScript disabled', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
  const { page, requests } = await watchedPage(context);
  const res = await page.goto(`${base}/status`);
  assert.equal(res.status(), 200);
  await assertContent(page);
  assertSameOrigin(requests, base);
  await context.close();
});
