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
  for (const file of ['rest-auth.css', 'rest-auth.js', 'rest-auth.wasm']) {
    expect(paths).toContainEqual(expect.stringMatching(new RegExp(`^/pkg/[0-9a-f]{16}/${file}$`)));
  }
  for (const file of loaded) {
    expect(file.status, file.path).toBe(200);
    expect(file.cache, file.path).toBe('public, max-age=31536000, immutable');
  }
});
