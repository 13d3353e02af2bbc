// The access-log analytics page (/logs) in headless Chromium against a real `csoc serve` that
// follows two generated logs: gen3-prod (Gen3 JSON, 1% malformed lines, the last five hours) and
// gen3-staging (combined, clean, most of the last day). The cards carry the numbers of
// /api/v1/logs/summary, the charts are drawn, the environment and range switchers work, the
// sources table shows the rejected lines and their samples, there is no console error or CSP
// violation, and nothing is wider than a phone's screen. Screenshots go to build/screenshots/.
//
// Run: CSOC_BINARY=build/default/src/csoc node --test tests/browser/logs.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  csocCli,
  freePort,
  launchChromium,
  screenshots,
  sleep,
  startCsoc,
  stopProcess,
} from '../support/csoc.mjs';

const HOUR = 3_600_000;
let dir;
let csoc;
let base;
let browser;
const truth = {};

// ---- the page's number formats (src/web/logs_routes.cpp) ----

function count(n) {
  if (n >= 10_000_000) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 100_000) return `${(n / 1e3).toFixed(0)}k`;
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

// "12.3 MB" and the like: the number must be within rounding of `bytes` in that unit.
function assertBytes(text, bytes, what) {
  const m = /^([\d.]+) (B|kB|MB|GB|TB)\b/.exec(text);
  assert.ok(m, `${what}: '${text}' is not a size`);
  const scale = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 }[m[2]];
  assert.ok(Math.abs(Number(m[1]) - bytes / scale) <= (scale === 1 ? 0.5 : 0.051), `${what}: ${text} for ${bytes} bytes`);
}

function assertPercent(text, part, whole, what) {
  if (part === 0 || whole === 0) {
    assert.match(text, whole === 0 ? /^–$/ : /^0\.0%$/, what);
    return;
  }
  const p = (100 * part) / whole;
  if (p < 0.1) return assert.equal(text, '<0.1%', what);
  const m = /^([\d.]+)%$/.exec(text);
  assert.ok(m, `${what}: '${text}' is not a percentage`);
  assert.ok(Math.abs(Number(m[1]) - p) <= 0.051, `${what}: ${text} for ${part}/${whole}`);
}

// "40 ms" or "1.25 s", within rounding of `seconds`.
function assertSeconds(text, seconds, what) {
  const m = /^([\d.]+) (ms|s)$/.exec(text.trim());
  assert.ok(m, `${what}: '${text}' is not a duration`);
  const shown = m[2] === 'ms' ? Number(m[1]) / 1000 : Number(m[1]);
  assert.ok(Math.abs(shown - seconds) <= (m[2] === 'ms' ? 0.00051 : 0.0051), `${what}: ${text} for ${seconds} s`);
}

// ---- setup ----

// Writes a generated log to `file`; returns its truth (csoc logs generate --truth).
async function generate(file, format, lines, rate, startMs, seed, malformed) {
  const truthFile = path.join(dir, `${path.basename(file)}.truth.json`);
  await csocCli(
    'logs', 'generate', '--format', format, '--lines', String(lines), '--rate', String(rate), '--seed', String(seed),
    '--malformed', String(malformed), '--start', new Date(startMs).toISOString(), '--out', file, '--truth', truthFile,
  );
  return JSON.parse(readFileSync(truthFile, 'utf8'));
}

async function getJson(p) {
  const res = await fetch(`${base}${p}`);
  assert.equal(res.status, 200, `${p}: ${res.status}`);
  return res.json();
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  dir = mkdtempSync(path.join(os.tmpdir(), 'csoc-logs-browser-'));
  const fleet = path.join(dir, 'fleet');
  mkdirSync(path.join(fleet, 'logs'), { recursive: true });
  const now = Date.now();
  // gen3-prod: 12,000 lines from five hours ago to about a quarter of an hour ago, 1% malformed.
  truth.prod = await generate(path.join(fleet, 'logs', 'prod.log'), 'gen3', 12_000, 0.7, now - 5 * HOUR, 3, 0.01);
  // gen3-staging: 6,000 clean lines from 20 hours ago to about 3 hours ago.
  truth.staging = await generate(path.join(fleet, 'logs', 'staging.log'), 'combined', 6_000, 0.1, now - 20 * HOUR, 4, 0);
  const closed = await freePort();
  const env = (name) => `  - name: ${name}
    cluster: test
    services:
      - name: web
        checks:
          - {name: port, type: tcp, host: 127.0.0.1, port: ${closed}, interval: 1m}
`;
  writeFileSync(
    path.join(fleet, 'fleet.yaml'),
    `settings:
  data_dir: ${path.join(dir, 'data')}
environments:
${env('gen3-prod')}${env('gen3-staging')}logs:
  sources:
    - {name: prod-revproxy, environment: gen3-prod, format: gen3, file: logs/prod.log}
    - {name: staging-nginx, environment: gen3-staging, format: combined, file: logs/staging.log}
`,
  );
  const port = await freePort();
  csoc = await startCsoc(['serve', '--config', fleet, '--listen', `127.0.0.1:${port}`], { port });
  base = csoc.base;
  // Everything read and committed.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { sources } = await getJson('/api/v1/logs/sources');
    const lines = Object.fromEntries(sources.map((s) => [s.name, s.lines]));
    if (lines['prod-revproxy'] === 12_000 && lines['staging-nginx'] === 6_000) break;
    if (Date.now() > deadline) throw new Error(`the logs were not ingested: ${JSON.stringify(sources)}\n${csoc.log}`);
    await sleep(200);
  }
  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  if (csoc) await stopProcess(csoc.proc);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

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

