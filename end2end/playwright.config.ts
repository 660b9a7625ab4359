import { defineConfig, chromium } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';

// Tests run against the release build, started here on its own port and its own database.
const port = Number(process.env.E2E_PORT ?? 3400);
// localhost, not 127.0.0.1: passkeys belong to a host name (PUBLIC_URL defaults to
// http://localhost:<port>), and browsers treat localhost as a secure origin.
const baseURL = `http://localhost:${port}`;
const repoRoot = path.resolve(__dirname, '..');

// Prefer the browser Playwright manages (a laptop after `npx playwright install`); where there
// is none (these build machines cannot download one), fall back to the system's Chromium.
function browserLaunchOptions() {
  let bundled = '';
  try {
    bundled = chromium.executablePath();
  } catch {
    // No browser registry entry at all.
  }
  if (process.env.CHROMIUM_PATH === undefined && bundled && fs.existsSync(bundled)) {
    return {};
  }
  const system = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser']
    .find((candidate) => candidate && fs.existsSync(candidate));
  if (!system) {
    throw new Error('No Chromium found: run `npx playwright install chromium` or install chromium');
  }
  return {
    executablePath: system,
    args: [
      // As root (CI) Chromium refuses to start sandboxed.
      '--no-sandbox',
      '--disable-gpu',
      // No network beyond localhost here: keep Chromium from trying.
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  };
}

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    launchOptions: browserLaunchOptions(),
    trace: 'off',
    screenshot: 'off',
  },
  webServer: {
    // A fresh data directory each run: new database, new generated secret key.
    command:
      'rm -rf target/e2e-data && mkdir -p target/e2e-data && exec ./target/release/rest-auth',
    cwd: repoRoot,
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      DATA_DIR: 'target/e2e-data',
      DATABASE_URL: 'sqlite:target/e2e-data/e2e.db',
      LEPTOS_SITE_ADDR: `127.0.0.1:${port}`,
      LEPTOS_SITE_ROOT: 'target/site',
      RUST_LOG: 'warn',
    },
  },
});
