// The page's state and what changes it, as a rune class: components read it and call
// its methods; only this talks to the backend.

import type {
  Access,
  Album,
  AppStatus,
  Backend,
  DownloadEvent,
  Failure,
  Found,
  GalleryPage,
  IndexEvent,
  Lifecycle,
  ModelsReply,
  Phase,
  PhotoFolder,
  Settings,
  Sort,
  Source,
} from './backend';
import { describeError, isCommandError } from './backend';
import { withFilter } from './query-text';

export interface Progress {
  phase: Phase;
  done: number;
  total: number;
  failed: number;
  /** Items per second in this phase, and when it started. */
  rate: number;
  startedAt: number;
}

/** A download as the page shows it. */
export interface DownloadProgress {
  done: number;
  total: number;
  /** Bytes per second since this download (or its resumption) started. */
  rate: number;
  startedAt: number;
  /** Bytes there when it started (an earlier run's), not counted in the rate. */
  startedWith: number;
  /** The files are fetched and the model is being checked. */
  checking: boolean;
  /** The server asked to wait, or the connection broke: what happened. */
  retrying: string | null;
  /** Why it stopped, when it failed. */
  error: string | null;
  /** Use the model as soon as it is installed (the first-start suggestion). */
  thenUse: boolean;
}

const PAGE = 2000;
/** When no photo stands out, the closest are shown, this many, under a line that says so. */
export const CLOSEST_FEW = 8;

function nextFrame(): Promise<void> {
  return new Promise((resolve) =>
    typeof requestAnimationFrame === 'function' ? requestAnimationFrame(() => resolve()) : setTimeout(resolve, 0),
  );
}
/** How often the power state is asked while "only while charging" is on. */
const POWER_POLL_MS = 20_000;

export class AppModel {
  status = $state<AppStatus | null>(null);
  /** Gallery ids, newest first, loaded page by page, and when each was taken. */
  gallery = $state<number[]>([]);
  // Raw: replaced whole, never changed in place; the month headings read all of it, which
  // through a deep proxy cost 0.4 s for 10,000 photos.
  galleryTaken = $state.raw<number[]>([]);
  galleryTotal = $state(0);
  /** A query of filters alone (`after:2024-06 in:Holidays`): the gallery shows the photos
   * they allow; null for all of them. */
  galleryQuery = $state<string | null>(null);
  /** Gallery photos whose preview was not made when their page was loaded: their cells
   * show the camera's thumbnail until it is. */
  withoutPreview = $state(new Set<number>());
  private gallerySerial = 0;
  /** The filter query of the gallery shown (`undefined` before any is). */
  private galleryShownFor: string | null | undefined = undefined;
  /** Null: the gallery is shown; otherwise the results of the last query. */
  results = $state<Found[] | null>(null);
  /** How many of `results`, from the first, stand out (the cut-off; 0: no good match). */
  cutAt = $state(0);
  /** "Show more": the results past the cut-off are shown too. */
  showAll = $state(false);
  searched = $state(0);
  searchTotal = $state(0);
  /** The id of the model that answered the shown results. */
  resultsModel = $state<string | null>(null);
  /** What the search box holds. */
  query = $state('');
  sort = $state<Sort>('score');
  /** Why the query in the box cannot be understood. */
  queryError = $state<string | null>(null);
  /** The folders that hold photos, for the folder filter. */
  folders = $state<PhotoFolder[]>([]);
  progress = $state<Progress | null>(null);
  indexing = $state(false);
  /** The last run was paused: "Resume" continues it. */
  paused = $state(false);
  failures = $state<Failure[]>([]);
  sources = $state<Source[]>([]);
  settings = $state<Settings>({ results: 60, onlyWhileCharging: false });
  /** The phone's photo library: what motis may read, and its albums. */
  access = $state<Access>('folders');
  albums = $state<Album[]>([]);
  /** Whether the device charges; null where it does not say. */
  charging = $state<boolean | null>(null);
  /** Why the run waits (its condition says no: "the phone is hot"), while it does. */
  waitingFor = $state<string | null>(null);
  /** Indexing waits for the charger ("only while charging"). */
  waitingForPower = $state(false);
  /** Indexing stopped because the app went to the background; it resumes on return. */
  private pausedForBackground = false;
  private powerTimer: ReturnType<typeof setInterval> | null = null;
  /** Index into the shown list of the photo open in the viewer. */
  viewing = $state<number | null>(null);
  error = $state<string | null>(null);
  /** The installed and downloadable models, and the switch under way. */
  models = $state<ModelsReply | null>(null);
  downloads = $state<Record<string, DownloadProgress>>({});
  private searchSerial = 0;
  private running: Promise<void> | null = null;

