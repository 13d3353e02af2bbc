// Contract test of the Sovereign Cloud Stack status page API (tests/api/scs-status-page-openapi-1.1.2.yaml)
// against a real `csoc serve`: every path and method of the spec answers with the documented status and
// a body that validates against the documented schema; the semantics the spec leaves to the standard
// (server-assigned ids, partial PATCH, phase generations, severity ranges, maintenance, time ranges);
// bad input is refused with a message naming the field and changes nothing; writes need a valid token;
// CORS for the SCS web frontend; everything survives a restart.
//
// Run: CSOC_BINARY=build/default/src/csoc node --test tests/api/scs_contract.test.mjs
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import YAML from 'yaml';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { csocCli, freePort, sleep, sourceDir, startCsoc as startServer, stopProcess } from '../support/csoc.mjs';

const specPath = path.join(sourceDir, 'tests/api/scs-status-page-openapi-1.1.2.yaml');
const API = '/status-api/v1';

// ---------------------------------------------------------------------------------------------------
// The spec: its operations, their documented success code and response schema.

const spec = YAML.parse(readFileSync(specPath, 'utf8'));
const SPEC_ID = 'https://csoc.test/scs-status-page-openapi.json';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// Follows a local "#/a/b" reference inside the spec.
function pointer(ref) {
  assert.ok(ref.startsWith('#/'), `only local references are supported, got ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((node, key) => {
      assert.ok(node && key in node, `unresolvable reference ${ref}`);
      return node[key];
    }, spec);
}
const deref = (node) => {
  while (node && node.$ref) node = pointer(node.$ref);
  return node;
};

// Local references point into the schema registered as SPEC_ID (the spec's components).
function absoluteRefs(node) {
  if (Array.isArray(node)) return node.map(absoluteRefs);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    out[k] = k === '$ref' && v.startsWith('#/') ? SPEC_ID + v : absoluteRefs(v);
  }
  return out;
}

// Ajv 8 understands OpenAPI's `nullable` (with `type`); strict mode is off because the container
// schema is an OpenAPI components object, not a JSON Schema.
const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: SPEC_ID, components: spec.components });

// Property names an object schema declares (through $ref and allOf), and what it allows besides.
function objectShape(schema) {
  schema = deref(schema);
  const props = new Map(Object.entries(schema.properties || {}));
  let additional = schema.additionalProperties;
  for (const part of schema.allOf || []) {
    const shape = objectShape(part);
    for (const [k, v] of shape.props) props.set(k, v);
    if (shape.additional) additional = shape.additional;
  }
  return { props, additional };
}

// The spec does not forbid extra fields, but an answer should carry only what the spec declares
// (csoc's own fields such as drafts or automatic incidents must not leak into the SCS API).
function undeclaredFields(schema, value, where, problems) {
  schema = deref(schema);
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((v, i) => undeclaredFields(schema.items, v, `${where}[${i}]`, problems));
    return problems;
  }
  if (value === null || typeof value !== 'object') return problems;
  const { props, additional } = objectShape(schema);
  for (const [k, v] of Object.entries(value)) {
    if (props.has(k)) undeclaredFields(props.get(k), v, `${where}.${k}`, problems);
    else if (additional && typeof additional === 'object') undeclaredFields(additional, v, `${where}.${k}`, problems);
    else if (!additional) problems.push(`${where}.${k}`);
  }
  return problems;
}

const operations = [];
for (const [template, item] of Object.entries(spec.paths)) {
  const regex = new RegExp(`^${template.replace(/\{[^/}]+\}/g, '[^/]+')}$`);
  for (const method of METHODS) {
    if (!item[method]) continue;
    const success = Object.entries(item[method].responses).filter(([code]) => /^2\d\d$/.test(code));
    assert.equal(success.length, 1, `${method} ${template}: expected one documented success code`);
    const [code, responseRef] = success[0];
    const response = deref(responseRef);
    const schema = response.content?.['application/json']?.schema;
    operations.push({
      key: `${method.toUpperCase()} ${template}`,
      method: method.toUpperCase(),
      template,
      regex,
      status: Number(code),
      schema,
      validate: schema ? ajv.compile(absoluteRefs(schema)) : null,
    });
  }
}
const covered = new Set();

function operationFor(method, urlPath) {
  const p = urlPath.split('?')[0];
  return operations.find((o) => o.method === method && o.regex.test(p));
}

// ---------------------------------------------------------------------------------------------------
// csoc: a minimal fleet, one server process, tokens from the CLI.

let workDir;
let configDir;
let dataDir;
let server;
let base;
const tokens = {};
let expiringCreatedAt = 0;

async function startCsoc() {
  const port = await freePort();
  server = await startServer(
    ['serve', '--config', configDir, '--listen', `127.0.0.1:${port}`, '--data-dir', dataDir],
    { port, readyPath: `${API}/phases` },
  );
  base = server.base;
}

async function stopCsoc() {
  const s = server;
  server = null;
  if (!s) return null;
  await stopProcess(s.proc);
  return { ...(await s.exited), log: s.log };
}

const createToken = (name, scope, ...extra) =>
  csocCli('token', 'create', '--data-dir', dataDir, '--name', name, '--scope', scope, ...extra);

before(async () => {
  workDir = mkdtempSync(path.join(os.tmpdir(), 'csoc-scs-'));
  configDir = path.join(workDir, 'fleet');
  dataDir = path.join(workDir, 'data');
  mkdirSync(configDir);
  const closedPort = await freePort();
  writeFileSync(
    path.join(configDir, 'fleet.yaml'),
    [
      'environments:',
      '  - name: contract',
      '    cluster: local',
      '    services:',
      '      - name: database',
      '        checks:',
      `          - {name: tcp, type: tcp, host: 127.0.0.1, port: ${closedPort}}`,
      '',
    ].join('\n'),
  );
  tokens.expiring = await createToken('expiring', 'status:write', '--expires', '1s');
  expiringCreatedAt = Date.now(); // it expires 1 s after a moment before this
  tokens.write = await createToken('writer', 'status:write');
  tokens.admin = await createToken('administrator', 'admin');
  tokens.revoked = await createToken('to-be-revoked', 'status:write');
  for (const t of Object.values(tokens)) assert.match(t, /^\S{20,}$/);
  await startCsoc();
});

after(async () => {
  await stopCsoc();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------
// Calls. Every call is checked against the spec: a success must be the documented code with a body
// valid against the documented schema (or no body); an error must be {"message": "..."}.

async function call(method, urlPath, options = {}) {
  const { body, rawBody, contentType = 'application/json', headers = {} } = options;
  const token = 'token' in options ? options.token : method === 'GET' ? null : tokens.write;
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  let payload;
  if (rawBody !== undefined) payload = rawBody;
  else if (body !== undefined) payload = JSON.stringify(body);
  if (payload !== undefined && contentType) h['Content-Type'] = contentType;
  // A Uint8Array body makes fetch send no Content-Type of its own.
  if (payload !== undefined && !contentType) payload = new TextEncoder().encode(payload);
  const res = await fetch(`${base}${API}${urlPath}`, { method, headers: h, body: payload });
  const text = await res.text();
  const what = `${method} ${urlPath} → ${res.status} ${text.trim()}`;
  const type = res.headers.get('content-type') || '';
  let json;
  if (text !== '') {
    assert.match(type, /^application\/json\b/, `${what}: Content-Type ${type}`);
    json = JSON.parse(text);
  }
  const op = operationFor(method, urlPath);
  if (op && res.status >= 200 && res.status < 300) {
    assert.equal(res.status, op.status, `${what}: the spec documents ${op.status} for ${op.key}`);
    if (op.validate) {
      assert.ok(json !== undefined, `${what}: the spec documents a JSON body`);
      assert.ok(op.validate(json), `${what}: invalid against the spec: ${ajv.errorsText(op.validate.errors)}`);
      const extra = undeclaredFields(op.schema, json, 'body', []);
      assert.deepEqual(extra, [], `${what}: fields the spec does not declare`);
    } else {
      assert.equal(text, '', `${what}: the spec documents no body`);
    }
    covered.add(op.key);
  } else if (res.status >= 400 && method !== 'HEAD') {
    assert.ok(json && typeof json.message === 'string' && json.message.length > 0, `${what}: not {"message": "..."}`);
    assert.deepEqual(Object.keys(json), ['message'], `${what}: an error is {"message": "..."}`);
  }
  return { status: res.status, headers: res.headers, json, text, what };
}

async function expect(status, method, urlPath, options) {
  const r = await call(method, urlPath, options);
  assert.equal(r.status, status, r.what);
  return r;
}

const get = async (urlPath) => (await expect(200, 'GET', urlPath)).json.data;

const iso = (ms) => new Date(ms).toISOString();
const sameInstant = (a, b, what) => assert.equal(Date.parse(a), Date.parse(b), `${what}: ${a} vs ${b}`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UNKNOWN_ID = '0b1f9a4e-6c2d-4e8f-9a3b-5d7c1e2f4a6b';
const UUID_EXAMPLE = '5cba9901-7de2-4ae5-ac7e-cba99a504fc7';
const WIDE = '?start=1970-01-01T00:00:00Z&end=2200-01-01T00:00:00Z';

async function createComponent(displayName, labels = {}) {
  const r = await expect(201, 'POST', '/components', { body: { displayName, labels } });
  return r.json.id;
}

async function createIncident(body) {
  const r = await expect(201, 'POST', '/incidents', { body });
  assert.match(r.json.id, UUID);
  return r.json.id;
}

async function impactTypeId(name) {
  const t = (await get('/impacttypes')).find((x) => x.displayName === name);
  assert.ok(t, `impact type ${name}`);
  return t.id;
}

// What a client can see (every collection and the updates of every incident): equal before and
// after a refused write.
async function snapshot() {
  const phases = await get('/phases');
  const generations = await Promise.all(
    Array.from({ length: phases.generation }, (_, i) => call('GET', `/phases?generation=${i + 1}`)),
  );
  const [impacttypes, severities, components, incidents] = await Promise.all([
    get('/impacttypes'),
    get('/severities'),
    get('/components'),
    get(`/incidents${WIDE}`),
  ]);
  const updates = await Promise.all(incidents.map((i) => get(`/incidents/${i.id}/updates`)));
  return {
    phases,
    generations: generations.map((g) => [g.status, g.json]),
    impacttypes,
    severities,
    components,
    incidents,
    updates,
  };
}

// Everything, one by one as well as in lists: identical after a restart.
async function fullSnapshot(extraTargets) {
  const s = await snapshot();
  const targets = [...extraTargets];
  for (const t of s.impacttypes) targets.push(`/impacttypes/${t.id}`);
  for (const v of s.severities) targets.push(`/severities/${encodeURIComponent(v.displayName)}`);
  for (const c of s.components) targets.push(`/components/${c.id}`);
  for (const i of s.incidents) {
    targets.push(`/incidents/${i.id}`);
    for (const order of i.updates) targets.push(`/incidents/${i.id}/updates/${order}`);
  }
  const each = await Promise.all(targets.map(async (t) => [t, await get(t)]));
  return { ...s, each: Object.fromEntries(each) };
}

// ---------------------------------------------------------------------------------------------------
// State shared by the tests below (they run in order).

const ids = {};
const SEEDED_PHASES = ['Scheduled', 'Investigation ongoing', 'Working on it', 'Potential fix deployed', 'Done'];
const SEEDED_SEVERITIES = [
  { displayName: 'operational', value: 33 },
  { displayName: 'limited', value: 66 },
  { displayName: 'broken', value: 100 },
];
const now = Date.now();
const maintenance = { begin: now + 3_600_000, end: now + 7_200_000 };

test('the spec is loaded and its validators refuse what the spec forbids', () => {
  assert.equal(spec.info.version, '1.1.2');
  assert.ok(operations.length > 0, 'the spec has operations');
  for (const op of operations) assert.ok(!op.schema || op.validate, op.key);
  // The validators are not lenient: nullable, formats, bounds, required, nested $ref and allOf.
  const op = operations.find((o) => o.key === 'GET /incidents/{incidentId}');
  const good = {
    id: UUID_EXAMPLE,
    displayName: 'x',
    description: '',
    updates: [0, 1],
    affects: [{ reference: UUID_EXAMPLE, type: UUID_EXAMPLE, severity: 100 }],
    beganAt: '2026-12-02T10:00:00.000Z',
    endedAt: null,
    phase: { generation: 1, order: 0 },
  };
  assert.ok(op.validate({ data: good }), ajv.errorsText(op.validate.errors));
  assert.deepEqual(undeclaredFields(op.schema, { data: good }, 'body', []), []);
  for (const bad of [
    {},
    { data: { ...good, id: 'abc' } },
    { data: { ...good, id: undefined } },
    { data: { ...good, beganAt: 'yesterday' } },
    { data: { ...good, beganAt: '2026-12-02T10:00:00' } },
    { data: { ...good, displayName: null } },
    { data: { ...good, updates: [-1] } },
    { data: { ...good, affects: [{ ...good.affects[0], severity: 101 }] } },
    { data: { ...good, affects: [{ ...good.affects[0], reference: 'x' }] } },
    { data: { ...good, phase: { generation: 1 } } },
  ]) {
    assert.equal(op.validate(JSON.parse(JSON.stringify(bad))), false, JSON.stringify(bad));
  }
  const leaky = { data: { ...good, published: true } };
  assert.deepEqual(undeclaredFields(op.schema, leaky, 'body', []), ['body.data.published']);
  const components = operations.find((o) => o.key === 'GET /components');
  const component = { id: UUID_EXAMPLE, displayName: 'x', labels: { a: 'b' }, activelyAffectedBy: [] };
  assert.ok(components.validate({ data: [component] }));
  assert.equal(components.validate({ data: [{ id: UUID_EXAMPLE, labels: { a: 1 } }] }), false);
});

test('seeded defaults: phase generation 1, three severities, three impact types', async () => {
  assert.deepEqual(await get('/phases'), { generation: 1, phases: SEEDED_PHASES });
  assert.deepEqual(await get('/phases?generation=1'), { generation: 1, phases: SEEDED_PHASES });
  assert.deepEqual(await get('/severities'), SEEDED_SEVERITIES);
  for (const s of SEEDED_SEVERITIES) assert.deepEqual(await get(`/severities/${s.displayName}`), s);
  const types = await get('/impacttypes');
  assert.deepEqual(types.map((t) => t.displayName).sort(), [
    'Connectivity Problems',
    'Performance Degration',
    'Unknown',
  ]);
  for (const t of types) {
    assert.match(t.id, UUID);
    assert.deepEqual(await get(`/impacttypes/${t.id}`), t);
  }
  assert.deepEqual(await get('/components'), []);
  assert.deepEqual(await get(`/incidents${WIDE}`), []);
});

test('components: server-assigned ids, partial PATCH, delete', async () => {
  const sent = { id: UNKNOWN_ID, displayName: 'Compute Süd ✓ "quoted"', labels: { region: 'eu-de', tier: 'gold' } };
  const r = await expect(201, 'POST', '/components', { body: sent });
  const id = r.json.id;
  assert.match(id, UUID);
  assert.notEqual(id, UNKNOWN_ID, 'a POST body id is ignored');
  await expect(404, 'GET', `/components/${UNKNOWN_ID}`);
  const expected = { id, displayName: sent.displayName, labels: sent.labels, activelyAffectedBy: [] };
  assert.deepEqual(await get(`/components/${id}`), expected);
  assert.deepEqual(await get(`/components/${id.toUpperCase()}`), expected, 'ids are UUIDs in any case');

  await expect(204, 'PATCH', `/components/${id}`, { body: { labels: { region: 'eu-de' } } });
  assert.deepEqual(await get(`/components/${id}`), { ...expected, labels: { region: 'eu-de' } });
  await expect(204, 'PATCH', `/components/${id}`, { body: { displayName: 'Compute' } });
  assert.deepEqual(await get(`/components/${id}`), {
    ...expected,
    displayName: 'Compute',
    labels: { region: 'eu-de' },
  });
  ids.compute = id;

  ids.network = await createComponent('Network', { layer: 'l3' });
  ids.storage = await createComponent('Object Storage');
  ids.dashboard = await createComponent('Dashboard');
  const gone = await createComponent('Temporary');
  const list = await get('/components');
  assert.deepEqual(list.map((c) => c.id).sort(), [ids.compute, ids.network, ids.storage, ids.dashboard, gone].sort());
  await expect(204, 'DELETE', `/components/${gone}`);
  await expect(404, 'GET', `/components/${gone}`);
  await expect(404, 'DELETE', `/components/${gone}`);
  assert.ok(!(await get('/components')).some((c) => c.id === gone));
});

test('impact types: server-assigned ids, partial PATCH, unique names, delete', async () => {
  const r = await expect(201, 'POST', '/impacttypes', {
    body: { id: UNKNOWN_ID, displayName: 'Data Loss', description: 'Objects were lost.' },
  });
  const id = r.json.id;
  assert.match(id, UUID);
  assert.notEqual(id, UNKNOWN_ID);
  const type = (displayName, description) => ({ id, displayName, description });
  assert.deepEqual(await get(`/impacttypes/${id}`), type('Data Loss', 'Objects were lost.'));
  await expect(204, 'PATCH', `/impacttypes/${id}`, { body: { description: 'Objects may be lost.' } });
  assert.deepEqual(await get(`/impacttypes/${id}`), type('Data Loss', 'Objects may be lost.'));
  await expect(204, 'PATCH', `/impacttypes/${id}`, { body: { displayName: 'Data loss' } });
  assert.deepEqual(await get(`/impacttypes/${id}`), type('Data loss', 'Objects may be lost.'));
  ids.dataLoss = id;

  const before = await snapshot();
  await expect(409, 'POST', '/impacttypes', { body: { displayName: 'Unknown' } });
  await expect(409, 'PATCH', `/impacttypes/${id}`, { body: { displayName: 'Connectivity Problems' } });
  assert.deepEqual(await snapshot(), before);

  const tmp = (await expect(201, 'POST', '/impacttypes', { body: { displayName: 'Temporary' } })).json.id;
  const temporary = await get(`/impacttypes/${tmp}`);
  assert.deepEqual({ description: '', ...temporary }, { id: tmp, displayName: 'Temporary', description: '' });
  await expect(204, 'DELETE', `/impacttypes/${tmp}`);
  await expect(404, 'GET', `/impacttypes/${tmp}`);
  await expect(404, 'DELETE', `/impacttypes/${tmp}`);
  // A seeded type deleted stays deleted (also after the restart below).
  const unknown = await impactTypeId('Unknown');
  await expect(204, 'DELETE', `/impacttypes/${unknown}`);
  assert.deepEqual((await get('/impacttypes')).map((t) => t.displayName).sort(), [
    'Connectivity Problems',
    'Data loss',
    'Performance Degration',
  ]);
});

test('severities: values are distinct, 100 must exist, partial PATCH, rename', async () => {
  await expect(204, 'POST', '/severities', { body: { displayName: 'minor', value: 50 } });
  assert.deepEqual(await get('/severities/minor'), { displayName: 'minor', value: 50 });
  assert.deepEqual(
    (await get('/severities')).map((s) => [s.displayName, s.value]),
    [
      ['operational', 33],
      ['minor', 50],
      ['limited', 66],
      ['broken', 100],
    ],
  );

  let before = await snapshot();
  await expect(409, 'POST', '/severities', { body: { displayName: 'other', value: 66 } });
  await expect(409, 'POST', '/severities', { body: { displayName: 'minor', value: 40 } });
  await expect(409, 'PATCH', '/severities/minor', { body: { value: 33 } });
  await expect(409, 'PATCH', '/severities/minor', { body: { displayName: 'limited' } });
  await expect(409, 'PATCH', '/severities/broken', { body: { value: 99 } });
  await expect(409, 'DELETE', '/severities/broken');
  assert.deepEqual(await snapshot(), before);

  await expect(204, 'PATCH', '/severities/minor', { body: { value: 55 } });
  assert.deepEqual(await get('/severities/minor'), { displayName: 'minor', value: 55 });
  await expect(204, 'PATCH', '/severities/minor', { body: { displayName: 'minor impact' } });
  await expect(404, 'GET', '/severities/minor');
  assert.deepEqual(await get('/severities/minor%20impact'), { displayName: 'minor impact', value: 55 });
  // The 100 may be renamed, it only may not move or go.
  await expect(204, 'PATCH', '/severities/broken', { body: { displayName: 'broken', value: 100 } });
  await expect(204, 'DELETE', '/severities/minor%20impact');
  await expect(404, 'GET', '/severities/minor%20impact');
  await expect(404, 'DELETE', '/severities/minor%20impact');
  await expect(404, 'PATCH', '/severities/minor%20impact', { body: { value: 10 } });
  await expect(204, 'POST', '/severities', { body: { displayName: 'serious', value: 80 } });
  assert.deepEqual(await get('/severities'), [
    { displayName: 'operational', value: 33 },
    { displayName: 'limited', value: 66 },
    { displayName: 'serious', value: 80 },
    { displayName: 'broken', value: 100 },
  ]);
});

test('phases: a POST creates a new generation, older generations stay readable', async () => {
  const phases = ['Planned', 'Analysing', 'Fixing', 'Monitoring', 'Resolved'];
  const r = await expect(201, 'POST', '/phases', { body: { generation: 42, phases } });
  assert.deepEqual(r.json, { generation: 2 }, 'the generation is assigned by the server');
  assert.deepEqual(await get('/phases'), { generation: 2, phases });
  assert.deepEqual(await get('/phases?generation=2'), { generation: 2, phases });
  assert.deepEqual(await get('/phases?generation=1'), { generation: 1, phases: SEEDED_PHASES });
  await expect(404, 'GET', '/phases?generation=3');
  await expect(404, 'GET', '/phases?generation=0');
  await expect(400, 'GET', '/phases?generation=two');
  await expect(400, 'GET', '/phases?generation=-1');
});

test('incidents: create, read, partial PATCH, affected components, updates in order', async () => {
  const connectivity = await impactTypeId('Connectivity Problems');
  const performance = await impactTypeId('Performance Degration');
  const began = now - 600_000;
  const body = {
    id: UNKNOWN_ID,
    displayName: 'Network partition in eu-de',
    description: 'Some routers dropped packets.',
    beganAt: iso(began),
    endedAt: null,
    phase: { generation: 2, order: 1 },
    affects: [
      { reference: ids.network, type: connectivity, severity: 66 },
      { reference: ids.compute, type: performance, severity: 33 },
    ],
  };
  const id = await createIncident(body);
  assert.notEqual(id, UNKNOWN_ID, 'a POST body id is ignored');
  ids.partition = id;
  const incident = await get(`/incidents/${id}`);
  sameInstant(incident.beganAt, body.beganAt, 'beganAt');
  const expected = { ...body, id, beganAt: incident.beganAt, updates: [] };
  assert.deepEqual(incident, expected);

  // Components show the incidents affecting them now.
  assert.deepEqual((await get(`/components/${ids.network}`)).activelyAffectedBy, [
    { reference: id, type: connectivity, severity: 66 },
  ]);
  const listed = Object.fromEntries((await get('/components')).map((c) => [c.id, c.activelyAffectedBy]));
  assert.deepEqual(listed[ids.compute], [{ reference: id, type: performance, severity: 33 }]);
  assert.deepEqual(listed[ids.storage], []);

  // PATCH changes only what it names.
  await expect(204, 'PATCH', `/incidents/${id}`, { body: { description: 'Two routers dropped packets.' } });
  assert.deepEqual(await get(`/incidents/${id}`), { ...expected, description: 'Two routers dropped packets.' });
  await expect(204, 'PATCH', `/incidents/${id}`, { body: { phase: { generation: 2, order: 2 } } });
  const patched = { ...expected, description: 'Two routers dropped packets.', phase: { generation: 2, order: 2 } };
  assert.deepEqual(await get(`/incidents/${id}`), patched);
  // A phase of an older generation is still a phase.
  await expect(204, 'PATCH', `/incidents/${id}`, { body: { phase: { generation: 1, order: 4 } } });
  patched.phase = { generation: 1, order: 4 };
  assert.deepEqual(await get(`/incidents/${id}`), patched);

  // Updates: orders 0, 1, 2; PATCH partial; DELETE.
  const created = [];
  for (const [n, u] of [
    { displayName: 'Investigating', description: 'We are looking into it.' },
    { displayName: 'Identified', description: 'A faulty line card.', createdAt: iso(began + 60_000) },
    { displayName: 'Monitoring' },
  ].entries()) {
    const before = Date.now();
    const r = await expect(201, 'POST', `/incidents/${id}/updates`, { body: u });
    assert.deepEqual(r.json, { order: n }, 'update orders start at 0 and increase');
    const got = await get(`/incidents/${id}/updates/${n}`);
    if (u.createdAt) sameInstant(got.createdAt, u.createdAt, 'createdAt');
    else assert.ok(Math.abs(Date.parse(got.createdAt) - before) < 60_000, `createdAt ${got.createdAt} is now`);
    assert.deepEqual(
      { description: '', ...got },
      { order: n, displayName: u.displayName, description: u.description ?? '', createdAt: got.createdAt },
    );
    created.push(got);
  }
  assert.deepEqual(await get(`/incidents/${id}/updates`), created);
  assert.deepEqual((await get(`/incidents/${id}`)).updates, [0, 1, 2]);
  await expect(204, 'PATCH', `/incidents/${id}/updates/1`, { body: { description: 'A faulty line card in rack 7.' } });
  created[1] = { ...created[1], description: 'A faulty line card in rack 7.' };
  assert.deepEqual(await get(`/incidents/${id}/updates/1`), created[1]);
  await expect(204, 'DELETE', `/incidents/${id}/updates/2`);
  await expect(404, 'GET', `/incidents/${id}/updates/2`);
  await expect(404, 'DELETE', `/incidents/${id}/updates/2`);
  assert.deepEqual(await get(`/incidents/${id}/updates`), created.slice(0, 2));
  assert.deepEqual((await get(`/incidents/${id}`)).updates, [0, 1]);

  // Ending the incident: the components are no longer affected now, but were during it.
  const ended = Date.now() - 1_000;
  await expect(204, 'PATCH', `/incidents/${id}`, { body: { endedAt: iso(ended) } });
  const closed = await get(`/incidents/${id}`);
  sameInstant(closed.endedAt, iso(ended), 'endedAt');
  assert.deepEqual(closed, { ...patched, updates: [0, 1], endedAt: closed.endedAt });
  assert.deepEqual((await get(`/components/${ids.network}`)).activelyAffectedBy, []);
  assert.deepEqual((await get(`/components/${ids.network}?at=${iso(began + 1_000)}`)).activelyAffectedBy, [
    { reference: id, type: connectivity, severity: 66 },
  ]);
  // Reopened with endedAt null, closed again.
  await expect(204, 'PATCH', `/incidents/${id}`, { body: { endedAt: null } });
  assert.equal((await get(`/incidents/${id}`)).endedAt, null);
  assert.equal((await get(`/components/${ids.network}`)).activelyAffectedBy.length, 1);
  await expect(204, 'PATCH', `/incidents/${id}`, { body: { endedAt: iso(ended) } });
  assert.deepEqual(await get(`/incidents/${id}`), closed);

  // An open incident with defaults: began now, no updates.
  const openId = await createIncident({
    displayName: 'Dashboard slow',
    affects: [{ reference: ids.dashboard, type: performance, severity: 50 }],
  });
  const open = await get(`/incidents/${openId}`);
  assert.ok(Math.abs(Date.parse(open.beganAt) - Date.now()) < 60_000, `beganAt ${open.beganAt} defaults to now`);
  assert.equal(open.endedAt, null);
  ids.open = openId;
  await expect(201, 'POST', `/incidents/${openId}/updates`, { body: { displayName: 'Investigating' } });

  // Deleting an incident.
  const tmp = await createIncident({ displayName: 'Mistake', beganAt: iso(now - 60_000) });
  await expect(204, 'DELETE', `/incidents/${tmp}`);
  await expect(404, 'GET', `/incidents/${tmp}`);
  await expect(404, 'GET', `/incidents/${tmp}/updates`);
  await expect(404, 'DELETE', `/incidents/${tmp}`);

  // Deleting a component removes it from the incidents that affected it.
  const extra = await createComponent('Short-lived');
  const withExtra = await createIncident({
    displayName: 'Short-lived trouble',
    beganAt: iso(now - 120_000),
    endedAt: iso(now - 60_000),
    affects: [
      { reference: extra, type: connectivity, severity: 100 },
      { reference: ids.storage, type: connectivity, severity: 66 },
    ],
  });
  await expect(204, 'DELETE', `/components/${extra}`);
  assert.deepEqual((await get(`/incidents/${withExtra}`)).affects, [
    { reference: ids.storage, type: connectivity, severity: 66 },
  ]);
  // An impact type in use cannot be deleted.
  const before = await snapshot();
  await expect(409, 'DELETE', `/impacttypes/${connectivity}`);
  assert.deepEqual(await snapshot(), before);
});

test('maintenance: severity 0 needs beganAt and endedAt, may lie in the future, ?at= evaluates it', async () => {
  const perf = await impactTypeId('Performance Degration');
  const affects = [{ reference: ids.storage, type: perf, severity: 0 }];
  const before = await snapshot();
  for (const body of [
    { displayName: 'Upgrade', affects },
    { displayName: 'Upgrade', beganAt: iso(maintenance.begin), affects },
    { displayName: 'Upgrade', beganAt: iso(maintenance.begin), endedAt: null, affects },
    { displayName: 'Upgrade', endedAt: iso(maintenance.end), beganAt: null, affects },
  ]) {
    const r = await expect(400, 'POST', '/incidents', { body });
    assert.match(r.json.message, /endedAt/, r.what);
  }
  assert.deepEqual(await snapshot(), before);

  const id = await createIncident({
    displayName: 'Object storage upgrade',
    description: 'Rolling upgrade, short interruptions.',
    beganAt: iso(maintenance.begin),
    endedAt: iso(maintenance.end),
    affects,
  });
  ids.maintenance = id;
  const m = await get(`/incidents/${id}`);
  sameInstant(m.beganAt, iso(maintenance.begin), 'beganAt');
  sameInstant(m.endedAt, iso(maintenance.end), 'endedAt');
  assert.deepEqual(m.affects, affects);

  const impact = [{ reference: id, type: perf, severity: 0 }];
  const at = (ms) => `?at=${encodeURIComponent(iso(ms))}`;
  const storageAt = async (query) => (await get(`/components/${ids.storage}${query}`)).activelyAffectedBy;
  const listAt = async (query) =>
    (await get(`/components${query}`)).find((c) => c.id === ids.storage).activelyAffectedBy;
  for (const [query, expected] of [
    ['', []],
    [at(maintenance.begin - 1_800_000), []],
    [at(maintenance.begin), impact],
    [at(maintenance.begin + 1_800_000), impact],
    [at(maintenance.end + 3_600_000), []],
  ]) {
    assert.deepEqual(await storageAt(query), expected, `GET /components/{id}${query}`);
    assert.deepEqual(await listAt(query), expected, `GET /components${query}`);
  }
  // The other components are not affected by it.
  const compute = await get(`/components/${ids.compute}${at(maintenance.begin + 1_800_000)}`);
  assert.deepEqual(compute.activelyAffectedBy, []);
  // Turning it into an open maintenance is refused.
  const r = await expect(400, 'PATCH', `/incidents/${id}`, { body: { endedAt: null } });
  assert.match(r.json.message, /endedAt/);
  assert.deepEqual(await get(`/incidents/${id}`), m);
  // Announced in the incident list of its window.
  const window = `start=${iso(maintenance.begin + 60_000)}&end=${iso(maintenance.begin + 120_000)}`;
  const during = await get(`/incidents?${window}`);
  assert.ok(during.some((i) => i.id === id));
  await expect(400, 'GET', `/components?at=tomorrow`);
  await expect(400, 'GET', `/components/${ids.storage}?at=2026-13-01T00:00:00Z`);
});

test('GET /incidents?start&end: overlapping incidents and open ones that began before the end', async () => {
  const t = (s) => `2021-${s}Z`;
  const make = (name, beganAt, endedAt) =>
    createIncident({ displayName: name, beganAt: t(beganAt), endedAt: endedAt && t(endedAt) });
  const inside = await make('inside', '03-03T10:00:00', '03-03T12:00:00');
  const overlapsStart = await make('overlaps start', '02-20T10:00:00', '03-02T10:00:00');
  const overlapsEnd = await make('overlaps end', '03-09T10:00:00', '03-12T10:00:00');
  const spans = await make('spans the range', '02-01T00:00:00', '04-01T00:00:00');
  const openBefore = await make('open, began before the range', '01-01T00:00:00', null);
  const openInside = await make('open, began inside', '03-05T10:00:00', null);
  const before = await make('entirely before', '02-01T10:00:00', '02-02T10:00:00');
  const after = await make('entirely after', '04-01T10:00:00', '04-02T10:00:00');
  const openAfter = await make('open, began after the range', '05-01T10:00:00', null);
  // With an offset instead of Z: the same instant.
  const offset = await createIncident({
    displayName: 'offset',
    beganAt: '2021-03-04T11:00:00+01:00',
    endedAt: '2021-03-04T12:30:00.250+01:00',
  });
  const o = await get(`/incidents/${offset}`);
  sameInstant(o.beganAt, '2021-03-04T10:00:00Z', 'beganAt with offset');
  sameInstant(o.endedAt, '2021-03-04T11:30:00.250Z', 'endedAt with offset');

  const range = `?start=${t('03-01T00:00:00')}&end=${t('03-10T00:00:00')}`;
  const found = await get(`/incidents${range}`);
  const expected = [inside, overlapsStart, overlapsEnd, spans, openBefore, openInside, offset];
  assert.deepEqual(found.map((i) => i.id).sort(), [...expected].sort(), found.map((i) => i.displayName).join(', '));
  for (const i of found) assert.deepEqual(i, await get(`/incidents/${i.id}`));
  assert.ok(![before, after, openAfter].some((id) => found.some((i) => i.id === id)));

  const later = await get(`/incidents?start=${t('04-15T00:00:00')}&end=${t('06-01T00:00:00')}`);
  assert.deepEqual(later.map((i) => i.id).sort(), [openBefore, openInside, openAfter].sort());
  await expect(400, 'GET', `/incidents?start=${t('03-01T00:00:00')}`);
  await expect(400, 'GET', `/incidents?end=${t('03-01T00:00:00')}`);
  await expect(400, 'GET', `/incidents?start=yesterday&end=${t('03-01T00:00:00')}`);
  await expect(400, 'GET', `/incidents?start=${t('03-10T00:00:00')}&end=${t('03-01T00:00:00')}`);
  for (const id of [before, after, openAfter]) await expect(204, 'DELETE', `/incidents/${id}`);
  ids.openBefore = openBefore;
});

test('date-times far in the future are taken as they are, never silently changed', async () => {
  // RFC 3339 and the spec's date-time allow any year up to 9999; csoc either keeps the instant or
  // refuses it naming the field, it must not answer for another time.
  const problems = [];
  const far = await call('GET', '/incidents?start=2021-04-15T00:00:00Z&end=2999-12-31T23:59:59Z');
  if (far.status !== 200) problems.push(`${far.what}: expected 200`);
  else {
    for (const id of [ids.openBefore, ids.open, ids.maintenance]) {
      if (!far.json.data.some((i) => i.id === id)) problems.push(`${far.what}: open incident ${id} is missing`);
    }
  }
  const dashboard = await call('GET', `/components/${ids.dashboard}?at=2999-01-01T00:00:00Z`);
  if (dashboard.status !== 200) problems.push(`${dashboard.what}: expected 200`);
  else if (!dashboard.json.data.activelyAffectedBy.some((m) => m.reference === ids.open)) {
    problems.push(`${dashboard.what}: the open incident ${ids.open} is not active in 2999`);
  }
  const sent = { displayName: 'Far ahead', beganAt: '2300-01-01T00:00:00Z', endedAt: '2300-01-02T00:00:00Z' };
  const r = await call('POST', '/incidents', { body: sent });
  if (r.status === 400) {
    if (!/beganAt|endedAt/.test(r.json.message)) problems.push(`${r.what}: the message does not name the field`);
  } else if (r.status !== 201) {
    problems.push(`${r.what}: expected 201, or 400 naming beganAt or endedAt`);
  } else {
    const i = await get(`/incidents/${r.json.id}`);
    await expect(204, 'DELETE', `/incidents/${r.json.id}`);
    if (Date.parse(i.beganAt) !== Date.parse(sent.beganAt) || Date.parse(i.endedAt) !== Date.parse(sent.endedAt)) {
      problems.push(
        `POST /incidents ${JSON.stringify(sent)} → 201, then GET /incidents/{id} has ` +
          `beganAt ${i.beganAt}, endedAt ${i.endedAt}`,
      );
    }
  }
  assert.deepEqual(problems, []);
});

// ---------------------------------------------------------------------------------------------------
// Bad input: 400 naming the field (404, 409 where the thing is missing or in conflict), nothing changes.

test('bad input is refused with a message naming the field and changes nothing', async () => {
  const type = await impactTypeId('Connectivity Problems');
  const inc = `/incidents/${ids.partition}`;
  const okImpact = { reference: ids.network, type, severity: 66 };
  const cases = [];
  const add = (method, urlPath, status, field, body) => cases.push({ method, urlPath, status, field, body });
  // Common to every write with a body.
  const writes = [
    ['POST', '/phases'],
    ['POST', '/impacttypes'],
    ['PATCH', `/impacttypes/${ids.dataLoss}`],
    ['POST', '/severities'],
    ['PATCH', '/severities/limited'],
    ['POST', '/components'],
    ['PATCH', `/components/${ids.compute}`],
    ['POST', '/incidents'],
    ['PATCH', inc],
    ['POST', `${inc}/updates`],
    ['PATCH', `${inc}/updates/0`],
  ];
  for (const [m, p] of writes) {
    add(m, p, 400, 'JSON', { raw: '{"displayName": "x"' });
    add(m, p, 400, 'JSON', { raw: '{"displayName": "x"} trailing' });
    add(m, p, 400, 'JSON', { raw: '' });
    add(m, p, 400, 'request body', []);
    add(m, p, 400, 'request body', 'a string');
    add(m, p, 400, 'request body', null);
    add(m, p, 400, 'colour', { colour: 'red' });
  }
  // Phases.
  add('POST', '/phases', 400, 'phases', {});
  add('POST', '/phases', 400, 'phases', { phases: 'Scheduled' });
  add('POST', '/phases', 400, 'phases', { phases: [] });
  add('POST', '/phases', 400, 'phases[1]', { phases: ['a', 2] });
  add('POST', '/phases', 400, 'phases[0]', { phases: [''] });
  // Impact types.
  add('POST', '/impacttypes', 400, 'displayName', {});
  add('POST', '/impacttypes', 400, 'displayName', { displayName: 5 });
  add('POST', '/impacttypes', 400, 'displayName', { displayName: '' });
  add('POST', '/impacttypes', 400, 'description', { displayName: 'New', description: ['x'] });
  add('PATCH', `/impacttypes/${ids.dataLoss}`, 400, 'displayName', { displayName: null });
  add('PATCH', `/impacttypes/${ids.dataLoss}`, 400, 'description', { description: 7 });
  add('PATCH', '/impacttypes/not-a-uuid', 400, 'impactTypeId', { description: 'x' });
  add('PATCH', `/impacttypes/${UNKNOWN_ID}`, 404, UNKNOWN_ID, { description: 'x' });
  add('DELETE', '/impacttypes/not-a-uuid', 400, 'impactTypeId');
  add('DELETE', `/impacttypes/${UNKNOWN_ID}`, 404, UNKNOWN_ID);
  // Severities.
  add('POST', '/severities', 400, 'value', { displayName: 'x', value: 101 });
  add('POST', '/severities', 400, 'value', { displayName: 'x', value: -1 });
  add('POST', '/severities', 400, 'value', { displayName: 'x', value: '50' });
  add('POST', '/severities', 400, 'value', { displayName: 'x', value: 50.5 });
  add('POST', '/severities', 400, 'value', { displayName: 'x' });
  add('POST', '/severities', 400, 'displayName', { value: 50 });
  add('POST', '/severities', 400, 'displayName', { displayName: true, value: 50 });
  add('POST', '/severities', 409, 'limited', { displayName: 'limited', value: 50 });
  add('POST', '/severities', 409, '66', { displayName: 'x', value: 66 });
  add('PATCH', '/severities/limited', 400, 'value', { value: 101 });
  add('PATCH', '/severities/limited', 400, 'value', { value: -1 });
  add('PATCH', '/severities/limited', 400, 'value', { value: null });
  add('PATCH', '/severities/limited', 400, 'displayName', { displayName: '' });
  add('PATCH', '/severities/broken', 409, '100', { value: 90 });
  add('PATCH', '/severities/nothing', 404, 'nothing', { value: 10 });
  add('DELETE', '/severities/broken', 409, '100');
  add('DELETE', '/severities/nothing', 404, 'nothing');
  // Components.
  add('POST', '/components', 400, 'displayName', {});
  add('POST', '/components', 400, 'displayName', { displayName: 5 });
  add('POST', '/components', 400, 'labels', { displayName: 'x', labels: 'eu' });
  add('POST', '/components', 400, 'labels', { displayName: 'x', labels: ['eu'] });
  add('POST', '/components', 400, 'labels.region', { displayName: 'x', labels: { region: 1 } });
  add('PATCH', `/components/${ids.compute}`, 400, 'displayName', { displayName: '' });
  add('PATCH', `/components/${ids.compute}`, 400, 'labels.tier', { labels: { tier: null } });
  add('PATCH', '/components/12345', 400, 'componentId', { displayName: 'x' });
  add('PATCH', `/components/${UNKNOWN_ID}`, 404, UNKNOWN_ID, { displayName: 'x' });
  add('DELETE', '/components/12345', 400, 'componentId');
  add('DELETE', `/components/${UNKNOWN_ID}`, 404, UNKNOWN_ID);
  // Incidents.
  const incident = (extra) => ({ displayName: 'Bad', beganAt: '2026-11-01T10:00:00Z', ...extra });
  add('POST', '/incidents', 400, 'displayName', { beganAt: '2026-11-01T10:00:00Z' });
  add('POST', '/incidents', 400, 'displayName', incident({ displayName: 1 }));
  add('POST', '/incidents', 400, 'description', incident({ description: {} }));
  add('POST', '/incidents', 400, 'beganAt', incident({ beganAt: 'yesterday' }));
  add('POST', '/incidents', 400, 'beganAt', incident({ beganAt: 1764669600000 }));
  add('POST', '/incidents', 400, 'beganAt', incident({ beganAt: '2026-11-01 10:00:00' }));
  add('POST', '/incidents', 400, 'beganAt', incident({ beganAt: '2026-02-30T10:00:00Z' }));
  add('POST', '/incidents', 400, 'endedAt', incident({ endedAt: '2026-11-01T24:00:00Z' }));
  add('POST', '/incidents', 400, 'endedAt', incident({ endedAt: '2026-11-01T09:59:59Z' }));
  add('POST', '/incidents', 400, 'affects', incident({ affects: okImpact }));
  add('POST', '/incidents', 400, 'affects[0]', incident({ affects: ['x'] }));
  const noSeverity = { reference: ids.compute, type };
  add('POST', '/incidents', 400, 'affects[1].severity', incident({ affects: [okImpact, noSeverity] }));
  add('POST', '/incidents', 400, 'affects[0].severity', incident({ affects: [{ ...okImpact, severity: 101 }] }));
  add('POST', '/incidents', 400, 'affects[0].severity', incident({ affects: [{ ...okImpact, severity: -1 }] }));
  add('POST', '/incidents', 400, 'affects[0].severity', incident({ affects: [{ ...okImpact, severity: 'high' }] }));
  const reference = (r) => incident({ affects: [{ ...okImpact, reference: r }] });
  add('POST', '/incidents', 400, 'affects[0].reference', reference(UNKNOWN_ID));
  add('POST', '/incidents', 400, 'affects[0].reference', reference('compute'));
  add('POST', '/incidents', 400, 'affects[0].type', incident({ affects: [{ ...okImpact, type: UNKNOWN_ID }] }));
  add('POST', '/incidents', 400, 'affects[0].type', incident({ affects: [{ ...okImpact, type: 42 }] }));
  add('POST', '/incidents', 400, 'affects[0].colour', incident({ affects: [{ ...okImpact, colour: 'red' }] }));
  add('POST', '/incidents', 400, 'phase', incident({ phase: 1 }));
  add('POST', '/incidents', 400, 'phase.generation', incident({ phase: { generation: 9, order: 0 } }));
  add('POST', '/incidents', 400, 'phase.order', incident({ phase: { generation: 1, order: 5 } }));
  add('POST', '/incidents', 400, 'phase.order', incident({ phase: { generation: 2, order: -1 } }));
  add('POST', '/incidents', 400, 'phase.order', incident({ phase: { generation: 2 } }));
  add('POST', '/incidents', 400, 'phase.name', incident({ phase: { generation: 2, order: 0, name: 'x' } }));
  add('PATCH', inc, 400, 'endedAt', { endedAt: iso(now - 3_600_000) });
  add('PATCH', inc, 400, 'beganAt', { beganAt: 'soon' });
  add('PATCH', inc, 400, 'affects[0].reference', { affects: [{ ...okImpact, reference: UNKNOWN_ID }] });
  add('PATCH', inc, 400, 'affects[0].severity', { affects: [{ ...okImpact, severity: 101 }] });
  add('PATCH', inc, 400, 'phase.order', { phase: { generation: 2, order: 5 } });
  add('PATCH', inc, 400, 'displayName', { displayName: '' });
  add('PATCH', '/incidents/not-a-uuid', 400, 'incidentId', { displayName: 'x' });
  add('PATCH', `/incidents/${UNKNOWN_ID}`, 404, UNKNOWN_ID, { displayName: 'x' });
  add('DELETE', '/incidents/not-a-uuid', 400, 'incidentId');
  add('DELETE', `/incidents/${UNKNOWN_ID}`, 404, UNKNOWN_ID);
  // Incident updates.
  add('POST', `${inc}/updates`, 400, 'displayName', { description: 'x' });
  add('POST', `${inc}/updates`, 400, 'displayName', { displayName: ['x'] });
  add('POST', `${inc}/updates`, 400, 'createdAt', { displayName: 'x', createdAt: 'now' });
  add('POST', `${inc}/updates`, 400, 'createdAt', { displayName: 'x', createdAt: 17 });
  add('POST', '/incidents/not-a-uuid/updates', 400, 'incidentId', { displayName: 'x' });
  add('POST', `/incidents/${UNKNOWN_ID}/updates`, 404, UNKNOWN_ID, { displayName: 'x' });
  add('PATCH', `${inc}/updates/0`, 400, 'description', { description: false });
  add('PATCH', `${inc}/updates/0`, 400, 'createdAt', { createdAt: '2026-11-01' });
  add('PATCH', `${inc}/updates/first`, 400, 'updateOrder', { description: 'x' });
  add('PATCH', `${inc}/updates/-1`, 400, 'updateOrder', { description: 'x' });
  add('PATCH', `${inc}/updates/7`, 404, '7', { description: 'x' });
  add('PATCH', `/incidents/not-a-uuid/updates/0`, 400, 'incidentId', { description: 'x' });
  add('PATCH', `/incidents/${UNKNOWN_ID}/updates/0`, 404, UNKNOWN_ID, { description: 'x' });
  add('DELETE', `${inc}/updates/first`, 400, 'updateOrder');
  add('DELETE', `${inc}/updates/7`, 404, '7');
  add('DELETE', `/incidents/${UNKNOWN_ID}/updates/0`, 404, UNKNOWN_ID);

  const failures = [];
  const before = await snapshot();
  for (const c of cases) {
    let options = {};
    if (c.body && typeof c.body === 'object' && 'raw' in c.body) options = { rawBody: c.body.raw };
    else if (c.body !== undefined) options = { body: c.body };
    const r = await call(c.method, c.urlPath, options);
    const label = `${c.method} ${c.urlPath} ${options.rawBody ?? JSON.stringify(c.body) ?? ''}`;
    if (r.status !== c.status) {
      failures.push(`${label}: expected ${c.status}, got ${r.status} ${r.text.trim()}`);
    } else if (!r.json.message.includes(c.field)) {
      failures.push(`${label}: the message does not name '${c.field}': ${r.json.message}`);
    }
    const current = await snapshot();
    if (!isDeepStrictEqual(current, before)) {
      failures.push(`${label}: changed data`);
      // Later cases compare against what is there now.
      Object.assign(before, current);
    }
  }

  // Reads: bad ids, bad parameters and unknown ids.
  const reads = [
    ['/components/not-a-uuid', 400, 'componentId'],
    ['/impacttypes/not-a-uuid', 400, 'impactTypeId'],
    ['/incidents/not-a-uuid', 400, 'incidentId'],
    ['/incidents/not-a-uuid/updates', 400, 'incidentId'],
    ['/incidents/not-a-uuid/updates/0', 400, 'incidentId'],
    [`${inc}/updates/first`, 400, 'updateOrder'],
    ['/components?at=2026-02-30T00:00:00Z', 400, 'at'],
    [`/components/${UNKNOWN_ID}`, 404, UNKNOWN_ID],
    [`/impacttypes/${UNKNOWN_ID}`, 404, UNKNOWN_ID],
    [`/incidents/${UNKNOWN_ID}`, 404, UNKNOWN_ID],
    [`/incidents/${UNKNOWN_ID}/updates`, 404, UNKNOWN_ID],
    [`/incidents/${UNKNOWN_ID}/updates/0`, 404, UNKNOWN_ID],
    [`${inc}/updates/7`, 404, '7'],
    ['/severities/nothing', 404, 'nothing'],
  ];
  for (const [p, status, field] of reads) {
    const r = await call('GET', p);
    if (r.status !== status) failures.push(`GET ${p}: expected ${status}, got ${r.status} ${r.text.trim()}`);
    else if (!r.json.message.includes(field)) failures.push(`GET ${p}: the message does not name '${field}'`);
  }
  const total = cases.length + reads.length;
  assert.deepEqual(failures, [], `${failures.length} of ${total} bad requests were not refused as they should be`);
});

test('a write with a body other than JSON is refused with 415 and changes nothing', async () => {
  const inc = `/incidents/${ids.partition}`;
  const writes = [
    ['POST', '/phases', { phases: ['x'] }],
    ['POST', '/impacttypes', { displayName: 'Via form' }],
    ['PATCH', `/impacttypes/${ids.dataLoss}`, { description: 'x' }],
    ['POST', '/severities', { displayName: 'x', value: 10 }],
    ['PATCH', '/severities/limited', { value: 60 }],
    ['POST', '/components', { displayName: 'Via form' }],
    ['PATCH', `/components/${ids.compute}`, { displayName: 'x' }],
    ['POST', '/incidents', { displayName: 'Via form' }],
    ['PATCH', inc, { displayName: 'x' }],
    ['POST', `${inc}/updates`, { displayName: 'x' }],
    ['PATCH', `${inc}/updates/0`, { displayName: 'x' }],
  ];
  const before = await snapshot();
  for (const [m, p, body] of writes) {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', null]) {
      const r = await expect(415, m, p, { body, contentType });
      assert.match(r.json.message, /application\/json/, r.what);
    }
    // Parameters and case are fine.
    const variant = await call(m, p, { rawBody: '{', contentType: 'Application/JSON; charset=utf-8' });
    assert.equal(variant.status, 400, variant.what);
  }
  assert.deepEqual(await snapshot(), before);
});

// ---------------------------------------------------------------------------------------------------

test('tokens: every write needs a valid token; revoked and expired ones are refused; admin works', async () => {
  const inc = `/incidents/${ids.partition}`;
  const writeOps = [
    ['POST', '/phases', { phases: ['x'] }],
    ['POST', '/impacttypes', { displayName: 'Anonymous' }],
    ['PATCH', `/impacttypes/${ids.dataLoss}`, { description: 'x' }],
    ['DELETE', `/impacttypes/${ids.dataLoss}`],
    ['POST', '/severities', { displayName: 'x', value: 10 }],
    ['PATCH', '/severities/limited', { value: 60 }],
    ['DELETE', '/severities/limited'],
    ['POST', '/components', { displayName: 'Anonymous' }],
    ['PATCH', `/components/${ids.compute}`, { displayName: 'x' }],
    ['DELETE', `/components/${ids.compute}`],
    ['POST', '/incidents', { displayName: 'Anonymous' }],
    ['PATCH', inc, { displayName: 'x' }],
    ['DELETE', inc],
    ['POST', `${inc}/updates`, { displayName: 'x' }],
    ['PATCH', `${inc}/updates/0`, { displayName: 'x' }],
    ['DELETE', `${inc}/updates/0`],
  ];
  const writeKeys = new Set(writeOps.map(([m, p]) => operationFor(m, p).key));
  const specWrites = operations.filter((o) => o.method !== 'GET').map((o) => o.key);
  assert.deepEqual([...writeKeys].sort(), [...specWrites].sort(), 'every write operation of the spec is tried');

  // Wait out the expiring token (created with --expires 1s before the server started).
  const wait = expiringCreatedAt + 1_500 - Date.now();
  if (wait > 0) await sleep(wait);

  const before = await snapshot();
  const unauthorized = async (m, p, body, headers, what) => {
    const r = await call(m, p, { body, token: null, headers });
    assert.equal(r.status, 401, `${what}: ${r.what}`);
    assert.match(r.headers.get('www-authenticate') || '', /^Bearer\b/, `${what}: WWW-Authenticate on ${r.what}`);
    return r;
  };
  for (const [m, p, body] of writeOps) {
    await unauthorized(m, p, body, {}, 'no token');
    await unauthorized(m, p, body, { Authorization: `Bearer csoc_${'0'.repeat(48)}` }, 'wrong token');
    await unauthorized(m, p, body, { Authorization: `Bearer ${tokens.write}x` }, 'token with a character more');
    const basic = Buffer.from(`x:${tokens.write}`).toString('base64');
    await unauthorized(m, p, body, { Authorization: `Basic ${basic}` }, 'basic auth');
    await unauthorized(m, p, body, { Authorization: tokens.write }, 'no scheme');
    const expired = await unauthorized(m, p, body, { Authorization: `Bearer ${tokens.expiring}` }, 'expired token');
    assert.match(expired.json.message, /expired/, expired.what);
  }
  assert.deepEqual(await snapshot(), before);

  // A token with scope admin may write.
  const adminMade = await expect(201, 'POST', '/components', {
    body: { displayName: 'By admin' },
    token: tokens.admin,
  });
  await expect(204, 'DELETE', `/components/${adminMade.json.id}`, { token: tokens.admin });

  // A token works until it is revoked, from then on it does not.
  const made = await expect(201, 'POST', '/components', {
    body: { displayName: 'Before revocation' },
    token: tokens.revoked,
  });
  await csocCli('token', 'revoke', '--data-dir', dataDir, '--name', 'to-be-revoked');
  const r = await call('DELETE', `/components/${made.json.id}`, { token: tokens.revoked });
  assert.equal(r.status, 401, r.what);
  assert.match(r.json.message, /revoked/, r.what);
  assert.match(r.headers.get('www-authenticate') || '', /^Bearer\b/);
  await expect(200, 'GET', `/components/${made.json.id}`);
  await expect(204, 'DELETE', `/components/${made.json.id}`);
  // Reads need no token.
  await expect(200, 'GET', '/components', { token: null });
});

test('CORS: preflights and answers carry what the SCS web frontend needs', async () => {
  const origin = 'https://status.example.org';
  const concrete = (template) =>
    template
      .replace('{impactTypeId}', ids.dataLoss)
      .replace('{severityName}', 'limited')
      .replace('{componentId}', ids.compute)
      .replace('{incidentId}', ids.partition)
      .replace('{updateOrder}', '0');
  for (const op of operations) {
    const url = `${base}${API}${concrete(op.template)}`;
    const res = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': op.method,
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    const what = `OPTIONS ${op.template} for ${op.method}`;
    assert.equal(res.status, 204, what);
    assert.equal(res.headers.get('access-control-allow-origin'), origin, what);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true', what);
    const methods = (res.headers.get('access-control-allow-methods') || '').split(/\s*,\s*/);
    assert.ok(methods.includes(op.method), `${what}: Allow-Methods ${methods}`);
    const allowed = (res.headers.get('access-control-allow-headers') || '').toLowerCase().split(/\s*,\s*/);
    assert.ok(allowed.includes('authorization'), `${what}: Allow-Headers ${allowed}`);
    assert.ok(allowed.includes('content-type'), `${what}: Allow-Headers ${allowed}`);
  }
  // Answers (successes and errors, so the frontend can show the message) name the origin.
  const cases = [
    ['GET', '/components', 200],
    ['GET', `/incidents/${ids.partition}`, 200],
    ['GET', `/incidents/${UNKNOWN_ID}`, 404],
    ['POST', '/components', 401, { 'Content-Type': 'application/json' }, '{"displayName":"x"}'],
  ];
  for (const [method, p, status, headers = {}, body] of cases) {
    const res = await fetch(`${base}${API}${p}`, { method, headers: { Origin: origin, ...headers }, body });
    assert.equal(res.status, status, `${method} ${p}`);
    assert.equal(res.headers.get('access-control-allow-origin'), origin, `${method} ${p}`);
    assert.equal(res.headers.get('access-control-allow-credentials'), 'true', `${method} ${p}`);
    assert.match(res.headers.get('vary') || '', /\bOrigin\b/i, `${method} ${p}: Vary: Origin`);
  }
  const created = await fetch(`${base}${API}/components`, {
    method: 'POST',
    headers: { Origin: origin, Authorization: `Bearer ${tokens.write}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ displayName: 'From the frontend' }),
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('access-control-allow-origin'), origin);
  const { id } = await created.json();
  await expect(204, 'DELETE', `/components/${id}`);
});

