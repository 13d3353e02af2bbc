// The status page's feeds (/status/feed.rss and /status/feed.atom) against their specifications,
// with a real `csoc serve`: a fleet with a status_page section and two components, incidents and a
// maintenance created through the SCS API (some with text that needs escaping in XML, and
// non-ASCII), then both feeds fetched and checked: well-formed XML (fast-xml-parser's validator,
// and xmllint when it is installed), the content types, RSS 2.0's required channel and item
// elements with RFC 822 dates and absolute links, Atom's (RFC 4287) required feed and entry
// elements with RFC 3339 dates, and that every escaped text reads back exactly as it was written.
//
// Run: CSOC_BINARY=build/default/src/csoc node --test tests/api/status_feeds.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { createToken, freePort, startCsoc as startServer, stopProcess } from '../support/csoc.mjs';

const API = '/status-api/v1';
const XMLLINT = '/usr/bin/xmllint';
const ATOM_NS = 'http://www.w3.org/2005/Atom';
const run = promisify(execFile);

// Text that needs escaping in XML, and non-ASCII.
const TITLE = `Ops & <Status> "Zürich" – it's ✓`;
const STORAGE = 'Storage & <Archive>';
const LOGIN = `Login "SSO" – Zürich's ✓`;
const OPEN = {
  displayName: `Storage & "backups" <slow> – it's Zürich ✓`,
  description: `Latency > 5 s & errors < 1 % — "mostly" fine, isn't it? 日本語 🚧`,
};
const RESOLVED = { displayName: 'Login failures', description: 'Users saw <error> pages & had to retry.' };
const UPDATE = { displayName: 'Fixed & verified <done>', description: `'single' and "double" quotes` };
const MAINTENANCE = { displayName: `Upgrade <DB> & "cache"`, description: `Expect short interruptions – ça va.` };

let workDir;
let server;
let base;
let token;
const ids = {};
const feeds = {};

async function startCsoc(configDir, dataDir) {
  const port = await freePort();
  return startServer(['serve', '--config', configDir, '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir], { port });
}

async function stopCsoc(s) {
  if (s) await stopProcess(s.proc);
}

async function api(method, urlPath, body) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${base}${API}${urlPath}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
}

async function created(urlPath, body) {
  const r = await api('POST', urlPath, body);
  assert.equal(r.status, 201, `POST ${urlPath}: ${r.text}`);
  return r.json.id;
}

async function fetchFeed(kind) {
  const res = await fetch(`${base}/status/feed.${kind}`);
  const text = await res.text();
  assert.equal(res.status, 200, `/status/feed.${kind}: ${text}`);
  return { type: res.headers.get('content-type') || '', text };
}

before(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'csoc-feeds-'));
  const configDir = path.join(workDir, 'fleet');
  const dataDir = path.join(workDir, 'data');
  mkdirSync(configDir);
  const closedPort = await freePort();
  // JSON strings are YAML double-quoted strings.
  writeFileSync(
    path.join(configDir, 'fleet.yaml'),
    [
      'environments:',
      '  - name: feeds',
      '    cluster: local',
      '    services:',
      '      - name: db',
      '        checks:',
      `          - {name: tcp, type: tcp, host: 127.0.0.1, port: ${closedPort}}`,
      'status_page:',
      `  title: ${JSON.stringify(TITLE)}`,
      '  description: "Feeds under test"',
      '  automatic_incidents: false',
      '  components:',
      '    - name: storage',
      `      display_name: ${JSON.stringify(STORAGE)}`,
      '      environments: [feeds]',
      '    - name: login',
      `      display_name: ${JSON.stringify(LOGIN)}`,
      '      checks: [feeds/db/tcp]',
      '',
    ].join('\n'),
  );
  token = await createToken(dataDir, 'feeds', 'status:write');
  server = await startCsoc(configDir, dataDir);
  base = server.base;

  const components = (await api('GET', '/components')).json.data;
  const byName = Object.fromEntries(components.map((c) => [c.displayName, c.id]));
  assert.ok(byName[STORAGE] && byName[LOGIN], `the configured components: ${JSON.stringify(components)}`);
  ids.storage = byName[STORAGE];
  ids.login = byName[LOGIN];
  const impactTypes = (await api('GET', '/impacttypes')).json.data;
  assert.ok(impactTypes.length > 0);
  const type = impactTypes[0].id;

  const now = Date.now();
  const iso = (ms) => new Date(ms).toISOString();
  ids.resolved = await created('/incidents', {
    ...RESOLVED,
    beganAt: iso(now - 7_200_000),
    endedAt: iso(now - 3_600_000),
    affects: [{ reference: ids.login, type, severity: 100 }],
  });
  await created(`/incidents/${ids.resolved}/updates`, UPDATE);
  ids.open = await created('/incidents', {
    ...OPEN,
    beganAt: iso(now - 600_000),
    affects: [
      { reference: ids.storage, type, severity: 50 },
      { reference: ids.login, type, severity: 50 },
    ],
  });
  ids.maintenance = await created('/incidents', {
    ...MAINTENANCE,
    beganAt: iso(now + 3_600_000),
    endedAt: iso(now + 7_200_000),
    affects: [{ reference: ids.storage, type, severity: 0 }],
  });

  feeds.rss = await fetchFeed('rss');
  feeds.atom = await fetchFeed('atom');
});

