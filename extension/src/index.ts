import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  Dialog,
  ICommandPalette,
  Notification,
  showDialog
} from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker, NotebookActions } from '@jupyterlab/notebook';

import { ILesson, requestAPI } from './handler';
import { MedlabPanel, medlabIcon } from './panel';

/** Command ids. */
export namespace CommandIDs {
  export const openPanel = 'medlab:open-panel';
  export const openNext = 'medlab:open-next-lesson';
  export const openLesson = 'medlab:open-lesson';
  export const resetLesson = 'medlab:reset-lesson';
}

/** Seconds between catalog polls while the page is visible and idle. */
const POLL_SECONDS = 10;
/** Delay after a cell ran before refreshing (coalesces run-all bursts). */
const AFTER_RUN_MS = 800;

const plugin: JupyterFrontEndPlugin<void> = {
  id: '@medlab/labextension:plugin',
  description: 'MedLab course side panel, launcher card and commands.',
  autoStart: true,
  requires: [IDocumentManager],
  optional: [ICommandPalette, ILauncher, ILayoutRestorer, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    docManager: IDocumentManager,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    notebooks: INotebookTracker | null
  ) => {
    const { commands, shell } = app;

    const findLesson = async (id?: string): Promise<ILesson | undefined> => {
      const catalog = panel.catalog ?? (await panel.refresh());
      if (!catalog) {
        return undefined;
      }
      if (id) {
        return catalog.lessons.find(l => l.id === id);
      }
      // Without an id: the lesson open in the current notebook, if any.
      const path = notebooks?.currentWidget?.context.path;
      return catalog.lessons.find(l => l.path === path);
    };

    const openLesson = async (lesson: ILesson): Promise<void> => {
      try {
        const reply = await requestAPI<{ path: string }>(
          `lessons/${encodeURIComponent(lesson.id)}/open`,
          { method: 'POST' }
        );
        await commands.execute('docmanager:open', { path: reply.path });
        void panel.refresh();
      } catch (error) {
        Notification.error(`Cannot open lesson ${lesson.title}: ${error}`);
      }
    };

    const resetLesson = async (lesson: ILesson): Promise<void> => {
      const result = await showDialog({
        title: `Reset lesson ${String(lesson.number).padStart(2, '0')}?`,
        body:
          `“${lesson.title}” will be replaced by a fresh copy. Your current ` +
          'version is kept in the backups/ folder.',
        buttons: [
          Dialog.cancelButton(),
          Dialog.warnButton({ label: 'Reset', ariaLabel: 'Reset the lesson' })
        ]
      });
      if (!result.button.accept) {
        return;
      }
      try {
        const widget = docManager.findWidget(lesson.path);
        if (widget && docManager.contextForWidget(widget)?.model.dirty) {
          await docManager.contextForWidget(widget)?.save();
        }
        const reply = await requestAPI<{ path: string; backup: string | null }>(
          `lessons/${encodeURIComponent(lesson.id)}/reset`,
          { method: 'POST' }
        );
        const context = widget ? docManager.contextForWidget(widget) : undefined;
        if (context) {
          await context.revert();
        }
        Notification.success(
          reply.backup
            ? `Lesson reset. Your previous version: ${reply.backup}`
            : 'Lesson reset.',
          { autoClose: 5000 }
        );
        void panel.refresh();
      } catch (error) {
        Notification.error(`Cannot reset lesson ${lesson.title}: ${error}`);
      }
    };

    const panel = new MedlabPanel({ open: openLesson, reset: resetLesson });
    shell.add(panel, 'left', { rank: 50 });
    if (restorer) {
      restorer.add(panel, 'medlab-panel');
    }

    commands.addCommand(CommandIDs.openPanel, {
      label: 'MedLab: Show Course Panel',
      caption: 'Show the MedLab lessons and your progress',
      icon: medlabIcon,
      execute: () => {
        shell.activateById(panel.id);
      }
    });
    commands.addCommand(CommandIDs.openNext, {
      label: args => (args.isLauncher ? 'MedLab course' : 'MedLab: Open Next Lesson'),
      caption: 'Open the next MedLab lesson',
      icon: medlabIcon,
      execute: async () => {
        shell.activateById(panel.id);
        const catalog = await panel.refresh();
        const lesson = catalog?.lessons.find(l => l.id === catalog.next);
        if (lesson) {
          await openLesson(lesson);
        }
      }
    });
    commands.addCommand(CommandIDs.openLesson, {
      label: 'MedLab: Open Lesson',
      execute: async args => {
        const lesson = await findLesson(args.id as string | undefined);
        if (lesson) {
          await openLesson(lesson);
        }
      }
    });
    commands.addCommand(CommandIDs.resetLesson, {
      label: 'MedLab: Reset Lesson…',
      caption: 'Replace the current lesson by a fresh copy (yours is backed up)',
      isEnabled: () => true,
      execute: async args => {
        const lesson = await findLesson(args.id as string | undefined);
        if (lesson) {
          await resetLesson(lesson);
        } else {
          Notification.warning('Open a MedLab lesson first, or use the reset button in the panel.');
        }
      }
    });

    if (palette) {
      for (const command of [CommandIDs.openPanel, CommandIDs.openNext, CommandIDs.resetLesson]) {
        palette.addItem({ command, category: 'MedLab' });
      }
    }
    if (launcher) {
      launcher.add({ command: CommandIDs.openNext, category: 'MedLab', rank: 0, args: { isLauncher: true } });
    }

    // Refresh soon after a cell runs (a check may have passed), and poll slowly
    // while the page is visible so progress made elsewhere shows up too.
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

    void app.restored.then(async () => {
      const catalog = await panel.refresh();
      if (catalog && catalog.lessons.length > 0) {
        shell.activateById(panel.id);
      }
    });
  }
};

export default plugin;
