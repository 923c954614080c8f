import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { CommandRegistry } from '@lumino/commands';

import { ILesson, lessonName, requestAPI } from './handler';
import type { IPanelActions } from './panel';

/**
 * What a learner can do with a lesson: open their own copy, or reset it to a
 * fresh one (theirs is kept in `backups/`). Both ask the MedLab server
 * extension, then call `changed` so the course panel can show the new state.
 */
export class LessonActions implements IPanelActions {
  constructor(options: LessonActions.IOptions) {
    this._commands = options.commands;
    this._docManager = options.docManager;
    this._changed = options.changed;
  }

  /** Copy the lesson into the workspace (first time only) and open it. */
  async open(lesson: ILesson): Promise<void> {
    try {
      const reply = await requestAPI<{ path: string }>(
        `lessons/${encodeURIComponent(lesson.id)}/open`,
        { method: 'POST' }
      );
      await this._commands.execute('docmanager:open', { path: reply.path });
      this._changed();
    } catch (error) {
      Notification.error(`Cannot open lesson ${lesson.title}: ${error}`);
    }
  }

  /**
   * Ask first; then save unsaved edits (so the backup holds them), reset the
   * lesson on the server and reload it where it is open.
   */
  async reset(lesson: ILesson): Promise<void> {
    const result = await showDialog({
      title: `Reset ${lessonName(lesson)}?`,
      body:
        `“${lesson.title}” will be replaced by a fresh copy. Your current ` +
        'version is kept in the backups/ folder.',
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: 'Reset', ariaLabel: 'Reset the lesson' })
      ],
      // Cancel has the focus and answers Enter: resetting takes a deliberate click.
      defaultButton: 0
    });
    if (!result.button.accept) {
      return;
    }
    try {
      const docManager = this._docManager;
      const widget = docManager.findWidget(lesson.path);
      const context = widget ? docManager.contextForWidget(widget) : undefined;
      if (context?.model.dirty) {
        await context.save();
      }
      const reply = await requestAPI<{ path: string; backup: string | null }>(
        `lessons/${encodeURIComponent(lesson.id)}/reset`,
        { method: 'POST' }
      );
      if (context) {
        await context.revert();
      }
      Notification.success(
        reply.backup
          ? `Lesson reset. Your previous version: ${reply.backup}`
          : 'Lesson reset.',
        { autoClose: 5000 }
      );
      this._changed();
    } catch (error) {
      Notification.error(`Cannot reset lesson ${lesson.title}: ${error}`);
    }
  }

  private _changed: () => void;
  private _commands: CommandRegistry;
  private _docManager: IDocumentManager;
}

export namespace LessonActions {
  /** What the lesson actions need from the application. */
  export interface IOptions {
    /** Runs `docmanager:open`. */
    commands: CommandRegistry;
    /** Finds and saves the open lesson before a reset, reloads it after. */
    docManager: IDocumentManager;
    /** Called after a lesson was opened or reset. */
    changed: () => void;
  }
}
