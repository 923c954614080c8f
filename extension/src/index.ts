import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';

import { addCommands, addToPalette } from './commands';
import { addLauncherCard } from './launcher';
import { LessonActions } from './lessons';
import { MedlabPanel } from './panel';
import { refreshAutomatically, showPanelWhenLessons } from './refresh';
import { addViewer } from './viewer';

/**
 * The MedLab plugin: the course panel in the left area, the commands, their
 * palette entries, the launcher card and "Open in MedLab Viewer" for scans in
 * the file browser. Each part lives in its own module; this one only wires them
 * together.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: '@medlab/labextension:plugin',
  description: 'MedLab course side panel, launcher card and commands.',
  autoStart: true,
  requires: [IDocumentManager],
  optional: [
    ICommandPalette,
    ILauncher,
    ILayoutRestorer,
    INotebookTracker,
    IDefaultFileBrowser
  ],
  activate: (
    app: JupyterFrontEnd,
    docManager: IDocumentManager,
    palette: ICommandPalette | null,
    launcher: ILauncher | null,
    restorer: ILayoutRestorer | null,
    notebooks: INotebookTracker | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    const lessons = new LessonActions({
      commands: app.commands,
      docManager,
      changed: () => void panel.refresh()
    });
    const panel = new MedlabPanel(lessons);
    app.shell.add(panel, 'left', { rank: 50 });
    if (restorer) {
      restorer.add(panel, 'medlab-panel');
    }

    addCommands(app, { panel, lessons, notebooks });
    if (palette) {
      addToPalette(palette);
    }
    if (launcher) {
      addLauncherCard(launcher);
    }
    addViewer(app, { docManager, fileBrowser });

    refreshAutomatically(panel);
    void app.restored.then(() => showPanelWhenLessons(app.shell, panel));
  }
};

export default plugin;
