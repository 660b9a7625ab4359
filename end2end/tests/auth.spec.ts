import { test, expect, uniqueName, basic, open, fillCredentials } from './fixtures';

const PASSWORD = 'correct horse battery';

test('register, see the greeting, reload, log out', async ({ page }) => {
  const name = uniqueName('reg');
  await open(page, '/register');
  await expect(page.getByRole('heading', { name: 'Create account' })).toBeVisible();
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();

  // Registering signs the user in.
  await expect(page).toHaveURL(/\/hello$/);
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  const stored = await page.evaluate(() => localStorage.getItem('rest-auth.token'));
  expect(stored).toBeTruthy();

  // The token survives a reload.
  await page.reload();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();

  // Log out forgets it, here and after another reload.
  await page.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('rest-auth.token'))).toBeNull();
  // Signed out, the greeting page sends the user to log in, and back after.
  await open(page, '/hello');
  await expect(page).toHaveURL(/\/login\?next=(%2F|\/)hello$/);
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/hello$/);
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
});

test('log in with a password and see the greeting', async ({ page, request }) => {
  const name = uniqueName('login');
  const created = await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  expect(created.status()).toBe(201);

  await open(page, '/login');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/hello$/);
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  await expect(page.getByRole('navigation').getByRole('button', { name: 'Log out' })).toBeVisible();
});

test('a wrong password shows our message at once, never a browser prompt', async ({ page, request }) => {
  const name = uniqueName('wrong');
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });

  await open(page, '/login');
  await fillCredentials(page, name, 'not the password');
  const started = Date.now();
  await page.getByRole('button', { name: 'Log in' }).click();
  // A browser that took the 401's Basic challenge for itself would hold the request behind a
  // login prompt, and this text would never appear.
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password.', { timeout: 5_000 });
  expect(Date.now() - started).toBeLessThan(5_000);
  await expect(page).toHaveURL(/\/login$/);
  expect(await page.evaluate(() => localStorage.getItem('rest-auth.token'))).toBeNull();
  // The form is usable again right away.
  await expect(page.getByRole('button', { name: 'Log in' })).toBeEnabled();
});

test('a taken username is reported on the page', async ({ page, request }) => {
  const name = uniqueName('taken');
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });

  await open(page, '/register');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toHaveText('That username is already taken.');
  await expect(page).toHaveURL(/\/register$/);
  // A submit stopped at a field replaces that answer, which was about the earlier attempt.
  await page.getByLabel('Username').fill('has space');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByLabel('Username')).toHaveAccessibleDescription(/may only contain/);
  await expect(page.getByRole('alert')).toHaveText('');
});

test('invalid input is reported at its field and nothing is sent', async ({ page }) => {
  const sent: string[] = [];
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    // The log-in page asks for a passkey challenge once hydrated, for the username's autofill:
    // that is not the form being sent.
    if (path.startsWith('/api/') && path !== '/api/passkeys/sign-in/begin') sent.push(request.url());
  });
  await open(page, '/register');
  const username = page.getByLabel('Username');
  const password = page.getByLabel('Password', { exact: true });
  await fillCredentials(page, 'has space', PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(username).toHaveAccessibleDescription(
    'Username may only contain letters, digits, dots, dashes and underscores.',
  );
  await expect(username).toHaveAttribute('aria-invalid', 'true');
  await expect(username).toBeFocused();

  await fillCredentials(page, uniqueName('short'), 'abc');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(username).toHaveAccessibleDescription('');
  await expect(password).toHaveAccessibleDescription('Password must be at least 6 characters.');
  await expect(password).toBeFocused();

  await open(page, '/login');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByLabel('Username')).toHaveAccessibleDescription('Enter your username.');
  await expect(page.getByLabel('Password', { exact: true })).toHaveAccessibleDescription(
    'Enter your password.',
  );
  await expect(page.getByLabel('Username')).toBeFocused();
  expect(sent, 'no request for a form that breaks the rules').toEqual([]);
});

test('a user created in the UI gets a token with curl-style Basic auth', async ({ page, request }) => {
  const name = uniqueName('curl');
  await open(page, '/register');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();

  // curl -u <name>:<password> /api/token
  const tokenResponse = await request.get('/api/token', {
    headers: { Authorization: basic(name, PASSWORD) },
  });
  expect(tokenResponse.status()).toBe(200);
  const { token, duration } = await tokenResponse.json();
  expect(duration).toBe(600);

  // curl -u <token>:x /api/resource
  const resource = await request.get('/api/resource', { headers: { Authorization: basic(token, 'x') } });
  expect(resource.status()).toBe(200);
  expect(await resource.json()).toEqual({ data: `Hello, ${name}!` });

  // And the token the page keeps is an ordinary API token too.
  const pageToken = await page.evaluate(() => JSON.parse(localStorage.getItem('rest-auth.token')!));
  const viaBearer = await request.get('/api/resource', { headers: { Authorization: `Bearer ${pageToken}` } });
  expect(await viaBearer.json()).toEqual({ data: `Hello, ${name}!` });
});

test('pages are server-rendered with labelled forms before any script runs', async ({ browser }) => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto('/login');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await page.getByLabel('Username').fill('miguel');
  await page.getByLabel('Password', { exact: true }).fill('secret-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  // Without the WASM the browser submits the form itself: by POST, so the password never
  // lands in the URL, and the server sends it back to the page.
  await page.waitForLoadState();
  expect(page.url()).not.toContain('secret-password');
  expect(new URL(page.url()).pathname).toBe('/login');
  await context.close();
});

test('an expired or revoked token ends the session with a message', async ({ page }) => {
  await open(page, '/login');
  // A token the server will refuse, as an expired one would be.
  await page.evaluate(() => localStorage.setItem('rest-auth.token', JSON.stringify('eyJhbGciOiJIUzI1NiJ9.e30.bad')));
  await open(page, '/hello');
  await expect(page.getByRole('alert')).toHaveText('Your session has ended. Please log in again.');
  await expect(page.getByText('You are not signed in.')).toBeVisible();
  await expect(page.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('rest-auth.token'))).toBeNull();
});
