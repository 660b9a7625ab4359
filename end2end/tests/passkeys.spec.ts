import type { Page } from '@playwright/test';
import {
  test,
  expect,
  uniqueName,
  open,
  fillCredentials,
  addAuthenticator,
  turnOnTwoStepElsewhere,
  type Authenticator,
} from './fixtures';

// Passkeys through Chromium's own WebAuthn stack, with a virtual authenticator attached over CDP
// (not Playwright's JavaScript credential shim, which would skip the browser's origin and
// relying-party checks). The pages are at http://localhost:<port> (playwright.config.ts), the
// host name the server's passkeys belong to.

const PASSWORD = 'correct horse battery';

async function credentialCount(authenticator: Authenticator): Promise<number> {
  const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', {
    authenticatorId: authenticator.id,
  });
  return credentials.length;
}

/**
 * Chromium's virtual authenticator answers a conditional (autofill) request at once, as if the
 * person had picked the passkey from the username field's list. Tests of the button make the
 * page see a browser without passkey autofill (as some are), so only the button asks.
 */
async function withoutAutofill(page: Page) {
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
}

/** Registers `prefix-…` through the page and opens the account page. */
async function registerAndOpenAccount(page: Page, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await open(page, '/register');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  await open(page, '/account');
  await expect(page.getByRole('heading', { name: 'Passkeys' })).toBeVisible();
  await expect(page.getByText('No passkeys yet.')).toBeVisible();
  return name;
}

/** Adds a passkey on the account page and renames it to `label`. */
async function addPasskey(page: Page, label: string) {
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  const added = page.getByRole('status').filter({ hasText: 'Passkey added' });
  await expect(added).toBeVisible();
  const item = page.locator('li.passkey');
  await expect(item).toHaveCount(1);
  // Named after the browser by default.
  const browserLabel = (await item.locator('strong').textContent())!;
  await expect(added).toHaveText(`Passkey added as “${browserLabel}”. You can rename it below.`);
  await expect(item).toContainText('Not used yet');
  await page.getByRole('button', { name: `Rename passkey ${browserLabel}` }).click();
  const field = page.getByLabel(`New name for ${browserLabel}`);
  await expect(field).toBeFocused();
  await field.fill(label);
  await page.keyboard.press('Enter');
  await expect(item.locator('strong')).toHaveText(label);
}

async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  await expect(page.locator('form.credentials[data-ready]')).toBeVisible();
}

async function storedToken(page: Page): Promise<string> {
  return JSON.parse((await page.evaluate(() => localStorage.getItem('rest-auth.token')))!);
}

