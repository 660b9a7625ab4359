import { test, expect, uniqueName, open, fillCredentials } from './fixtures';

const PASSWORD = 'correct horse battery';

test('the navigation bar shows who is signed in', async ({ page }) => {
  const name = uniqueName('nav');
  await open(page, '/register');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/hello$/);
  const nav = page.getByRole('navigation');
  await expect(nav.getByText(name, { exact: true })).toBeVisible();
  await expect(nav.getByRole('button', { name: 'Log out' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Log in' })).toHaveCount(0);
  await page.reload();
  await expect(nav.getByText(name, { exact: true })).toBeVisible();
});

test('show password reveals what was typed', async ({ page }) => {
  await open(page, '/login');
  const password = page.getByLabel('Password', { exact: true });
  await password.fill('s3cret-typed');
  await expect(password).toHaveAttribute('type', 'password');
  await page.getByLabel('Show password').check();
  await expect(password).toHaveAttribute('type', 'text');
  await expect(password).toHaveValue('s3cret-typed');
  await page.getByLabel('Show password').uncheck();
  await expect(password).toHaveAttribute('type', 'password');
});

test('an error takes the focus, and the keyboard alone can fix it', async ({ page }) => {
  await open(page, '/register');
  const username = page.getByLabel('Username');
  await username.fill('has space');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.keyboard.press('Enter');
  await expect(username).toBeFocused();
  await expect(username).toHaveAccessibleDescription(/Username may only contain/);
  // Fix it from the keyboard and submit with Enter.
  const name = uniqueName('keys');
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(name);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/hello$/);
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
});

test('fields are checked as the user types, after leaving them once', async ({ page }) => {
  await open(page, '/register');
  const username = page.getByLabel('Username');
  const password = page.getByLabel('Password', { exact: true });
  // Tabbing through empty fields says nothing.
  await username.focus();
  await page.keyboard.press('Tab');
  await expect(username).toHaveAccessibleDescription('');

  await username.fill('x'.repeat(33));
  await expect(username).toHaveAccessibleDescription('', { timeout: 1_000 });
  await password.focus(); // leaving the field judges it
  await expect(username).toHaveAccessibleDescription('Username must be at most 32 characters.');
  await expect(username).toHaveAttribute('aria-invalid', 'true');
  // From now on each keystroke re-checks it: one Backspace makes it valid, with no submit.
  await username.focus();
  await page.keyboard.press('End');
  await page.keyboard.press('Backspace');
  await expect(username).toHaveAccessibleDescription('');
  await expect(username).not.toHaveAttribute('aria-invalid', 'true');
  await page.keyboard.press('Backspace');
  await page.keyboard.type('é');
  await expect(username).toHaveAccessibleDescription(/may only contain letters/);
  await page.keyboard.press('Backspace');
  await expect(username).toHaveAccessibleDescription('');

  await password.fill('abc');
  await username.focus();
  await expect(password).toHaveAccessibleDescription('Password must be at least 6 characters.');
  await password.fill('abcdef');
  await expect(password).toHaveAccessibleDescription('');
  await password.fill('p'.repeat(257));
  await expect(password).toHaveAccessibleDescription('Password must be at most 256 characters.');
});

test('a log-in link from elsewhere never leaves the site', async ({ page, request }) => {
  const name = uniqueName('next');
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  await open(page, '/login?next=https://example.org/');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/localhost:\d+\/hello$/);
});
