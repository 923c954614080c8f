import { expect, Locator, Page, test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';
import {
  artifacts,
  blockNetwork,
  OPTIONAL_EXTRA,
  pixelStats,
  Stats,
  swiftShaderLaunchOptions,
  workspace
} from './helpers';

// "Open in MedLab Viewer" from JupyterLab's file browser, offline: every request outside the
// local server is blocked. Scans written by make_scans.py into the server root
// (workspace/scans). WebGL on SwiftShader, for the 3D view that open_scan's VolumeViewer adds.

test.use({ launchOptions: swiftShaderLaunchOptions });
test.describe.configure({ mode: 'serial' });

/** Open JupyterLab, network blocked, with the file browser showing the scans folder;
 *  return the list of blocked requests (it fills as the page runs). */
async function openScansFolder(page: Page): Promise<string[]> {
  const blocked = await blockNetwork(page);
  await page.goto('/lab');
  await expect(page.locator('#medlab-panel')).toBeAttached({ timeout: 60_000 });
  await page.evaluate(async () => {
    const app = (window as any).jupyterapp;
    await app.commands.execute('filebrowser:activate');
    await app.commands.execute('filebrowser:go-to-path', { path: '/scans' });
  });
  await expect(page.locator('.jp-FileBrowser .jp-BreadCrumbs')).toContainText('scans');
  return blocked;
}

function listingItem(page: Page, name: string): Locator {
  return page.locator('.jp-FileBrowser .jp-DirListing-item', {
    has: page.locator('.jp-DirListing-itemText', { hasText: new RegExp(`^${name}$`) })
  });
}

/** Right-click a file browser item and choose "Open in MedLab Viewer". */
async function openFromContextMenu(page: Page, name: string): Promise<void> {
  await listingItem(page, name).click({ button: 'right' });
  const entry = page.locator('.lm-Menu-item', { hasText: 'Open in MedLab Viewer' });
  await expect(entry).toBeVisible();
  // the entry carries the MedLab icon
  await expect(entry.locator('svg[data-medlab-icon="axial-ct"]')).toHaveCount(1);
  await entry.click();
}

/** The viewer notebook's output: wait for the images and return the output area. */
async function viewerOutput(page: Page, tab: string, images: number): Promise<Locator> {
  await expect(page.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true', {
    timeout: 30_000
  });
  const output = page.locator('.jp-NotebookPanel:visible .jp-Cell-outputArea');
  // SliceViewer's picture, or VolumeViewer's three clickable planes
  const pictures = output.locator('img.widget-image, .medlab-clickable img');
  await expect(pictures).toHaveCount(images, { timeout: 60_000 });
  // every image really decoded into pixels
  await expect
    .poll(
      () =>
        pictures.evaluateAll(imgs =>
          imgs.every(img => (img as HTMLImageElement).naturalWidth > 0)
        ),
      { timeout: 20_000 }
    )
    .toBe(true);
  return output;
}

/** The offline 3D view that VolumeViewer (mode "auto") adds once the browser shows it:
 *  wait for its WebGL canvas in the output and return it. */
async function view3d(output: Locator): Promise<Locator> {
  const canvas = output.locator('canvas').first();
  await expect(canvas).toBeVisible({ timeout: 90_000 });
  await expect(output).toContainText("three planes + offline 3D rendering (mode='auto')");
  return canvas;
}

const measured: Record<string, Stats & { ms: number }> = {};

/** Screenshot the canvas until `drawn` holds for it (at most 60 s), let the frames settle,
 *  save the last screenshot in the artifacts and return its pixel statistics (also written,
 *  with the time it took, to viewer-3d-stats.json). */
async function drawnStats(
  page: Page,
  canvas: Locator,
  drawn: (stats: Stats) => boolean,
  screenshot: string
): Promise<Stats> {
  const start = Date.now();
  let stats = await pixelStats(page, await canvas.screenshot());
  while (!drawn(stats) && Date.now() - start < 60_000) {
    await page.waitForTimeout(250);
    stats = await pixelStats(page, await canvas.screenshot());
  }
  await page.waitForTimeout(2000);
  const shot = await canvas.screenshot();
  fs.writeFileSync(path.join(artifacts, screenshot), shot);
  stats = await pixelStats(page, shot);
  measured[screenshot] = { ...stats, ms: Date.now() - start };
  fs.writeFileSync(path.join(artifacts, 'viewer-3d-stats.json'), JSON.stringify(measured, null, 2));
  return stats;
}

test('a scan file type shows the MedLab icon in the file browser', async ({ page }) => {
  await openScansFolder(page);
  for (const [name, type] of [
    ['chest.nrrd', 'medlab-nrrd'],
    ['brain.nii.gz', 'medlab-nifti']
  ]) {
    const item = listingItem(page, name);
    await expect(item).toHaveAttribute('data-file-type', type);
    await expect(item.locator('svg[data-medlab-icon="axial-ct"]')).toHaveCount(1);
  }
});