after(async () => {
  await stopCsoc(server);
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------
// XML helpers.

// Attributes as "@name"; text as "#text"; nothing converted, trimmed or decoded: entities are
// decoded by `decode`, which knows exactly what XML without a DTD allows.
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  textNodeName: '#text',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  isArray: (name, jpath) =>
    [
      'rss.channel.item',
      'rss.channel.atom:link',
      'feed.entry',
      'feed.link',
      'feed.author',
      'feed.entry.link',
      'feed.entry.author',
    ].includes(jpath),
});

// The five predefined entities and character references; anything else is not well-formed.
function decode(s) {
  return s.replace(/&([^;&\s]*);?/g, (whole, name) => {
    assert.ok(whole.endsWith(';'), `unterminated entity reference in ${JSON.stringify(s)}`);
    const named = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[name];
    if (named !== undefined) return named;
    const m = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(name);
    assert.ok(m, `undeclared entity &${name}; in ${JSON.stringify(s)}`);
    return String.fromCodePoint(m[1] ? parseInt(m[1], 16) : parseInt(m[2], 10));
  });
}

// The decoded text of an element that has only text (and maybe attributes).
function text(node, what) {
  if (typeof node === 'string') return decode(node);
  assert.ok(node && typeof node === 'object', `${what}: missing`);
  const t = node['#text'];
  assert.equal(typeof t, 'string', `${what}: no text in ${JSON.stringify(node)}`);
  return decode(t);
}

const attr = (node, name) =>
  node && typeof node === 'object' && node[`@${name}`] !== undefined ? decode(node[`@${name}`]) : undefined;

// Characters XML 1.0 allows (production [2] Char).
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

async function wellFormed(body, what) {
  assert.ok(body.startsWith('<?xml version="1.0" encoding="utf-8"?>'), `${what}: XML declaration`);
  const v = XMLValidator.validate(body);
  assert.equal(v, true, `${what}: not well-formed: ${JSON.stringify(v)}`);
  const bad = NOT_XML_CHAR.exec(body);
  if (bad) {
    const at = body.slice(Math.max(0, bad.index - 40), bad.index + 40);
    const code = bad[0].codePointAt(0).toString(16).toUpperCase();
    assert.fail(`${what}: character U+${code} is not allowed in XML: …${at}…`);
  }
  if (existsSync(XMLLINT)) {
    const file = path.join(workDir, `${what.replace(/\W/g, '_')}.xml`);
    writeFileSync(file, body);
    try {
      const { stderr } = await run(XMLLINT, ['--noout', file]);
      assert.equal(stderr, '', `${what}: xmllint: ${stderr}`);
    } catch (e) {
      assert.fail(`${what}: xmllint --noout: ${e.stderr || e.message}`);
    }
  }
}

