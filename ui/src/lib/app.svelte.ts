// The page's state and what changes it, as a rune class: components read it and call
// its methods; only this talks to the backend.

import type { AppStatus, Backend, Failure, Folder, Found, IndexEvent, Phase, Settings } from './backend';
import { describeError } from './backend';

export interface Progress {
  phase: Phase;
  done: number;
  total: number;
  failed: number;
  /** Items per second in this phase, and when it started. */
  rate: number;
  startedAt: number;
}

const PAGE = 2000;

export class AppModel {
  status = $state<AppStatus | null>(null);
  /** Gallery ids, newest first, loaded page by page. */
  gallery = $state<number[]>([]);
  galleryTotal = $state(0);
  /** Null: the gallery is shown; otherwise the results of the last query. */
  results = $state<Found[] | null>(null);
  searched = $state(0);
  searchTotal = $state(0);
  query = $state('');
  progress = $state<Progress | null>(null);
  indexing = $state(false);
  /** The last run was paused: "Resume" continues it. */
  paused = $state(false);
  failures = $state<Failure[]>([]);
  folders = $state<Folder[]>([]);
  settings = $state<Settings>({ results: 60 });
  /** Index into the shown list of the photo open in the viewer. */
  viewing = $state<number | null>(null);
  error = $state<string | null>(null);
  private searchSerial = 0;
  private running: Promise<void> | null = null;

  constructor(readonly backend: Backend) {}

  /** The ids shown now: results of a query, or the gallery. */
  get shown(): number[] {
    return this.results ? this.results.map((r) => r.id) : this.gallery;
  }

  async start(): Promise<void> {
    for (;;) {
      this.status = await this.backend.appStatus();
      if (this.status.engine.state !== 'opening') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (this.status.engine.state === 'failed') return;
    await Promise.all([this.loadGallery(), this.loadFolders(), this.loadSettings(), this.loadFailures()]);
    void this.watchModel();
    await this.index();
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

  async loadGallery(): Promise<void> {
    const ids: number[] = [];
    let total = 0;
    do {
      const page = await this.backend.gallery(ids.length, PAGE);
      total = page.total;
      ids.push(...page.photos.map((p) => p.id));
      if (page.photos.length === 0) break;
    } while (ids.length < total);
    this.gallery = ids;
    this.galleryTotal = total;
  }

  async loadFolders(): Promise<void> {
    this.folders = await this.backend.listFolders();
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

  /** Everything a run or a removal can change. */
  private async reload(): Promise<void> {
    await Promise.all([this.refreshStatus(), this.loadGallery(), this.loadFolders(), this.loadFailures()]);
  }

  /** Index every folder; a call during a run waits for that run instead of starting another. */
  index(): Promise<void> {
    this.running ??= this.run();
    return this.running;
  }

  private async run(): Promise<void> {
    this.indexing = true;
    try {
      await this.backend.startIndexing((event) => this.onIndexEvent(event));
    } catch (error) {
      this.error = describeError(error);
    }
    await this.reload();
    // Both at once: "Resume" shows when indexing is false, and must then start a new run.
    this.indexing = false;
    this.running = null;
  }

  async cancelIndexing(): Promise<void> {
    await this.backend.cancelIndexing();
  }

  /** Stop indexing a folder: its photos leave the gallery. A run in progress stops first
   * (the engine refuses while one writes) and goes on afterwards with the other folders. */
  async removeFolder(index: number): Promise<void> {
    const wasRunning = this.running;
    if (wasRunning) {
      await this.backend.cancelIndexing();
      await wasRunning;
    }
    try {
      await this.backend.removeFolder(index);
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
        if (event.phase === 'encoding' && this.status) {
          this.status = { ...this.status, encoded: event.done };
        }
        // The gallery fills as previews are made.
        if (event.phase === 'previews' && event.done === event.total) void this.loadGallery();
        break;
      }
      case 'item_failed':
        this.failures = [...this.failures, { id: event.id, path: event.path, cause: event.cause }];
        break;
      case 'finished':
        this.progress = null;
        break;
      case 'cancelled':
        this.progress = null;
        this.paused = true;
        break;
    }
  }

  /** Search, or show the gallery again for an empty box or `reset`. */
  async search(text: string): Promise<void> {
    this.query = text;
    const serial = ++this.searchSerial;
    try {
      const reply = await this.backend.search(text);
      if (serial !== this.searchSerial) return;
      this.error = null;
      if (reply.kind === 'gallery') {
        this.results = null;
      } else {
        this.results = reply.results;
        this.searched = reply.searched;
        this.searchTotal = reply.total;
      }
    } catch (error) {
      if (serial === this.searchSerial) this.error = describeError(error);
    }
  }

  async similar(id: number): Promise<void> {
    const serial = ++this.searchSerial;
    let reply;
    try {
      reply = await this.backend.similar(id);
    } catch (error) {
      if (serial === this.searchSerial) this.error = describeError(error);
      return;
    }
    if (serial !== this.searchSerial || reply.kind !== 'matches') return;
    this.error = null;
    this.viewing = null;
    this.results = reply.results;
    this.searched = reply.searched;
    this.searchTotal = reply.total;
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
}
