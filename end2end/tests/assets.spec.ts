import { test, expect, open } from './fixtures';

test('the front end loads from versioned URLs cached for a year', async ({ page }) => {
  const loaded: { path: string; status: number; cache?: string }[] = [];
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (path.startsWith('/pkg/')) {
      loaded.push({ path, status: response.status(), cache: response.headers()['cache-control'] });
    }
  });
  await open(page, '/login'); // returns once the WASM has hydrated the page

  const paths = loaded.map((file) => file.path);
  // The stylesheet comes inside the page (with the response's nonce), not as a second request
  // the first paint would wait for.
  expect(paths.filter((path) => path.endsWith('.css'))).toEqual([]);
  const style = page.locator('head style[nonce]');
  await expect(style).toHaveCount(1);
  expect((await style.textContent())!.length).toBeGreaterThan(1000);
  await expect(page.locator('link[rel="stylesheet"]')).toHaveCount(0);
  for (const file of ['rest-auth.js', 'rest-auth.wasm']) {
    expect(paths).toContainEqual(expect.stringMatching(new RegExp(`^/pkg/[0-9a-f]{16}/${file}$`)));
  }
  for (const file of loaded) {
    expect(file.status, file.path).toBe(200);
    expect(file.cache, file.path).toBe('public, max-age=31536000, immutable');
  }
});