function absoluteUrl(s, what) {
  let u;
  assert.doesNotThrow(() => (u = new URL(s)), `${what}: ${JSON.stringify(s)} is not an absolute URL`);
  assert.match(u.protocol, /^https?:$/, `${what}: ${s}`);
  assert.ok(u.host, `${what}: ${s} has no host`);
  return u;
}

// RFC 822 (§5), with RSS's four-digit years: "Mon, 02 Jan 2006 15:04:05 GMT". Returns ms.
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function rfc822(s, what) {
  const m = new RegExp(
    '^(?:(Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\\d{4}) ' +
      '(\\d{2}):(\\d{2})(?::(\\d{2}))? (UT|GMT|EST|EDT|CST|CDT|MST|MDT|PST|PDT|Z|[+-]\\d{4})$',
  ).exec(s);
  assert.ok(m, `${what}: ${JSON.stringify(s)} is not an RFC 822 date-time`);
  const [, day, dd, mon, yyyy, hh, mi, ss = '0', zone] = m;
  const zones = { UT: 0, GMT: 0, Z: 0, EST: -300, EDT: -240, CST: -360, CDT: -300 };
  Object.assign(zones, { MST: -420, MDT: -360, PST: -480, PDT: -420 });
  const sign = zone[0] === '-' ? -1 : 1;
  const offset = zone in zones ? zones[zone] : sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3)));
  const ms =
    Date.UTC(Number(yyyy), MONTHS.indexOf(mon), Number(dd), Number(hh), Number(mi), Number(ss)) - offset * 60_000;
  const check = new Date(ms + offset * 60_000);
  assert.equal(check.getUTCDate(), Number(dd), `${what}: ${s} names a day that does not exist`);
  if (day) assert.equal(DAYS[check.getUTCDay()], day, `${what}: ${s}: wrong day of the week`);
  return ms;
}

// RFC 3339 date-time (what Atom's Date constructs are). Returns ms.
function rfc3339(s, what) {
  assert.match(
    s,
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
    `${what}: ${JSON.stringify(s)} is not an RFC 3339 date-time`,
  );
  const ms = Date.parse(s);
  assert.ok(!Number.isNaN(ms), `${what}: ${s}`);
  const [y, mo, d] = s.slice(0, 10).split('-').map(Number);
  assert.equal(new Date(Date.UTC(y, mo - 1, d)).getUTCDate(), d, `${what}: ${s} names a day that does not exist`);
  return ms;
}

function rssChannel() {
  const doc = parser.parse(feeds.rss.text);
  assert.ok(doc.rss, 'the root element is <rss>');
  return { rss: doc.rss, channel: doc.rss.channel };
}

function atomFeed() {
  const doc = parser.parse(feeds.atom.text);
  assert.ok(doc.feed, 'the root element is <feed>');
  return doc.feed;
}

