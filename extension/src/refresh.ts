import { JupyterFrontEnd } from '@jupyterlab/application';
import { NotebookActions } from '@jupyterlab/notebook';

import { MedlabPanel } from './panel';

/** Seconds between catalog polls while the page is visible and idle. */
const POLL_SECONDS = 10;
/** Delay after a cell ran before refreshing (coalesces run-all bursts). */
const AFTER_RUN_MS = 800;

/**
 * Keep the panel's progress current: refresh soon after a cell runs (a check
 * may have passed), and poll slowly while the page and the panel are visible
 * so that progress made elsewhere shows up too.
 */
export function refreshAutomatically(panel: MedlabPanel): void {
  let pending: number | undefined;
  NotebookActions.executed.connect(() => {
    window.clearTimeout(pending);
    pending = window.setTimeout(() => void panel.refresh(), AFTER_RUN_MS);
  });
  window.setInterval(() => {
    if (document.visibilityState === 'visible' && panel.isVisible) {
      void panel.refresh();
    }
  }, POLL_SECONDS * 1000);
}

/** Once the layout is restored, show the panel if there are lessons to show. */
export async function showPanelWhenLessons(
  shell: JupyterFrontEnd.IShell,
  panel: MedlabPanel
): Promise<void> {
  const catalog = await panel.refresh();
  if (catalog && catalog.lessons.length > 0) {
    shell.activateById(panel.id);
  }
}
