import type { Page } from '@playwright/test';
import * as oidc from 'openid-client';
import {
  test,
  expect,
  uniqueName,
  fillCredentials,
  addAuthenticator,
  turnOnTwoStepElsewhere,
  totpCode,
  freshTotpStep,
  seriousViolations,
  addClient,
} from './fixtures';

// rest-auth as an OpenID Connect provider, with a certified relying-party library playing the
// application: openid-client discovers the provider, builds the authorization URL with PKCE,
// the browser signs in and consents on our pages, and openid-client exchanges the code,
// validates the ID token (signature through the JWKS, issuer, audience, nonce, expiry), calls
// userinfo, refreshes, revokes and ends the session. The application's callback is never
// served: the test takes the browser's request to it.

const PASSWORD = 'correct horse battery';
const CALLBACK = 'http://localhost:3999/callback';
const AFTER_LOGOUT = 'http://localhost:3999/signed-out';

async function provider(baseURL: string, name: string): Promise<oidc.Configuration> {
  const { client_id, client_secret } = addClient(name, CALLBACK, AFTER_LOGOUT);
  // http://localhost: allowed here only because the tests run without TLS.
  return oidc.discovery(new URL(baseURL), client_id, client_secret, undefined, {
    execute: [oidc.allowInsecureRequests],
  });
}

/** Starts a sign-in at the application: where to send the browser, and what to check after. */
async function authorizationUrl(config: oidc.Configuration, scope: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: CALLBACK,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  return { url, checks: { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce } };
}

/** The application's origin: every request the browser makes to it is answered here. */
const APP = 'http://localhost:3999/**';

/**
 * Answers the application's pages from here from now on: resolves with the first URL the
 * browser is sent to under `prefix`.
 */
async function arrivalAt(page: Page, prefix: string): Promise<{ arrived: Promise<URL> }> {
  await page.unroute(APP);
  let arrive!: (url: URL) => void;
  const arrived = new Promise<URL>((resolve) => (arrive = resolve));
  await page.route(APP, async (route) => {
    const url = new URL(route.request().url());
    if (url.href.startsWith(prefix)) arrive(url);
    await route.fulfill({ status: 200, contentType: 'text/html', body: '<title>The app</title><link rel="icon" href="data:,"><h1>Back at the app</h1>' });
  });
  // Once the application's page has loaded (a navigation begun before then would be cut
  // short). In an object: an async function's promise would wait for the one it returns.
  const loaded = arrived.then(async (url) => {
    await page.waitForURL((at) => at.href.startsWith(prefix));
    return url;
  });
  return { arrived: loaded };
}

async function register(request: import('@playwright/test').APIRequestContext, prefix: string) {
  const name = uniqueName(prefix);
  const created = await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  expect(created.status()).toBe(201);
  return name;
}

/** The consent question, answered "Allow"; then the browser is back at the application. */
async function allow(page: Page, name: string) {
  await expect(page.getByText(`wants to sign you in with your account ${name}`)).toBeVisible();
  await expect(page.getByRole('button', { name: 'Allow' })).toBeVisible();
  await page.getByRole('button', { name: 'Allow' }).click();
}