test('the checkers refuse what the specifications forbid', async () => {
  assert.equal(rfc822('Wed, 02 Oct 2002 13:00:00 GMT', 'ok'), Date.UTC(2002, 9, 2, 13));
  assert.equal(rfc822('2 Oct 2002 15:00 +0200', 'ok'), Date.UTC(2002, 9, 2, 13));
  for (const bad of ['2002-10-02T13:00:00Z', 'Thu, 02 Oct 2002 13:00:00 GMT', 'Wed, 31 Feb 2002 13:00:00 GMT']) {
    assert.throws(() => rfc822(bad, 'bad'), undefined, bad);
  }
  assert.equal(rfc3339('2002-10-02T13:00:00.5+02:00', 'ok'), Date.UTC(2002, 9, 2, 11, 0, 0, 500));
  for (const bad of ['2002-10-02 13:00:00Z', '2002-10-02T13:00:00', 'Wed, 02 Oct 2002 13:00:00 GMT']) {
    assert.throws(() => rfc3339(bad, 'bad'), undefined, bad);
  }
  assert.equal(decode('a &amp; &lt;b&gt; &quot;&apos;&#39;&#x2713;'), `a & <b> "''✓`);
  assert.throws(() => decode('&nbsp;'));
  assert.throws(() => decode('a & b'));
  await assert.rejects(wellFormed('<?xml version="1.0" encoding="utf-8"?>\n<a><b></a>\n', 'bad'));
  await assert.rejects(wellFormed('<?xml version="1.0" encoding="utf-8"?>\n<a>\u0001</a>\n', 'bad'));
});

// ---------------------------------------------------------------------------------------------------
// RSS 2.0 (https://www.rssboard.org/rss-specification)

test('RSS: content type and well-formed XML', async () => {
  assert.match(feeds.rss.type, /^application\/rss\+xml\s*(;|$)/, feeds.rss.type);
  assert.match(feeds.rss.type, /charset=utf-8/i);
  await wellFormed(feeds.rss.text, 'feed.rss');
});

test('RSS: version 2.0, the required channel elements, atom:link rel=self', () => {
  const { rss, channel } = rssChannel();
  assert.equal(attr(rss, 'version'), '2.0');
  assert.ok(channel && typeof channel === 'object', 'exactly one <channel>');
  assert.equal(text(channel.title, 'channel title'), TITLE, 'the title reads back exactly');
  const link = absoluteUrl(text(channel.link, 'channel link'), 'channel link');
  assert.equal(link.origin, base);
  assert.ok(text(channel.description, 'channel description').length > 0, 'channel description');
  if (channel.lastBuildDate !== undefined) rfc822(text(channel.lastBuildDate), 'lastBuildDate');
  if (channel.pubDate !== undefined) rfc822(text(channel.pubDate), 'channel pubDate');

  // The atom namespace is declared where atom:link is used, and the self link points at this feed.
  assert.equal(attr(rss, 'xmlns:atom'), ATOM_NS);
  const self = (channel['atom:link'] || []).filter((l) => attr(l, 'rel') === 'self');
  assert.equal(self.length, 1, 'one atom:link rel="self"');
  assert.equal(absoluteUrl(attr(self[0], 'href'), 'atom:link href').href, `${base}/status/feed.rss`);
  assert.equal(attr(self[0], 'type'), 'application/rss+xml');
});

test('RSS: every item has a title or description, a unique guid, an RFC 822 pubDate and an absolute link', () => {
  const { channel } = rssChannel();
  const items = channel.item || [];
  assert.equal(items.length, 3, 'the three published incidents');
  const guids = new Set();
  for (const item of items) {
    const what = `item ${JSON.stringify(item.title)}`;
    assert.ok(item.title !== undefined || item.description !== undefined, `${what}: title or description`);
    assert.ok(item.guid !== undefined, `${what}: guid`);
    const guid = text(item.guid, `${what} guid`);
    assert.ok(guid.length > 0);
    // isPermaLink defaults to true, and then the guid must be a URL.
    if (attr(item.guid, 'isPermaLink') !== 'false') absoluteUrl(guid, `${what} guid (a permalink)`);
    assert.ok(!guids.has(guid), `${what}: guid ${guid} is not unique`);
    guids.add(guid);
    assert.ok(item.pubDate !== undefined, `${what}: pubDate`);
    rfc822(text(item.pubDate), `${what} pubDate`);
    absoluteUrl(text(item.link, `${what} link`), `${what} link`);
  }
  assert.deepEqual([...guids].sort(), [ids.open, ids.resolved, ids.maintenance].sort());
});

