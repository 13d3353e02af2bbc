// Shared helpers for the node tests (tests/browser, tests/api): the csoc binary (CSOC_BINARY,
// CSOC_SOURCE_DIR), free loopback ports, starting and stopping csoc processes, waiting for HTTP
// readiness, tokens from the CLI, headless Chromium, and the same-origin check of a page's requests.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const sourceDir =
  process.env.CSOC_SOURCE_DIR || path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const binary = process.env.CSOC_BINARY || path.join(sourceDir, 'build/default/src/csoc');
export const screenshots = path.join(sourceDir, 'build', 'screenshots');

const run = promisify(execFile);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A TCP port on 127.0.0.1 that was free a moment ago.
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Starts csoc with `args`. The child collects its stdout and stderr in `child.log`; `child.exited`
// resolves to { code, signal } when it exits.
export function spawnCsoc(args) {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.log = '';
  child.stdout.on('data', (d) => (child.log += d));
  child.stderr.on('data', (d) => (child.log += d));
  child.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
  return child;
}

// SIGTERM, then SIGKILL after 15 s; resolves when the child has exited.
export async function stopProcess(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = child.exited ?? new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

// Polls `url` until it answers 200; fails when `child` exits first or `timeoutMs` passes.
export async function waitForReady(child, url, timeoutMs, pollMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`csoc exited (${child.exitCode ?? child.signalCode}) before it answered:\n${child.log}`);
    }
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`csoc did not answer at ${url} within ${timeoutMs} ms:\n${child.log}`);
    await sleep(pollMs);
  }
}

// Starts csoc (`args` must make it listen on 127.0.0.1:`port`) and waits until `readyPath` answers 200.
// Returns { proc, base, exited, log }.
export async function startCsoc(args, { port, readyPath = '/readyz', timeoutMs = 30_000 }) {
  const proc = spawnCsoc(args);
  const base = `http://127.0.0.1:${port}`;
  const s = {
    proc,
    base,
    exited: proc.exited,
    get log() {
      return proc.log;
    },
  };
  await waitForReady(proc, `${base}${readyPath}`, timeoutMs);
  return s;
}

// Runs the csoc CLI; its trimmed stdout. Rejects when it exits with an error.
export async function csocCli(...args) {
  const { stdout } = await run(binary, args);
  return stdout.trim();
}

// Creates a token with `csoc token create`; its secret.
export const createToken = (dataDir, name, scope, ...extra) =>
  csocCli('token', 'create', '--data-dir', dataDir, '--name', name, '--scope', scope, ...extra);

// Headless Chromium from the system (/usr/bin/chromium), driven by playwright-core.
export async function launchChromium() {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

// Every recorded request URL went to the origin of `base` (and at least one was recorded).
export function assertSameOrigin(requests, base) {
  assert.ok(requests.length > 0, 'no requests were recorded');
  const origin = new URL(base).origin;
  const foreign = requests.filter((u) => {
    try {
      return new URL(u).origin !== origin;
    } catch {
      return true;
    }
  });
  assert.deepEqual(foreign, [], `requests left ${origin}: ${foreign.join(', ')}`);
}
