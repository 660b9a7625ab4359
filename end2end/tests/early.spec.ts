import { test, expect, uniqueName } from './fixtures';

const PASSWORD = 'correct horse battery';
const SEND_AGAIN =
  'The page was still loading when you sent the form. Please enter your password and send it again.';

test('a log-in form sent before the page is interactive comes back with the name kept', async ({
  page,
  request,
}) => {
  const name = uniqueName('early');
  await request.post('/api/users', { data: { username: name, password: PASSWORD } });
  // Hold the WebAssembly back, so the form is still the browser's own when it is sent.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/*.wasm', async (route) => {
    await held;
    await route.continue();
  });
  const sent: string[] = [];
  page.on('request', (r) => sent.push(`${r.method()} ${r.url()} ${r.postData() ?? ''}`));

  await page.goto('/login');
  await page.getByLabel('Username').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();

  // Back on the log-in page, the name kept, a word to send it again; the password nowhere.
  await page.waitForURL(/\/login\?username=/);
  expect(page.url()).not.toContain('horse');
  await expect(page.getByLabel('Username')).toHaveValue(name);
  await expect(page.getByLabel('Password', { exact: true })).toHaveValue('');
  await expect(page.getByRole('alert')).toHaveText(SEND_AGAIN);
  const gets = sent.filter((line) => line.startsWith('GET'));
  expect(gets.join('\n')).not.toContain('horse');

  // Once the page is interactive, sending it again signs in.
  release();
  await expect(page.locator('form[data-ready]')).toHaveCount(1);
  await expect(page.getByLabel('Username')).toHaveValue(name);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: `Hello, ${name}!` })).toBeVisible();
});