test('RSS: escaped text reads back exactly', () => {
  const { channel } = rssChannel();
  const byGuid = Object.fromEntries(channel.item.map((i) => [text(i.guid), i]));
  for (const [id, incident] of [
    [ids.open, OPEN],
    [ids.resolved, RESOLVED],
    [ids.maintenance, MAINTENANCE],
  ]) {
    const item = byGuid[id];
    assert.equal(text(item.title, 'title'), incident.displayName);
    const description = text(item.description, 'description');
    assert.ok(description.includes(incident.description), `${JSON.stringify(description)} has the description`);
    assert.equal(text(item.link), `${base}/status/incidents/${id}`);
  }
  const open = text(byGuid[ids.open].description);
  assert.ok(open.includes(STORAGE) && open.includes(LOGIN), `the affected components: ${open}`);
  const resolved = text(byGuid[ids.resolved].description);
  assert.ok(resolved.includes(UPDATE.displayName), `the latest update: ${resolved}`);
  assert.ok(resolved.includes(UPDATE.description), `the latest update: ${resolved}`);
});

// ---------------------------------------------------------------------------------------------------
// Atom (RFC 4287)

test('Atom: content type and well-formed XML', async () => {
  assert.match(feeds.atom.type, /^application\/atom\+xml\s*(;|$)/, feeds.atom.type);
  assert.match(feeds.atom.type, /charset=utf-8/i);
  await wellFormed(feeds.atom.text, 'feed.atom');
});

test('Atom: feed id, title, updated, author and link rel=self', () => {
  const feed = atomFeed();
  assert.equal(attr(feed, 'xmlns'), ATOM_NS);
  absoluteUrl(text(feed.id, 'feed id'), 'feed id');
  assert.equal(text(feed.title, 'feed title'), TITLE, 'the title reads back exactly');
  const updated = rfc3339(text(feed.updated, 'feed updated'), 'feed updated');
  // An author on the feed, or on every entry (§4.1.1).
  const authors = feed.author || [];
  if (authors.length === 0) {
    for (const e of feed.entry || []) assert.ok((e.author || []).length > 0, 'every entry has an author');
  } else {
    for (const a of authors) assert.ok(text(a.name, 'author name').length > 0, 'author name');
  }
  const links = feed.link || [];
  const self = links.filter((l) => attr(l, 'rel') === 'self');
  assert.equal(self.length, 1, 'one link rel="self"');
  assert.equal(absoluteUrl(attr(self[0], 'href'), 'self href').href, `${base}/status/feed.atom`);
  // At most one rel="alternate" per type and hreflang (§4.1.1).
  const alternates = links.filter((l) => (attr(l, 'rel') ?? 'alternate') === 'alternate');
  const keys = alternates.map((l) => `${attr(l, 'type')}|${attr(l, 'hreflang')}`);
  assert.equal(new Set(keys).size, keys.length, 'duplicate alternate links');
  for (const l of links) absoluteUrl(attr(l, 'href'), 'link href');
  // The feed's updated is its most recent change: no entry is newer.
  for (const e of feed.entry || []) {
    assert.ok(rfc3339(text(e.updated), 'entry updated') <= updated, `entry updated ${text(e.updated)} > feed's`);
  }
});

