import { test, expect, uniqueName, totpCode, freshTotpStep, turnOnTwoStepElsewhere, seriousViolations } from './fixtures';
import type { Page, APIRequestContext } from '@playwright/test';

// The signed-out forms, sent by the browser itself: the server completes them (the same code
// as the API) and answers with a page. Each spec runs twice: with every `.wasm` request
// aborted (the WebAssembly never arrives) and with the WebAssembly allowed (the islands
// send the same forms through the API).

const PASSWORD = 'correct horse battery';

/** Signed in: on `path`, the token kept where the islands read it, and the API takes it. */
async function expectSignedIn(page: Page, request: APIRequestContext, name: string, path = '/hello') {
  await page.waitForURL((url) => url.pathname === path);
  const stored = await page.evaluate(() => ({
    token: localStorage.getItem('rest-auth.token'),
    refresh: localStorage.getItem('rest-auth.refresh'),
    username: localStorage.getItem('rest-auth.username'),
    expires: Number(localStorage.getItem('rest-auth.expires')),
  }));
  expect(stored.username).toBe(JSON.stringify(name));
  expect(stored.refresh).toMatch(/^".+"$/);
  expect(stored.expires).toBeGreaterThan(Date.now());
  const token = JSON.parse(stored.token!) as string;
  const resource = await request.get('/api/resource', { headers: { Authorization: `Bearer ${token}` } });
  expect(resource.status()).toBe(200);
  expect(await resource.json()).toEqual({ data: `Hello, ${name}!` });
}

/** The browser's history holds no entry that would send the password again. */
async function expectNoPostInHistory(page: Page) {
  // Reloading the page, and going back to the form, are plain GETs: no resubmission prompt,
  // no POST of a page.
  const posts: string[] = [];
  page.on('request', (r) => r.method() === 'POST' && !new URL(r.url()).pathname.startsWith('/api/') && posts.push(r.url()));
  await page.reload();
  await page.waitForLoadState();
  await page.goBack();
  await page.waitForLoadState();
  expect(posts).toEqual([]);
}

for (const withoutWasm of [true, false]) {
  test.describe(withoutWasm ? 'without the WebAssembly' : 'with the WebAssembly', () => {
    test.use({ withoutWasm });

    /** Opens `path`; with the WebAssembly, waits for the form's island, so the island sends it. */
    async function openForm(page: Page, path: string) {
      await page.goto(path);
      if (!withoutWasm) await expect(page.locator('form.credentials[data-ready]')).toHaveCount(1);
    }

    test('signs in with a password', async ({ page, request }) => {
      const name = uniqueName('plain');
      await request.post('/api/users', { data: { username: name, password: PASSWORD } });
      await openForm(page, '/login?next=/account');
      await page.getByLabel('Username').fill(name);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expectSignedIn(page, request, name, '/account');
      await expectNoPostInHistory(page);
      expect(page.url()).not.toContain('horse');
    });

    test('signs in with a password and a code', async ({ page, request }) => {
      const name = uniqueName('code');
      await request.post('/api/users', { data: { username: name, password: PASSWORD } });
      const key = await turnOnTwoStepElsewhere(request, name, PASSWORD);
      await openForm(page, '/login');
      await page.getByLabel('Username').fill(name);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.getByText('Two-step verification is on for')).toBeVisible();
      const code = page.getByLabel('Code from your authenticator app, or a recovery code');
      // A wrong code keeps the step.
      await code.fill('000000');
      await page.getByRole('button', { name: 'Verify' }).click();
      await expect(page.getByText('That code is not correct')).toBeVisible();
      expect(await page.content()).not.toContain(PASSWORD);
      await freshTotpStep();
      await code.fill(totpCode(key));
      await page.getByRole('button', { name: 'Verify' }).click();
      await expectSignedIn(page, request, name);
    });

    test('registers', async ({ page, request }) => {
      const name = uniqueName('new');
      await openForm(page, '/register');
      await page.getByLabel('Username').fill(name);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await expectSignedIn(page, request, name);
    });

    test("shows a wrong password's message with the name kept", async ({ page, request }) => {
      const name = uniqueName('wrong');
      await request.post('/api/users', { data: { username: name, password: PASSWORD } });
      await openForm(page, '/login');
      await page.getByLabel('Username').fill(name);
      await page.getByLabel('Password', { exact: true }).fill('not the password');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.getByRole('alert').filter({ hasText: 'Wrong username or password.' })).toBeVisible();
      await expect(page.getByLabel('Username')).toHaveValue(name);
      // The server never sends a password back; the island keeps what was typed, to correct.
      if (withoutWasm) await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
      expect(await seriousViolations(page)).toEqual([]);
      // A name taken, at registration.
      await openForm(page, '/register');
      await page.getByLabel('Username').fill(name);
      await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
      await expect(page.getByRole('alert').filter({ hasText: 'That username is already taken.' })).toBeVisible();
      await expect(page.getByLabel('Username')).toHaveValue(name);
      expect(await seriousViolations(page)).toEqual([]);
    });

    test('refuses a form posted from another site', async ({ page, request, baseURL }) => {
      const name = uniqueName('csrf');
      await request.post('/api/users', { data: { username: name, password: PASSWORD } });
      // A page of another origin whose form posts the attacker's credentials to ours.
      await page.route('http://evil.test/', (route) =>
        route.fulfill({
          contentType: 'text/html',
          body: `<!DOCTYPE html><html lang="en"><title>x</title><form method="post" action="${baseURL}/login">
            <input name="username" value="${name}"><input name="password" value="${PASSWORD}">
            <button>Go</button></form></html>`,
        }),
      );
      await page.goto('http://evil.test/');
      const answer = page.waitForResponse((r) => r.url().startsWith(`${baseURL}/login`));
      await page.getByRole('button', { name: 'Go' }).click();
      expect((await answer).status()).toBe(403);
      await expect(page.getByRole('heading', { name: 'Refused' })).toBeVisible();
      expect(await page.evaluate(() => localStorage.getItem('rest-auth.token'))).toBeNull();
    });
  });
}
