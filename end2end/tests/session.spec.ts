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