async function cards(page) {
  return page.locator('.stats .stat').evaluateAll((stats) =>
    Object.fromEntries(
      stats.map((s) => [
        s.querySelector('.stat-label').textContent,
        { value: s.querySelector('.stat-value').textContent, note: s.querySelector('.stat-note')?.textContent ?? '' },
      ]),
    ),
  );
}

// The cards show the numbers of the summary `s` (AggregateJson).
async function assertCards(page, s, what) {
  const c = await cards(page);
  assert.deepEqual(Object.keys(c), ['Requests', 'Server errors', 'Client errors', 'Unique users', 'Latency p50 / p99', 'Downloads']);
  assert.equal(c.Requests.value, count(s.requests), `${what}: requests`);
  assert.match(c.Requests.note, / sent$/);
  assertBytes(c.Requests.note, s.bytes, `${what}: bytes`);
  assertPercent(c['Server errors'].value, s.status_classes['5xx'], s.requests, `${what}: 5xx`);
  assert.equal(c['Server errors'].note, `${count(s.status_classes['5xx'])} answered 5xx`);
  assertPercent(c['Client errors'].value, s.status_classes['4xx'], s.requests, `${what}: 4xx`);
  assert.equal(c['Client errors'].note, `${count(s.status_classes['4xx'])} answered 4xx`);
  assert.equal(c['Unique users'].value, count(s.unique_users), `${what}: users`);
  assert.equal(c['Unique users'].note, `${count(s.unique_client_ips)} client addresses`);
  assert.equal(c.Downloads.value, count(s.downloads.count), `${what}: downloads`);
  assert.equal(c.Downloads.note, `${count(s.downloads.distinct_objects)} distinct objects`);
  if (s.latency) {
    const [p50, p99] = c['Latency p50 / p99'].value.split(' / ');
    assertSeconds(p50, s.latency.p50, `${what}: p50`);
    assertSeconds(p99, s.latency.p99, `${what}: p99`);
  } else {
    assert.equal(c['Latency p50 / p99'].value, '–');
  }
}

// The summary for the page's own range: from `hours` ago to now.
const summaryFor = (hours, environment) =>
  getJson(
    `/api/v1/logs/summary?from=${Date.now() - hours * HOUR}&to=${Date.now()}` +
      (environment ? `&environment=${environment}` : ''),
  );

