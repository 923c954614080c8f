import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** One exercise as listed by the catalog endpoint. */
export interface IExercise {
  id: string;
  title: string;
  passed: boolean;
}

/** One lesson as listed by the catalog endpoint. */
export interface ILesson {
  id: string;
  /** Sorting key: NN for a lesson, 100 + k for appendix A<k>. */
  number: number;
  /** How the lesson is numbered for people: '04', or 'A1' for an appendix. */
  label: string;
  /** True for an appendix (A<k>_topic), listed after the lessons. */
  appendix: boolean;
  title: string;
  minutes: number;
  objectives: string[];
  exercises: IExercise[];
  path: string;
  passed: number;
  total: number;
  exists: boolean;
}

/** How people call a lesson: 'lesson 04', or 'appendix A1'. */
export function lessonName(lesson: ILesson): string {
  return `${lesson.appendix ? 'appendix' : 'lesson'} ${lesson.label}`;
}

/** The catalog endpoint's reply. */
export interface ICatalog {
  lessons: ILesson[];
  next: string | null;
  /** Present when the progress file cannot be used as it is: what to tell the learner. */
  progress_problem?: string;
}

/**
 * Call a MedLab server endpoint (`/medlab/api/<endPoint>`) and return its JSON.
 *
 * Authentication and XSRF headers come from JupyterLab's ServerConnection.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {}
): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'medlab', 'api', endPoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: any = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      console.error('MedLab: not a JSON reply', text);
    }
  }
  if (!response.ok) {
    throw new ServerConnection.ResponseError(response, data.message || text);
  }
  return data as T;
}
