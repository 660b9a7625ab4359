import { test, expect, uniqueName, basic, open, fillCredentials, signedInElsewhere } from './fixtures';

const PASSWORD = 'correct horse battery';

test('too many failed logins: the page says how long to wait', async ({ page, request }) => {
  const name = uniqueName('locked');
  const created = await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  expect(created.status()).toBe(201);
  // The default limit: 10 failures per username.
  for (let i = 0; i < 10; i++) {
    const refused = await request.get('/api/token', {
      headers: { Authorization: basic(name, `guess-${i}`) },
    });
    expect(refused.status()).toBe(401);
  }

  await open(page, '/login');
  // Even the right password is refused until the lock expires.
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText(
    /^Too many attempts, try again in \d+ seconds\.$/,
  );
  await expect(page).toHaveURL(/\/login$/);
  expect(await page.evaluate(() => localStorage.getItem('rest-auth.token'))).toBeNull();
});

test('"Log out everywhere" ends every session of the account', async ({ page, browser, request }) => {
  const name = uniqueName('everywhere');
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });

  // A second browser, signed in as the same user.
  const { context: elsewhere, page: other } = await signedInElsewhere(browser, name, PASSWORD);
  // And a script holding a token.
  const tokenResponse = await request.get('/api/token', { headers: { Authorization: basic(name, PASSWORD) } });
  const { token } = await tokenResponse.json();

  await open(page, '/login');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  await page.getByRole('button', { name: 'Log out everywhere' }).click();

  await expect(page).toHaveURL(/\/login$/);
  expect(await page.evaluate(() => localStorage.getItem('rest-auth.token'))).toBeNull();

  // The other browser's session has ended too.
  await other.reload();
  await expect(other.getByRole('alert')).toHaveText('Your session has ended. Please log in again.');
  await elsewhere.close();
  // And so has the script's token.
  const refused = await request.get('/api/resource', { headers: { Authorization: `Bearer ${token}` } });
  expect(refused.status()).toBe(401);

  // Logging in again works.
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
});