  constructor(readonly backend: Backend) {}

  get onPhone(): boolean {
    return this.status?.platform === 'android' || this.status?.platform === 'ios';
  }

  /** The results shown now: those above the cut-off (the closest few when none stands
   * out), or all with "Show more". */
  get shownResults(): Found[] {
    if (!this.results) return [];
    if (this.showAll) return this.results;
    return this.results.slice(0, this.cutAt > 0 ? this.cutAt : CLOSEST_FEW);
  }

  /** Results past those shown, for "Show more". */
  get moreResults(): number {
    return this.results ? this.results.length - this.shownResults.length : 0;
  }

  /** Searches that work with the model in use, offered while the box is empty. */
  get exampleSearches(): string[] {
    return this.status?.exampleSearches ?? [];
  }

  /** The ids shown now: results of a query, or the gallery. */
  get shown(): number[] {
    return this.results ? this.shownResults.map((r) => r.id) : this.gallery;
  }

  /** When each shown photo was taken, in the order of `shown`. */
  get shownTaken(): number[] {
    return this.results ? this.shownResults.map((r) => r.taken) : this.galleryTaken;
  }

  async start(): Promise<void> {
    for (;;) {
      this.status = await this.backend.appStatus();
      if (this.status.engine.state !== 'opening') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (this.status.engine.state === 'failed') return;
    await Promise.all([this.loadGallery(), this.loadSources(), this.loadSettings(), this.loadFailures()]);
    if (this.onPhone) this.access = await this.backend.libraryAccess();
    this.charging = (await this.backend.powerState()).charging;
    this.watchPower();
    void this.watchModel();
    await this.loadModels();
    this.resumeDownloads();
    await this.index();
  }

  async loadModels(): Promise<void> {
    try {
      this.models = await this.backend.listModels();
    } catch (error) {
      this.error = describeError(error);
    }
  }

  /** Downloads the app's last run left part-way go on where they stopped. */
  private resumeDownloads(): void {
    for (const model of this.models?.models ?? []) {
      if (model.download && !model.download.running && !this.downloads[model.id]) void this.download(model.id);
    }
  }

  /** Download a model of the short list (`thenUse`: and search with it once it is in). */
  async download(name: string, thenUse = false): Promise<void> {
    const now = Date.now();
    const started = this.models?.models.find((m) => m.id === name)?.download?.present ?? 0;
    this.downloads[name] = {
      done: started,
      total: 0,
      rate: 0,
      startedAt: now,
      startedWith: started,
      checking: false,
      retrying: null,
      error: null,
      thenUse,
    };
    let installed = false;
    try {
      installed = await this.backend.downloadModel(name, (event) => this.onDownloadEvent(name, event));
    } catch (error) {
      const progress = this.downloads[name];
      if (progress) this.downloads[name] = { ...progress, checking: false, error: describeError(error) };
      await this.loadModels();
      return;
    }
    const wanted = this.downloads[name]?.thenUse ?? thenUse;
    delete this.downloads[name];
    await this.loadModels();
    if (installed && wanted) await this.useModel(name);
  }

  private onDownloadEvent(name: string, event: DownloadEvent): void {
    const progress = this.downloads[name];
    if (!progress) return;
    switch (event.event) {
      case 'resolved':
        this.downloads[name] = { ...progress, done: event.present, total: event.bytes, startedWith: event.present, startedAt: Date.now() };
        break;
      case 'bytes': {
        const seconds = (Date.now() - progress.startedAt) / 1000;
        const rate = seconds > 0 ? (event.done - progress.startedWith) / seconds : 0;
        this.downloads[name] = { ...progress, done: event.done, total: event.total, rate, retrying: null };
        break;
      }
      case 'retrying':
        this.downloads[name] = { ...progress, retrying: `${event.cause}; trying again in ${Math.ceil(event.wait_ms / 1000)} s` };
        break;
      case 'checking':
        this.downloads[name] = { ...progress, checking: true, retrying: null };
        break;
    }
  }

  /** Stop a download and delete what it fetched (the command resolves when it has). */
  async cancelDownload(name: string): Promise<void> {
    if (this.downloads[name]?.error) {
      delete this.downloads[name];
      await this.discardDownload(name);
      return;
    }
    await this.backend.cancelDownload(name);
  }

  async discardDownload(name: string): Promise<void> {
    try {
      this.models = await this.backend.discardDownload(name);
    } catch (error) {
      this.error = describeError(error);
    }
  }

  /** Search with `id`: at once if it has encoded the gallery, else once it has (the run
   * in progress stops, and the next one encodes with it while search stays as it is). */
  async useModel(id: string): Promise<void> {
    const wasRunning = this.running;
    try {
      this.models = await this.backend.useModel(id);
    } catch (error) {
      this.error = describeError(error);
      return;
    }
    if (wasRunning) await wasRunning;
    this.paused = false;
    await this.refreshStatus();
    if (this.results) await this.search(this.query);
    void this.index();
  }

  /** Search with the next model now, on what it has encoded so far. */
  async switchNow(): Promise<void> {
    try {
      this.models = await this.backend.switchNow();
    } catch (error) {
      this.error = describeError(error);
      return;
    }
    await this.refreshStatus();
    if (this.results) await this.search(this.query);
  }

  /** Stop a switch: the gallery stays searchable with the current model. */
  async keepCurrentModel(): Promise<void> {
    if (this.status?.modelId) await this.useModel(this.status.modelId);
  }

  /** Follow the model while it loads behind the gallery. */
  private async watchModel(): Promise<void> {
    while (this.status?.model.state === 'opening') {
      await new Promise((resolve) => setTimeout(resolve, 200));
      this.status = await this.backend.appStatus();
    }
  }

  async refreshStatus(): Promise<void> {
    this.status = await this.backend.appStatus();
  }

  /** The whole gallery. A new one (another filter, or none shown yet) shows from its first
   * page on, which holds the first screenful, and the pages after it join as they arrive;
   * the gallery already shown is replaced once its new copy is whole, so that it never
   * shrinks under someone scrolling it. A newer load supersedes an older one. */
  async loadGallery(): Promise<void> {
    const serial = ++this.gallerySerial;
    const query = this.galleryQuery;
    const refresh = this.gallery.length > 0 && this.galleryShownFor === query;
    let ids: number[] = [];
    let taken: number[] = [];
    let total = 0;
    const withoutPreview = new Set<number>();
    const show = () => {
      this.withoutPreview = new Set(withoutPreview);
      this.gallery = ids;
      this.galleryTaken = taken;
      this.galleryTotal = total;
      this.galleryShownFor = query;
    };
    let after: string | null = null;
    do {
      const page: GalleryPage = await this.backend.gallery(after, PAGE, query);
      if (serial !== this.gallerySerial) return;
      ids = ids.concat(page.photos.map((p) => p.id));
      taken = taken.concat(page.photos.map((p) => p.taken));
      for (const photo of page.photos) if (!photo.hasPreview) withoutPreview.add(photo.id);
      total = page.total;
      after = page.next;
      if (refresh) continue;
      show();
      // The first screenful is painted (and asks for its previews) before the rest of the
      // gallery is taken in: pages that arrive at once would otherwise hold the paint back.
      if (ids.length === page.photos.length && after !== null) await nextFrame();
    } while (after !== null);
    if (refresh) show();
  }

  async loadFolders(): Promise<void> {
    try {
      this.folders = await this.backend.photoFolders();
    } catch (error) {
      this.error = describeError(error);
    }
  }

  async loadSources(): Promise<void> {
    this.sources = await this.backend.listSources();
  }

  async loadAlbums(): Promise<void> {
    try {
      this.albums = await this.backend.listAlbums();
    } catch (error) {
      this.error = describeError(error);
    }
  }

  async loadSettings(): Promise<void> {
    this.settings = await this.backend.getSettings();
  }

  /** The catalog's failures, plus those of this run that never reached the catalog. */
  async loadFailures(): Promise<void> {
    const known = await this.backend.listFailures();
    const unlisted = this.failures.filter((f) => f.id === null && !known.some((k) => k.path === f.path));
    this.failures = [...known, ...unlisted];
  }

  /** Everything a run or a removal can change (a run can end a switch of models). */
  private async reload(): Promise<void> {
    const model = this.status?.modelId;
    await Promise.all([this.refreshStatus(), this.loadGallery(), this.loadSources(), this.loadFailures(), this.loadModels()]);
    if (this.results && this.status?.modelId !== model) await this.search(this.query);
  }

  /** Whether indexing must wait: "only while charging" is on and the device says it does not. */
  private get mustWaitForPower(): boolean {
    return this.settings.onlyWhileCharging && this.charging === false;
  }

  /** Index every source; a call during a run waits for that run instead of starting another. */
  index(): Promise<void> {
    if (this.mustWaitForPower) {
      this.waitingForPower = true;
      return Promise.resolve();
    }
    this.waitingForPower = false;
    this.running ??= this.run();
    return this.running;
  }

  /** With "only while charging" on: stop when the charger goes, go on when it comes back. */
  private watchPower(): void {
    if (this.powerTimer !== null || this.charging === null) return;
    this.powerTimer = setInterval(() => void this.checkPower(), POWER_POLL_MS);
  }

  async checkPower(): Promise<void> {
    this.charging = (await this.backend.powerState()).charging;
    if (this.mustWaitForPower && this.running) {
      this.waitingForPower = true;
      await this.backend.cancelIndexing();
    } else if (this.waitingForPower && !this.mustWaitForPower) {
      void this.index();
    }
  }

  /** The app went to the background (or came back): a phone may stop it at any moment
   * there, and it must not spend the battery unseen, so indexing pauses and resumes. */
  async setBackground(background: boolean): Promise<void> {
    if (background && this.running) {
      this.pausedForBackground = true;
      await this.backend.cancelIndexing();
    } else if (!background && this.pausedForBackground) {
      this.pausedForBackground = false;
      await this.running;
      void this.index();
    }
  }

  /** Try the failed photos again: a run (after the one going on) that also reads again
   * those skipped for stopping motis. */
  async retryFailed(): Promise<void> {
    if (this.running) await this.running;
    this.running ??= this.run({ retryFailed: true });
    return this.running;
  }

  private async run(options?: { retryFailed?: boolean }): Promise<void> {
    this.indexing = true;
    try {
      await this.backend.startIndexing((event) => this.onIndexEvent(event), options);
    } catch (error) {
      this.error = describeError(error);
      // A full or removed disk pauses indexing (its message says what to do); Resume goes on.
      if (isCommandError(error) && (error.code === 'disk_full' || error.code === 'data_folder_gone')) {
        this.progress = null;
        this.paused = true;
      }
    }
    await this.reload();
    // Both at once: "Resume" shows when indexing is false, and must then start a new run.
    this.indexing = false;
    this.running = null;
  }

  async cancelIndexing(): Promise<void> {
    await this.backend.cancelIndexing();
  }

  /** Stop indexing a source: its photos leave the gallery. A run in progress stops first
   * (the engine refuses while one writes) and goes on afterwards with the other sources. */
  async removeSource(index: number): Promise<void> {
    const wasRunning = this.running;
    if (wasRunning) {
      await this.backend.cancelIndexing();
      await wasRunning;
    }
    try {
      await this.backend.removeSource(index);
      this.error = null;
    } catch (error) {
      this.error = describeError(error);
    }
    await this.reload();
    if (this.results) await this.search(this.query);
    if (wasRunning) {
      this.paused = false;
      void this.index();
    }
  }

  async saveSettings(settings: Settings): Promise<void> {
    try {
      this.settings = await this.backend.setSettings(settings);
      if (this.results) await this.search(this.query);
    } catch (error) {
      this.error = describeError(error);
    }
    await this.checkPower();
  }

  onIndexEvent(event: IndexEvent): void {
    switch (event.kind) {
      case 'started':
        this.paused = false;
        this.failures = [];
        break;
      case 'progress': {
        const now = Date.now();
        const same = this.progress?.phase === event.phase;
        const startedAt = same ? this.progress!.startedAt : now;
        const seconds = (now - startedAt) / 1000;
        const rate = seconds > 0 ? (event.done + event.failed) / seconds : 0;
        this.progress = { ...event, rate, startedAt };
        // During a switch the run encodes for the next model; search stays on the current one.
        if (event.phase === 'encoding' && this.status?.switching) {
          this.status = { ...this.status, switching: { ...this.status.switching, covered: event.done } };
        } else if (event.phase === 'encoding' && this.status) {
          this.status = { ...this.status, encoded: event.done };
        }
        // The scan has found every photo: the whole gallery shows now, previews fill in
        // (those on screen first: the grid asks for them).
        if (event.phase === 'scanning' && event.done === event.total) {
          performance.mark('motis:scan-ended');
          void this.loadGallery();
        }
        break;
      }
      case 'item_failed':
        this.failures = [...this.failures, { id: event.id, path: event.path, cause: event.cause }];
        break;
      case 'paused':
        this.waitingFor = event.reason;
        break;
      case 'resumed':
        this.waitingFor = null;
        break;
      case 'finished':
        this.progress = null;
        this.waitingFor = null;
        break;
      case 'cancelled':
        this.progress = null;
        this.waitingFor = null;
        this.paused = true;
        break;
    }
  }

  /** Search, or show the gallery again for an empty box or `reset` (narrowed, for a
   * query of filters alone). A query that cannot be understood leaves what is shown and
   * says why under the box. */
  async search(text: string): Promise<void> {
    this.query = text;
    const serial = ++this.searchSerial;
    try {
      const reply = await this.backend.search(text, this.sort);
      if (serial !== this.searchSerial) return;
      this.error = null;
      this.queryError = null;
      if (reply.kind === 'gallery') {
        this.results = null;
        const galleryQuery = reply.filtered ? text : null;
        if (galleryQuery !== this.galleryQuery) {
          this.galleryQuery = galleryQuery;
          await this.loadGallery();
        }
      } else {
        const again = this.results !== null && text === this.lastSearched;
        this.results = reply.results;
        this.cutAt = reply.shown;
        // "Show more" holds while the same query is sorted again or answered anew.
        if (!again) this.showAll = false;
        this.searched = reply.searched;
        this.searchTotal = reply.total;
        this.resultsModel = reply.model;
      }
      this.lastSearched = text;
    } catch (error) {
      if (serial !== this.searchSerial) return;
      if (isCommandError(error) && error.code === 'bad_query') this.queryError = error.message;
      else this.error = describeError(error);
    }
  }
  private lastSearched = '';

  /** "More like this": the photo as the query, which the box shows (`photo:ID`) so that
   * words can be added to it or taken from it. */
  async moreLikeThis(id: number): Promise<void> {
    this.viewing = null;
    await this.search(`photo:${id}`);
  }

  /** Order the results by score or by date; the query is asked again. */
  async setSort(sort: Sort): Promise<void> {
    this.sort = sort;
    if (this.results) await this.search(this.query);
  }

  /** Set one filter of the query in the box (null removes it) and search again. */
  async setFilter(key: 'after' | 'before' | 'folder', value: string | null): Promise<void> {
    await this.search(withFilter(this.query, key, value));
  }

  showError(error: unknown): void {
    this.error = describeError(error);
  }

  /** `motis://lifecycle` from the app: it left the screen, or came back (`resume`: the
   * app stopped a run as it left, and it goes on now). */
  async onLifecycle(event: Lifecycle): Promise<void> {
    if (event.resume) this.pausedForBackground = true;
    await this.setBackground(event.background);
  }

  open(index: number): void {
    this.viewing = index;
  }

  close(): void {
    this.viewing = null;
  }

  step(by: number): void {
    if (this.viewing === null) return;
    const next = this.viewing + by;
    if (next >= 0 && next < this.shown.length) this.viewing = next;
  }

  async addDemoGallery(): Promise<void> {
    try {
      if (await this.backend.addDemoGallery()) await this.index();
    } catch (error) {
      this.error = describeError(error);
    }
  }

  async addFolder(): Promise<void> {
    try {
      if (await this.backend.addFolder()) await this.index();
    } catch (error) {
      this.error = describeError(error);
    }
  }

  /** Index the phone's photo library, all of it (`null`) or the chosen albums. */
  async addPhotoLibrary(albums: string[] | null = null): Promise<void> {
    try {
      this.access = await this.backend.addPhotoLibrary(albums);
      this.error = null;
    } catch (error) {
      if (isCommandError(error) && error.code === 'permission_denied') this.access = 'denied';
      this.error = describeError(error);
      return;
    }
    if (this.running) {
      // A new choice of albums: the run in progress stops, the next one takes it.
      await this.backend.cancelIndexing();
      await this.running;
      this.paused = false;
    }
    await this.loadSources();
    await this.index();
  }

  /** Limited access: the system lets the person share more photos; then a rescan finds them. */
  async widenSelection(): Promise<void> {
    try {
      this.access = await this.backend.widenSelection();
    } catch (error) {
      this.error = describeError(error);
      return;
    }
    await this.index();
  }

  /** Add photos the way this platform has them: a folder, or the photo library. */
  addPhotos(): Promise<void> {
    return this.status?.photoSources === 'library' ? this.addPhotoLibrary() : this.addFolder();
  }
}