test('Atom: every entry has a unique id, a title, updated, and a link', () => {
  const feed = atomFeed();
  const entries = feed.entry || [];
  assert.equal(entries.length, 3, 'the three published incidents');
  const seen = new Set();
  for (const e of entries) {
    const id = text(e.id, 'entry id');
    assert.match(id, /^(urn:uuid:[0-9a-f-]{36}|https?:\/\/\S+)$/, `entry id ${id} is an IRI`);
    assert.ok(!seen.has(id), `entry id ${id} is not unique`);
    seen.add(id);
    assert.ok(text(e.title, `${id} title`).length > 0);
    rfc3339(text(e.updated, `${id} updated`), `${id} updated`);
    if (e.published !== undefined) rfc3339(text(e.published), `${id} published`);
    // Without atom:content an entry needs a rel="alternate" link (§4.1.2), and a summary if its
    // content is not inline (§4.1.1.1); csoc writes both.
    const alternates = (e.link || []).filter((l) => (attr(l, 'rel') ?? 'alternate') === 'alternate');
    assert.ok(alternates.length >= 1 || e.content !== undefined, `${id}: a link rel="alternate"`);
    for (const l of e.link || []) absoluteUrl(attr(l, 'href'), `${id} link`);
  }
  assert.deepEqual([...seen].sort(), [ids.open, ids.resolved, ids.maintenance].map((i) => `urn:uuid:${i}`).sort());
});

test('Atom: escaped text reads back exactly', () => {
  const feed = atomFeed();
  const byId = Object.fromEntries(feed.entry.map((e) => [text(e.id).replace('urn:uuid:', ''), e]));
  for (const [id, incident] of [
    [ids.open, OPEN],
    [ids.resolved, RESOLVED],
    [ids.maintenance, MAINTENANCE],
  ]) {
    const e = byId[id];
    assert.equal(text(e.title, 'title'), incident.displayName);
    const summary = text(e.summary, 'summary');
    assert.ok(summary.includes(incident.description), `${JSON.stringify(summary)} has the description`);
    assert.equal(attr(e.link[0], 'href'), `${base}/status/incidents/${id}`);
  }
  const open = text(byId[ids.open].summary);
  assert.ok(open.includes(STORAGE) && open.includes(LOGIN), `the affected components: ${open}`);
  const authorName = text(feed.author[0].name);
  assert.equal(authorName, TITLE);
});

test('the links in both feeds lead to pages that exist', async () => {
  const urls = new Set();
  for (const item of rssChannel().channel.item) urls.add(text(item.link));
  for (const e of atomFeed().entry) for (const l of e.link) urls.add(attr(l, 'href'));
  urls.add(text(rssChannel().channel.link));
  assert.equal(urls.size, 4);
  for (const url of urls) {
    const res = await fetch(url);
    assert.equal(res.status, 200, url);
    await res.arrayBuffer();
  }
});

// Without public_url the links come from the request's Host header, which the client chooses: it
// must not be able to break the XML or smuggle markup into it.
test('a hostile Host header cannot break the feeds', async () => {
  const get = (feedPath, host) =>
    new Promise((resolve, reject) => {
      const req = http.get(`${base}${feedPath}`, { headers: { Host: host } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode, body }));
      });
      req.on('error', reject);
    });
  for (const host of ['feeds.example.org:8443', 'evil.example"><x a=\'&amp;', 'evil.example]]><!--']) {
    for (const kind of ['rss', 'atom']) {
      const r = await get(`/status/feed.${kind}`, host);
      // RFC 9112 §3.2 asks for 400 on an invalid Host; an answer that uses it must still be valid.
      if (r.status === 400 && host !== 'feeds.example.org:8443') continue;
      assert.equal(r.status, 200, `${kind} with Host ${host}: ${r.body}`);
      await wellFormed(r.body, `feed.${kind} with Host ${host}`);
      const doc = parser.parse(r.body);
      const links =
        kind === 'rss'
          ? [text(doc.rss.channel.link), ...doc.rss.channel.item.map((i) => text(i.link))]
          : [...doc.feed.link, ...doc.feed.entry.flatMap((e) => e.link)].map((l) => attr(l, 'href'));
      for (const l of links) {
        const u = absoluteUrl(l, `${kind} link with Host ${host}`);
        if (host === 'feeds.example.org:8443') assert.equal(u.host, host);
      }
    }
  }
});

