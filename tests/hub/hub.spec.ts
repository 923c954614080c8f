import {
  APIResponse,
  Browser,
  BrowserContext,
  expect,
  Page,
  test
} from '@playwright/test';
import * as fs from 'fs';
import * as path from 'path';

/*
 * MedLab under a real JupyterHub (run.sh starts it): two learners, ada and ben, each log
 * in, get their own single-user JupyterLab under /user/<name>/ and see the MedLab panel
 * with the bundled lessons. Ada opens lesson 00 from the panel and passes 00.hounsfield;
 * ben's progress stays empty, and neither learner's browser session can read or change
 * the other's MedLab endpoints.
 */

const tmp = process.env.MEDLAB_HUB_TMP as string;
const password = process.env.MEDLAB_HUB_PASSWORD as string;
const homes = path.join(tmp, 'homes');
const artifacts = path.resolve(__dirname, '..', 'artifacts', 'hub');
const LEARNERS = ['ada', 'ben'] as const;
type Learner = (typeof LEARNERS)[number];

/** Where MedLab keeps a learner's progress by default: <jupyter data dir>/medlab. */
const progressFile = (name: Learner) =>
  path.join(homes, name, '.local', 'share', 'jupyter', 'medlab', 'progress.json');

const row = (page: Page, id: string) =>
  page.locator(`#medlab-panel .jp-MedlabPanel-lesson[data-lesson-id="${id}"]`);

const contexts = new Map<Learner, BrowserContext>();
const pages = new Map<Learner, Page>();

/** A browser context that reaches 127.0.0.1 only (every other request is aborted). */
async function offlineContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.route(
    url => url.hostname !== '127.0.0.1',
    route => route.abort('blockedbyclient')
  );
  return context;
}

/** Log `name` in at the hub and wait for their JupyterLab with the MedLab panel. */
async function logIn(browser: Browser, name: Learner): Promise<Page> {
  const context = await offlineContext(browser);
  const page = await context.newPage();
  // JupyterHub 4.1 can refuse the first login form of a fresh browser with "XSRF cookie
  // does not match POST argument" (its anonymous XSRF token is tied to cookies that the
  // login page is still setting): a person would submit again, and so does the test.
  for (let attempt = 1; ; attempt++) {
    await page.goto('/hub/login');
    await page.locator('#username_input').fill(name);
    await page.locator('#password_input').fill(password);
    const [reply] = await Promise.all([
      page.waitForResponse(
        r => r.url().includes('/hub/login') && r.request().method() === 'POST'
      ),
      page.locator('#login_submit').click()
    ]);
    if (reply.status() !== 403 || attempt === 3) {
      expect(reply.status(), `login of ${name}`).toBe(302);
      break;
    }
  }
  // The hub spawns the server (a spawn-pending page), then redirects to /user/<name>/lab.
  await page.waitForURL(`**/user/${name}/lab**`, { timeout: 120_000 });
  await expect(page.locator('#medlab-panel .jp-MedlabPanel-lesson').first()).toBeVisible({
    timeout: 60_000
  });
  contexts.set(name, context);
  pages.set(name, page);
  return page;
}

/** GET a MedLab endpoint with `as`'s browser session, as the panel's fetch would be sent. */
async function getAs(as: Learner, url: string, maxRedirects?: number): Promise<APIResponse> {
  const context = contexts.get(as)!;
  const cookies = await context.cookies();
  const xsrf = cookies.find(c => c.name === '_xsrf' && url.startsWith(c.path ?? '/'));
  return context.request.get(url, {
    headers: xsrf ? { 'X-XSRFToken': xsrf.value } : {},
    maxRedirects
  });
}

async function passedOf(as: Learner, owner: Learner): Promise<Record<string, string>> {
  const reply = await getAs(as, `/user/${owner}/medlab/api/progress`);
  expect(reply.status(), await reply.text()).toBe(200);
  return (await reply.json()).passed;
}

test.describe.configure({ mode: 'serial' });

test.afterAll(async () => {
  for (const context of contexts.values()) {
    await context.close();
  }
});