test('password: sign in, consent, tokens checked by openid-client, userinfo, refresh, revoke, logout', async ({
  page,
  request,
  baseURL,
}) => {
  const name = await register(request, 'oidc-pw');
  const config = await provider(baseURL!, 'Notes App');
  const { url, checks } = await authorizationUrl(config, 'openid profile offline_access');
  const { arrived: arrived } = await arrivalAt(page, CALLBACK);

  // Signed out: the log-in page, then back to the request's question.
  await page.goto(url.href);
  await expect(page).toHaveURL(/\/login\?next=/);
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/authorize\?request=/);
  await expect(page.getByText('Notes App', { exact: true })).toBeVisible();
  await expect(page.getByText('See your username')).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await allow(page, name);
  const callback = await arrived;

  const tokens = await oidc.authorizationCodeGrant(config, callback, checks);
  const claims = tokens.claims()!;
  expect(claims.preferred_username).toBe(name);
  expect(claims.amr).toEqual(['pwd']);
  expect(typeof claims.auth_time).toBe('number');
  expect(claims.sub).toMatch(/^[0-9a-f]{32}$/);
  const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  expect(info.preferred_username).toBe(name);

  const renewed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  expect(renewed.refresh_token).not.toBe(tokens.refresh_token);
  expect(renewed.claims()!.sub).toBe(claims.sub);
  const live = await oidc.tokenIntrospection(config, renewed.access_token);
  expect(live.active).toBe(true);
  expect(live.username).toBe(name);

  // The application appears on the account page.
  await page.goto('/account');
  await expect(page.getByRole('heading', { name: 'Applications' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Remove Notes App' })).toBeVisible();

  await oidc.tokenRevocation(config, renewed.refresh_token!);
  expect((await oidc.tokenIntrospection(config, renewed.access_token)).active).toBe(false);

  // A second sign-in goes straight back (consent remembered); then the application signs out.
  const again = await authorizationUrl(config, 'openid profile');
  const { arrived: arrivedAgain } = await arrivalAt(page, CALLBACK);
  await page.goto(again.url.href);
  const second = await oidc.authorizationCodeGrant(config, await arrivedAgain, again.checks);
  const { arrived: gone } = await arrivalAt(page, AFTER_LOGOUT);
  const endSession = oidc.buildEndSessionUrl(config, {
    id_token_hint: second.id_token!,
    post_logout_redirect_uri: AFTER_LOGOUT,
    state: 'bye',
  });
  await page.goto(endSession.href);
  const after = await gone;
  expect(after.searchParams.get('state')).toBe('bye');
  // This browser's own session ended too.
  await page.goto('/');
  await expect(page.locator('header.site-header')).toHaveAttribute('data-session', 'signed-out');
  expect(await page.evaluate(() => localStorage.getItem('rest-auth.token'))).toBeNull();
  expect((await oidc.tokenIntrospection(config, second.access_token)).active).toBe(false);
});

test('password and code: the code step, then consent; Deny returns access_denied', async ({
  page,
  request,
  baseURL,
}) => {
  const name = await register(request, 'oidc-otp');
  const key = await turnOnTwoStepElsewhere(request, name, PASSWORD);
  const config = await provider(baseURL!, 'Wiki');

  // Deny first: back at the application with access_denied.
  const denied = await authorizationUrl(config, 'openid');
  const { arrived: refused } = await arrivalAt(page, CALLBACK);
  await page.goto(denied.url.href);
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await freshTotpStep();
  await page.getByLabel('Code from your authenticator app, or a recovery code').fill(totpCode(key));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('button', { name: 'Deny' })).toBeVisible();
  await page.getByRole('button', { name: 'Deny' }).click();
  const back = await refused;
  expect(back.searchParams.get('error')).toBe('access_denied');
  expect(back.searchParams.get('state')).toBe(denied.checks.expectedState);

  // Then allowed, signed in already: the claims say password and code.
  const { url, checks } = await authorizationUrl(config, 'openid');
  const { arrived: arrived } = await arrivalAt(page, CALLBACK);
  await page.goto(url.href);
  await allow(page, name);
  const tokens = await oidc.authorizationCodeGrant(config, await arrived, checks);
  expect(tokens.claims()!.amr).toEqual(['pwd', 'otp', 'mfa']);
});

test('passkey: signed in with a passkey, keyboard only to consent; prompt=login asks to confirm', async ({
  page,
  request,
  baseURL,
}) => {
  const authenticator = await addAuthenticator(page);
  expect(authenticator.id).toBeTruthy();
  // Only the button asks (Chromium's virtual authenticator answers autofill requests at once).
  await page.addInitScript(() => {
    PublicKeyCredential.isConditionalMediationAvailable = async () => false;
  });
  const name = uniqueName('oidc-pk');
  await page.goto('/register');
  await fillCredentials(page, name, PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  await page.goto('/account');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Passkey added' })).toBeVisible();
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(/\/login$/);

  const config = await provider(baseURL!, 'Photos');
  const { url, checks } = await authorizationUrl(config, 'openid');
  const { arrived: arrived } = await arrivalAt(page, CALLBACK);
  await page.goto(url.href);
  // The log-in form's island hydrated: the button does something.
  await expect(page.locator('form.credentials[data-ready]').first()).toBeVisible();
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(page).toHaveURL(/\/authorize\?request=/);
  const allowButton = page.getByRole('button', { name: 'Allow' });
  await expect(allowButton).toBeVisible();
  // With the keyboard alone: Tab from the top of the page to "Allow", then Enter.
  for (let presses = 0; presses < 12; presses++) {
    if (await allowButton.evaluate((button) => button === document.activeElement)) break;
    await page.keyboard.press('Tab');
  }
  await expect(allowButton).toBeFocused();
  await page.keyboard.press('Enter');
  const tokens = await oidc.authorizationCodeGrant(config, await arrived, checks);
  expect(tokens.claims()!.amr).toEqual(['pop', 'user', 'mfa']);

  // prompt=login: the session must confirm it is its owner (with the passkey), then a code.
  // auth_time is in whole seconds: a sign-in in the same second as the request counts as after it.
  await page.waitForTimeout(1100);
  const fresh = await authorizationUrl(config, 'openid');
  fresh.url.searchParams.set('prompt', 'login');
  const { arrived: arrivedAgain } = await arrivalAt(page, CALLBACK);
  await page.goto(fresh.url.href);
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Use a passkey' }).click();
  const again = await oidc.authorizationCodeGrant(config, await arrivedAgain, fresh.checks);
  expect(again.claims()!.auth_time).toBeGreaterThanOrEqual(tokens.claims()!.auth_time as number);
});

test('an unknown application gets an error page and no redirect', async ({ page }) => {
  const response = await page.goto(
    '/oauth/authorize?client_id=nope&redirect_uri=https%3A%2F%2Fevil.example%2F&response_type=code&scope=openid',
  );
  expect(response!.status()).toBe(400);
  await expect(page.getByRole('heading', { name: 'This sign-in request cannot be completed' })).toBeVisible();
  expect(page.url()).toContain('/oauth/authorize');
});
