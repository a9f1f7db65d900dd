import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's chromium; CHROMIUM_PATH points elsewhere. Never a downloaded browser. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium for a browser test, or the test skipped with a loud warning when
 * the machine has none (`.ci/run` installs it, so CI always runs these).
 */
export async function launchChromiumOrSkip(context: Mocha.Context): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    // Without a browser this check cannot run; say so loudly rather than pass.
    console.warn(`  skipped: no Chromium at ${chromiumPath} (apt-get install chromium, or set CHROMIUM_PATH)`);
    context.skip();
  }
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox'] });
}