test('each learner logs in and gets MedLab under /user/<name>/', async ({ browser }) => {
  for (const name of LEARNERS) {
    const page = await logIn(browser, name);
    // JupyterLab itself runs with the hub's per-user prefix ...
    const baseUrl = await page.evaluate(
      () => (window as any).jupyterapp.serviceManager.serverSettings.baseUrl
    );
    expect(baseUrl).toBe(`http://127.0.0.1:${process.env.MEDLAB_HUB_PORT}/user/${name}/`);
    // ... and the panel lists the bundled lessons, as the catalog under that prefix does.
    const reply = await getAs(name, `/user/${name}/medlab/api/catalog`);
    expect(reply.status()).toBe(200);
    const catalog = await reply.json();
    expect(catalog.lessons.length).toBeGreaterThanOrEqual(11);
    const rows = page.locator('#medlab-panel .jp-MedlabPanel-lesson');
    await expect(rows).toHaveCount(catalog.lessons.length);
    await expect(rows.nth(0)).toContainText(catalog.lessons[0].title);
    await expect(row(page, '00_welcome')).toHaveClass(/jp-mod-next/);
    expect(await passedOf(name, name)).toEqual({});
  }
});

test('ada opens lesson 00 from the panel and passes 00.hounsfield', async () => {
  const page = pages.get('ada')!;
  const total = await row(page, '00_welcome').locator('.jp-MedlabPanel-progress').innerText();
  expect(total).toMatch(/^0\/\d+$/);
  await row(page, '00_welcome').locator('.jp-MedlabPanel-open').click();
  const notebook = page.locator('.jp-NotebookPanel:visible');
  await expect(notebook).toContainText('YOUR CODE HERE');
  // The learner's copy lands in ada's home (her server's root), not in ben's.
  expect(fs.existsSync(path.join(homes, 'ada', '00_welcome.ipynb'))).toBe(true);
  expect(fs.existsSync(path.join(homes, 'ben', '00_welcome.ipynb'))).toBe(false);

  // Ada writes the conversion in the exercise cell and runs the lesson up to it.
  await page.evaluate(async () => {
    const app = (window as any).jupyterapp;
    const panel = app.shell.currentWidget;
    await panel.sessionContext.ready;
    const cells = panel.content.widgets;
    const index = cells.findIndex((cell: any) =>
      cell.model.sharedModel.getSource().includes('check("00.hounsfield"')
    );
    if (index < 0) {
      throw new Error('no 00.hounsfield exercise cell in lesson 00');
    }
    cells[index].model.sharedModel.setSource(
      'hu = raw * float(ds.RescaleSlope) + float(ds.RescaleIntercept)  # my answer\n' +
        'check("00.hounsfield", hu)'
    );
    panel.content.activeCellIndex = index + 1;
    await app.commands.execute('notebook:run-all-above');
  });
  const exercise = notebook.locator('.jp-CodeCell').filter({ hasText: '# my answer' });
  await expect(exercise.locator('.jp-OutputArea')).toContainText('00.hounsfield passed', {
    timeout: 90_000
  });
  const [, exercises] = total.split('/');
  await expect(row(page, '00_welcome').locator('.jp-MedlabPanel-progress')).toHaveText(
    `1/${exercises}`,
    { timeout: 20_000 }
  );
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, 'ada.png') });

  // Ada's kernel has the class settings (class_config.py) and her own progress folder.
  const settings = await page.evaluate(async () => {
    const app = (window as any).jupyterapp;
    const kernel = app.shell.currentWidget.sessionContext.session.kernel;
    let text = '';
    const future = kernel.requestExecute({
      code:
        'from medlab.config import config\n' +
        'print(config.fast, config.data_dir, config.progress_dir, sep="|")'
    });
    future.onIOPub = (msg: any) => {
      if (msg.header.msg_type === 'stream') {
        text += msg.content.text;
      }
    };
    await future.done;
    return text.trim().split('|');
  });
  expect(settings).toEqual([
    'True',
    path.join(tmp, 'class-data'),
    path.dirname(progressFile('ada'))
  ]);

  const passed = await passedOf('ada', 'ada');
  expect(Object.keys(passed)).toEqual(['00.hounsfield']);
  // Recorded in ada's own progress file, found from her HOME.
  const stored = JSON.parse(fs.readFileSync(progressFile('ada'), 'utf-8'));
  expect(JSON.stringify(stored)).toContain('00.hounsfield');
});

