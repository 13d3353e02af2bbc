// The operators' status page forms (/status/admin) in headless Chromium against a real `csoc serve`
// with two declared components (monitoring keeps them up: their check is a TCP port this test
// opens). Everything is done by filling and clicking the real forms: a wrong token is refused,
// sign in with a status:write token, open an incident, add an update, open a draft and publish
// it, plan a maintenance for tomorrow, resolve, sign out; and what each step shows on /status and
// in the Statuspage JSON. Then the guards: a form post without (or with a wrong) CSRF field is
// refused and changes nothing, and revoking the token ends its session. Nothing may be loaded from
// another origin. Screenshots go to build/screenshots/status-admin-*.png.
//
// Run: CSOC_BINARY=build/default/src/csoc node --test tests/browser/status_admin.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  assertSameOrigin,
  createToken,
  csocCli,
  freePort,
  launchChromium,
  screenshots,
  sleep,
  spawnCsoc,
  stopProcess,
} from '../support/csoc.mjs';


let server;
let workDir;
let dataDir;
let base;
let browser;
let upstream; // the TCP port the components' check probes, so that monitoring says "up"
let token; // status:write
let operator; // { context, page } signed in
const requests = []; // every URL any page of this test asked for
const problems = []; // console errors, uncaught exceptions

const API = 'Public API';
const PORTAL = 'Data portal';
const FIRST = 'Sign-in failures for some users';
const DRAFT = 'Slow searches on the portal (draft)';
const MAINTENANCE = 'Database upgrade';

// The session cookie's path is /status/admin: ask for the cookies of that URL.
const adminUrl = () => `${base}/status/admin`;

async function eventually(fn, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (server && server.exitCode !== null) throw new Error(`csoc exited with ${server.exitCode}:\n${server.log}`);
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = String(e);
    }
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})\n${server?.log ?? ''}`);
}

async function getJson(p) {
  const res = await fetch(`${base}${p}`);
  assert.equal(res.status, 200, `${p}: ${res.status}`);
  return res.json();
}

function watch(page) {
  page.on('request', (req) => requests.push(req.url()));
  page.on('console', (msg) => {
    // The refusals this test provokes (401, 403) are logged by Chromium as failed loads.
    if (msg.type() === 'error' && !/the server responded with a status of 40[13]/.test(msg.text())) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return page;
}

async function newContext(options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  context.setDefaultTimeout(10_000);
  return { context, page: watch(await context.newPage()) };
}

// Clicks a submit button and waits for the page the form leads to; returns its main response.
async function submit(page, button) {
  const [res] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
  return res;
}

const section = (page, heading) => page.locator('section', { has: page.locator('h2', { hasText: heading }) });
const adminItem = (page, title) =>
  section(page, 'Open incidents and maintenance').locator('article.sp-incident', {
    has: page.locator('h3', { hasText: title }),
  });
const note = async (page) => (await page.locator('.sp-note').allInnerTexts()).join(' | ');

async function signIn(page, secret) {
  await page.goto(`${base}/status/admin`);
  await page.locator('input[name="token"]').fill(secret);
  return submit(page, page.getByRole('button', { name: 'Sign in' }));
}

async function assertSignInForm(page) {
  assert.equal((await page.locator('h1').innerText()).trim(), 'Sign in');
  assert.equal(await page.locator('input[name="token"]').count(), 1);
  assert.equal(await page.locator('form[action="/status/admin/incidents"]').count(), 0);
}

// /status as a visitor sees it now: a fresh context each time, because /status may be cached 10 s.
async function visitStatus() {
  const v = await newContext();
  const res = await v.page.goto(`${base}/status`);
  assert.equal(res.status(), 200);
  const read = async (heading) =>
    section(v.page, heading)
      .locator('article.sp-incident')
      .evaluateAll((cards) =>
        cards.map((a) => ({
          title: a.querySelector('h3')?.textContent.trim(),
          state: a.querySelector('.sp-state')?.textContent.trim(),
          meta: a.querySelector('.sp-meta')?.textContent.trim(),
          updates: [...a.querySelectorAll('.sp-updates li')].map((li) => li.textContent.replace(/\s+/g, ' ').trim()),
        })),
      );
  const view = {
    active: await read('Active incidents'),
    maintenance: await read('Maintenance'),
    past: await read('Past incidents'),
    components: await v.page.locator('.sp-components > li').evaluateAll((items) =>
      Object.fromEntries(
        items.map((li) => [
          li.querySelector('.sp-comp-name')?.textContent.trim(),
          // Without the symbol in front of the words ("✓ Operational").
          li.querySelector('.sp-badge')?.textContent.replace(/^[^A-Za-z]+/, '').trim(),
        ]),
      ),
    ),
    text: await v.page.locator('main').innerText(),
  };
  await v.context.close();
  return view;
}

function formBody(fields) {
  return new URLSearchParams(fields).toString();
}

async function sessionCookie(context) {
  const c = (await context.cookies(adminUrl())).find((x) => x.name === 'csoc_status_session');
  assert.ok(c, 'no session cookie in the browser context');
  return `${c.name}=${c.value}`;
}

async function post(p, cookie, fields) {
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (cookie) headers.cookie = cookie;
  return fetch(`${base}${p}`, { method: 'POST', headers, body: formBody(fields), redirect: 'manual' });
}

before(async () => {
  mkdirSync(screenshots, { recursive: true });
  workDir = mkdtempSync(path.join(os.tmpdir(), 'csoc-status-admin-'));
  dataDir = path.join(workDir, 'data');
  upstream = net.createServer((s) => s.end());
  await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
  const port = upstream.address().port;
  const config = path.join(workDir, 'fleet.yaml');
  writeFileSync(
    config,
    `settings:
  title: Admin test fleet
