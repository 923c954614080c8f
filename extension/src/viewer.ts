import { JupyterFrontEnd } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import {
  ABCWidgetFactory,
  DocumentRegistry,
  DocumentWidget,
  IDocumentWidget,
  TextModelFactory
} from '@jupyterlab/docregistry';
import { FileBrowser } from '@jupyterlab/filebrowser';
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { Contents } from '@jupyterlab/services';
import { Widget } from '@lumino/widgets';

import { CommandIDs } from './commands';
import { medlabIcon } from './icons';

/** Folder (under the server root) that holds the generated viewer notebooks. */
export const VIEWER_FOLDER = 'medlab-viewer';

/** The scan file types, registered so the file browser shows and offers them. */
const SCAN_FILE_TYPES: Partial<DocumentRegistry.IFileType>[] = [
  {
    name: 'medlab-nifti',
    displayName: 'NIfTI volume',
    extensions: ['.nii', '.nii.gz'],
    mimeTypes: ['application/octet-stream']
  },
  {
    name: 'medlab-nrrd',
    displayName: 'NRRD volume',
    extensions: ['.nrrd'],
    mimeTypes: ['application/octet-stream']
  },
  {
    name: 'medlab-dicom',
    displayName: 'DICOM image',
    extensions: ['.dcm', '.dicom'],
    mimeTypes: ['application/dicom']
  }
];

/** The widget factory that opens a scan file in the viewer (double-click, Open With). */
const FACTORY = 'MedLab Viewer';

/** Name endings that may hold a DICOM slice: the usual ones, or none at all. */
function mayBeDicom(name: string): boolean {
  const lower = name.toLowerCase();
  if (name.startsWith('.') || lower === 'dicomdir') {
    return false;
  }
  return (
    !lower.includes('.') ||
    ['.dcm', '.dicom', '.ima'].some(ending => lower.endsWith(ending))
  );
}

/** A Python string literal for a path (JSON escapes are valid Python escapes). */
function pythonString(text: string): string {
  return JSON.stringify(text);
}

/**
 * Open scans in the MedLab viewer without writing code: for a scan file or a folder
 * of DICOM slices, write a small notebook in `medlab-viewer/` that calls
 * `medlab.widgets.open_scan`, open it and run it once its kernel is ready. Opening
 * the same scan again shows (and reruns) the same notebook.
 */
export class ScanOpener {
  constructor(options: ScanOpener.IOptions) {
    this._docManager = options.docManager;
    this._services = options.serviceManager;
  }

  /**
   * Show the scan at `path` (relative to the server root) in the viewer; returns the
   * notebook, or null when there is nothing to show (the learner is told why).
   */
  async open(path: string): Promise<NotebookPanel | null> {
    const contents = this._services.contents;
    const local = contents.localPath(path);
    try {
      const item = await contents.get(path, { content: false });
      if (item.type === 'directory') {
        const listing = await contents.get(path, { content: true });
        const files = (listing.content as Contents.IModel[]).filter(
          child => child.type !== 'directory' && mayBeDicom(child.name)
        );
        if (files.length === 0) {
          Notification.warning(
            `No DICOM files in ${local}: right-click the folder that holds the ` +
              'slices, or a .dcm, .nii, .nii.gz or .nrrd file.',
            { autoClose: 8000 }
          );
          return null;
        }
      }
      const notebookPath = PathExt.join(
        VIEWER_FOLDER,
        `${local.split('/').join('--')}.ipynb`
      );
      let widget = this._docManager.findWidget(notebookPath);
      if (!widget) {
        await this._write(notebookPath, local);
        widget = this._docManager.openOrReveal(notebookPath);
      } else {
        this._docManager.openOrReveal(notebookPath);
      }
      if (!(widget instanceof NotebookPanel)) {
        throw new Error(`${notebookPath} did not open as a notebook`);
      }
      await widget.context.ready;
      await widget.sessionContext.ready;
      await NotebookActions.runAll(widget.content, widget.sessionContext);
      await widget.context.save();
      return widget;
    } catch (error) {
      Notification.error(
        `Cannot open ${local} in the MedLab viewer: ${error}`,
        { autoClose: false }
      );
      return null;
    }
  }