test("ben's progress is untouched", async () => {
  expect(await passedOf('ben', 'ben')).toEqual({});
  if (fs.existsSync(progressFile('ben'))) {
    expect(fs.readFileSync(progressFile('ben'), 'utf-8')).not.toContain('00.hounsfield');
  }
  const page = pages.get('ben')!;
  await page.locator('#medlab-panel .jp-MedlabPanel-refresh').click();
  const progress = row(page, '00_welcome').locator('.jp-MedlabPanel-progress');
  await expect(progress).toHaveText(/^0\/\d+$/);
  await expect(page.locator('#medlab-panel .jp-MedlabPanel-summary')).toHaveText(/^0 of \d+/);
  await page.screenshot({ path: path.join(artifacts, 'ben.png') });
});

for (const [intruder, owner] of [
  ['ben', 'ada'],
  ['ada', 'ben']
] as const) {
  test(`${intruder} cannot reach ${owner}'s MedLab endpoints`, async () => {
    const before = fs.existsSync(progressFile(owner))
      ? fs.readFileSync(progressFile(owner), 'utf-8')
      : null;
    for (const endpoint of ['progress', 'catalog']) {
      const url = `/user/${owner}/medlab/api/${endpoint}`;
      // An API request with the intruder's session: the owner's server refuses it.
      const reply = await getAs(intruder, url, 0);
      expect(reply.status(), `${intruder} GET ${url}`).toBe(403);
      expect(await reply.text()).not.toContain('"passed"');
      // Opened as a page: refused the same way.
      const page = await contexts.get(intruder)!.newPage();
      const response = await page.goto(url);
      expect(response!.status(), `${intruder} opens ${url}`).toBe(403);
      expect(await page.content()).not.toContain('"passed"');
      await page.close();
    }
    // The owner's JupyterLab sends the intruder to the hub to log in, and the hub refuses
    // to let the intruder into the owner's server.
    const lab = await contexts.get(intruder)!.newPage();
    const response = await lab.goto(`/user/${owner}/lab`);
    expect(response!.status(), `${intruder} opens /user/${owner}/lab`).toBe(403);
    expect(lab.url()).toContain('/hub/api/oauth2/authorize');
    await expect(lab.locator('#medlab-panel')).toHaveCount(0);
    await lab.close();

    // Fetching from the intruder's own JupyterLab page (same origin, the intruder's
    // cookies) gets no answer from the owner's server either.
    const fetched = await pages.get(intruder)!.evaluate(async url => {
      const reply = await fetch(url, { credentials: 'same-origin' });
      return { status: reply.status, text: await reply.text() };
    }, `/user/${owner}/medlab/api/progress`);
    expect(fetched.status).toBe(403);
    expect(fetched.text).not.toContain('"passed"');

    // Writing routes: refused, nothing changes in the owner's home.
    for (const action of ['open', 'reset']) {
      const url = `/user/${owner}/medlab/api/lessons/00_welcome/${action}`;
      const reply = await contexts.get(intruder)!.request.post(url, { maxRedirects: 0 });
      expect([302, 403], `${intruder} POST ${url}`).toContain(reply.status());
    }
    expect(fs.existsSync(path.join(homes, owner, 'backups'))).toBe(false);
    if (owner === 'ben') {
      expect(fs.existsSync(path.join(homes, 'ben', '00_welcome.ipynb'))).toBe(false);
    }
    const after = fs.existsSync(progressFile(owner))
      ? fs.readFileSync(progressFile(owner), 'utf-8')
      : null;
    expect(after).toEqual(before);
  });
}
