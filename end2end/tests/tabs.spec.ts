import { test, expect, uniqueName, open, fillCredentials } from './fixtures';

const PASSWORD = 'correct horse battery';
const storedToken = (page: import('@playwright/test').Page) =>
  page.evaluate(() => {
    const raw = localStorage.getItem('rest-auth.token');
    return raw === null ? null : (JSON.parse(raw) as string);
  });

async function signIn(page: import('@playwright/test').Page, name: string) {
  await open(page, '/login');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
}

/** Two tabs of one browser, both signed in as a new user, on one clock Playwright controls. */
async function twoTabsSignedIn(
  context: import('@playwright/test').BrowserContext,
  request: import('@playwright/test').APIRequestContext,
  prefix: string,
) {
  await context.clock.install();
  const name = uniqueName(prefix);
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  const first = await context.newPage();
  await signIn(first, name);
  const second = await context.newPage();
  await open(second, '/hello');
  await expect(second.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  return { first, second };
}

test('"Log out" ends the session on the server, not only in this browser', async ({ page, request }) => {
  const name = uniqueName('logout');
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  await signIn(page, name);
  const token = await storedToken(page);
  expect((await request.get('/api/resource', { headers: { Authorization: `Bearer ${token}` } })).status()).toBe(200);

  await page.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect(await storedToken(page)).toBeNull();
  // The token a script or an attacker might have copied is refused from now on (the page
  // does not wait for the server's answer before it navigates, so this may take a moment).
  const bearer = { headers: { Authorization: `Bearer ${token}` } };
  await expect.poll(async () => (await request.get('/api/resource', bearer)).status()).toBe(401);
  expect((await request.get('/api/token', bearer)).status()).toBe(401);
});

test('"Log out", then leaving at once: the session ends and the person goes where they went', async ({
  page,
  request,
}) => {
  const name = uniqueName('leave');
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  await signIn(page, name);
  const token = await storedToken(page);
  // A slow network (400 ms each way for this page; the test's own requests are not slowed), so
  // the logout is still on its way when the person moves on.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', {
    offline: false,
    latency: 400,
    downloadThroughput: -1,
    uploadThroughput: -1,
  });

  await page.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
  // Right after the click, as a person following a bookmark would. (A late navigation of the
  // page's own would interrupt this one.)
  await page.goto('/').catch(() => undefined);
  expect(await storedToken(page)).toBeNull();
  // The server ended the session although the page that asked is gone...
  await expect
    .poll(async () => (await request.get('/api/resource', { headers: { Authorization: `Bearer ${token}` } })).status())
    .toBe(401);
  // ...and no late navigation of the old page took the person elsewhere.
  await page.waitForTimeout(1_000);
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible();
});

test('every tab follows a logout within a second, and no renewal timer writes a token back', async ({
  context,
  request,
}) => {
  // One clock for both tabs: the renewal timer is Playwright's to fire.
  const { first, second } = await twoTabsSignedIn(context, request, 'tabs');
  const renewals: string[] = [];
  second.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/token/refresh') renewals.push(r.url());
  });

  await first.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
  await expect(first).toHaveURL(/\/login$/);
  // The other tab signs out by itself and leaves the page for signed-in users.
  await expect(second.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible({
    timeout: 1_000,
  });
  await expect(second).toHaveURL(/\/login/, { timeout: 1_000 });

  // Past the moment the second tab's renewal was due: nothing is sent, nothing written back.
  await context.clock.fastForward('20:00');
  await second.waitForTimeout(200);
  expect(renewals).toEqual([]);
  expect(await storedToken(first)).toBeNull();
  expect(await storedToken(second)).toBeNull();
  await expect(second.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible();
});

test('a renewal already on its way when another tab logs out is not kept', async ({ context, request }) => {
  const { first, second } = await twoTabsSignedIn(context, request, 'race');

  // The first tab's renewal cannot get through (its network is down), so the second tab's is
  // the one that reaches the server; its answer is held back until the first tab has logged
  // out.
  await first.route('**/api/token/refresh', (route) => route.abort());
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let answered!: () => void;
  const renewed = new Promise<void>((resolve) => (answered = resolve));
  await second.route('**/api/token/refresh', async (route) => {
    const response = await route.fetch();
    expect(response.status()).toBe(200);
    answered();
    await held;
    await route.fulfill({ response });
  });
  await context.clock.fastForward('09:30');
  await renewed;
  await first.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
  await expect(first).toHaveURL(/\/login$/);
  release();
  await expect(second.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible();
  await second.waitForTimeout(300);
  expect(await storedToken(first)).toBeNull();
  expect(await storedToken(second)).toBeNull();
});
