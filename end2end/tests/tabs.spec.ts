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

/** Two tabs of one browser, both signed in as a new user, on one clock Playwright controls;
 * every page counts the tokens it writes to localStorage (`tokenWrites`). */
async function twoTabsSignedIn(
  context: import('@playwright/test').BrowserContext,
  request: import('@playwright/test').APIRequestContext,
  prefix: string,
  secondPath = '/hello',
) {
  await context.clock.install();
  await context.addInitScript(() => {
    // Playwright's clock numbers its timers from 10^12; a browser numbers them from 1, and the
    // WebAssembly bindings read an id as a 32-bit integer (a bigger one could never be
    // cleared). Small ids, as a browser gives, in front of the clock's.
    const set = window.setTimeout;
    const clear = window.clearTimeout;
    const ids = new Map<number, ReturnType<typeof setTimeout>>();
    let next = 1;
    window.setTimeout = ((handler: TimerHandler, delay?: number, ...rest: unknown[]) => {
      const id = next++;
      ids.set(id, set(handler, delay, ...rest));
      return id;
    }) as typeof window.setTimeout;
    window.clearTimeout = ((id?: number) => {
      const real = id === undefined ? undefined : ids.get(id);
      if (real !== undefined) clear(real);
    }) as typeof window.clearTimeout;
  });
  await context.addInitScript(() => {
    const setItem = Storage.prototype.setItem;
    const counted = window as unknown as { tokenWrites: number };
    counted.tokenWrites = 0;
    Storage.prototype.setItem = function (key: string, value: string) {
      if (key === 'rest-auth.token') counted.tokenWrites += 1;
      return setItem.call(this, key, value);
    };
  });
  const name = uniqueName(prefix);
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  const first = await context.newPage();
  await signIn(first, name);
  const second = await context.newPage();
  await open(second, secondPath);
  await expect(second.getByRole('navigation').getByText(name)).toBeVisible();
  return { first, second, name };
}

const tokenWrites = (page: import('@playwright/test').Page) =>
  page.evaluate(() => (window as unknown as { tokenWrites: number }).tokenWrites);

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
  // One clock for every tab: the renewal timers are Playwright's to fire.
  const { first, second, name } = await twoTabsSignedIn(context, request, 'tabs');
  // A third tab on a page anyone may see: it stays, so its renewal timer is still there to fire.
  const third = await context.newPage();
  await open(third, '/');
  await expect(third.getByRole('navigation').getByText(name)).toBeVisible();
  const renewals: string[] = [];
  third.on('request', (r) => {
    if (new URL(r.url()).pathname === '/api/token/refresh') renewals.push(r.url());
  });

  await first.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
  await expect(first).toHaveURL(/\/login$/);
  // The tab on a page for signed-in users signs out by itself and leaves it...
  await expect(second.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible({
    timeout: 1_000,
  });
  await expect(second).toHaveURL(/\/login/, { timeout: 1_000 });
  // ...and the one on the home page signs out where it is.
  await expect(third.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible({
    timeout: 1_000,
  });
  await expect(third).toHaveURL(/\/$/);

  // Past the moment the third tab's renewal was due: nothing is sent, nothing written back.
  const written = await tokenWrites(third);
  await context.clock.runFor('20:00');
  await expect(third).toHaveURL(/\/$/);
  expect(renewals).toEqual([]);
  expect(await tokenWrites(third)).toBe(written);
  expect(await storedToken(third)).toBeNull();
  await expect(third.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible();
});

test('a renewal already on its way when another tab logs out is not kept', async ({ context, request }) => {
  // The second tab on a page anyone may see, so it stays for the answer after the logout.
  const { first, second } = await twoTabsSignedIn(context, request, 'race', '/');

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
  await expect(second.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible();
  const written = await tokenWrites(second);
  // The renewal's answer arrives only now, with a token of the ended session: the page reads
  // it (its body is whole when the request has finished) and writes nothing.
  const finished = second.waitForEvent(
    'requestfinished',
    (r) => new URL(r.url()).pathname === '/api/token/refresh',
  );
  release();
  await finished;
  await second.evaluate(() => new Promise((resolve) => queueMicrotask(() => resolve(null))));
  expect(await tokenWrites(second)).toBe(written);
  // One storage for both tabs (one origin): read once.
  expect(await storedToken(second)).toBeNull();
  await expect(second.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible();
});