  /** Write the viewer notebook for `scan` (both paths from the server root). */
  private async _write(notebookPath: string, scan: string): Promise<void> {
    const contents = this._services.contents;
    try {
      await contents.get(VIEWER_FOLDER, { content: false });
    } catch {
      await contents.save(VIEWER_FOLDER, { type: 'directory' });
    }
    const specs = this._services.kernelspecs;
    await specs.ready;
    const kernel = specs.specs?.default || 'python3';
    const displayName =
      specs.specs?.kernelspecs[kernel]?.display_name ?? 'Python 3 (ipykernel)';
    const name = PathExt.basename(scan);
    const header =
      `# MedLab viewer: \`${name}\`\n\n` +
      `MedLab wrote this notebook to show \`${scan}\` (right-click a scan in the ` +
      'file browser → *Open in MedLab Viewer*). Move the sliders to go through the ' +
      'slices and the cursor, pick a window preset, and read the value under the ' +
      'cursor below the image (in HU for CT).\n\n' +
      'Opening the scan again from the file browser rewrites this notebook.';
    const code =
      'from medlab.widgets import open_scan\n\n' +
      `open_scan(${pythonString(`../${scan}`)})`;
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: {
          name: kernel,
          display_name: displayName,
          language: 'python'
        },
        language_info: { name: 'python' },
        medlab: { viewer: scan }
      },
      cells: [
        {
          cell_type: 'markdown',
          id: 'medlab-viewer-about',
          metadata: {},
          source: header
        },
        {
          cell_type: 'code',
          id: 'medlab-viewer-open',
          metadata: {},
          source: code,
          outputs: [],
          execution_count: null
        }
      ]
    };
    await contents.save(notebookPath, {
      type: 'notebook',
      format: 'json',
      content: notebook
    });
  }

  private _docManager: IDocumentManager;
  private _services: JupyterFrontEnd['serviceManager'];
}

export namespace ScanOpener {
  /** What the scan opener needs from the application. */
  export interface IOptions {
    /** Opens the viewer notebook. */
    docManager: IDocumentManager;
    /** Writes the notebook (contents) and names its kernel (kernel specs). */
    serviceManager: JupyterFrontEnd['serviceManager'];
  }
}

/**
 * A model that loads nothing: the viewer reads the scan in the kernel, so the
 * document context only needs the file's name (`fileFormat` null: no content).
 */
class ScanModelFactory extends TextModelFactory {
  get name(): string {
    return 'medlab-scan';
  }

  get fileFormat(): Contents.FileFormat {
    return null;
  }
}

/**
 * Double-click (or Open With → MedLab Viewer) on a scan file: the document manager
 * asks for a widget; this one hands the file to the scan opener and closes on the
 * next tick, before its context has loaded anything (so JupyterLab never fetches the
 * file nor makes a checkpoint copy of it: the kernel reads the scan).
 */
class ScanWidgetFactory extends ABCWidgetFactory<IDocumentWidget> {
  constructor(
    options: DocumentRegistry.IWidgetFactoryOptions<IDocumentWidget>,
    opener: ScanOpener
  ) {
    super(options);
    this._opener = opener;
  }

  protected createNewWidget(
    context: DocumentRegistry.IContext<DocumentRegistry.IModel>
  ): IDocumentWidget {
    const content = new Widget();
    content.addClass('jp-MedlabViewer-opening');
    content.node.textContent = `Opening ${PathExt.basename(context.path)} in the MedLab viewer…`;
    const widget = new DocumentWidget({ content, context });
    widget.title.icon = medlabIcon;
    void this._opener.open(context.path);
    window.setTimeout(() => widget.dispose(), 0);
    return widget;
  }

  private _opener: ScanOpener;
}

/** What the viewer entry points need. */
export interface IViewerOptions {
  docManager: IDocumentManager;
  fileBrowser: FileBrowser | null;
}

/**
 * Register the scan file types, the "Open in MedLab Viewer" command with its
 * file-browser context menu entries (scan files and folders), and the widget
 * factory behind double-click and Open With.
 */
export function addViewer(
  app: JupyterFrontEnd,
  options: IViewerOptions
): ScanOpener {
  const { docManager, fileBrowser } = options;
  const opener = new ScanOpener({
    docManager,
    serviceManager: app.serviceManager
  });

  for (const fileType of SCAN_FILE_TYPES) {
    app.docRegistry.addFileType({
      ...fileType,
      icon: medlabIcon,
      contentType: 'file',
      fileFormat: 'base64'
    });
  }
  const names = SCAN_FILE_TYPES.map(ft => ft.name as string);
  app.docRegistry.addModelFactory(new ScanModelFactory());
  app.docRegistry.addWidgetFactory(
    new ScanWidgetFactory(
      {
        name: FACTORY,
        label: FACTORY,
        fileTypes: names,
        defaultFor: names,
        modelName: 'medlab-scan',
        readOnly: true,
        preferKernel: false,
        canStartKernel: false
      },
      opener
    )
  );

  app.commands.addCommand(CommandIDs.openInViewer, {
    label: 'Open in MedLab Viewer',
    caption:
      'Show this scan (DICOM file or folder, NIfTI, NRRD) with slices, window presets and values',
    icon: medlabIcon,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          path: {
            type: 'string',
            description:
              'Scan file or DICOM folder, from the server root; default: the file browser selection'
          }
        }
      }
    },
    execute: async args => {
      let path = args.path as string | undefined;
      if (!path && fileBrowser) {
        path = fileBrowser.selectedItems().next().value?.path;
      }
      if (path) {
        await opener.open(path);
      }
    }
  });
  const selectors = [
    ...names.map(name => `.jp-DirListing-item[data-file-type="${name}"]`),
    '.jp-DirListing-item[data-isdir="true"]'
  ];
  for (const selector of selectors) {
    app.contextMenu.addItem({
      command: CommandIDs.openInViewer,
      selector,
      rank: 1.5
    });
  }
  return opener;
}
