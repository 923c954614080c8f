import { expect, Page, test } from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

const tmp = process.env.MEDLAB_BROWSER_TMP as string;
const workspace = path.join(tmp, 'workspace');
const artifacts = path.resolve(__dirname, '..', 'artifacts');

const row = (page: Page, id: string) =>
  page.locator(`#medlab-panel .jp-MedlabPanel-lesson[data-lesson-id="${id}"]`);

async function openLab(page: Page): Promise<void> {
  await page.goto('/lab');
  await expect(page.locator('#medlab-panel')).toBeVisible({ timeout: 60_000 });
}

/** Replace the first code cell's source in the current notebook; optionally run all. */
async function runWithSource(page: Page, source: string | null, run = true): Promise<void> {
  await page.evaluate(async ([src, run]) => {
    const app = (window as any).jupyterapp;
    const panel = app.shell.currentWidget;
    await panel.sessionContext.ready;
    if (src !== null) {
      const cell = panel.content.widgets.find((c: any) => c.model.type === 'code');
      cell.model.sharedModel.setSource(src);
    }
    if (run) {
      await app.commands.execute('notebook:run-all-cells');
    }
  }, [source, run] as const);
}

test.describe.configure({ mode: 'serial' });

test('the panel appears and lists the lessons in order', async ({ page }) => {
  await openLab(page);
  const rows = page.locator('#medlab-panel .jp-MedlabPanel-lesson');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText('Welcome and tour');
  await expect(rows.nth(0)).toContainText('10 min');
  await expect(rows.nth(1)).toContainText('Medical images as data');
  await expect(row(page, '00_welcome')).toHaveClass(/jp-mod-next/);
  await expect(row(page, '00_welcome').locator('.jp-MedlabPanel-progress')).toHaveText('0/1');
  await expect(page.locator('#medlab-panel')).toHaveAttribute('aria-label', /MedLab/);
});

test('opening a lesson (keyboard) opens the learner notebook', async ({ page }) => {
  await openLab(page);
  const open = row(page, '00_welcome').locator('.jp-MedlabPanel-open');
  await expect(open).toHaveAttribute('aria-label', /Open lesson 00: Welcome and tour.*next lesson/);
  await open.focus();
  await page.keyboard.press('Enter');
  const notebook = page.locator('.jp-NotebookPanel:visible');
  await expect(notebook).toContainText('Welcome and tour');
  await expect(notebook).toContainText('YOUR CODE HERE');
  await expect(page.getByRole('tab', { name: '00_welcome.ipynb' })).toHaveAttribute(
    'aria-selected',
    'true'
  );
  expect(fs.existsSync(path.join(workspace, '00_welcome.ipynb'))).toBe(true);
});

test('a passing check updates the panel progress', async ({ page }) => {
  await openLab(page);
  await row(page, '00_welcome').locator('.jp-MedlabPanel-open').click();
  await expect(page.locator('.jp-NotebookPanel:visible')).toContainText('YOUR CODE HERE');

  // Unchanged learner notebook: runs top to bottom on the fallback, gives no credit.
  await runWithSource(page, null);
  const output = page.locator('.jp-NotebookPanel:visible .jp-OutputArea');
  await expect(output).toContainText('not attempted yet', { timeout: 60_000 });
  await expect(output).toContainText('Using the reference solution');
  await expect(row(page, '00_welcome').locator('.jp-MedlabPanel-progress')).toHaveText('0/1');

  // The learner writes the conversion: the check passes and the panel follows.
  await runWithSource(
    page,
    'import pydicom\nfrom pydicom.data import get_testdata_file\n' +
      'from medlab.course import check\n' +
      'ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))\nraw = ds.pixel_array\n' +
      'hu = raw * 1.0 - 1024  # my answer\ncheck("00.hounsfield", hu)'
  );
  await expect(output).toContainText('00.hounsfield passed', { timeout: 60_000 });
  await expect(row(page, '00_welcome').locator('.jp-MedlabPanel-progress')).toHaveText('1/1', {
    timeout: 15_000
  });
  await expect(row(page, '01_images')).toHaveClass(/jp-mod-next/);
  await expect(page.locator('#medlab-panel .jp-MedlabPanel-summary')).toHaveText(
    '1 of 1 exercises passed'
  );
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'medlab-panel.png') });
});

