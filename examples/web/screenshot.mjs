// Retake examples/web/screenshot.png (the picture in the README): serve the page, open it in
// the system's Chromium (playwright-core, a dev dependency; CHROMIUM_PATH overrides
// /usr/bin/chromium), run every demo (the unsafe race three times, to show runs that differ),
// and save the whole page, made smaller with pngquant when it is installed (apt-get install
// pngquant). Run after `npm run build`: node examples/web/screenshot.mjs
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
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
  try {
    execFileSync('pngquant', ['--quality', '60-85', '--speed', '1', '--force', '--skip-if-larger', '--output', out.pathname, out.pathname]);
  } catch (e) {
    console.log(`(not made smaller: ${e.code === 'ENOENT' ? 'no pngquant' : e.message})`);
  }
  console.log(`saved ${out.pathname} (${Math.round(statSync(out).size / 1024)} KiB)`);
} finally {
  await browser.close();
  await close();
}
