import { expect, Locator, Page, test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

// Scans written by make_scans.py into the server root (workspace/scans).
const tmp = process.env.MEDLAB_BROWSER_TMP as string;
const workspace = path.join(tmp, 'workspace');
const artifacts = path.resolve(__dirname, '..', 'artifacts');

test.describe.configure({ mode: 'serial' });

/** Open JupyterLab with the file browser showing the scans folder. */
async function openScansFolder(page: Page): Promise<void> {
  await page.goto('/lab');
  await expect(page.locator('#medlab-panel')).toBeAttached({ timeout: 60_000 });
  await page.evaluate(async () => {
    const app = (window as any).jupyterapp;
    await app.commands.execute('filebrowser:activate');
    await app.commands.execute('filebrowser:go-to-path', { path: '/scans' });
  });
  await expect(page.locator('.jp-FileBrowser .jp-BreadCrumbs')).toContainText('scans');
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

test('right-click a NRRD → Open in MedLab Viewer shows its planes and HU values', async ({
  page
}) => {
  await openScansFolder(page);
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
});

test('right-click a DICOM folder → Open in MedLab Viewer stacks its slices', async ({
  page
}) => {
  await openScansFolder(page);
  await openFromContextMenu(page, 'ct_series');
  const output = await viewerOutput(page, 'scans--ct_series.ipynb', 3);
  await expect(output).toContainText("'ct_series': CT volume 3 × 128 × 128 (z, y, x)");
  await expect(output).toContainText('1 other file(s) ignored');
  await expect(output).toContainText(/-?\d+\.\d HU/);
  await page.screenshot({ path: path.join(artifacts, 'medlab-viewer-dicom.png') });
});

test('double-click a NIfTI opens it in the viewer, reoriented, without copying it', async ({
  page
}) => {
  await openScansFolder(page);
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
});

test('a folder without DICOM files says so and writes no notebook', async ({ page }) => {
  await openScansFolder(page);
  await openFromContextMenu(page, 'notes');
  await expect(page.getByText('No DICOM files in scans/notes')).toBeVisible();
  expect(fs.existsSync(path.join(workspace, 'medlab-viewer', 'scans--notes.ipynb'))).toBe(false);
});