test('reset asks first, then restores the lesson and keeps a backup', async ({ page }) => {
  await openLab(page);
  await row(page, '00_welcome').locator('.jp-MedlabPanel-open').click();
  const notebook = page.locator('.jp-NotebookPanel:visible');
  await expect(notebook).toContainText('YOUR CODE HERE');
  // Unsaved edits: reset must save them into the backup before restoring.
  await runWithSource(page, 'hu = raw * 1.0 - 1024  # my answer', false);
  await expect(notebook).toContainText('# my answer');
  const backups = path.join(workspace, 'backups');
  const before = fs.existsSync(backups) ? fs.readdirSync(backups) : [];

  const reset = row(page, '00_welcome').locator('.jp-MedlabPanel-reset');
  await reset.click();
  const dialog = page.locator('.jp-Dialog');
  await expect(dialog).toContainText('Reset lesson 00?');
  // Cancel has the focus, so Enter keeps the lesson: resetting takes a deliberate click.
  const cancel = dialog.locator('.jp-Dialog-button.jp-mod-reject');
  await expect(cancel).toBeFocused();
  await expect(cancel).toHaveText('Cancel');
  await page.keyboard.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(notebook).toContainText('# my answer');
  expect(fs.existsSync(backups) ? fs.readdirSync(backups) : []).toEqual(before);

  await reset.click();
  await expect(dialog).toContainText('Reset lesson 00?');
  await dialog.locator('.jp-Dialog-button.jp-mod-reject').click();
  await expect(dialog).toHaveCount(0);
  await expect(notebook).toContainText('# my answer');

  await reset.click();
  await dialog.locator('.jp-Dialog-button.jp-mod-accept').click();
  await expect(notebook).toContainText('YOUR CODE HERE');
  await expect(notebook).not.toContainText('# my answer');
  const after = fs.readdirSync(backups).filter(name => !before.includes(name));
  expect(after).toHaveLength(1);
  expect(after[0]).toMatch(/^00_welcome-\d{8}T\d{6}Z(-\d+)?\.ipynb$/);
  expect(fs.readFileSync(path.join(backups, after[0]), 'utf-8')).toContain('# my answer');
  expect(fs.readFileSync(path.join(workspace, '00_welcome.ipynb'), 'utf-8')).toContain(
    'fallback(\\"00.hounsfield\\")'
  );
});

test('launcher card and palette commands open the next lesson', async ({ page }) => {
  await openLab(page);
  const commands = await page.evaluate(() => {
    const app = (window as any).jupyterapp;
    return ['medlab:open-panel', 'medlab:open-next-lesson', 'medlab:reset-lesson'].map(id =>
      app.commands.hasCommand(id)
    );
  });
  expect(commands).toEqual([true, true, true]);
  await page.evaluate(() => (window as any).jupyterapp.commands.execute('launcher:create'));
  const card = page.locator('.jp-LauncherCard', { hasText: 'MedLab course' });
  await expect(card).toBeVisible();
  // the card shows the MedLab mark (an axial CT slice), not a generic icon
  const mark = 'svg[data-medlab-icon="axial-ct"]';
  await expect(card.locator(`.jp-LauncherCard-icon ${mark}`)).toHaveCount(1);
  const section = page.locator('.jp-Launcher-sectionHeader', { hasText: 'MedLab' });
  await expect(section.locator(mark)).toHaveCount(1);
  await expect(page.locator(`.jp-SideBar [data-id="medlab-panel"] ${mark}`)).toHaveCount(1);
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'medlab-launcher.png') });
  await card.click();
  // 00 passed in an earlier test, so the next lesson is 01.
  await expect(page.getByRole('tab', { name: '01_images.ipynb' })).toHaveAttribute(
    'aria-selected',
    'true'
  );
});

test('the panel follows the dark theme', async ({ page }) => {
  await openLab(page);
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('apputils:change-theme', {
      theme: 'JupyterLab Dark'
    })
  );
  await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'false');
  const [panelBg, layoutBg] = await page.evaluate(() => {
    const panel = document.getElementById('medlab-panel') as HTMLElement;
    const probe = document.createElement('div');
    probe.style.background = 'var(--jp-layout-color1)';
    document.body.append(probe);
    const result = [getComputedStyle(panel).backgroundColor, getComputedStyle(probe).backgroundColor];
    probe.remove();
    return result;
  });
  expect(panelBg).toBe(layoutBg);
  await page.screenshot({ path: path.join(artifacts, 'medlab-panel-dark.png') });
  await page.evaluate(() =>
    (window as any).jupyterapp.commands.execute('apputils:change-theme', {
      theme: 'JupyterLab Light'
    })
  );
});

