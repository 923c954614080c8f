import { LaunchOptions, Page } from '@playwright/test';
import * as path from 'path';

// Shared by the browser specs: where the server's files and the artifacts are, WebGL on
// SwiftShader, the offline check (every request outside the local server is blocked and
// recorded) and the pixel statistics that tell a drawn picture from a blank one.

/** The Jupyter server's root (run.sh writes the scans and lessons under MEDLAB_BROWSER_TMP). */
export const workspace = path.join(process.env.MEDLAB_BROWSER_TMP as string, 'workspace');

/** Screenshots and JSON reports of the browser tests. */
export const artifacts = path.resolve(__dirname, '..', 'artifacts');

/** WebGL2 in headless Chromium: SwiftShader, which current Chromium allows only when told
 *  (the default config's --disable-gpu leaves no WebGL at all). Use with `test.use`. */
export const swiftShaderLaunchOptions: LaunchOptions = {
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--use-gl=swiftshader',
    '--enable-unsafe-swiftshader',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run'
  ]
};

// The optional medlab[3d] extra (itkwidgets) brings the ImJoy lab extension, which asks a
// CDN for vue.js on every page; it is not part of the default install nor of these widgets.
export const OPTIONAL_EXTRA = /cdn\.jsdelivr\.net\/npm\/vue@/;

/** Block every request that does not go to the local Jupyter server; return what was. */
export async function blockNetwork(page: Page): Promise<string[]> {
  const blocked: string[] = [];
  await page.route('**/*', route => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.hostname === 'localhost') {
      return route.continue();
    }
    blocked.push(url.href);
    return route.abort();
  });
  return blocked;
}

export type Stats = {
  width: number;
  height: number;
  lit: number;
  orange: number;
  sky: number;
  grey: number;
};

/** Pixel statistics of a PNG screenshot, decoded by the browser itself: the fraction of
 *  lit pixels (not near black) and counts of orange, sky blue and grey (lit, r ≈ g ≈ b)
 *  pixels. */
export async function pixelStats(page: Page, png: Buffer): Promise<Stats> {
  return page.evaluate(async b64 => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d') as CanvasRenderingContext2D;
    ctx.drawImage(img, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let lit = 0;
    let orange = 0;
    let sky = 0;
    let grey = 0;
    for (let i = 0; i < d.length; i += 4) {
      const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
      if (r + g + b > 60) lit++;
      // the tumour's Okabe-Ito orange (230, 159, 0; g/r 0.69 however shaded), not NiiVue's
      // yellow crosshair (g/r 0.84); the lungs' sky blue (86, 180, 233)
      if (r > 90 && r - b > 70 && g > 0.45 * r && g < 0.78 * r) orange++;
      if (b > 80 && b - r > 40 && g > 0.5 * b) sky++;
      // a volume rendered with the gray colormap
      if (r + g + b > 60 && Math.max(r, g, b) - Math.min(r, g, b) < 24) grey++;
    }
    return { width: c.width, height: c.height, lit: lit / (d.length / 4), orange, sky, grey };
  }, png.toString('base64'));
}