test('right-click a NRRD → Open in MedLab Viewer shows planes, HU values and 3D view', async ({
  page
}) => {
  test.setTimeout(180_000);
  const blocked = await openScansFolder(page);
  await openFromContextMenu(page, 'chest.nrrd');
  const output = await viewerOutput(page, 'scans--chest.nrrd.ipynb', 3);
  await expect(output).toContainText(
    "Your own data (not a MedLab dataset), 'chest.nrrd': NRRD volume 8 × 48 × 64 (z, y, x)"
  );
  await expect(output).toContainText('values in HU (assumed');
  // the cursor starts at the centre voxel (4, 24, 32): 40 HU in the phantom's body
  await expect(output).toContainText(': 40.0 HU');
  // CT window presets are offered
  const preset = output.locator('select').first();
  await expect(preset.locator('option', { hasText: 'lung' })).toHaveCount(1);
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'medlab-viewer-nrrd.png') });
  // the notebook was written in the server root's medlab-viewer/ folder, run and saved
  const notebook = path.join(workspace, 'medlab-viewer', 'scans--chest.nrrd.ipynb');
  const savedCode = () => {
    const cells = JSON.parse(fs.readFileSync(notebook, 'utf-8')).cells;
    const code = cells.find((c: any) => c.cell_type === 'code');
    return [[].concat(code.source).join(''), code.execution_count];
  };
  await expect.poll(savedCode, { timeout: 15_000 }).toEqual([
    'from medlab.widgets import open_scan\n\nopen_scan("../scans/chest.nrrd")',
    1
  ]);
  // the 3D view, drawn by WebGL: a black background (not the page through a transparent
  // canvas) with the yellow crosshair and the orientation cube (1.6 % of the pixels); the
  // default threshold (bone, from 150 HU) shows none of this phantom (air, 40 HU body,
  // -850 HU lungs)
  const canvas = await view3d(output);
  const first = await drawnStats(page, canvas, st => st.lit > 0.01, 'medlab-viewer-nrrd-3d.png');
  expect(first.lit).toBeGreaterThan(0.01);
  expect(first.lit).toBeLessThan(0.5);
  // lower "3D above" to -780 HU (Home: the minimum, -1000; PageUp: a tenth of the range)
  const above = output.getByRole('slider', { name: '3D above' });
  await above.focus();
  await page.keyboard.press('Home');
  await page.keyboard.press('PageUp');
  await expect(above).toHaveAttribute('aria-valuenow', '-780');
  await expect(output).toContainText('3D rendering of values above -780');
  // the body appears in grey (its lungs are holes in it): 55 000 grey pixels, 18 % lit
  const body = await drawnStats(
    page,
    canvas,
    st => st.grey > 20_000,
    'medlab-viewer-nrrd-3d-body.png'
  );
  expect(body.grey).toBeGreaterThan(20_000);
  expect(body.lit).toBeGreaterThan(0.08);
  expect(body.lit).toBeLessThan(0.5);
  expect(blocked.filter(url => !OPTIONAL_EXTRA.test(url))).toEqual([]);
});

test('right-click a DICOM folder → Open in MedLab Viewer stacks its slices, in 3D too', async ({
  page
}) => {
  test.setTimeout(180_000);
  const blocked = await openScansFolder(page);
  await openFromContextMenu(page, 'ct_series');
  const output = await viewerOutput(page, 'scans--ct_series.ipynb', 3);
  await expect(output).toContainText("'ct_series': CT volume 3 × 128 × 128 (z, y, x)");
  await expect(output).toContainText('1 other file(s) ignored');
  await expect(output).toContainText(/-?\d+\.\d HU/);
  await page.screenshot({ path: path.join(artifacts, 'medlab-viewer-dicom.png') });
  const canvas = await view3d(output);
  // its bone (above 150 HU) rendered in grey, on the black background: 6000 grey pixels
  const stats = await drawnStats(page, canvas, st => st.grey > 2500, 'medlab-viewer-dicom-3d.png');
  expect(stats.grey).toBeGreaterThan(2500);
  expect(stats.lit).toBeGreaterThan(0.012);
  expect(stats.lit).toBeLessThan(0.5);
  expect(blocked.filter(url => !OPTIONAL_EXTRA.test(url))).toEqual([]);
});

test('double-click a NIfTI opens it in the viewer, reoriented, without copying it', async ({
  page
}) => {
  const blocked = await openScansFolder(page);
  await listingItem(page, 'brain.nii.gz').dblclick();
  const output = await viewerOutput(page, 'scans--brain.nii.gz.ipynb', 3);
  await expect(output).toContainText('NIfTI volume 25 × 41 × 33 (z, y, x)');
  await expect(output).toContainText('NIfTI axes (LAS) reoriented to (z, y, x)');
  await expect(output).toContainText('a.u.');
  // the placeholder tab closed itself and JupyterLab made no checkpoint copy of the scan
  await expect(page.getByRole('tab', { name: 'brain.nii.gz', exact: true })).toHaveCount(0);
  const checkpoints = path.join(workspace, 'scans', '.ipynb_checkpoints');
  const copies = fs.existsSync(checkpoints) ? fs.readdirSync(checkpoints) : [];
  expect(copies.filter(name => name.startsWith('brain'))).toEqual([]);
  expect(blocked.filter(url => !OPTIONAL_EXTRA.test(url))).toEqual([]);
});

test('a folder without DICOM files says so and writes no notebook', async ({ page }) => {
  const blocked = await openScansFolder(page);
  await openFromContextMenu(page, 'notes');
  await expect(page.getByText('No DICOM files in scans/notes')).toBeVisible();
  expect(fs.existsSync(path.join(workspace, 'medlab-viewer', 'scans--notes.ipynb'))).toBe(false);
  expect(blocked.filter(url => !OPTIONAL_EXTRA.test(url))).toEqual([]);
});
