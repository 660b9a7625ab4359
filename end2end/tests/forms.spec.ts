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
  await page.getByLabel('Username').fill('has space');
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.keyboard.press('Enter');
  const alert = page.getByRole('alert');
  await expect(alert).toHaveText(/Username may only contain/);
  await expect(alert).toBeFocused();
  // Shift+Tab back through the form to the username field, fix it, submit with Enter.
  const name = uniqueName('keys');
  await page.getByLabel('Username').focus();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(name);
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/\/hello$/);
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
});

test('a log-in link from elsewhere never leaves the site', async ({ page, request }) => {
  const name = uniqueName('next');
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  await open(page, '/login?next=https://example.org/');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/hello$/);
});
