// What the page needs from the app: one interface, with a Tauri implementation (the real
// app) and a mock one (component tests, UI tests, designing without the Rust side).

import { MockBackend } from './mock-backend';
import { TauriBackend } from './tauri-backend';

export type ErrorCode = 'model_or_runtime' | 'no_such_photo' | 'busy' | 'failed';

/** How every command fails: a stable code the page acts on, and a message for people. */
export interface CommandError {
  code: ErrorCode;
  message: string;
}

export type EngineState =
  | { state: 'opening' }
  | { state: 'ready' }
  | { state: 'failed'; error: CommandError };

export interface AppStatus {
  /** The catalog and index: the gallery shows once this is ready. */
  engine: EngineState;
  /** The search model, loaded behind the gallery. */
  model: EngineState;
  photos: number;
  encoded: number;
  failed: number;
  indexing: boolean;
  /** Whether "Try the demo gallery" can be offered. */
  demoGallery: boolean;
}

export interface Folder {
  index: number;
  name: string;
  path: string;
}

export type Phase = 'scanning' | 'previews' | 'encoding';

export interface IndexSummary {
  photos: number;
  added: number;
  changed: number;
  moved: number;
  removed: number;
  previews: number;
  encoded: number;
  failed: number;
  searchable: number;
}

/** The engine's indexing events, as they arrive over the channel. */
export type IndexEvent =
  | { kind: 'started'; model: string; folders: string[] }
  | { kind: 'progress'; phase: Phase; done: number; total: number; failed: number }
  | { kind: 'item_failed'; id: number | null; path: string; cause: string }
  | ({ kind: 'finished' } & IndexSummary)
  | ({ kind: 'cancelled' } & IndexSummary);

export interface Found {
  id: number;
  score: number;
}

export type SearchReply =
  | { kind: 'gallery' }
  | { kind: 'matches'; results: Found[]; searched: number; total: number };

export interface GalleryPhoto {
  id: number;
  width: number | null;
  height: number | null;
  hasPreview: boolean;
}

export interface GalleryPage {
  photos: GalleryPhoto[];
  total: number;
}

export interface PhotoDetails {
  id: number;
  name: string;
  folder: string;
  width: number | null;
  height: number | null;
  bytes: number;
  modifiedMs: number;
  error: string | null;
}

/** A photo that could not be previewed or encoded, and why. */
export interface Failure {
  /** Null when the file could not even be read to enter the catalog. */
  id: number | null;
  path: string;
  cause: string;
}

export interface Settings {
  results: number;
}

export interface Backend {
  appStatus(): Promise<AppStatus>;
  listFolders(): Promise<Folder[]>;
  /** Asks the person for a folder (system dialog); resolves whether one was chosen. */
  addFolder(): Promise<boolean>;
  /** Queues the rendered demo gallery; resolves whether there is one. */
  addDemoGallery(): Promise<boolean>;
  removeFolder(index: number): Promise<number>;
  /** Indexes every folder; resolves when the run (and any queued one) ends. */
  startIndexing(onEvent: (event: IndexEvent) => void): Promise<void>;
  cancelIndexing(): Promise<boolean>;
  /** Every photo whose last attempt failed, also from earlier runs. */
  listFailures(): Promise<Failure[]>;
  search(query: string): Promise<SearchReply>;
  similar(id: number): Promise<SearchReply>;
  gallery(offset: number, limit: number): Promise<GalleryPage>;
  photoDetails(id: number): Promise<PhotoDetails>;
  openPhoto(id: number): Promise<void>;
  showInFolder(id: number): Promise<void>;
  getSettings(): Promise<Settings>;
  setSettings(settings: Settings): Promise<Settings>;
  /** Where the page loads a photo from: by catalog id, never by path. */
  photoUrl(kind: 'preview' | 'full', id: number): string;
}

/** The Tauri backend inside the app; the mock anywhere else (a plain browser, tests),
 * shaped by the page address: `?photos=N&step=MS&demo=N&folders=0&broken=ID,ID`. */
export function chooseBackend(): Backend {
  const inTauri = typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
  if (inTauri) return new TauriBackend();
  const query = new URLSearchParams(typeof location === 'undefined' ? '' : location.search);
  const number = (name: string, fallback: number) => Number(query.get(name) ?? fallback);
  const mock = new MockBackend(number('photos', 120), number('step', 5));
  if (query.has('demo')) mock.demo = number('demo', 0);
  if (query.get('folders') === '0') {
    mock.folders = [];
    mock.photos = [];
  }
  for (const id of (query.get('broken') ?? '').split(',').filter(Boolean)) {
    mock.broken.set(Number(id), 'cannot decode: the file is truncated');
  }
  return mock;
}

export function isCommandError(value: unknown): value is CommandError {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value;
}

export function describeError(error: unknown): string {
  if (isCommandError(error)) return error.message;
  return error instanceof Error ? error.message : String(error);
}
