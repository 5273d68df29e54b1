// What the page needs from the app: one interface, with a Tauri implementation (the real
// app) and a mock one (component tests, UI tests, designing without the Rust side).

import { MockBackend } from './mock-backend';
import { TauriBackend } from './tauri-backend';

export type ErrorCode =
  | 'model_or_runtime'
  | 'no_such_photo'
  | 'busy'
  | 'permission_denied'
  | 'bad_query'
  | 'disk_full'
  | 'data_folder_gone'
  | 'failed';

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
  /** What the page offers: a file manager on desktops, the share sheet on phones. */
  platform: 'desktop' | 'android' | 'ios';
  /** Where photos come from: folders the person adds, or the phone's photo library. */
  photoSources: 'folders' | 'library';
  /** The model search uses, once the engine is open. */
  modelId: string | null;
  modelName: string | null;
  /** Searches that work with that model (its manifest's, or everyday ones), offered
   * while the search box is empty. */
  exampleSearches: string[];
  /** The model the gallery is being encoded with, to take the current one's place. */
  switching: Switching | null;
}

export interface Switching {
  id: string;
  name: string;
  /** Photos it has encoded, of the `total` it can. */
  covered: number;
  total: number;
}

/** A download stopped part-way (`running: false`: the app quit, the network went) or going on. */
export interface DownloadState {
  running: boolean;
  present: number;
  total: number;
}

export interface ModelEntry {
  id: string;
  name: string;
  description: string;
  licence: string;
  /** Installed and usable; otherwise `downloadMb` says what getting it costs. */
  installed: boolean;
  /** Shipped with the app (the demo model). */
  shipped: boolean;
  downloadMb: number | null;
  /** The real model offered to a person who has only the demo model. */
  suggested: boolean;
  download: DownloadState | null;
  /** A model folder that is there but cannot be opened, and why. */
  error: string | null;
}

export interface ModelsReply {
  /** The id of the model search uses. */
  current: string;
  switching: Switching | null;
  models: ModelEntry[];
}

/** A download's events, as motis-hub reports them. */
export type DownloadEvent =
  | { event: 'resolved'; repo: string; commit: string; files: number; bytes: number; present: number }
  | { event: 'bytes'; done: number; total: number }
  | { event: 'retrying'; path: string; attempt: number; wait_ms: number; cause: string }
  | { event: 'checking' };

/** A folder, or the phone's photo library (all of it, or chosen albums). */
export interface Source {
  /** Position in the list: what `removeSource` takes. */
  index: number;
  kind: 'folder' | 'library';
  name: string;
  /** A folder's path, or which part of the library. */
  detail: string;
  albums: string[] | null;
}

/** What motis may read of the phone's photo library (`folders` on desktops). */
export type Access = 'folders' | 'full' | 'limited' | 'denied' | 'notDetermined';