test('add a passkey, log out, sign in with it', async ({ page, request }) => {
  await withoutAutofill(page);
  const authenticator = await addAuthenticator(page);
  const name = await registerAndOpenAccount(page, 'pk-add');
  await addPasskey(page, 'Test laptop');
  expect(await credentialCount(authenticator)).toBe(1);

  await logOut(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  // The stored token is a session's, like a password's, and works with curl's API.
  const token = await storedToken(page);
  const resource = await request.get('/api/resource', { headers: { Authorization: `Bearer ${token}` } });
  expect(await resource.json()).toEqual({ data: `Hello, ${name}!` });
  const sessions = await (await request.get('/api/sessions', { headers: { Authorization: `Bearer ${token}` } })).json();
  const current = sessions.sessions.find((s: { current: boolean }) => s.current);
  expect(current.signed_in_with).toBe('passkey');

  // The account page says how this device signed in, and when the passkey was last used.
  await open(page, '/account');
  await expect(page.locator('.device').filter({ hasText: 'This device' })).toContainText('Signed in with a passkey');
  await expect(page.locator('li.passkey')).toContainText('Last used just now');
});

test('a removed passkey is refused with a message on the form', async ({ page }) => {
  await withoutAutofill(page);
  const authenticator = await addAuthenticator(page);
  const name = await registerAndOpenAccount(page, 'pk-rm');
  await addPasskey(page, 'Old phone');

  await page.getByRole('button', { name: 'Remove passkey Old phone' }).click();
  await expect(page.getByText('Remove Old phone? It will no longer sign you in.')).toBeVisible();
  await page.getByRole('button', { name: 'Remove passkey', exact: true }).click();
  await expect(page.getByText('No passkeys yet.')).toBeVisible();

  // The authenticator still holds it; the server no longer knows it.
  expect(await credentialCount(authenticator)).toBe(1);
  await logOut(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('alert')).toHaveText(/This passkey is not registered here\./);
  await expect(page).toHaveURL(/\/login$/);
  // The password still works.
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
});

test('a person who cancels the passkey gets a message, not an error page', async ({ page }) => {
  await withoutAutofill(page);
  const authenticator = await addAuthenticator(page);
  await registerAndOpenAccount(page, 'pk-cancel');
  await addPasskey(page, 'Laptop');
  await logOut(page);
  // The fingerprint is not recognised (or the prompt is dismissed): the browser refuses.
  await authenticator.cdp.send('WebAuthn.setUserVerified', {
    authenticatorId: authenticator.id,
    isUserVerified: false,
  });
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('alert')).toHaveText('The passkey request was cancelled or timed out.');
  await expect(page.getByRole('heading', { name: 'Log in' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign in with a passkey' })).toBeEnabled();
});

test('the username field offers passkeys in its autofill', async ({ page }) => {
  const authenticator = await addAuthenticator(page);
  const name = await registerAndOpenAccount(page, 'pk-fill');
  await addPasskey(page, 'Laptop');
  // Log out, then open the log-in page: once hydrated it holds a conditional request open,
  // which the virtual authenticator answers (a person would pick the passkey offered in the
  // username field's autofill). No button is pressed.
  // The field's hint is checked in the served page: once hydrated, the page may already have
  // signed in and moved on before a locator could look at it.
  const served = await (await page.request.get('/login')).text();
  expect(served).toMatch(/<input[^>]*autocomplete="username webauthn"/);
  await page.evaluate(() => localStorage.clear());
  await page.goto('/login');
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  expect(await credentialCount(authenticator)).toBe(1);
});

test('a browser without WebAuthn is told so', async ({ page }) => {
  await page.addInitScript(() => {
    // @ts-expect-error: removing what such a browser lacks.
    delete window.PublicKeyCredential;
  });
  await registerAndOpenAccount(page, 'pk-none');
  await expect(page.getByText('This browser cannot make passkeys.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Add a passkey' })).toHaveCount(0);
  await logOut(page);
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page.getByRole('alert')).toHaveText(
    'This browser cannot use passkeys. Log in with your password instead.',
  );
});

test('keyboard only: add a passkey and remove it', async ({ page }) => {
  await addAuthenticator(page);
  await registerAndOpenAccount(page, 'pk-keys');
  const add = page.getByRole('button', { name: 'Add a passkey' });
  await add.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('li.passkey')).toHaveCount(1);
  const label = (await page.locator('li.passkey strong').textContent())!;
  const remove = page.getByRole('button', { name: `Remove passkey ${label}` });
  await remove.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Remove passkey', exact: true }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByText('No passkeys yet.')).toBeVisible();
});

test(`"Confirm it's you" with a passkey, then the change completes`, async ({ page, request }) => {
  await withoutAutofill(page);
  const authenticator = await addAuthenticator(page);
  const name = await registerAndOpenAccount(page, 'pk-step-up');
  await addPasskey(page, 'Laptop');
  // Two-step turned on elsewhere: this session began with the password alone, which is no
  // longer every factor the account has.
  await turnOnTwoStepElsewhere(request, name, PASSWORD);
  await page.getByRole('button', { name: 'Remove passkey Laptop' }).click();
  await page.getByRole('button', { name: 'Remove passkey', exact: true }).click();

  const dialog = page.getByRole('dialog', { name: "Confirm it's you" });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('or use one of your passkeys');
  await dialog.getByRole('button', { name: 'Use a passkey' }).click();
  // The passkey confirmed it: the dialog closes and the removal goes through.
  await expect(dialog).toBeHidden();
  await expect(page.getByText('No passkeys yet.')).toBeVisible();
  expect(await credentialCount(authenticator)).toBe(1);
  const token = await storedToken(page);
  const sessions = await (await request.get('/api/sessions', { headers: { Authorization: `Bearer ${token}` } })).json();
  expect(sessions.sessions.find((s: { current: boolean }) => s.current).signed_in_with).toBe('password');
});