test('restart: everything is still there, identical, and numbering continues', async () => {
  const inside = encodeURIComponent(iso(maintenance.begin + 60_000));
  const extra = [
    `/components?at=${inside}`,
    `/components/${ids.storage}?at=${inside}`,
    `/incidents?start=2021-03-01T00:00:00Z&end=2021-03-10T00:00:00Z`,
  ];
  const before = await fullSnapshot(extra);
  assert.ok(before.incidents.length >= 8 && before.components.length >= 4 && before.phases.generation === 2);
  const stopped = await stopCsoc();
  assert.deepEqual([stopped.code, stopped.signal], [0, null], `csoc stopped cleanly:\n${stopped.log}`);
  await startCsoc();
  const afterRestart = await fullSnapshot(extra);
  assert.deepEqual(afterRestart, before);

  // Generations, update orders and the seeded defaults continue where they were.
  const r = await expect(201, 'POST', '/phases', { body: { phases: ['One', 'Two'] } });
  assert.deepEqual(r.json, { generation: 3 });
  const u = await expect(201, 'POST', `/incidents/${ids.partition}/updates`, { body: { displayName: 'Post mortem' } });
  assert.deepEqual(u.json, { order: 2 });
  const types = await get('/impacttypes');
  assert.ok(!types.some((t) => t.displayName === 'Unknown'), 'a deleted default is not seeded again');
});

test('every operation of the spec was called successfully', () => {
  const missing = operations.map((o) => o.key).filter((k) => !covered.has(k));
  assert.deepEqual(missing, [], 'operations of the spec never exercised with a successful call');
});

