import { test, expect, uniqueName, open, fillCredentials } from './fixtures';

const PASSWORD = 'correct horse battery';
// gloo-storage keeps values as JSON: the token is stored as a JSON string.
const storedToken = (page: import('@playwright/test').Page) =>
  page.evaluate(() => {
    const raw = localStorage.getItem('rest-auth.token');
    return raw === null ? null : (JSON.parse(raw) as string);
  });

test('the token is renewed before it expires; a refused renewal ends the session politely', async ({
  page,
  request,
}) => {
  // The page's clock is Playwright's: minutes pass in an instant. The server's is real.
  await page.clock.install();
  const name = uniqueName('renew');
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  await open(page, '/login');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  const first = await storedToken(page);

  // 600 s tokens are exchanged a minute before they expire.
  await page.clock.fastForward('09:30');
  await expect.poll(() => storedToken(page)).not.toBe(first);
  const renewed = await storedToken(page);
  expect(renewed, 'a new token, not none').toBeTruthy();
  const works = await request.get('/api/resource', { headers: { Authorization: `Bearer ${renewed}` } });
  expect(works.status()).toBe(200);
  await expect(page).toHaveURL(/\/hello$/);

  // Another device logs out everywhere; the next renewal is refused.
  await request.post('/api/logout', { headers: { Authorization: `Bearer ${renewed}` } });
  await page.clock.fastForward('09:30');
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('alert')).toHaveText('Your session has ended. Please log in again.');
  await expect(page.getByLabel('Username')).toHaveValue(name);
  expect(await storedToken(page)).toBeNull();

  // Logging in again from there works.
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
});

/** Signs `name` in on `page` whose clock Playwright controls; the stored token. */
async function signInOnTheClock(page: import('@playwright/test').Page, request: import('@playwright/test').APIRequestContext, prefix: string) {
  await page.clock.install();
  const name = uniqueName(prefix);
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  await open(page, '/login');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  return { name, token: (await storedToken(page))! };
}

test('a tab whose token expired while the computer slept comes back signed in', async ({ page, request }) => {
  const { name, token } = await signInOnTheClock(page, request, 'sleep');
  const refreshes: number[] = [];
  page.on('response', (response) => {
    if (new URL(response.url()).pathname === '/api/token/refresh') refreshes.push(response.status());
  });
  // The lid closed for half an hour: the token's ten minutes are long gone when the page's
  // timers run again, its session's day is not.
  await page.clock.fastForward('30:00');
  await expect.poll(() => storedToken(page)).not.toBe(token);
  expect(refreshes).toEqual([200]);
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  // The pages go on as before, without asking anyone to log in.
  await open(page, '/account');
  await expect(page.getByText(`Signed in as ${name}.`)).toBeVisible();
  await expect(page.locator('.device').filter({ hasText: 'This device' })).toHaveCount(1);
});

test('a renewal that failed for want of the network is tried again when it is back', async ({
  page,
  context,
  request,
}) => {
  const { token } = await signInOnTheClock(page, request, 'offline');
  await context.setOffline(true);
  await page.clock.fastForward('09:30');
  // Due, tried, failed: the token stays (no request reached the server).
  await page.waitForTimeout(300);
  expect(await storedToken(page)).toBe(token);
  await expect(page.getByRole('navigation').getByRole('button', { name: 'Log out' })).toBeVisible();
  const renewed = page.waitForResponse((response) => new URL(response.url()).pathname === '/api/token/refresh');
  await context.setOffline(false);
  expect((await renewed).status()).toBe(200);
  await expect.poll(() => storedToken(page)).not.toBe(token);
  await expect(page).toHaveURL(/\/hello$/);
});
