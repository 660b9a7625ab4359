// The log-in page as a visitor on a mid-range phone meets it: Chromium with the network at
// 1.6 Mbit/s down, 150 ms round trip, the CPU slowed 4 times, a cold cache (Chrome DevTools
// Protocol emulation, through Playwright). Run by scripts/bench.py against a running server:
//
//   node scripts/pageload.mjs http://127.0.0.1:3000 5 [path] [ready selector]
//   node scripts/pageload.mjs http://127.0.0.1:3000 5 --sign-in <username> <password>
//
// Prints JSON: for each run, when the page first painted and when it became interactive (the
// log-in form's island hydrated: `form[data-ready]`, or the selector given), in ms from the
// start of navigation; every URL the page loaded (until its network was quiet for a second),
// those of them that had arrived when it became interactive (the last visit's), and the
// protocols they came over (`h2` behind a TLS proxy). An https base may use a self-signed
// certificate (the benchmark's proxy).
//
// `--sign-in`: a person signing in as they would. The username and password are typed as soon
// as the form has painted and the form is sent at once, whatever the WebAssembly is doing
// (before it, the browser posts the form and the server completes it). For each run: when the
// form was in the page, when the page first painted, whether the form was sent before its
// island had hydrated, and when the person was signed in: the
// token stored and `/hello` painted (its first contentful paint), in ms from the start of the
// log-in page's navigation.
import { createRequire } from 'node:module';
import fs from 'node:fs';

const require = createRequire(new URL('../end2end/package.json', import.meta.url));
const { chromium } = require('@playwright/test');

const [base, runsArg, ...rest] = process.argv.slice(2);
const runs = Number(runsArg ?? 5);
const signIn = rest[0] === '--sign-in' ? { username: rest[1], password: rest[2] } : null;
const [path = '/login', ready = 'form[data-ready]'] = signIn ? [] : rest;

// The browser the tests use: Playwright's own, else the system's Chromium.
function launchOptions() {
  let bundled = '';
  try {
    bundled = chromium.executablePath();
  } catch {}
  if (bundled && fs.existsSync(bundled)) return {};
  const system = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
  return {
    executablePath: system,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  };
}

const browser = await chromium.launch(launchOptions());
const results = [];
let urls = [];
let beforeReadyUrls = [];
const protocols = new Set();
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // A cold cache: a new context starts with an empty one, and the page-load visit keeps it
  // off. The sign-in visit keeps it on, as a browser does: `/hello` reuses what `/login` had
  // already fetched (the stylesheet, the main module), as it would for a person.
  if (!signIn) await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 150,
    downloadThroughput: (1.6e6 / 8),
    uploadThroughput: (750e3 / 8),
  });
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const loaded = [];
  let inFlight = 0;
  let lastActivity = Date.now();
  const methods = new Map();
  cdp.on('Network.requestWillBeSent', (event) => {
    methods.set(event.requestId, event.request.method);
    inFlight++;
    lastActivity = Date.now();
  });
  for (const done of ['Network.loadingFinished', 'Network.loadingFailed']) {
    cdp.on(done, () => { inFlight--; lastActivity = Date.now(); });
  }
  cdp.on('Network.responseReceived', (event) => {
    // The page's files; not the API calls its island makes (the passkey autofill's POST).
    if (methods.get(event.requestId) === 'GET') loaded.push(event.response.url);
    if (event.response.protocol) protocols.add(event.response.protocol);
  });
  await page.addInitScript((selector) => {
    new MutationObserver((_, observer) => {
      if (document.querySelector(selector)) {
        window.__interactiveAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, childList: true, attributes: true });
    // When the form first was in the page (sign-in visits).
    new MutationObserver((_, observer) => {
      if (document.querySelector('form.credentials #password')) {
        window.__formAt = performance.now();
        observer.disconnect();
      }
    }).observe(document, { subtree: true, childList: true });
  }, ready);
  let timing;
  if (signIn) {
    timing = await signInVisit(page);
  } else {
    await page.goto(base + path, { waitUntil: 'load', timeout: 60_000 });
    await page.waitForFunction(() => window.__interactiveAt !== undefined, null, { timeout: 60_000 });
    timing = await page.evaluate(() => ({
      interactive: window.__interactiveAt,
      firstPaint: performance.getEntriesByName('first-paint')[0]?.startTime ?? null,
      firstContentfulPaint:
        performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
      // The files that had arrived when the form became ready (the page itself, and resources).
      beforeReady: [location.href].concat(performance.getEntriesByType('resource')
        .filter((entry) => entry.responseEnd <= window.__interactiveAt)
        .map((entry) => entry.name)),
    }));
  }
  // The whole first visit, not only what came before the form was ready: what the page fetches
  // after (the passkey code, which the autofill loads right after hydration) counts too. It is
  // over once the network has been quiet for a second.
  // (A sign-in visit moves to other pages, whose requests the count cannot follow: not waited.)
  while (!signIn && (inFlight > 0 || Date.now() - lastActivity < 1000)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const { beforeReady, ...times } = timing;
  results.push(times);
  urls = [...new Set(loaded)];
  beforeReadyUrls = beforeReady;
  await context.close();
}
await browser.close();

/** The sign-in visit (`--sign-in`): typed and sent as soon as the form has painted. */
async function signInVisit(page) {
  await page.goto(base + '/login', { waitUntil: 'commit', timeout: 60_000 });
  // Painted: the form is in the page and the browser has painted it.
  await page.waitForFunction(
    () => window.__formAt !== undefined && performance.getEntriesByName('first-paint').length > 0,
    null, { timeout: 60_000, polling: 10 });
  const start = await page.evaluate(() => ({
    origin: performance.timeOrigin,
    formAt: window.__formAt,
    firstPaint: performance.getEntriesByName('first-paint')[0].startTime,
  }));
  await page.fill('#username', signIn.username);
  await page.fill('#password', signIn.password);
  // Whether the island had hydrated by the time the form was sent: if not, the browser posts
  // it and the server completes it.
  const sentBeforeReady = await page.evaluate(() => !document.querySelector('form[data-ready]'));
  await page.click('form.credentials button[type=submit]');
  await page.waitForURL((url) => url.pathname === '/hello', { timeout: 60_000, waitUntil: 'commit' });
  await page.waitForFunction(
    () => localStorage.getItem('rest-auth.token') !== null
      && performance.getEntriesByName('first-contentful-paint').length > 0,
    null, { timeout: 60_000, polling: 10 });
  const signedIn = await page.evaluate(() => performance.timeOrigin
    + performance.getEntriesByName('first-contentful-paint')[0].startTime);
  return {
    formAt: start.formAt,
    firstPaint: start.firstPaint,
    sentBeforeReady,
    signedIn: signedIn - start.origin,
    beforeReady: [],
  };
}

console.log(JSON.stringify({ runs: results, urls, beforeReadyUrls, protocols: [...protocols] }));
