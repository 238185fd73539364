// Retake examples/web/screenshot.png (the picture in the README): serve the page, open it in
// the system's Chromium (playwright-core, a dev dependency; CHROMIUM_PATH overrides
// /usr/bin/chromium), run every demo (the unsafe race three times, to show runs that differ),
// and save the whole page. Run after `npm run build`: node examples/web/screenshot.mjs
import { chromium } from 'playwright-core';
import { start } from './serve.mjs';

const out = new URL('./screenshot.png', import.meta.url);
const { url, close } = await start();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(url);
  await page.waitForSelector('body[data-ready]');
  const runs = [['race', 3], ['lock', 1], ['dialog', 1], ['crawler', 1], ['speedup', 1]];
  for (const [id, times] of runs) {
    for (let n = 1; n <= times; n++) {
      await page.click(`#${id} button.run`);
      await page.waitForSelector(`#${id}[data-runs="${n}"]:not([data-state="running"])`, { timeout: 120_000 });
      const state = await page.getAttribute(`#${id}`, 'data-state');
      console.log(`${id} run ${n}: ${state}: ${await page.textContent(`#${id} .status`)}`);
    }
  }
  await page.screenshot({ path: out.pathname, fullPage: true });
  console.log(`saved ${out.pathname}`);
} finally {
  await browser.close();
  await close();
}
