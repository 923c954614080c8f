import { refreshIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { ICatalog, ILesson, lessonName, requestAPI } from './handler';
import { medlabIcon } from './icons';

/** What the panel asks its owner to do. */
export interface IPanelActions {
  open(lesson: ILesson): Promise<void>;
  reset(lesson: ILesson): Promise<void>;
}

/**
 * The MedLab side panel: lessons in order with minutes and progress, the next
 * lesson highlighted; each row opens its lesson, a reset button restores it.
 */
export class MedlabPanel extends Widget {
  constructor(actions: IPanelActions) {
    super();
    this._actions = actions;
    this.id = 'medlab-panel';
    this.addClass('jp-MedlabPanel');
    this.title.icon = medlabIcon;
    this.title.caption = 'MedLab course';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'MedLab course lessons');

    const header = document.createElement('div');
    header.className = 'jp-MedlabPanel-header';
    const heading = document.createElement('h2');
    heading.textContent = 'MedLab course';
    const refresh = document.createElement('button');
    refresh.className = 'jp-MedlabPanel-refresh jp-Button jp-mod-minimal';
    refresh.title = 'Refresh lessons and progress';
    refresh.setAttribute('aria-label', 'Refresh lessons and progress');
    refreshIcon.element({ container: refresh, elementPosition: 'center' });
    refresh.addEventListener('click', () => void this.refresh());
    header.append(heading, refresh);

    this._summary = document.createElement('p');
    this._summary.className = 'jp-MedlabPanel-summary';
    this._summary.setAttribute('aria-live', 'polite');
    this._problem = document.createElement('p');
    this._problem.className = 'jp-MedlabPanel-problem';
    this._problem.setAttribute('role', 'alert');
    this._problem.hidden = true;
    this._list = document.createElement('ol');
    this._list.className = 'jp-MedlabPanel-lessons';
    this._list.setAttribute('aria-label', 'Lessons');
    this.node.append(header, this._summary, this._problem, this._list);
  }

  /** The last catalog received (null before the first reply). */
  get catalog(): ICatalog | null {
    return this._catalog;
  }

  /** Fetch the catalog and redraw when it changed. */
  async refresh(): Promise<ICatalog | null> {
    try {
      const catalog = await requestAPI<ICatalog>('catalog');
      const key = JSON.stringify(catalog);
      if (key !== this._lastKey) {
        this._lastKey = key;
        this._catalog = catalog;
        this._render(catalog);
      }
      return catalog;
    } catch (error) {
      this._summary.textContent = `Cannot reach the MedLab server extension: ${error}`;
      return null;
    }
  }

  private _render(catalog: ICatalog): void {
    const passed = catalog.lessons.reduce((n, l) => n + l.passed, 0);
    const total = catalog.lessons.reduce((n, l) => n + l.total, 0);
    this._summary.textContent = catalog.lessons.length
      ? `${passed} of ${total} exercises passed`
      : 'No lessons found.';
    // A damaged progress file: said once, in one line, until the next pass fixes it.
    this._problem.textContent = catalog.progress_problem ?? '';
    this._problem.hidden = !catalog.progress_problem;
    this._list.replaceChildren(
      ...catalog.lessons.map(lesson =>
        this._row(lesson, lesson.id === catalog.next)
      )
    );
  }

  private _row(lesson: ILesson, isNext: boolean): HTMLLIElement {
    const name = lessonName(lesson);
    const li = document.createElement('li');
    li.className = 'jp-MedlabPanel-lesson';
    li.dataset.lessonId = lesson.id;
    const done = lesson.total > 0 && lesson.passed === lesson.total;
    if (isNext) {
      li.classList.add('jp-mod-next');
    }
    if (done) {
      li.classList.add('jp-mod-done');
    }

    const open = document.createElement('button');
    open.className = 'jp-MedlabPanel-open';
    const state = done ? 'completed' : isNext ? 'next lesson' : '';
    open.setAttribute(
      'aria-label',
      `Open ${name}: ${lesson.title}, ${lesson.minutes} minutes, ` +
        `${lesson.passed} of ${lesson.total} exercises passed${state ? ', ' + state : ''}`
    );
    if (isNext) {
      open.setAttribute('aria-current', 'step');
    }
    open.title = lesson.objectives.length
      ? 'You will learn:\n• ' + lesson.objectives.join('\n• ')
      : lesson.title;
    const num = document.createElement('span');
    num.className = 'jp-MedlabPanel-number';
    num.textContent = lesson.label;
    const title = document.createElement('span');
    title.className = 'jp-MedlabPanel-title';
    title.textContent = lesson.title;
    const meta = document.createElement('span');
    meta.className = 'jp-MedlabPanel-meta';
    const progress = document.createElement('span');
    progress.className = 'jp-MedlabPanel-progress';
    progress.textContent = `${lesson.passed}/${lesson.total}`;
    meta.append(`${lesson.minutes} min · `, progress, ' passed');
    if (isNext) {
      const badge = document.createElement('span');
      badge.className = 'jp-MedlabPanel-badge';
      badge.textContent = 'next';
      meta.append(' ', badge);
    }
    const bar = document.createElement('progress');
    bar.className = 'jp-MedlabPanel-bar';
    bar.max = Math.max(lesson.total, 1);
    bar.value = lesson.passed;
    bar.setAttribute('aria-hidden', 'true');
    const text = document.createElement('span');
    text.className = 'jp-MedlabPanel-text';
    text.append(title, meta, bar);
    open.append(num, text);
    open.addEventListener('click', () => void this._actions.open(lesson));

    const reset = document.createElement('button');
    reset.className = 'jp-MedlabPanel-reset jp-Button jp-mod-minimal';
    reset.title = `Reset ${name} to a fresh copy (yours is backed up)`;
    reset.setAttribute('aria-label', `Reset ${name}: ${lesson.title}`);
    reset.textContent = '↺';
    reset.addEventListener('click', () => void this._actions.reset(lesson));

    li.append(open, reset);
    return li;
  }

  private _actions: IPanelActions;
  private _catalog: ICatalog | null = null;
  private _lastKey = '';
  private _list: HTMLOListElement;
  private _problem: HTMLParagraphElement;
  private _summary: HTMLParagraphElement;
}