test('an appendix is listed after the lessons by its label, A1', async ({ page }) => {
  // Written here, not by make_lessons.py, so the other tests keep their two lessons.
  const gallery = path.join(process.env.MEDLAB_LESSONS_DIR as string, 'A1_gallery.ipynb');
  const medlab = {
    id: 'A1_gallery',
    number: 101,
    title: 'Widget gallery',
    minutes: 10,
    objectives: ['Every widget'],
    exercises: []
  };
  const nb = { nbformat: 4, nbformat_minor: 5, metadata: { medlab }, cells: [] };
  fs.writeFileSync(gallery, JSON.stringify(nb));
  try {
    await openLab(page);
    const rows = page.locator('#medlab-panel .jp-MedlabPanel-lesson');
    await expect(rows).toHaveCount(3);
    await expect(rows.nth(2)).toHaveAttribute('data-lesson-id', 'A1_gallery');
    const numbers = page.locator('#medlab-panel .jp-MedlabPanel-number');
    await expect(numbers).toHaveText(['00', '01', 'A1']);
    await expect(row(page, 'A1_gallery').locator('.jp-MedlabPanel-open')).toHaveAttribute(
      'aria-label',
      /^Open appendix A1: Widget gallery, 10 minutes/
    );
    await expect(row(page, 'A1_gallery').locator('.jp-MedlabPanel-reset')).toHaveAttribute(
      'aria-label',
      'Reset appendix A1: Widget gallery'
    );
  } finally {
    fs.rmSync(gallery, { force: true });
  }
});

test('a damaged progress file is reported once and left as it is', async ({ page }) => {
  // The server's progress folder (run.sh sets MEDLAB_PROGRESS_DIR); the earlier tests'
  // progress is put back afterwards, byte for byte, so the order of tests does not matter.
  const folder = process.env.MEDLAB_PROGRESS_DIR as string;
  const file = path.join(folder, 'progress.json');
  const saved = fs.existsSync(file) ? fs.readFileSync(file) : null;
  const damaged = Buffer.from('{"version": 1, "passed": {"00.hounsfield": "2026-11-');
  fs.mkdirSync(folder, { recursive: true });
  const before = fs.readdirSync(folder).filter(name => name !== 'progress.json');
  fs.writeFileSync(file, damaged);
  try {
    await openLab(page);
    const problem = page.locator('#medlab-panel .jp-MedlabPanel-problem');
    await expect(problem).toBeVisible();
    await expect(problem).toHaveAttribute('role', 'alert');
    await expect(problem).toContainText('cannot be used as it is: it is not valid JSON');
    await expect(problem).toContainText(`'${file}'`);
    await expect(problem).toContainText('It is left untouched');
    // The lessons are still listed, with no progress (nothing in the file can be used).
    const rows = page.locator('#medlab-panel .jp-MedlabPanel-lesson');
    await expect(rows).toHaveCount(2);
    await expect(row(page, '00_welcome').locator('.jp-MedlabPanel-progress')).toHaveText('0/1');
    await expect(page.locator('#medlab-panel .jp-MedlabPanel-summary')).toHaveText(
      '0 of 1 exercises passed'
    );
    // Said once: one line on the whole page, still one after the panel refreshes.
    const said = page.getByText('cannot be used as it is');
    await expect(said).toHaveCount(1);
    await page.locator('#medlab-panel .jp-MedlabPanel-refresh').click();
    await expect(rows).toHaveCount(2);
    await expect(said).toHaveCount(1);
    // Reading changed nothing: the same bytes, no copy moved aside, no new file.
    expect(fs.readFileSync(file).equals(damaged)).toBe(true);
    expect(fs.readdirSync(folder).filter(name => name !== 'progress.json')).toEqual(before);
  } finally {
    if (saved === null) {
      fs.rmSync(file, { force: true });
    } else {
      fs.writeFileSync(file, saved);
    }
  }
  // With the file usable again, the next refresh takes the line away.
  await page.locator('#medlab-panel .jp-MedlabPanel-refresh').click();
  await expect(page.locator('#medlab-panel .jp-MedlabPanel-problem')).toBeHidden();
  await expect(page.getByText('cannot be used as it is')).toHaveCount(0);
});
