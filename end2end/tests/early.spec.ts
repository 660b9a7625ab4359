import { test, expect, uniqueName } from './fixtures';

const PASSWORD = 'correct horse battery';

test('what was typed before the page was interactive stays, and signs in once it is', async ({
  page,
  request,
}) => {
  const name = uniqueName('early');
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  // Hold the WebAssembly back while the person types.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  await page.goto('/login');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await expect(page.locator('form[data-ready]')).toHaveCount(0);

  // Hydrated: both fields keep what was typed, and the island sends them (through the API).
  const posts: string[] = [];
  page.on('request', (r) => r.method() === 'POST' && posts.push(new URL(r.url()).pathname));
  release();
  await expect(page.locator('form[data-ready]')).toHaveCount(1);
  await expect(page.getByLabel('Username')).toHaveValue(name);
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
  expect(posts).toContain('/api/sign-in');
  expect(posts).not.toContain('/login');
});
