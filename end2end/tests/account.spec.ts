import { test, expect, uniqueName, basic, open, fillCredentials, signedInElsewhere } from './fixtures';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'battery staple horse';

async function registerAndOpenAccount(page: import('@playwright/test').Page, prefix: string) {
  const name = uniqueName(prefix);
  await open(page, '/register');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  await page.getByRole('navigation').getByRole('link', { name: 'Account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { name: 'Signed-in devices' })).toBeVisible();
  return name;
}

test('signed out, the account page sends the visitor to log in and back', async ({ page, request }) => {
  const name = uniqueName('acct-in');
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  await open(page, '/account');
  await expect(page).toHaveURL(/\/login\?next=(%2F|\/)account$/);
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByText('This device')).toBeVisible();
});

test('change the password, stay signed in, log in with the new one', async ({ page, request }) => {
  const name = await registerAndOpenAccount(page, 'acct-pw');
  const before = await page.evaluate(() => localStorage.getItem('rest-auth.token'));
  // A second session elsewhere, which the change ends.
  const elsewhere = await request.get('/api/token', { headers: { Authorization: basic(name, PASSWORD) } });
  const { token: otherToken } = await elsewhere.json();

  const current = page.getByLabel('Current password');
  const fresh = page.getByLabel('New password');
  // The rules of registration, at the field.
  await current.fill(PASSWORD);
  await fresh.fill('abc');
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(fresh).toHaveAccessibleDescription('Password must be at least 6 characters.');
  await expect(fresh).toBeFocused();
  // A wrong current password, at its field.
  await current.fill('not my password');
  await fresh.fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(current).toHaveAccessibleDescription('That is not your current password.');
  await expect(current).toBeFocused();

  await current.fill(PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'password has been changed' })).toHaveText(
    'Your password has been changed. Every other device has been signed out.',
  );
  // This browser stays signed in, in a new session with a new token; every other has ended.
  await expect.poll(() => page.evaluate(() => localStorage.getItem('rest-auth.token'))).not.toBe(before);
  const mine = JSON.parse((await page.evaluate(() => localStorage.getItem('rest-auth.token')))!);
  expect((await request.get('/api/resource', { headers: { Authorization: `Bearer ${mine}` } })).status()).toBe(200);
  expect((await request.get('/api/resource', { headers: { Authorization: `Bearer ${otherToken}` } })).status()).toBe(401);
  // The token this browser held before the change is refused too (ASVS 5.0 7.2.4): only the
  // new session's token works.
  const old = JSON.parse(before!);
  expect((await request.get('/api/resource', { headers: { Authorization: `Bearer ${old}` } })).status()).toBe(401);

  await page.getByRole('navigation').getByRole('button', { name: 'Log out' }).click();
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
  await fillCredentials(page, name, NEW_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
});

test('sign another browser out from the list of devices, with the keyboard', async ({ page, browser }) => {
  const name = await registerAndOpenAccount(page, 'acct-dev');
  const { context: elsewhere, page: other } = await signedInElsewhere(browser, name, PASSWORD);

  await page.reload();
  const devices = page.getByRole('list').filter({ has: page.locator('.device') });
  await expect(devices.getByRole('listitem')).toHaveCount(2);
  // Newest first: the other browser's session, then this one.
  await expect(devices.getByRole('listitem').nth(1)).toContainText('This device');
  await expect(devices.getByRole('listitem').first()).toContainText('Chrome on Linux');
  await expect(devices.getByRole('listitem').first()).toContainText('just now');

  const signOut = page.getByRole('button', { name: /^Sign out Chrome on Linux/ });
  await signOut.focus();
  await page.keyboard.press('Enter');
  await expect(devices.getByRole('listitem')).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Sign out every other device' })).toHaveCount(0);

  // The other browser's next request is refused, and its page says the session ended.
  await other.reload();
  await expect(other.getByRole('alert')).toHaveText('Your session has ended. Please log in again.');
  await elsewhere.close();
});

test('the devices come twenty at a time, and "Show more devices" brings the rest', async ({
  page,
  request,
}) => {
  const name = await registerAndOpenAccount(page, 'acct-more');
  // Twenty-two more sign-ins elsewhere (curl's), newer than this page's own.
  for (let i = 0; i < 22; i++) {
    const signedIn = await request.get('/api/token', { headers: { Authorization: basic(name, PASSWORD) } });
    expect(signedIn.status()).toBe(200);
  }
  await page.reload();
  const devices = page.getByRole('list').filter({ has: page.locator('.device') });
  await expect(devices.getByRole('listitem')).toHaveCount(20);

  await page.getByRole('button', { name: 'Show more devices' }).click();
  await expect(devices.getByRole('listitem')).toHaveCount(23);
  // Each once: this device among them (sessions begun in the same second are ordered by id).
  await expect(devices.getByText('This device')).toHaveCount(1);
  await expect(page.getByRole('button', { name: 'Show more devices' })).toHaveCount(0);
});

test('delete the account: it says what will happen, asks "for good?", then it is gone', async ({
  page,
  request,
}) => {
  const name = await registerAndOpenAccount(page, 'acct-del');
  const section = page.getByRole('region', { name: 'Delete account' });
  await expect(section).toContainText('This cannot be undone.');
  await section.getByRole('button', { name: 'Delete my account…' }).click();
  await expect(section).toContainText('Delete your account for good?');
  await section.getByRole('button', { name: 'Keep my account' }).click();
  await expect(section.getByRole('button', { name: 'Delete my account for good' })).toHaveCount(0);

  await section.getByRole('button', { name: 'Delete my account…' }).click();
  await section.getByRole('button', { name: 'Delete my account for good' }).click();
  await expect(page).toHaveURL(/localhost:\d+\/$/);
  await expect(page.getByRole('status')).toHaveText('Your account has been deleted.');
  await expect(page.getByRole('navigation').getByRole('link', { name: 'Log in' })).toBeVisible();
  expect(await page.evaluate(() => localStorage.getItem('rest-auth.token'))).toBeNull();

  await open(page, '/login');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
  // The name is free again.
  const again = await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  expect(again.status()).toBe(201);
});

test('every control of the account page shows where the keyboard is', async ({ page }) => {
  await registerAndOpenAccount(page, 'acct-kbd');
  const controls = page.locator('main').locator('input, button, a');
  const count = await controls.count();
  expect(count).toBeGreaterThan(4);
  await page.locator('main h1').click();
  for (let i = 0; i < count; i++) {
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement;
      const style = getComputedStyle(el);
      return { inMain: !!el.closest('main'), style: style.outlineStyle, width: style.outlineWidth };
    });
    if (!outline.inMain) break;
    expect(outline.style, 'a visible focus outline').not.toBe('none');
    expect(outline.width).not.toBe('0px');
  }
});