test('the fleet view: cards as in the API, charts drawn, environments and sources listed', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { page, problems } = await watchedPage(context);
  const res = await page.goto(`${base}/logs`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'], /default-src 'none'; script-src 'self'; style-src 'self'/);
  assert.equal(await page.locator('h1').innerText(), 'Whole fleet');
  assert.match(await page.locator('.page-head .updated').innerText(), /by hour/);

  const api = await getJson('/api/v1/logs/summary');
  // Both logs lie wholly inside the last 24 hours.
  assert.equal(api.summary.requests, truth.prod.requests + truth.staging.requests);
  await assertCards(page, api.summary, 'fleet, 24h');

  // The charts: traffic as stacked bars (one bar per hour with data), latency as lines.
  const charts = page.locator('.chart');
  assert.equal(await charts.count(), 2);
  assert.equal(await page.locator('.chart-empty').count(), 0);
  const traffic = charts.nth(0);
  assert.match(await traffic.locator('.chart-title').innerText(), /Requests per hour/);
  const okBars = await traffic.locator('svg.chart-svg rect.bar-ok').count();
  assert.ok(okBars >= api.series.length - 1 && okBars <= api.series.length, `${okBars} bars for ${api.series.length} hours`);
  assert.ok((await traffic.locator('svg.chart-svg rect.bar-bad').count()) > 0, 'no 5xx bars');
  const box = await traffic.locator('svg.chart-svg').boundingBox();
  assert.ok(box.width > 400 && box.height >= 150, `traffic chart ${JSON.stringify(box)}`);
  const latency = charts.nth(1);
  assert.equal(await latency.locator('polyline.line-p50').count(), 1);
  assert.ok((await latency.locator('polyline.line-p50').getAttribute('points')).split(' ').length >= 5);
  // Every gen3 request is timed; the combined log's are not.
  assert.match(await latency.locator('.chart-summary').innerText(), new RegExp(`from ${truth.prod.requests} timed requests\\.`));

  // Environments, most requests first, with the API's numbers.
  const envRows = page.locator('section.panel:has(h2:text-is("Environments")) tbody tr');
  assert.equal(await envRows.count(), 2);
  for (const [i, e] of api.by_environment.entries()) {
    const cells = await envRows.nth(i).locator('td').allInnerTexts();
    assert.equal(cells[0], e.environment);
    assert.equal(cells[1], count(e.requests));
    assert.equal(cells[3], count(e.unique_users));
  }
  // Status codes: one row per code, as many as the API has.
  const codeRows = page.locator('section.panel:has(h2:text-is("Status codes")) tbody tr');
  assert.equal(await codeRows.count(), api.summary.status_codes.length);
  const first = await codeRows.first().locator('td').allInnerTexts();
  const top = [...api.summary.status_codes].sort((a, b) => b.requests - a.requests)[0];
  assert.deepEqual(first.slice(0, 2), [String(top.code), count(top.requests)]);
  // Sign-ins per provider, and the top tables.
  const signins = page.locator('section.panel:has(h2:text-is("Sign-ins by identity provider")) tbody tr');
  assert.equal(await signins.count(), api.summary.logins.length);
  assert.equal(await page.locator('section.panel:has(h2:text-is("Top paths")) tbody tr').count(), 10);

  // Sources: the malformed lines of the gen3 log, by kind, with samples that name file and line.
  const { sources } = await getJson('/api/v1/logs/sources');
  const prod = sources.find((s) => s.name === 'prod-revproxy');
  assert.ok(prod.rejected > 50, `rejected ${prod.rejected}`);
  const rows = page.locator('#sources tbody > tr');
  const prodRow = rows.filter({ hasText: 'prod-revproxy' });
  const prodCells = await prodRow.locator(':scope > td').allInnerTexts();
  assert.match(prodCells[0], /prod-revproxy\s+\S+prod\.log/);
  assert.deepEqual(prodCells.slice(1, 4), ['gen3-prod', 'gen3', count(prod.lines)]);
  assert.match(prodCells[4], new RegExp(`^${count(prod.rejected)} \\([\\d.]+%\\)$`));
  const detail = prodRow.locator('xpath=following-sibling::tr[1]');
  assert.equal(await detail.getAttribute('class'), 'detail');
  const kinds = Object.entries(prod.rejected_by_kind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${count(n)}`)
    .join(', ');
  // The samples are folded: the summary names the kinds, a click shows them.
  const summary = detail.locator('summary');
  assert.equal(await summary.innerText(), `Rejected lines: ${kinds} — ${prod.samples.length} latest as samples`);
  await summary.click();
  const samples = detail.locator('ul.samples li');
  assert.equal(await samples.count(), prod.samples.length);
  assert.ok(prod.samples.length >= 5);
  for (const [i, s] of prod.samples.entries()) {
    const text = await samples.nth(i).innerText();
    assert.ok(text.startsWith(`${s.file}:${s.line} ${s.kind}: `), text);
    assert.ok(text.includes(s.text.slice(0, 60)), `${text} lacks ${s.text.slice(0, 60)}`);
  }
  const staging = rows.filter({ hasText: 'staging-nginx' });
  assert.deepEqual((await staging.locator(':scope > td').allInnerTexts()).slice(3, 5), ['6,000', '0']);
  assert.equal(await rows.count(), 3, 'one detail row, for the source with rejected lines');

  await page.screenshot({ path: path.join(screenshots, 'logs.png'), fullPage: true });
  await assertClean(page, problems);
  await context.close();
});

test('the environment and range switchers show that environment and range', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const { page, problems } = await watchedPage(context);
  await page.goto(`${base}/logs`);
  const envNav = page.locator('nav[aria-label="Environment"]');
  const rangeNav = page.locator('nav[aria-label="Time range"]');
  assert.deepEqual(await envNav.locator('a').allInnerTexts(), ['All', 'gen3-prod', 'gen3-staging']);
  assert.deepEqual(await rangeNav.locator('a').allInnerTexts(), ['1h', '6h', '24h', '7d', '30d', '90d']);
  assert.equal(await envNav.locator('a.active').innerText(), 'All');
  assert.equal(await rangeNav.locator('a.active').innerText(), '24h');

  await envNav.locator('a', { hasText: 'gen3-prod' }).click();
  await page.waitForURL(`${base}/logs?range=24h&environment=gen3-prod`);
  assert.equal(await page.locator('h1').innerText(), 'gen3-prod');
  assert.equal(await envNav.locator('a.active').innerText(), 'gen3-prod');
  assert.equal(await page.locator('section.panel:has(h2:text-is("Environments"))').count(), 0);
  await assertCards(page, (await summaryFor(24, 'gen3-prod')).summary, 'gen3-prod, 24h');
  const prod24 = (await summaryFor(24, 'gen3-prod')).summary.requests;

  await rangeNav.locator('a', { hasText: '6h' }).click();
  await page.waitForURL(`${base}/logs?range=6h&environment=gen3-prod`);
  assert.equal(await rangeNav.locator('a.active').innerText(), '6h');
  assert.match(await page.locator('.page-head .updated').innerText(), /by minute/);
  assert.match(await page.locator('.chart-title').first().innerText(), /Requests per minute/);
  await assertCards(page, (await summaryFor(6, 'gen3-prod')).summary, 'gen3-prod, 6h');
  assert.ok((await page.locator('.chart-svg rect.bar-ok').count()) > 100, 'a bar per minute');
  await page.screenshot({ path: path.join(screenshots, 'logs-prod-6h.png'), fullPage: true });

  // The last hour holds only part of the lines (the minute the page starts in may differ from the
  // API's by the time it takes, so this is a bound, not an equality).
  await rangeNav.locator('a', { hasText: '1h' }).click();
  await page.waitForURL(`${base}/logs?range=1h&environment=gen3-prod`);
  const lastHour = Number((await cards(page)).Requests.value.replace(/,/g, ''));
  assert.ok(lastHour > 500 && lastHour < prod24 / 2, `${lastHour} requests in the last hour of ${prod24}`);

  // gen3-staging over a week: a combined log, without request times or services.
  await page.goto(`${base}/logs?environment=gen3-staging&range=7d`);
  assert.equal(await rangeNav.locator('a.active').innerText(), '7d');
  assert.equal(await envNav.locator('a.active').innerText(), 'gen3-staging');
  await assertCards(page, (await summaryFor(24 * 7, 'gen3-staging')).summary, 'gen3-staging, 7d');
  assert.equal((await cards(page)).Requests.value, '6,000');
  assert.match(await page.locator('.chart-empty').innerText(), /No latency data in this range/);
  assert.match(await page.locator('section.panel:has(h2:text-is("Services"))').innerText(), /do not name the service/);

  // Back to the whole fleet; an unknown range is said so and the last 24 hours shown.
  await envNav.locator('a', { hasText: 'All' }).click();
  await page.waitForURL(`${base}/logs?range=7d`);
  assert.equal(await page.locator('h1').innerText(), 'Whole fleet');
  await page.goto(`${base}/logs?range=2w`);
  assert.match(await page.locator('.notice-error').innerText(), /Unknown range '2w'; showing the last 24 hours/);
  assert.equal(await rangeNav.locator('a.active').innerText(), '24h');
  await assertClean(page, problems);
  await context.close();
});

test('the logs page fits a phone', async () => {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  const { page, problems } = await watchedPage(context);
  for (const [url, shot] of [
    ['/logs', 'logs-phone.png'],
    ['/logs?environment=gen3-prod&range=6h', 'logs-prod-phone.png'],
  ]) {
    await page.goto(`${base}${url}`);
    // Against the phone's width, not window.innerWidth: a mobile viewport zooms out to fit a page
    // that is too wide, and innerWidth then grows with it.
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - 390);
    await page.screenshot({ path: path.join(screenshots, shot), fullPage: true });
    assert.ok(overflow <= 0, `${url} is ${overflow}px wider than the viewport`);
    // Every panel stays within the screen (a table may scroll inside its panel, not the page).
    const wide = await page.locator('.panel, .stat').evaluateAll((els) =>
      els.filter((e) => e.getBoundingClientRect().right > 390.5).map((e) => e.querySelector('h2')?.textContent ?? e.className),
    );
    assert.deepEqual(wide, [], `${url}: panels wider than the screen`);
  }
  await assertClean(page, problems);
  await context.close();
});
