import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type CDPSession, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** A username no other test (or earlier run) has used: at most 32 characters. */
export function uniqueName(prefix: string): string {
  const random = Math.random().toString(36).slice(2, 8);
  return `${prefix}-${Date.now().toString(36)}${random}`.slice(0, 32);
}

export function basic(user: string, password: string): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}

/**
 * Every test fails on a console error, an uncaught exception or a hydration warning.
 * 4xx answers of /api and /oauth are expected in the tests that provoke them (Chromium logs each one as
 * "Failed to load resource"), as is the 404 of a page the tests call /no-such-…; those alone
 * are not counted.
 *
 * `withoutWasm` (`test.use({ withoutWasm: true })`): every `.wasm` request is aborted, as on a
 * browser whose WebAssembly never arrives; the errors that alone causes (the failed fetches,
 * the module's init that rejects) are not counted either.
 */
export const test = base.extend<{ problems: string[]; withoutWasm: boolean }>({
  withoutWasm: [false, { option: true }],
  problems: [
    async ({ page, withoutWasm }, use) => {
      const problems: string[] = [];
      if (withoutWasm) {
        await page.route('**/*.wasm', (route) => route.abort());
      }
      const wasmFailure = (text: string) =>
        withoutWasm && /ERR_FAILED|WebAssembly|Failed to fetch|fetch/i.test(text);
      page.on('pageerror', (error) => {
        if (!wasmFailure(error.message)) problems.push(`pageerror: ${error.message}`);
      });
      page.on('console', (message) => {
        const text = message.text();
        const path = new URL(message.location().url, 'http://x').pathname;
        const expectedApiAnswer =
          /Failed to load resource: the server responded with a status of 4\d\d/.test(text) &&
          (path.startsWith('/api/') || path.startsWith('/oauth/') || path.startsWith('/no-such-'));
        // A request the page makes while a test has taken the network away.
        const offline = /net::ERR_INTERNET_DISCONNECTED/.test(text);
        // A refused form, rendered again by the server with its status (401, 409, 429, 403).
        const refusedForm =
          /Failed to load resource: the server responded with a status of 4\d\d/.test(text) &&
          ['/login', '/register'].includes(path);
        if (
          message.type() === 'error' &&
          !expectedApiAnswer &&
          !offline &&
          !refusedForm &&
          !wasmFailure(text)
        ) {
          problems.push(`console.error: ${text} (${message.location().url})`);
        } else if (/hydrat/i.test(text) && message.type() !== 'log') {
          problems.push(`${message.type()}: ${text}`);
        }
      });
      page.on('dialog', (dialog) => {
        problems.push(`unexpected dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });
      await use(problems);
      expect(problems, 'console errors, page errors, hydration warnings').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/**
 * Opens `path` and waits until the page is interactive: the stored session is known (the
 * navigation bar's island has hydrated) and every form's island has hydrated (`data-ready`).
 */
export async function open(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.locator('header.site-header')).not.toHaveAttribute('data-session', 'unknown');
  await expect(page.locator('form:not([data-ready])')).toHaveCount(0);
}

/** Fills the username and password fields, once the form's island has hydrated. */
export async function fillCredentials(page: Page, username: string, password: string) {
  await expect(page.locator('form.credentials[data-ready]').first()).toBeVisible();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
}

/** A second browser (context) signed in as `name` on its greeting page; close it when done. */
export async function signedInElsewhere(browser: import('@playwright/test').Browser, name: string, password: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await open(page, '/login');
  await fillCredentials(page, name, password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  return { context, page };
}

export interface Authenticator {
  cdp: CDPSession;
  id: string;
}

/**
 * A platform authenticator (like a laptop's fingerprint reader) that keeps discoverable keys, attached
 * to Chromium's own WebAuthn stack over CDP.
 */
export async function addAuthenticator(page: Page, isUserVerified = true): Promise<Authenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

/**
 * The code an authenticator app shows for a setup key (RFC 6238: HMAC-SHA-1, 30 s steps, six
 * digits), `stepsBack` steps before now: computed here, independently of the server.
 */
export function totpCode(setupKey: string, stepsBack = 0): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of setupKey.replace(/[\s=]/g, '').toUpperCase()) {
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  }
  const bytes = Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
  const step = Math.floor(Date.now() / 1000 / 30) - stepsBack;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', bytes).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

/** Waits, when fewer than 4 s of the current 30 s step are left, for the next one. */
export async function freshTotpStep(): Promise<void> {
  const intoStep = (Date.now() / 1000) % 30;
  if (intoStep >= 26) await new Promise((resolve) => setTimeout(resolve, (30 - intoStep) * 1000 + 200));
}

/**
 * Turns two-step verification on for `name` through the API, as curl would (a password request
 * is itself a recent full authentication): the setup key. A page signed in before this, with the
 * password alone, now has to confirm it is the owner (password and code) before any change.
 */
export async function turnOnTwoStepElsewhere(
  request: import('@playwright/test').APIRequestContext,
  name: string,
  password: string,
): Promise<string> {
  const headers = { Authorization: basic(name, password) };
  const begun = await request.post('/api/users/me/totp', { headers });
  expect(begun.status()).toBe(200);
  const key = (await begun.json()).secret as string;
  await freshTotpStep();
  const confirmed = await request.put('/api/users/me/totp', { headers, data: { code: totpCode(key, 1) } });
  expect(confirmed.status()).toBe(200);
  return key;
}

/**
 * Where `secret` can be found in `page` now: its storage, its form fields, its live JavaScript
 * objects (a heap snapshot, taken after a garbage collection) and its WebAssembly memory. Empty
 * when it is nowhere.
 */
export async function placesHolding(page: Page, secret: string): Promise<string[]> {
  const places: string[] = [];
  const inPage = await page.evaluate((secret) => {
    const found: string[] = [];
    for (const storage of [localStorage, sessionStorage]) {
      for (let i = 0; i < storage.length; i++) {
        const key = storage.key(i)!;
        if (storage.getItem(key)!.includes(secret)) found.push(`storage ${key}`);
      }
    }
    for (const input of Array.from(document.querySelectorAll('input'))) {
      if (input.value.includes(secret)) found.push(`input #${input.id}`);
    }
    if (document.documentElement.outerHTML.includes(secret)) found.push('the document');
    return found;
  }, secret);
  places.push(...inPage);
  const cdp = await page.context().newCDPSession(page);
  // Live JavaScript objects: the snapshot holds every reachable string.
  let snapshot = '';
  cdp.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => {
    snapshot += chunk;
  });
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  if (snapshot.includes(secret)) places.push('a live JavaScript object');
  await cdp.detach();
  // The page's WebAssembly memory, byte for byte (its module, imported again, is the same
  // instance, and its init answers the running instance's exports).
  const hits = await page.evaluate(async (secret) => {
    const glue = document.querySelector<HTMLLinkElement>('link[rel="modulepreload"]')!.href;
    const exports = await (await import(glue)).default();
    const bytes = new Uint8Array(exports.memory.buffer);
    const needle = new TextEncoder().encode(secret);
    let found = 0;
    outer: for (let i = bytes.indexOf(needle[0]); i !== -1; i = bytes.indexOf(needle[0], i + 1)) {
      for (let j = 1; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
      found++;
    }
    return { found, size: bytes.length };
  }, secret);
  expect(hits.size, 'the page has its WebAssembly memory').toBeGreaterThan(0);
  if (hits.found > 0) places.push(`WebAssembly memory (${hits.found} copies)`);
  return places;
}

/** axe-core's serious and critical violations of WCAG 2.x A and AA (colour contrast included). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/**
 * Registers an application (OpenID Connect client) with the command line, as an operator does,
 * on the test server's database (playwright.config.ts): its id and secret.
 */
export function addClient(
  name: string,
  redirectUri: string,
  afterLogout?: string,
): { client_id: string; client_secret: string } {
  const args = ['client', 'add', name, '--redirect-uri', redirectUri];
  if (afterLogout) args.push('--post-logout-redirect-uri', afterLogout);
  const output = execFileSync('./target/release/rest-auth', args, {
    cwd: path.resolve(__dirname, '..', '..'),
    env: {
      ...process.env,
      DATA_DIR: 'target/e2e-data',
      DATABASE_URL: 'sqlite:target/e2e-data/e2e.db',
      RUST_LOG: 'warn',
    },
  });
  return JSON.parse(output.toString());
}