export interface Album {
  id: string;
  name: string;
  count: number | null;
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
  | { kind: 'started'; model: string; sources: string[] }
  | { kind: 'progress'; phase: Phase; done: number; total: number; failed: number }
  | { kind: 'item_failed'; id: number | null; path: string; cause: string }
  /** The run waits for its condition (a phone's battery or heat), with the reason. */
  | { kind: 'paused'; reason: string }
  | { kind: 'resumed' }
  | ({ kind: 'finished' } & IndexSummary)
  | ({ kind: 'cancelled' } & IndexSummary);

/** When a photo was taken: the local time where it was taken, in seconds since 1970 read
 * as UTC. Format it with UTC methods (`timeZone: 'UTC'`): a photo taken at 14:00 shows
 * 14:00 in any time zone. */
export type TakenAt = number;

export interface Found {
  id: number;
  score: number;
  taken: TakenAt;
}

/** How results are ordered: best match first, or by when each photo was taken. */
export type Sort = 'score' | 'newest' | 'oldest';

export type SearchReply =
  /** No terms: the gallery, narrowed by the query's filters when `filtered`. */
  | { kind: 'gallery'; filtered: boolean }
  | {
      kind: 'matches';
      /** The best photos, up to the results setting; the first `shown` stand out from the
       * rest of the gallery (the cut-off; 0: no good match), the others are for "Show more". */
      results: Found[];
      shown: number;
      searched: number;
      total: number;
      /** The model that answered. */
      model: string;
    };

export interface GalleryPhoto {
  id: number;
  width: number | null;
  height: number | null;
  hasPreview: boolean;
  taken: TakenAt;
}

/** A folder that holds photos, as `in:` names it. */
export interface PhotoFolder {
  name: string;
  photos: number;
}

export interface GalleryPage {
  photos: GalleryPhoto[];
  total: number;
  /** Where the next page starts (`after` for the next call); null after the last page. */
  next: string | null;
}

export interface PhotoDetails {
  id: number;
  name: string;
  /** The folder, or the library, that holds it. */
  folder: string;
  /** In the phone's photo library (share it) rather than a file (open it, show it in its folder). */
  inLibrary: boolean;
  width: number | null;
  height: number | null;
  bytes: number;
  modifiedMs: number;
  taken: TakenAt;
  /** Where the date comes from: the photo's EXIF data, its file's time, or the photo library. */
  takenFrom: 'exif' | 'file' | 'library';
  /** Minutes east of UTC where it was taken, where known. */
  takenOffset: number | null;
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
  /** Index only while the phone charges, where it says whether it does. */
  onlyWhileCharging: boolean;
}

/** The app left the screen (`background`) or came back; `resume`: a run the app stopped
 * as it left is to go on. */
export interface Lifecycle {
  background: boolean;
  resume: boolean;
}

/** Whether the device charges; `null` where it does not say (desktops, most browsers). */
export type PowerState = { charging: boolean | null };

export interface Backend {
  appStatus(): Promise<AppStatus>;
  listSources(): Promise<Source[]>;
  /** Asks the person for a folder (system dialog); resolves whether one was chosen. */
  addFolder(): Promise<boolean>;
  /** Asks for the phone's photo library (the system prompt, the first time) and queues it,
   * all of it or the chosen albums; fails with `permission_denied` when refused. */
  addPhotoLibrary(albums: string[] | null): Promise<Access>;
  /** What motis may read of the photo library now. */
  libraryAccess(): Promise<Access>;
  /** Limited access: lets the person share more photos with motis. */
  widenSelection(): Promise<Access>;
  listAlbums(): Promise<Album[]>;
  /** Queues the rendered demo gallery; resolves whether there is one. */
  addDemoGallery(): Promise<boolean>;
  removeSource(index: number): Promise<number>;
  /** Indexes every folder; resolves when the run (and any queued one) ends. */
  /** With `retryFailed`, the run (the next one, if one goes on) reads again the photos
   * skipped because reading them stopped motis twice. */
  startIndexing(onEvent: (event: IndexEvent) => void, options?: { retryFailed?: boolean }): Promise<void>;
  cancelIndexing(): Promise<boolean>;
  /** Every photo whose last attempt failed, also from earlier runs. */
  listFailures(): Promise<Failure[]>;
  /** Searches for what the box holds: terms, weights, `photo:ID`, filters; fails with
   * `bad_query` and what is wrong when it cannot be understood. */
  search(query: string, sort: Sort): Promise<SearchReply>;
  /** The first page of the gallery, newest first, or the one after `after` (a page's
   * `next`); with `query`, the photos its filters allow. */
  gallery(after: string | null, limit: number, query?: string | null): Promise<GalleryPage>;
  /** The folders that hold photos, for the folder filter. */
  photoFolders(): Promise<PhotoFolder[]>;
  photoDetails(id: number): Promise<PhotoDetails>;
  openPhoto(id: number): Promise<void>;
  showInFolder(id: number): Promise<void>;
  /** The phone's share sheet with a photo of its library. */
  sharePhoto(id: number): Promise<void>;
  powerState(): Promise<PowerState>;
  /** Calls `handler` when the app leaves the screen or returns (phones); returns the unsubscribe. */
  onLifecycle(handler: (event: Lifecycle) => void): () => void;
  getSettings(): Promise<Settings>;
  setSettings(settings: Settings): Promise<Settings>;
  listModels(): Promise<ModelsReply>;
  /** Downloads a model of the short list by name; resolves true when it is installed,
   * false when it was cancelled (and what it fetched deleted). */
  downloadModel(name: string, onEvent: (event: DownloadEvent) => void): Promise<boolean>;
  cancelDownload(name: string): Promise<boolean>;
  /** Deletes what a stopped download left. */
  discardDownload(name: string): Promise<ModelsReply>;
  /** Chooses the model search uses: search stays on the current one until the new one has
   * encoded the gallery (the run in progress stops; the next run encodes with it). */
  useModel(id: string): Promise<ModelsReply>;
  /** Searches with the next model now, on what it has encoded so far. */
  switchNow(): Promise<ModelsReply>;
  /** Where the page loads a photo from: by catalog id, never by path. A preview is made
   * on request if the run has not made it yet; a rendition is at least `size` pixels on
   * its long side (results shown sharp without decoding full-size originals). */
  /** `thumbnail`: the one its camera embedded, while the preview is not made (none otherwise). */
  photoUrl(kind: 'preview' | 'thumbnail' | 'full', id: number): string;
  renditionUrl(id: number, size: number): string;
}

/** The Tauri backend inside the app; the mock anywhere else (a plain browser, tests),
 * shaped by the page address: `?photos=N&step=MS&demo=N&folders=0&broken=ID,ID`, and
 * `phone=android|ios&access=full|limited|denied|notDetermined&charging=0|1` for a phone
 * (its photo library), `previewMs=MS` for previews that take time to make;
 * `downloadMs=MS` per tenth of a model download, `interrupted=NAME:PERCENT` for a download
 * a quit app left, `model=ID` for a real model in use. */
export function chooseBackend(): Backend {
  const inTauri = typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
  if (inTauri) return new TauriBackend();
  const query = new URLSearchParams(typeof location === 'undefined' ? '' : location.search);
  const number = (name: string, fallback: number) => Number(query.get(name) ?? fallback);
  const mock = new MockBackend(number('photos', 120), number('step', 5));
  if (query.has('demo')) mock.demo = number('demo', 0);
  if (query.get('folders') === '0') {
    mock.sources = [];
    mock.photos = [];
  }
  if (query.has('phone')) mock.phone = query.get('phone') === 'ios' ? 'ios' : 'android';
  if (query.has('access')) mock.access = query.get('access') as Access;
  if (query.has('charging')) mock.charging = query.get('charging') === '1';
  if (query.has('previewMs')) mock.previewMs = number('previewMs', 0);
  if (query.has('downloadMs')) mock.downloadMs = number('downloadMs', 0);
  // `interrupted=NAME:PERCENT`: a download the app's last run left part-way.
  const [interrupted, percent] = (query.get('interrupted') ?? '').split(':');
  if (interrupted) mock.interrupt(interrupted, Number(percent ?? 50) / 100);
  if (query.has('model')) mock.installModel(query.get('model')!, true);
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
