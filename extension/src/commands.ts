import { JupyterFrontEnd } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';

import { ILesson } from './handler';
import { medlabIcon } from './icons';
import { LessonActions } from './lessons';
import { MedlabPanel } from './panel';

/** Command ids (the browser tests and the launcher card rely on them). */
export namespace CommandIDs {
  export const openPanel = 'medlab:open-panel';
  export const openNext = 'medlab:open-next-lesson';
  export const openLesson = 'medlab:open-lesson';
  export const resetLesson = 'medlab:reset-lesson';
  export const openInViewer = 'medlab:open-in-viewer';
}

/** The commands shown in the command palette, in order. */
const PALETTE_COMMANDS = [
  CommandIDs.openPanel,
  CommandIDs.openNext,
  CommandIDs.resetLesson
];

/** Arguments of the commands that act on one lesson. */
const LESSON_ARGS = {
  type: 'object',
  properties: {
    id: {
      type: 'string',
      description:
        'Lesson id such as "00_welcome"; default: the lesson open in the current notebook'
    }
  }
};

/** What the commands act on. */
export interface ICommandsOptions {
  panel: MedlabPanel;
  lessons: LessonActions;
  notebooks: INotebookTracker | null;
}

/** Register the MedLab commands. */
export function addCommands(
  app: JupyterFrontEnd,
  options: ICommandsOptions
): void {
  const { commands, shell } = app;
  const { panel, lessons, notebooks } = options;

  /** The lesson with this id, or else the lesson open in the current notebook. */
  const findLesson = async (id?: string): Promise<ILesson | undefined> => {
    const catalog = panel.catalog ?? (await panel.refresh());
    if (!catalog) {
      return undefined;
    }
    if (id) {
      return catalog.lessons.find(l => l.id === id);
    }
    const path = notebooks?.currentWidget?.context.path;
    return catalog.lessons.find(l => l.path === path);
  };

  commands.addCommand(CommandIDs.openPanel, {
    label: 'MedLab: Show Course Panel',
    caption: 'Show the MedLab lessons and your progress',
    icon: medlabIcon,
    describedBy: { args: { type: 'object', properties: {} } },
    execute: () => {
      shell.activateById(panel.id);
    }
  });
  commands.addCommand(CommandIDs.openNext, {
    label: args =>
      args.isLauncher ? 'MedLab course' : 'MedLab: Open Next Lesson',
    caption: 'Open the next MedLab lesson',
    icon: medlabIcon,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          isLauncher: {
            type: 'boolean',
            description: 'Label the command for the launcher card'
          }
        }
      }
    },
    execute: async () => {
      shell.activateById(panel.id);
      const catalog = await panel.refresh();
      const lesson = catalog?.lessons.find(l => l.id === catalog.next);
      if (lesson) {
        await lessons.open(lesson);
      }
    }
  });
  commands.addCommand(CommandIDs.openLesson, {
    label: 'MedLab: Open Lesson',
    icon: medlabIcon,
    describedBy: { args: LESSON_ARGS },
    execute: async args => {
      const lesson = await findLesson(args.id as string | undefined);
      if (lesson) {
        await lessons.open(lesson);
      }
    }
  });
  commands.addCommand(CommandIDs.resetLesson, {
    label: 'MedLab: Reset Lesson…',
    caption: 'Replace the current lesson by a fresh copy (yours is backed up)',
    icon: medlabIcon,
    describedBy: { args: LESSON_ARGS },
    isEnabled: () => true,
    execute: async args => {
      const lesson = await findLesson(args.id as string | undefined);
      if (lesson) {
        await lessons.reset(lesson);
      } else {
        Notification.warning(
          'Open a MedLab lesson first, or use the reset button in the panel.'
        );
      }
    }
  });
}

/** Add the MedLab commands to the command palette. */
export function addToPalette(palette: ICommandPalette): void {
  for (const command of PALETTE_COMMANDS) {
    palette.addItem({ command, category: 'MedLab' });
  }
}