// With public_url the feeds link there, whatever Host the request had.
test('public_url is the base of every feed link', async () => {
  const dir = path.join(workDir, 'public-url');
  const configDir = path.join(dir, 'fleet');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(
    path.join(configDir, 'fleet.yaml'),
    [
      'environments:',
      '  - name: feeds',
      '    cluster: local',
      '    services: [{name: db, checks: [{name: tcp, type: tcp, host: 127.0.0.1, port: 9}]}]',
      'status_page:',
      '  public_url: "https://status.example.org/ops"',
      '  automatic_incidents: false',
      '',
    ].join('\n'),
  );
  const other = await startCsoc(configDir, path.join(dir, 'data'));
  try {
    const rss = await (await fetch(`${other.base}/status/feed.rss`)).text();
    const atom = await (await fetch(`${other.base}/status/feed.atom`)).text();
    await wellFormed(rss, 'feed.rss with public_url');
    await wellFormed(atom, 'feed.atom with public_url');
    const channel = parser.parse(rss).rss.channel;
    assert.equal(text(channel.link), 'https://status.example.org/ops/status');
    assert.equal(attr(channel['atom:link'][0], 'href'), 'https://status.example.org/ops/status/feed.rss');
    const feed = parser.parse(atom).feed;
    const self = feed.link.find((l) => attr(l, 'rel') === 'self');
    assert.equal(attr(self, 'href'), 'https://status.example.org/ops/status/feed.atom');
    assert.ok(text(feed.id).startsWith('https://status.example.org/ops'), text(feed.id));
    assert.equal(feed.entry, undefined, 'no incidents, no entries');
    rfc3339(text(feed.updated), 'updated of an empty feed');
  } finally {
    await stopCsoc(other);
  }
});

// RSS's pubDate is when an item was published; Atom's updated is "the most recent instant in time
// when an entry or feed was modified" (RFC 4287 §4.2.15): neither can lie in the future, not even
// for a maintenance announced for later.
test('no feed date lies in the future', () => {
  const limit = Date.now() + 5_000;
  const future = [];
  const check = (ms, what) => {
    if (ms > limit) future.push(what);
  };
  const { channel } = rssChannel();
  if (channel.lastBuildDate !== undefined) {
    check(rfc822(text(channel.lastBuildDate), 'lastBuildDate'), `RSS lastBuildDate ${text(channel.lastBuildDate)}`);
  }
  for (const item of channel.item) {
    check(rfc822(text(item.pubDate), 'pubDate'), `RSS item '${text(item.title)}' pubDate ${text(item.pubDate)}`);
  }
  const feed = atomFeed();
  check(rfc3339(text(feed.updated), 'updated'), `Atom feed updated ${text(feed.updated)}`);
  for (const e of feed.entry) {
    check(rfc3339(text(e.updated), 'updated'), `Atom entry '${text(e.title)}' updated ${text(e.updated)}`);
  }
  assert.deepEqual(future, [], `now is ${new Date().toISOString()}`);
});

// Last, as it adds an incident: characters that XML 1.0 cannot carry at all, not even escaped
// (C0 controls, U+FFFE/U+FFFF). The API may refuse them; if it takes them, both feeds must stay
// well-formed.
test('characters XML cannot carry do not break the feeds', async () => {
  const r = await api('POST', '/incidents', {
    displayName: 'Bell \u0007 form feed \u000c escape \u001b nonchar \uffff \ufffe end',
    description: 'nul-free but \u0001\u0002 vertical tab \u000b',
    affects: [],
  });
  assert.ok(r.status === 201 || r.status === 400, `POST /incidents: ${r.status} ${r.text}`);
  if (r.status !== 201) return;
  const rss = await fetchFeed('rss');
  const atom = await fetchFeed('atom');
  await wellFormed(rss.text, 'feed.rss with control characters');
  await wellFormed(atom.text, 'feed.atom with control characters');
  assert.ok(rss.text.includes('end') && rss.text.includes('Bell'), 'the rest of the title is kept');
});