environments:
  - name: prod
    cluster: local
    hostname: 127.0.0.1
    services:
      - name: api
        checks:
          - {name: port, type: tcp, host: 127.0.0.1, port: ${port}, interval: 1s}
status_page:
  title: Operators test status
  automatic_incidents: false
  components:
    - {name: api, display_name: "${API}", group: Services, services: [prod/api]}
    - {name: portal, display_name: "${PORTAL}", group: Services, environments: [prod]}
`,
  );
  token = await createToken(dataDir, 'ops', 'status:write');
  assert.match(token, /^csoc_[0-9a-f]+$/);

  const listen = await freePort();
  base = `http://127.0.0.1:${listen}`;
  server = spawnCsoc(['serve', '--config', config, '--listen', `127.0.0.1:${listen}`, '--data-dir', dataDir]);
  await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 30_000, 'csoc ready');
  // Monitoring has judged the check: both components are operational before operators act.
  await eventually(
    async () => (await getJson('/api/v2/components.json')).components.every((c) => c.status === 'operational'),
    15_000,
    'operational components',
  );

  browser = await launchChromium();
});

after(async () => {
  if (browser) await browser.close();
  await stopProcess(server);
  if (upstream) upstream.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

test('a wrong token is refused with a message', async () => {
  const { context, page } = await newContext();
  const res = await page.goto(`${base}/status/admin`);
  assert.equal(res.status(), 200);
  assert.equal(res.headers()['cache-control'], 'no-store');
  await assertSignInForm(page);
  await page.locator('input[name="token"]').fill('csoc_0000000000000000000000000000000000000000000000');
  const refused = await submit(page, page.getByRole('button', { name: 'Sign in' }));
  assert.equal(refused.status(), 401);
  assert.match(await note(page), /not valid/);
  await assertSignInForm(page);
  assert.deepEqual(await context.cookies(adminUrl()), []);
  await context.close();
});

test('sign in and open an incident on one component', async () => {
  operator = await newContext();
  const { page } = operator;
  const res = await signIn(page, token);
  assert.equal(res.status(), 200);
  assert.equal(page.url(), `${base}/status/admin`);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Status page operations');
  assert.match(await page.locator('form[action="/status/admin/sign-out"]').innerText(), /Signed in with token\s+ops/);
  // The token is never put into the page.
  assert.ok(!(await page.content()).includes(token), 'the token is shown in the page');
  const cookie = (await operator.context.cookies(adminUrl())).find((c) => c.name === 'csoc_status_session');
  assert.ok(cookie, 'no session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  assert.match(await note(page), /Nothing is open/);

  const form = section(page, 'New incident').locator('form');
  await form.locator('input[name="title"]').fill(FIRST);
  await form.locator('textarea[name="description"]').fill('Some users cannot sign in; we are looking into it.');
  await form.locator('label.sp-check', { hasText: API }).locator('input').check();
  await form.locator('select[name="severity"]').selectOption('66');
  await form.locator('select[name="type"]').selectOption({ label: 'Connectivity Problems' });
  const done = await submit(page, form.getByRole('button', { name: 'Open incident' }));
  assert.equal(done.status(), 200);
  assert.match(await note(page), /Incident opened\./);
  const item = adminItem(page, FIRST);
  assert.equal(await item.count(), 1, 'the new incident is not listed as open');
  assert.match(await item.locator('.sp-meta').innerText(), /investigating · by operators/);

  const view = await visitStatus();
  const card = view.active.find((c) => c.title === FIRST);
  assert.ok(card, `not an active incident on /status: ${JSON.stringify(view.active)}`);
  assert.equal(card.state, 'investigating');
  assert.match(card.meta, /impact major/);
  assert.match(card.meta, new RegExp(`affects ${API}$`));
  assert.equal(view.components[API], 'Partial outage'); // declared severity 66
  assert.equal(view.components[PORTAL], 'Operational');

  const unresolved = await getJson('/api/v2/incidents/unresolved.json');
  const inc = unresolved.incidents.find((i) => i.name === FIRST);
  assert.ok(inc, JSON.stringify(unresolved));
  assert.equal(inc.status, 'investigating');
  assert.equal(inc.impact, 'major');
  assert.deepEqual(
    inc.components.map((c) => c.name),
    [API],
  );
});

test('an update with a phase is shown in the timeline', async () => {
  const { page } = operator;
  const item = adminItem(page, FIRST);
  await item.locator('select[name="phase"]').selectOption({ label: 'Working on it' });
  await item.locator('textarea[name="text"]').fill('A certificate expired; a new one is being rolled out.');
  const done = await submit(page, item.getByRole('button', { name: 'Add update' }));
  assert.equal(done.status(), 200);
  assert.match(await note(page), /Update added\./);
  assert.match(await adminItem(page, FIRST).locator('.sp-meta').innerText(), /^identified/);
  // The phase select keeps the incident's phase.
  const phase = adminItem(page, FIRST).locator('select[name="phase"] option:checked');
  assert.equal(await phase.innerText(), 'Working on it');

  const view = await visitStatus();
  const card = view.active.find((c) => c.title === FIRST);
  assert.ok(card, JSON.stringify(view.active));
  assert.equal(card.state, 'identified');
  assert.ok(
    card.updates.some((u) => u.startsWith('Working on it') && u.includes('A certificate expired')),
    JSON.stringify(card.updates),
  );
  const inc = (await getJson('/api/v2/incidents/unresolved.json')).incidents.find((i) => i.name === FIRST);
  assert.ok(
    inc.incident_updates.some((u) => u.body.includes('A certificate expired')),
    JSON.stringify(inc.incident_updates),
  );
});

test('a draft is not public until it is published', async () => {
  const { page } = operator;
  const form = section(page, 'New incident').locator('form');
  await form.locator('input[name="title"]').fill(DRAFT);
  await form.locator('label.sp-check', { hasText: PORTAL }).locator('input').check();
  await form.locator('select[name="severity"]').selectOption('33');
  await form.locator('select[name="type"]').selectOption({ label: 'Performance Degration' });
  await form.locator('input[name="draft"]').check();
  await submit(page, form.getByRole('button', { name: 'Open incident' }));
  assert.match(await note(page), /Incident opened\./);
  const item = adminItem(page, DRAFT);
  assert.equal(await item.count(), 1);
  assert.equal((await item.locator('.sp-draft').innerText()).trim(), 'draft');

  let view = await visitStatus();
  assert.ok(!view.text.includes(DRAFT), 'a draft is on /status');
  assert.equal(view.components[PORTAL], 'Operational');
  let unresolved = await getJson('/api/v2/incidents/unresolved.json');
  assert.ok(!unresolved.incidents.some((i) => i.name === DRAFT), 'a draft is in unresolved.json');

  await submit(page, item.getByRole('button', { name: 'Publish' }));
  assert.match(await note(page), /Published\./);
  assert.equal(await adminItem(page, DRAFT).locator('.sp-draft').count(), 0);
  assert.equal(await adminItem(page, DRAFT).getByRole('button', { name: 'Publish' }).count(), 0);

  view = await visitStatus();
  assert.ok(
    view.active.some((c) => c.title === DRAFT),
    `the published draft is not on /status: ${JSON.stringify(view.active)}`,
  );
  assert.equal(view.components[PORTAL], 'Degraded performance');
  unresolved = await getJson('/api/v2/incidents/unresolved.json');
  assert.ok(unresolved.incidents.some((i) => i.name === DRAFT));
});

test('a maintenance planned for tomorrow is listed as scheduled', async () => {
  const { page } = operator;
  const tomorrow = new Date(Date.now() + 24 * 3600 * 1000).toISOString().slice(0, 10);
  const form = section(page, 'Plan maintenance').locator('form');
  await form.locator('input[name="title"]').fill(MAINTENANCE);
  await form.locator('textarea[name="description"]').fill('Sign-in may be slow for a few minutes.');
  await form.locator('label.sp-check', { hasText: API }).locator('input').check();
  await form.locator('input[name="start"]').fill(`${tomorrow}T10:00`);
  await form.locator('input[name="end"]').fill(`${tomorrow}T12:30`);
  await submit(page, form.getByRole('button', { name: 'Plan maintenance' }));
  assert.match(await note(page), /Maintenance planned\./);
  const item = adminItem(page, MAINTENANCE);
  assert.equal(await item.count(), 1);
  assert.match(await item.locator('.sp-meta').innerText(), /^scheduled/);
  assert.equal(await item.getByRole('button', { name: 'Resolve' }).count(), 0); // maintenance is not resolved

  const view = await visitStatus();
  const card = view.maintenance.find((c) => c.title === MAINTENANCE);
  assert.ok(card, `not under Maintenance: ${JSON.stringify(view.maintenance)}`);
  assert.equal(card.state, 'scheduled');
  assert.match(card.meta, new RegExp(`affects ${API}`));
  assert.ok(!view.active.some((c) => c.title === MAINTENANCE), 'maintenance listed as an active incident');
  assert.equal(view.components[API], 'Partial outage'); // not under maintenance before it begins

  const upcoming = await getJson('/api/v2/scheduled-maintenances/upcoming.json');
  const m = upcoming.scheduled_maintenances.find((x) => x.name === MAINTENANCE);
  assert.ok(m, JSON.stringify(upcoming));
  assert.equal(m.status, 'scheduled');
  // The form's times are UTC.
  assert.equal(Date.parse(m.scheduled_for), Date.parse(`${tomorrow}T10:00:00Z`));
  assert.equal(Date.parse(m.scheduled_until), Date.parse(`${tomorrow}T12:30:00Z`));
  assert.equal((await getJson('/api/v2/scheduled-maintenances/active.json')).scheduled_maintenances.length, 0);
});

test('the signed-in operator page on a desktop and on a 360 px phone', async () => {
  await operator.page.goto(`${base}/status/admin`);
  await operator.page.screenshot({ path: path.join(screenshots, 'status-admin-desktop.png'), fullPage: true });

  const phone = await newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
  });
  await phone.context.addCookies(await operator.context.cookies(adminUrl()));
  await phone.page.goto(`${base}/status/admin`);
  assert.equal((await phone.page.locator('h1').innerText()).trim(), 'Status page operations');
  const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the operator page is ${width}px wide on a 360px screen`);
  // Every control is inside the screen and big enough to use.
  const controls = await phone.page
    .locator('main input:not([type="hidden"]), main select, main textarea, main button')
    .evaluateAll((els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        const what = `${e.tagName} ${e.name || e.textContent.trim()}`;
        return { what, left: r.left, right: r.right, height: r.height };
      }),
    );
  assert.ok(controls.length > 10, JSON.stringify(controls));
  for (const c of controls) {
    assert.ok(c.left >= 0 && c.right <= 360, `a control reaches outside the screen: ${JSON.stringify(c)}`);
    assert.ok(c.height >= 12, `a control is too small: ${JSON.stringify(c)}`);
  }
  await phone.page.screenshot({ path: path.join(screenshots, 'status-admin-phone.png'), fullPage: true });
  await phone.context.close();
});

test('a form post without the right CSRF field is refused and changes nothing', async () => {
  const { page, context } = operator;
  await page.goto(`${base}/status/admin`);
  const cookie = await sessionCookie(context);
  const csrf = await section(page, 'New incident').locator('input[name="csrf"]').inputValue();
  const component = await section(page, 'New incident')
    .locator('label.sp-check', { hasText: PORTAL })
    .locator('input')
    .getAttribute('name');
  const type = await section(page, 'New incident').locator('select[name="type"] option').first().getAttribute('value');
  const fields = { kind: 'incident', title: 'Forged incident', [component]: 'on', severity: '100', type };
  const idsBefore = JSON.stringify(await getJson('/api/v2/incidents.json').then((j) => j.incidents.map((i) => i.id)));

  let res = await post('/status/admin/incidents', cookie, fields);
  assert.equal(res.status, 403, 'no csrf field');
  res = await post('/status/admin/incidents', cookie, { ...fields, csrf: 'f'.repeat(64) });
  assert.equal(res.status, 403, 'a wrong csrf field');
  res = await post('/status/admin/incidents', cookie, { ...fields, csrf: '' });
  assert.equal(res.status, 403, 'an empty csrf field');
  // No session at all: 401, even with the right csrf.
  res = await post('/status/admin/incidents', null, { ...fields, csrf });
  assert.equal(res.status, 401, 'no session cookie');
  // The other forms are guarded the same way.
  const firstId = (await getJson('/api/v2/incidents/unresolved.json')).incidents.find((i) => i.name === FIRST).id;
  for (const action of ['resolve', 'update', 'publish']) {
    res = await post(`/status/admin/incidents/${firstId}/${action}`, cookie, { phase: '4', text: 'forged' });
    assert.equal(res.status, 403, action);
  }
  res = await post('/status/admin/sign-out', cookie, {});
  assert.equal(res.status, 403, 'sign-out');

  const idsAfter = JSON.stringify(await getJson('/api/v2/incidents.json').then((j) => j.incidents.map((i) => i.id)));
  assert.equal(idsAfter, idsBefore);
  const unresolved = await getJson('/api/v2/incidents/unresolved.json');
  const first = unresolved.incidents.find((i) => i.id === firstId);
  assert.ok(first, 'the incident was resolved by a forged post');
  assert.ok(!first.incident_updates.some((u) => u.body.includes('forged')));
  // The session still works (a refused post does not end it), and the page shows no forged incident.
  await page.goto(`${base}/status/admin`);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Status page operations');
  assert.equal(await adminItem(page, 'Forged incident').count(), 0);

  // The same post with the session's csrf field is accepted: the refusals above were the guard's.
  res = await post('/status/admin/incidents', cookie, { ...fields, title: 'Accepted by csrf', draft: 'on', csrf });
  assert.equal(res.status, 303);
  await page.goto(`${base}/status/admin`);
  assert.equal(await adminItem(page, 'Accepted by csrf').count(), 1);
});

test('resolving moves the incident to past incidents', async () => {
  const { page } = operator;
  await page.goto(`${base}/status/admin`);
  await submit(page, adminItem(page, FIRST).getByRole('button', { name: 'Resolve' }));
  assert.match(await note(page), /Incident resolved\./);
  assert.equal(await adminItem(page, FIRST).count(), 0, 'a resolved incident is still listed as open');

  const view = await visitStatus();
  assert.ok(!view.active.some((c) => c.title === FIRST), 'still an active incident');
  const card = view.past.find((c) => c.title === FIRST);
  assert.ok(card, `not under past incidents: ${JSON.stringify(view.past)}`);
  assert.equal(card.state, 'resolved');
  assert.equal(view.components[API], 'Operational');

  const unresolved = await getJson('/api/v2/incidents/unresolved.json');
  assert.ok(!unresolved.incidents.some((i) => i.name === FIRST));
  const inc = (await getJson('/api/v2/incidents.json')).incidents.find((i) => i.name === FIRST);
  assert.equal(inc.status, 'resolved');
  assert.ok(inc.resolved_at, JSON.stringify(inc));
  assert.equal(inc.incident_updates[0].status, 'resolved');
});

test('signing out shows the sign-in form again and ends the session', async () => {
  const { page, context } = operator;
  await page.goto(`${base}/status/admin`);
  const cookie = await sessionCookie(context);
  await submit(page, page.getByRole('button', { name: 'Sign out' }));
  assert.equal(page.url(), `${base}/status/admin`);
  await assertSignInForm(page);
  assert.ok(!(await context.cookies(adminUrl())).some((c) => c.name === 'csoc_status_session' && c.value));
  // The old session id is dead on the server too, not only forgotten by the browser.
  const res = await fetch(`${base}/status/admin`, { headers: { cookie } });
  assert.ok((await res.text()).includes('name="token"'), 'the old session still opens the operator page');
  await context.close();
});

test('revoking the token ends its session', async () => {
  const { context, page } = await newContext();
  await signIn(page, token);
  assert.equal((await page.locator('h1').innerText()).trim(), 'Status page operations');
  const cookie = await sessionCookie(context);
  const csrf = await section(page, 'New incident').locator('input[name="csrf"]').inputValue();
  const component = await section(page, 'New incident')
    .locator('label.sp-check', { hasText: API })
    .locator('input')
    .getAttribute('name');
  const type = await section(page, 'New incident').locator('select[name="type"] option').first().getAttribute('value');
  const count = (await getJson('/api/v2/incidents.json')).incidents.length;

  await csocCli('token', 'revoke', '--data-dir', dataDir, '--name', 'ops');
  await page.reload();
  await assertSignInForm(page);
  // A form post of the revoked session changes nothing.
  const res = await post('/status/admin/incidents', cookie, {
    kind: 'incident',
    title: 'After revocation',
    [component]: 'on',
    severity: '100',
    type,
    csrf,
  });
  assert.equal(res.status, 401);
  assert.equal((await getJson('/api/v2/incidents.json')).incidents.length, count);
  // And the token cannot sign in again.
  const again = await signIn(page, token);
  assert.equal(again.status(), 401);
  await assertSignInForm(page);
  await context.close();
});

test('no page loaded anything from another origin, without console errors', () => {
  assertSameOrigin(requests, base);
  assert.deepEqual(problems, [], problems.join('\n'));
});
