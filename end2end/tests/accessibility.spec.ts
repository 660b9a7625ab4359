import { test, expect, uniqueName, open, seriousViolations, fillCredentials, addAuthenticator, totpCode, freshTotpStep } from './fixtures';

// Every page, signed out and signed in, in light and dark: no serious or critical axe-core
// violation (WCAG 2.x A and AA rules, colour contrast included).
const PAGES = ['/', '/login', '/register', '/no-such-page'];

for (const scheme of ['light', 'dark'] as const) {
  test(`no serious accessibility violations, ${scheme} theme`, async ({ page, request }) => {
    // Every page and state in one test: longer than the default 30 s.
    test.setTimeout(90_000);
    await page.emulateMedia({ colorScheme: scheme });
    for (const path of PAGES) {
      await open(page, path);
      expect(await seriousViolations(page), `${path} (${scheme})`).toEqual([]);
    }
    // Signed in: the greeting page and the signed-in navigation bar.
    const name = uniqueName(`a11y-${scheme}`);
    await open(page, '/register');
    await fillCredentials(page, name, 'correct horse battery');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
    expect(await seriousViolations(page), `/hello (${scheme})`).toEqual([]);
    // A session begun as the pages begin one, kept for a second tab below.
    const early = await (
      await request.post('/api/sign-in', { data: { username: name, password: 'correct horse battery' } })
    ).json();
    const [earlyToken, earlyRefresh] = [JSON.stringify(early.token), JSON.stringify(early.refresh_token)];
    // The account page with several sessions listed, then with a field's message shown.
    for (let i = 0; i < 2; i++) {
      await request.get('/api/token', {
        headers: { Authorization: 'Basic ' + Buffer.from(`${name}:correct horse battery`).toString('base64') },
      });
    }
    await open(page, '/account');
    await expect(page.locator('.device')).toHaveCount(4);
    expect(await seriousViolations(page), `/account (${scheme})`).toEqual([]);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(page.getByLabel('Current password')).toHaveAttribute('aria-invalid', 'true');
    expect(await seriousViolations(page), `/account with field errors (${scheme})`).toEqual([]);
    // A passkey listed, with its removal form open and a field's message.
    const authenticator = await addAuthenticator(page);
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect(page.locator('li.passkey')).toHaveCount(1);
    expect(await seriousViolations(page), `/account with a passkey (${scheme})`).toEqual([]);
    await page.getByRole('button', { name: /^Remove passkey / }).click();
    await expect(page.getByRole('button', { name: 'Remove passkey', exact: true })).toBeVisible();
    expect(await seriousViolations(page), `/account removing a passkey (${scheme})`).toEqual([]);
    await page.getByRole('button', { name: 'Cancel' }).click();
    // Gone before the log-in page, whose autofill it would answer at once.
    await authenticator.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: authenticator.id });
    // Two-step verification: the setup with a wrong code's message, then the recovery codes.
    await page.getByRole('button', { name: 'Set up two-step verification' }).click();
    const key = (await page.locator('code.setup-key').textContent())!.replace(/\s/g, '');
    const codeField = page.getByLabel('2. Code from your authenticator app');
    await freshTotpStep();
    await codeField.fill(totpCode(key) === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await expect(codeField).toHaveAttribute('aria-invalid', 'true');
    expect(await seriousViolations(page), `/account two-step setup (${scheme})`).toEqual([]);
    await codeField.fill(totpCode(key, 1));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await expect(page.getByRole('heading', { name: 'Your recovery codes' })).toBeVisible();
    expect(await seriousViolations(page), `/account recovery codes (${scheme})`).toEqual([]);
    // "Confirm it's you", with a wrong password's message: a second tab, signed in before
    // two-step was on (its password alone is no longer every factor), asks for new codes.
    const before = await page.context().newPage();
    await before.emulateMedia({ colorScheme: scheme });
    await before.goto('/');
    await before.evaluate(
      ([token, refresh, user]) => {
        localStorage.setItem('rest-auth.token', token);
        localStorage.setItem('rest-auth.refresh', refresh);
        localStorage.setItem('rest-auth.username', user);
      },
      [earlyToken, earlyRefresh, JSON.stringify(name)],
    );
    await open(before, '/account');
    await before.getByRole('button', { name: 'New recovery codes' }).click();
    await before.getByRole('button', { name: 'Make new codes' }).click();
    const dialog = before.getByRole('dialog', { name: "Confirm it's you" });
    await dialog.getByLabel('Password', { exact: true }).fill('not my password');
    await dialog.getByLabel('Code from your authenticator app, or a recovery code').fill('000000');
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await expect(dialog.getByRole('alert')).toHaveText('The password is not correct.');
    expect(await seriousViolations(before), `"Confirm it's you" (${scheme})`).toEqual([]);
    await before.close();
    // The log-in page's second step, with a wrong code's message.
    await open(page, '/login');
    await fillCredentials(page, name, 'correct horse battery');
    await page.getByRole('button', { name: 'Log in' }).click();
    const loginCode = page.getByLabel('Code from your authenticator app, or a recovery code');
    await loginCode.fill(totpCode(key) === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect(loginCode).toHaveAttribute('aria-invalid', 'true');
    expect(await seriousViolations(page), `/login code step with an error (${scheme})`).toEqual([]);
    // An error message on a form.
    await open(page, '/login');
    await fillCredentials(page, name, 'wrong password!');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(page.getByRole('alert')).toHaveText('Wrong username or password.');
    expect(await seriousViolations(page), `/login with an error (${scheme})`).toEqual([]);
    // Messages at the fields (the error colour on the page background must pass too).
    await open(page, '/register');
    await fillCredentials(page, 'has space', 'abc');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(page.getByLabel('Username')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute('aria-invalid', 'true');
    expect(await seriousViolations(page), `/register with field errors (${scheme})`).toEqual([]);
    // The check can fail: an unlabelled image is reported.
    await page.evaluate(() => document.querySelector('main')!.append(document.createElement('img')));
    expect(await seriousViolations(page)).toContainEqual(expect.stringMatching(/^image-alt/));
  });
}
