import { test, expect, uniqueName, open, fillCredentials, addAuthenticator } from './fixtures';

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
      await page.setViewportSize({ width: size.width, height: size.height });
      await page.emulateMedia({ colorScheme: scheme });
      const shotDir = process.env.SCREENSHOT_DIR ?? `${info.project.outputDir}/screenshots`;
      const shoot = async (label: string) => {
        const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
        );
        expect(overflow, `${label}: horizontal overflow`).toBeLessThanOrEqual(0);
        await page.screenshot({
          path: `${shotDir}/${label}-${scheme}-${size.name}.png`,
          fullPage: true,
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
      await open(page, '/account');
      await expect(page.getByText('This device')).toBeVisible();
      // With a passkey listed, its rename form open (the longest a row gets).
      await addAuthenticator(page);
      await page.getByRole('button', { name: 'Add a passkey' }).click();
      await expect(page.locator('li.passkey')).toHaveCount(1);
      await page.getByRole('button', { name: /^Rename passkey / }).click();
      await shoot('account');
    });
  }
}
