import {
  test,
  expect,
  uniqueName,
  open,
  fillCredentials,
  addAuthenticator,
  totpCode,
  freshTotpStep,
  addClient,
} from './fixtures';

// From a 320 px phone to a desktop, light and dark: nothing wider than the screen. Each page is
// also photographed into test-results/screenshots/ (kept out of the repository, like all test
// output), or into SCREENSHOT_DIR when scripts/screenshots.sh makes the README's pictures.
const SIZES = [
  { name: 'phone', width: 320, height: 640 },
  { name: 'desktop', width: 1280, height: 800 },
];

for (const size of SIZES) {
  for (const scheme of ['light', 'dark'] as const) {
    test(`layout fits a ${size.name} (${size.width} px), ${scheme}`, async ({ page }, info) => {
      test.setTimeout(60_000);
      await page.setViewportSize({ width: size.width, height: size.height });
      await page.emulateMedia({ colorScheme: scheme });
      const shotDir = process.env.SCREENSHOT_DIR ?? `${info.project.outputDir}/screenshots`;
      // `fullPage`: the whole page; a modal dialog is shown as the screen shows it.
      const shoot = async (label: string, shown = page, fullPage = true) => {
        const overflow = await shown.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow, `${label}: horizontal overflow`).toBeLessThanOrEqual(0);
        await shown.screenshot({
          path: `${shotDir}/${label}-${scheme}-${size.name}.png`,
          fullPage,
        });
      };
      for (const [label, path] of [
        ['home', '/'],
        ['login', '/login'],
        ['register', '/register'],
        ['not-found', '/no-such-page'],
      ]) {
        await open(page, path);
        await shoot(label);
      }
      // The README's pictures show a plausible name; each test run needs a fresh one.
      const name = process.env.STABLE_NAMES
        ? `miguel-${size.name}-${scheme}`
        : uniqueName(`w${size.width}${scheme[0]}`);
      await open(page, '/register');
      await fillCredentials(page, name, 'correct horse battery');
      await page.getByRole('button', { name: 'Create account' }).click();
      await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
      await shoot('hello');
      // A session begun (as the pages begin one) before two-step verification is on, for
      // "Confirm it's you" below.
      const early = await (
        await page.request.post('/api/sign-in', { data: { username: name, password: 'correct horse battery' } })
      ).json();
      await open(page, '/account');
      await expect(page.getByText('This device')).toBeVisible();
      // With a passkey listed, its rename form open (the longest a row gets).
      const authenticator = await addAuthenticator(page);
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await expect(page.locator('li.passkey')).toHaveCount(1);
      await page.getByRole('button', { name: /^Rename passkey / }).click();
      await shoot('account');
      // Two-step verification: the setup (QR code, key, code field), then the recovery codes.
      await page.getByRole('button', { name: 'Set up two-step verification' }).click();
      await expect(page.getByRole('img', { name: /QR code/ })).toBeVisible();
      await shoot('account-two-step-setup');
      const key = (await page.locator('code.setup-key').textContent())!.replace(/\s/g, '');
      await freshTotpStep();
      await page.getByLabel('2. Code from your authenticator app').fill(totpCode(key, 1));
      await page.getByRole('button', { name: 'Turn on' }).click();
      await expect(page.getByRole('heading', { name: 'Your recovery codes' })).toBeVisible();
      await shoot('account-recovery-codes');
      // An application's sign-in: the consent question.
      const client = addClient('Notes', 'https://notes.example/callback');
      const query = new URLSearchParams({
        client_id: client.client_id,
        redirect_uri: 'https://notes.example/callback',
        response_type: 'code',
        scope: 'openid profile offline_access',
        state: 'layout',
        nonce: 'layout',
      });
      await page.goto(`/oauth/authorize?${query}`);
      await expect(page.getByRole('button', { name: 'Allow' })).toBeVisible();
      await shoot('consent');
      // "Confirm it's you": that earlier session's password alone is no longer every factor.
      const before = await page.context().newPage();
      await before.setViewportSize({ width: size.width, height: size.height });
      await before.emulateMedia({ colorScheme: scheme });
      await before.goto('/');
      await before.evaluate(
        ([token, refresh, user]) => {
          localStorage.setItem('rest-auth.token', token);
          localStorage.setItem('rest-auth.refresh', refresh);
          localStorage.setItem('rest-auth.username', user);
        },
        [JSON.stringify(early.token), JSON.stringify(early.refresh_token), JSON.stringify(name)],
      );
      await open(before, '/account');
      await before.getByRole('button', { name: 'New recovery codes' }).click();
      await before.getByRole('button', { name: 'Make new codes' }).click();
      await expect(before.getByRole('dialog', { name: "Confirm it's you" })).toBeVisible();
      await expect(before.getByLabel('Code from your authenticator app, or a recovery code')).toBeVisible();
      await shoot('account-confirm', before, false);
      await before.close();
      // The log-in page's second step (no authenticator: its autofill would answer at once).
      await authenticator.cdp.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId: authenticator.id });
      const logOut = page.getByRole('navigation').getByRole('button', { name: 'Log out' });
      await logOut.click();
      await expect(logOut).toHaveCount(0);
      await open(page, '/login');
      await fillCredentials(page, name, 'correct horse battery');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.getByLabel('Code from your authenticator app, or a recovery code')).toBeFocused();
      await shoot('login-code');
    });
  }
}
