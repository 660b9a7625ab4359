import type { Page } from '@playwright/test';
import {
  test,
  expect,
  uniqueName,
  open,
  fillCredentials,
  totpCode,
  freshTotpStep,
  placesHolding,
  turnOnTwoStepElsewhere,
} from './fixtures';

// Two-step verification through the pages: set up from /account (the setup key read off the
// page, codes computed here as an authenticator app would), then the log-in page's second
// step. No virtual authenticator is attached: the log-in page's passkey autofill stays idle.

const PASSWORD = 'correct horse battery';
const WRONG_CODE = 'That code is not correct, or was used already.';

async function register(page: Page, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await open(page, '/register');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  return name;
}

/** Turns two-step verification on from /account: the setup key and the recovery codes. */
async function setUp(page: Page): Promise<{ key: string; codes: string[] }> {
  await open(page, '/account');
  await expect(page.getByText('Two-step verification is off.')).toBeVisible();
  await page.getByRole('button', { name: 'Set up two-step verification' }).click();
  await expect(page.getByRole('img', { name: /QR code/ })).toBeVisible();
  const key = (await page.locator('code.setup-key').textContent())!.replace(/\s/g, '');
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  const field = page.getByLabel('2. Code from your authenticator app');
  await expect(field).toHaveAttribute('autocomplete', 'one-time-code');
  await expect(field).toHaveAttribute('inputmode', 'numeric');
  // The previous step's code: the current one stays unused for the sign-in that follows.
  await freshTotpStep();
  await field.fill(totpCode(key, 1));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await expect(page.getByRole('heading', { name: 'Your recovery codes' })).toBeVisible();
  const codes = await page.locator('ol.recovery-codes code').allTextContents();
  expect(codes).toHaveLength(10);
  for (const code of codes) expect(code).toMatch(/^([a-z2-7]{4}-){5}[a-z2-7]{4}$/);
  return { key, codes };
}

async function logOut(page: Page) {
  const logOutButton = page.getByRole('navigation').getByRole('button', { name: 'Log out' });
  await logOutButton.click();
  await expect(logOutButton).toHaveCount(0);
}

/** The first step of the log-in: the password, after which the page asks for the code. */
async function passwordStep(page: Page, name: string) {
  await open(page, '/login');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  const code = page.getByLabel('Code from your authenticator app, or a recovery code');
  await expect(code).toBeFocused();
  await expect(code).toHaveAttribute('autocomplete', 'one-time-code');
  await expect(code).toHaveAttribute('inputmode', 'numeric');
  // The username and password are not asked for again.
  await expect(page.getByLabel('Password', { exact: true })).toHaveCount(0);
  return code;
}

test('two-step set up from the account page, then the log-in asks for a code', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const name = await register(page, 'totp');
  const { key, codes } = await setUp(page);
  await page.getByRole('button', { name: 'Copy codes' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Copied.' })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(codes.join('\n'));
  await page.getByRole('button', { name: 'I have saved them' }).click();
  await expect(page.getByText('Two-step verification is on.')).toBeVisible();
  await expect(page.getByText('10 recovery codes left')).toBeVisible();
  await expect(page.locator('ol.recovery-codes')).toHaveCount(0);

  // Password, then a wrong code (refused, the step kept), then the right one.
  await logOut(page);
  const code = await passwordStep(page, name);
  // The code step holds the server's ticket, never the password: it is nowhere in the page.
  // (The search finds what the step does keep: the name, shown and held in the WebAssembly.)
  expect(await placesHolding(page, PASSWORD)).toEqual([]);
  expect(await placesHolding(page, name)).toEqual(
    expect.arrayContaining(['the document', expect.stringMatching(/^WebAssembly memory/)]),
  );
  const current = totpCode(key);
  await code.fill(current === '000000' ? '111111' : '000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('#code-problem')).toContainText(WRONG_CODE);
  await expect(code).toHaveAttribute('aria-invalid', 'true');
  await code.fill(totpCode(key));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  await open(page, '/account');
  await expect(page.locator('.device').filter({ hasText: 'This device' })).toContainText(
    'Signed in with password and code',
  );

  // A recovery code signs in once.
  await logOut(page);
  await (await passwordStep(page, name)).fill(codes[3]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  await open(page, '/account');
  await expect(page.getByText('9 recovery codes left')).toBeVisible();
  await logOut(page);
  const again = await passwordStep(page, name);
  await again.fill(codes[3]);
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.locator('#code-problem')).toContainText(WRONG_CODE);
  // "Start over" goes back to the password.
  await page.getByRole('link', { name: 'Start over' }).click();
  await expect(page.getByLabel('Password', { exact: true })).toBeVisible();
});

test('new recovery codes and turning two-step off, by keyboard, each asking "are you sure?"', async ({ page }) => {
  const name = await register(page, 'totp-keys');
  const { codes } = await setUp(page);
  await page.getByRole('button', { name: 'I have saved them' }).focus();
  await page.keyboard.press('Enter');

  // Signed in moments ago, and with the code just now: no need to confirm it is the owner.
  await page.getByRole('button', { name: 'New recovery codes' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Make new codes' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Your recovery codes' })).toBeVisible();
  const fresh = await page.locator('ol.recovery-codes code').allTextContents();
  expect(fresh).toHaveLength(10);
  expect(fresh).not.toContain(codes[0]);
  await page.getByRole('button', { name: 'I have saved them' }).focus();
  await page.keyboard.press('Enter');

  await page.getByRole('button', { name: 'Turn off' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Cancel' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByText('Two-step verification is on.')).toBeVisible();
  await page.getByRole('button', { name: 'Turn off' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Turn off two-step verification' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByText('Two-step verification is off.')).toBeVisible();

  // A password alone signs in again.
  await logOut(page);
  await open(page, '/login');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
});

test(`"Confirm it's you" asks for the password and a code, by keyboard, then the change completes`, async ({
  page,
  request,
}) => {
  const name = await register(page, 'step-up');
  // Two-step turned on elsewhere: this page's session began with the password alone.
  const key = await turnOnTwoStepElsewhere(request, name, PASSWORD);
  await open(page, '/account');
  await expect(page.getByText('Two-step verification is on.')).toBeVisible();
  await page.getByRole('button', { name: 'New recovery codes' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Make new codes' }).focus();
  await page.keyboard.press('Enter');

  const dialog = page.getByRole('dialog', { name: "Confirm it's you" });
  await expect(dialog).toBeVisible();
  const password = dialog.getByLabel('Password', { exact: true });
  const code = dialog.getByLabel('Code from your authenticator app, or a recovery code');
  await expect(password).toBeFocused();
  // Escape closes it, and nothing changes.
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('alert').filter({ hasText: 'Nothing was changed' })).toBeVisible();
  await expect(page.getByText('10 recovery codes left')).toBeVisible();

  await page.getByRole('button', { name: 'Make new codes' }).focus();
  await page.keyboard.press('Enter');
  await expect(password).toBeFocused();
  await page.keyboard.type('not my password');
  await page.keyboard.press('Tab');
  await freshTotpStep();
  await page.keyboard.type(totpCode(key));
  await page.keyboard.press('Enter');
  await expect(dialog.getByRole('alert')).toHaveText('The password is not correct.');
  await password.fill('');
  await password.focus();
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  // Confirmed: the dialog closes and the codes come without asking again.
  await expect(dialog).toBeHidden();
  await expect(page.getByRole('heading', { name: 'Your recovery codes' })).toBeVisible();
  await expect(code).toHaveCount(0);
});
