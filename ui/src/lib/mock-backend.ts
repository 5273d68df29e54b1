// A backend without the Rust side: a gallery of drawn shapes whose captions are known,
// searched by word overlap (with the engine's query syntax, simply: terms joined by + and
// -, weights dropped, photo:ID, and the date and folder filters), indexed in simulated
// steps. For component and UI tests and for working on the page in a plain browser
// (`npm run ui:dev`).

import type {
  Access,
  Album,
  AppStatus,
  Backend,
  DownloadEvent,
  Failure,
  GalleryPage,
  IndexEvent,
  Lifecycle,
  ModelEntry,
  ModelsReply,
  PhotoDetails,
  PhotoFolder,
  PowerState,
  SearchReply,
  Settings,
  Sort,
  Source,
} from './backend';

/** Where the mock says its data folder is. */
const MOCK_DATA = '/mock/data';

/** The engine's words for the data folder's disk, full or removed. */
const DISK_TROUBLE = {
  disk_full: `${MOCK_DATA}: the disk is full. Free space on it and run motis index again: nothing indexed so far is lost`,
  data_folder_gone: `${MOCK_DATA}: the data folder is gone (was its disk removed or unmounted?). Connect it again and run motis index again: nothing indexed so far is lost`,
};
/** What the engine says of a photo it skips because reading it stopped motis twice. */
export const SKIPPED = 'motis stopped while reading this photo, twice';

const COLOURS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange'];
const SHAPES = ['circle', 'square', 'star', 'triangle'];
/** Searches the mock's world answers, as a demo model's manifest lists its own. */
const MOCK_EXAMPLES = ['red star', 'blue circle', 'triangle', 'yellow - square'];
/** What the engine offers for a model whose manifest lists none. */
const EVERYDAY_EXAMPLES = ['beach at sunset', 'a dog', 'screenshots', 'receipts'];

export interface MockPhoto {
  id: number;
  caption: string;
  colour: string;
  shape: string;
  /** Index of the source that holds it. */
  folder: number;
}

/** When mock photo `id` was taken (see `TakenAt`): a day after the one before it, from
 * 1 January 2020 on, so that the newest photo (the highest id) comes first. */
export function mockTaken(id: number): number {
  return Date.UTC(2020, 0, 1) / 1000 + (id - 1) * 86_400;
}

/** What a query asks of the mock: its terms as word lists, photos, and filters. */
interface MockQuery {
  terms: { words: string[]; sign: number }[];
  photos: number[];
  after: number | null;
  before: number | null;
  folders: string[];
}

const badQuery = (message: string) => ({ code: 'bad_query', message });

/** Where `YYYY[-MM[-DD]]` starts and where the period after it does, in seconds. */
function period(text: string, filter: string): [number, number] {
  const match = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$/.exec(text);
  const [year, month, day] = match ? [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)] : [0, 0, 0];
  if (!match || month > 12 || day > 31) throw badQuery(`${filter}"${text}": not a date; write YYYY, YYYY-MM or YYYY-MM-DD, as in ${filter}2024-06`);
  const start = Date.UTC(year, Math.max(0, month - 1), Math.max(1, day)) / 1000;
  const end = day ? Date.UTC(year, month - 1, day + 1) : month ? Date.UTC(year, month, 1) : Date.UTC(year + 1, 0, 1);
  return [start, end / 1000];
}

/** The query syntax the engine understands (README: "Search syntax"), as far as the mock
 * needs it; null for no query. */
export function parseMockQuery(text: string): MockQuery | null {
  if (text.trim().toLowerCase() === 'reset') return null;
  // Words at whitespace outside quotes; a quoted part belongs to its word (`in:"A B"`).
  const words: string[] = [];
  for (const [word] of text.matchAll(/(?:[^\s"]|"[^"]*"?)+/g)) {
    if ((word.match(/"/g) ?? []).length % 2) throw badQuery('a quote (") is opened and not closed: close it, or remove it');
    words.push(word.replaceAll('"', ''));
  }
  const query: MockQuery = { terms: [], photos: [], after: null, before: null, folders: [] };
  let sign = 1;
  let current: string[] | null = null;
  for (let word of words) {
    const filter = /^(after|before|on|in):(.*)$/i.exec(word);
    if (filter) {
      const [, key, value] = filter;
      if (!value) throw badQuery(`${key}: needs a value, as in after:2024-06`);
      if (key.toLowerCase() === 'in') query.folders.push(value.toLowerCase());
      else {
        const [start, end] = period(value, `${key.toLowerCase()}:`);
        if (key.toLowerCase() !== 'before') query.after = Math.max(query.after ?? start, start);
        if (key.toLowerCase() !== 'after') query.before = Math.min(query.before ?? Infinity, key.toLowerCase() === 'on' ? end : start);
      }
      continue;
    }
    if (word === '+' || word === '-' || /^[+-]\S/.test(word)) {
      if (current === null && query.terms.length + query.photos.length > 0 && (word === '+' || word === '-'))
        throw badQuery(`"${word[0]}" has no term after it`);
      sign = word[0] === '-' ? -1 : 1;
      current = null;
      word = word.slice(1);
      if (!word) continue;
    }
    const photo = /^photo:(\d+)$/.exec(word);
    if (photo) {
      query.photos.push(Number(photo[1]));
      continue;
    }
    word = word.replace(/^\d+(\.\d+)?:/, '');
    if (current === null) {
      current = [];
      query.terms.push({ words: current, sign });
    }
    current.push(...word.toLowerCase().split(/\s+/).filter(Boolean));
  }
  if (words.length > 0 && /^[+-]$/.test(words[words.length - 1])) throw badQuery(`"${words[words.length - 1]}" has no term after it`);
  return query;
}

/** `count` photos with ids from `first`; photo i + 1 has colour i mod 6 and shape ⌊i / 6⌋ mod 4. */
export function mockPhotos(count: number, folder = 0, first = 1): MockPhoto[] {
  return Array.from({ length: count }, (_, k) => {
    const i = first - 1 + k;
    const colour = COLOURS[i % COLOURS.length];
    const shape = SHAPES[Math.floor(i / COLOURS.length) % SHAPES.length];
    return { id: i + 1, colour, shape, caption: `a ${colour} ${shape}`, folder };
  });
}

function svg(photo: MockPhoto, size: number): string {
  const half = size / 2;
  const body: Record<string, string> = {
    circle: `<circle cx="${half}" cy="${half}" r="${size / 3}"/>`,
    square: `<rect x="${size / 4}" y="${size / 4}" width="${half}" height="${half}"/>`,
    star: `<polygon points="${half},${size * 0.1} ${size * 0.62},${size * 0.4} ${size * 0.9},${size * 0.4} ${size * 0.67},${size * 0.6} ${size * 0.76},${size * 0.9} ${half},${size * 0.72} ${size * 0.24},${size * 0.9} ${size * 0.33},${size * 0.6} ${size * 0.1},${size * 0.4} ${size * 0.38},${size * 0.4}"/>`,
    triangle: `<polygon points="${half},${size * 0.15} ${size * 0.85},${size * 0.85} ${size * 0.15},${size * 0.85}"/>`,
  };
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="#eee"/><g fill="${photo.colour}">${body[photo.shape]}</g></svg>`;
}

function drawing(photo: MockPhoto, size: number): string {
  return `data:image/svg+xml,${encodeURIComponent(svg(photo, size))}`;
}

/** The drawing the page's dev server answers `/__mock-photo/…` with (see vite.config.ts). */
export function mockPhotoSvg(id: number, size: number): string {
  return svg(mockPhotos(1, 0, id)[0], size);
}

/** The demo model the app ships, and the short list of models it downloads. */
const DEMO_MODEL: ModelEntry = {
  id: 'motis-demo',
  name: 'motis demo',
  description: 'Trained on a world of coloured shapes: for the demo gallery.',
  licence: 'MIT',
  installed: true,
  shipped: true,
  downloadMb: null,
  suggested: false,
  download: null,
  error: null,
};
const SHORT_LIST: ModelEntry[] = [
  {
    ...DEMO_MODEL,
    id: 'vit-b-32-laion2b',
    name: 'vit-b-32-laion2b (immich-app/ViT-B-32__laion2b-s34b-b79k)',
    description: 'open_clip ViT-B/32 trained on LAION-2B: the suggested model',
    installed: false,
    shipped: false,
    downloadMb: 605,
    suggested: true,
  },
  {
    ...DEMO_MODEL,
    id: 'vit-b-32-openai',
    name: 'vit-b-32-openai (immich-app/ViT-B-32__openai)',
    description: "OpenAI's original CLIP ViT-B/32",
    installed: false,
    shipped: false,
    downloadMb: 605,
    suggested: false,
  },
];

const LIBRARY: Source = { index: 0, kind: 'library', name: 'Photo library', detail: 'All photos motis may see', albums: null };

export class MockBackend implements Backend {
  photos: MockPhoto[];
  sources: Source[] = [{ index: 0, kind: 'folder', name: 'Shapes', detail: '/mock/Shapes', albums: null }];
  encoded = 0;
  settings: Settings = { results: 60, onlyWhileCharging: false };
  platform: AppStatus['platform'] = 'desktop';
  /** The phone's photo library permission (phones only). */
  access: Access = 'full';
  /** Whether the phone charges; `null` where it does not say. */
  charging: boolean | null = null;
  /** Milliseconds the dev server takes to "make" each preview (0: previews are at hand);
   * the scan phase takes ten steps then, and the gallery is empty until it ends, as for
   * a folder motis sees for the first time. */
  previewMs = 0;
  /** Albums of the phone's library, by id. */
  albums: Album[] = [
    { id: 'camera', name: 'Camera', count: 80 },
    { id: 'beach', name: 'Beach 2026', count: 24 },
  ];
  shared: number[] = [];
  private scanned = false;
  /** Milliseconds between simulated indexing steps. */
  stepMs: number;
  /** Photos the demo gallery adds, or null when there is none. */
  demo: number | null = null;
  /** Encoding stops here with the engine's error for the data folder's disk (full, or
   * removed), until set to null. */
  diskTroubleAt: number | null = null;
  diskTrouble: 'disk_full' | 'data_folder_gone' = 'disk_full';
  /** Ids whose preview "fails", with the cause (see SKIPPED). */
  broken = new Map<number, string>();
  private cancelled = false;
  /** Models: the one search uses, the one a switch encodes with, the installed ones, and
   * downloads (bytes present, of the model's), some running. */
  currentModel = 'motis-demo';
  nextModel: string | null = null;
  nextEncoded = 0;
  installedModels = new Set<string>(['motis-demo']);
  partial = new Map<string, number>();
  private downloading = new Map<string, { cancelled: boolean }>();
  /** Milliseconds per tenth of a download. */
  downloadMs = 5;
  /** A download that fails with this message (then clears). */
  downloadFailure: string | null = null;

  constructor(count = 120, stepMs = 5) {
    this.photos = mockPhotos(count);
    this.stepMs = stepMs;
  }

  /** The photos the catalog knows: none of a new source before its scan ends. */
  private get known(): MockPhoto[] {
    return this.previewMs === 0 || this.scanned ? this.photos : [];
  }

  /** A phone: photos come from its library, not from folders. */
  set phone(platform: 'android' | 'ios') {
    this.platform = platform;
    this.sources = this.sources.length > 0 ? [LIBRARY] : [];
  }

  async appStatus(): Promise<AppStatus> {
    return {
      engine: { state: 'ready' },
      model: { state: 'ready' },
      photos: this.known.length,
      encoded: this.encoded,
      failed: this.known.filter((p) => this.broken.has(p.id)).length,
      indexing: false,
      demoGallery: this.demo !== null,
      platform: this.platform,
      photoSources: this.platform === 'desktop' ? 'folders' : 'library',
      modelId: this.currentModel,
      modelName: this.entry(this.currentModel).name,
      exampleSearches: this.currentModel === DEMO_MODEL.id ? MOCK_EXAMPLES : EVERYDAY_EXAMPLES,
      switching: this.switching(),
    };
  }
  private entry(id: string): ModelEntry {
    return [DEMO_MODEL, ...SHORT_LIST].find((m) => m.id === id) ?? { ...DEMO_MODEL, id, name: id, shipped: false };
  }
  private switching() {
    if (this.nextModel === null) return null;
    const total = this.photos.filter((p) => !this.broken.has(p.id)).length;
    return { id: this.nextModel, name: this.entry(this.nextModel).name, covered: this.nextEncoded, total };
  }
  /** Installed as if downloaded earlier; `use` makes it the model search uses. */
  installModel(id: string, use = false) {
    this.installedModels.add(id);
    if (use) this.currentModel = id;
  }
  /** A download of `name` that stopped at `fraction` (the app quit). */
  interrupt(name: string, fraction: number) {
    this.partial.set(name, Math.round(fraction * this.bytes(name)));
  }
  private bytes(name: string): number {
    return (this.entry(name).downloadMb ?? 1) * 1_000_000;
  }
  async listModels(): Promise<ModelsReply> {
    const installed = [DEMO_MODEL, ...SHORT_LIST, ...[...this.installedModels].map((id) => this.entry(id))]
      .filter((m, i, all) => this.installedModels.has(m.id) && all.findIndex((o) => o.id === m.id) === i)
      .map((m) => ({ ...m, installed: true, download: null }));
    const downloadable = SHORT_LIST.filter((m) => !this.installedModels.has(m.id)).map((m) => {
      const present = this.partial.get(m.id);
      return {
        ...m,
        download: present === undefined ? null : { running: this.downloading.has(m.id), present, total: this.bytes(m.id) },
      };
    });
    return { current: this.currentModel, switching: this.switching(), models: [...installed, ...downloadable] };
  }
  async downloadModel(name: string, onEvent: (event: DownloadEvent) => void): Promise<boolean> {
    if (!SHORT_LIST.some((m) => m.id === name)) throw { code: 'failed', message: `"${name}" is not a model motis offers` };
    if (this.installedModels.has(name)) throw { code: 'failed', message: `there is a model ${name} already` };
    if (this.downloading.has(name)) throw { code: 'busy', message: `${name} is downloading already` };
    const run = { cancelled: false };
    this.downloading.set(name, run);
    const total = this.bytes(name);
    let done = this.partial.get(name) ?? 0;
    this.partial.set(name, done);
    try {
      onEvent({ event: 'resolved', repo: name, commit: '0123456789abcdef', files: 5, bytes: total, present: done });
      while (done < total) {
        await new Promise((resolve) => setTimeout(resolve, this.downloadMs));
        if (run.cancelled) {
          this.partial.delete(name);
          return false;
        }
        if (this.downloadFailure !== null && done >= total / 2) {
          const message = this.downloadFailure;
          this.downloadFailure = null;
          throw { code: 'failed', message };
        }
        done = Math.min(total, done + total / 10);
        this.partial.set(name, done);
        onEvent({ event: 'bytes', done, total });
      }
      onEvent({ event: 'checking' });
      this.partial.delete(name);
      this.installedModels.add(name);
      return true;
    } finally {
      this.downloading.delete(name);
    }
  }
  async cancelDownload(name: string) {
    const run = this.downloading.get(name);
    if (run) run.cancelled = true;
    return run !== undefined;
  }
  async discardDownload(name: string) {
    this.partial.delete(name);
    return this.listModels();
  }
  async useModel(id: string): Promise<ModelsReply> {
    if (!this.installedModels.has(id)) throw { code: 'failed', message: `no model ${id} is installed` };
    const changed = (this.nextModel ?? this.currentModel) !== id;
    if (changed) this.cancelled = true;
    if (id === this.currentModel) {
      this.nextModel = null;
    } else if (changed) {
      this.nextModel = id;
      this.nextEncoded = 0;
      if (this.photos.every((p) => this.broken.has(p.id))) this.finishSwitch();
    }
    return this.listModels();
  }
  async switchNow(): Promise<ModelsReply> {
    this.finishSwitch();
    return this.listModels();
  }
  private finishSwitch() {
    if (this.nextModel === null) return;
    this.currentModel = this.nextModel;
    this.encoded = this.nextEncoded;
    this.nextModel = null;
  }
  async listSources() {
    return this.sources;
  }
  async addFolder() {
    return false;
  }
  async addPhotoLibrary(albums: string[] | null): Promise<Access> {
    if (this.platform === 'desktop') throw { code: 'failed', message: 'there is no system photo library here: add a folder' };
    if (this.access === 'notDetermined') this.access = 'full';
    if (this.access === 'denied') {
      throw { code: 'permission_denied', message: 'motis may not read your photos: allow it in the system settings (Privacy › Photos)' };
    }
    const detail = albums === null ? LIBRARY.detail : albums.length === 1 ? '1 album' : `${albums.length} albums`;
    const library = { ...LIBRARY, detail, albums };
    if (this.sources.length === 0 && this.photos.length === 0) this.photos = mockPhotos(40);
    this.sources = [library];
    return this.access;
  }
  async libraryAccess(): Promise<Access> {
    return this.platform === 'desktop' ? 'folders' : this.access;
  }
  async widenSelection(): Promise<Access> {
    if (this.access === 'limited') this.access = 'full';
    return this.access;
  }
  async listAlbums() {
    return this.albums;
  }
  async addDemoGallery() {
    if (this.demo === null) return false;
    const folder = this.sources.length;
    this.sources = [...this.sources, { index: folder, kind: 'folder', name: 'images', detail: '/mock/demo/images', albums: null }];
    const first = Math.max(0, ...this.photos.map((p) => p.id)) + 1;
    this.photos = [...this.photos, ...mockPhotos(this.demo, folder, first)];
    return true;
  }
  async removeSource(index: number) {
    if (!this.sources[index]) throw { code: 'failed', message: `no source number ${index}` };
    const before = this.photos.length;
    this.photos = this.photos
      .filter((p) => p.folder !== index)
      .map((p) => ({ ...p, folder: p.folder > index ? p.folder - 1 : p.folder }));
    this.sources = this.sources.filter((f) => f.index !== index).map((f, i) => ({ ...f, index: i }));
    this.encoded = Math.min(this.encoded, this.photos.length);
    return before - this.photos.length;
  }
  async startIndexing(onEvent: (event: IndexEvent) => void, options?: { retryFailed?: boolean }) {
    this.cancelled = false;
    // Retried, a photo skipped for stopping motis is read again (here: it works now).
    if (options?.retryFailed) {
      for (const [id, cause] of this.broken) if (cause.includes(SKIPPED)) this.broken.delete(id);
    }
    const total = this.photos.length;
    const failed = this.photos.filter((p) => this.broken.has(p.id)).length;
    const summary = (encoded: number) => ({
      photos: total,
      added: 0,
      changed: 0,
      moved: 0,
      removed: 0,
      previews: total - failed,
      encoded,
      failed,
      searchable: encoded,
    });
    onEvent({ kind: 'started', model: this.nextModel ?? this.currentModel, sources: this.sources.map((f) => f.detail) });
    for (const photo of this.photos.filter((p) => this.broken.has(p.id))) {
      onEvent({ kind: 'item_failed', id: photo.id, path: this.path(photo), cause: this.broken.get(photo.id)! });
    }
    const workable = total - failed;
    for (const phase of ['scanning', 'previews', 'encoding'] as const) {
      const steps = phase === 'scanning' ? (this.previewMs > 0 ? 10 : 1) : workable;
      // Encoding resumes where a paused run stopped, as the engine's does.
      const switching = () => this.nextModel !== null;
      let done = phase === 'encoding' ? Math.min(switching() ? this.nextEncoded : this.encoded, workable) : 0;
      for (;;) {
        if (this.cancelled) {
          onEvent({ kind: 'cancelled', ...summary(this.encoded) });
          return;
        }
        if (phase === 'encoding' && switching()) this.nextEncoded = done;
        else if (phase === 'encoding') this.encoded = done;
        if (phase === 'encoding' && this.diskTroubleAt !== null && done >= this.diskTroubleAt) {
          throw { code: this.diskTrouble, message: DISK_TROUBLE[this.diskTrouble] };
        }
        if (phase === 'scanning' && done === steps) this.scanned = true;
        onEvent({ kind: 'progress', phase, done, total: steps, failed: phase === 'scanning' ? 0 : failed });
        if (done >= steps) break;
        await new Promise((resolve) => setTimeout(resolve, this.stepMs));
        done = Math.min(steps, done + Math.max(1, Math.ceil(steps / 10)));
      }
    }
    // The next model has encoded the gallery: it takes over, as the app's does.
    this.finishSwitch();
    onEvent({ kind: 'finished', ...summary(this.encoded) });
  }
  async cancelIndexing() {
    this.cancelled = true;
    return true;
  }
  async listFailures(): Promise<Failure[]> {
    return this.photos
      .filter((p) => this.broken.has(p.id))
      .map((p) => ({ id: p.id, path: this.path(p), cause: this.broken.get(p.id)! }));
  }
  private path(photo: MockPhoto): string {
    return `${this.sources[photo.folder]?.detail ?? '/mock'}/${photo.colour}-${photo.shape}-${photo.id}.jpg`;
  }
  /** A photo's folder, as `in:` names it: its source's, then a folder for its shape. */
  private folderOf(photo: MockPhoto): string {
    return `${this.sources[photo.folder]?.name ?? 'mock'}/${photo.shape}s`;
  }
  private allowed(query: MockQuery): MockPhoto[] {
    return this.known.filter((p) => {
      const taken = mockTaken(p.id);
      const folders = this.folderOf(p).toLowerCase();
      return (
        (query.after === null || taken >= query.after) &&
        (query.before === null || taken < query.before) &&
        (query.folders.length === 0 || query.folders.some((f) => `/${folders}/`.includes(`/${f}/`)))
      );
    });
  }
  async search(text: string, sort: Sort = 'score'): Promise<SearchReply> {
    const query = parseMockQuery(text);
    if (query === null || query.terms.length + query.photos.length === 0) {
      return { kind: 'gallery', filtered: query !== null && this.allowed(query).length !== this.known.length };
    }
    // A photo term stands for its caption's words.
    const terms = [...query.terms];
    for (const id of query.photos) {
      const photo = this.photos.find((p) => p.id === id);
      if (!photo) throw { code: 'no_such_photo', message: `no photo with id ${id} in the catalog` };
      terms.push({ words: [photo.colour, photo.shape], sign: 1 });
    }
    const allowed = new Set(this.allowed(query).map((p) => p.id));
    const searchable = this.photos.filter((p) => !this.broken.has(p.id)).slice(0, this.encoded);
    const positive = terms.filter((t) => t.sign > 0);
    const score = (caption: string) => {
      const has = (t: { words: string[] }) => t.words.filter((w) => caption.includes(w)).length / Math.max(1, t.words.length);
      const excluded = terms.some((t) => t.sign < 0 && has(t) === 1);
      return positive.reduce((sum, t) => sum + has(t), 0) / Math.max(1, positive.length) - (excluded ? 1 : 0);
    };
    const candidates = searchable.filter((p) => allowed.has(p.id) && !query.photos.includes(p.id));
    const ranked = candidates
      .map((p) => ({ id: p.id, score: score(p.caption), taken: mockTaken(p.id) }))
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .slice(0, this.settings.results);
    // The mock's cut-off: photos that have every word of the query stand out.
    const shown = ranked.filter((r) => r.score >= 0.999).length;
    const order = (part: typeof ranked) =>
      sort === 'score' ? part : [...part].sort((a, b) => (sort === 'newest' ? b.taken - a.taken : a.taken - b.taken));
    const results = [...order(ranked.slice(0, shown)), ...order(ranked.slice(shown))];
    return { kind: 'matches', results, shown, searched: candidates.length, total: allowed.size, model: this.currentModel };
  }
  async gallery(after: string | null, limit: number, query: string | null = null): Promise<GalleryPage> {
    const filters = query === null ? null : parseMockQuery(query);
    const photos = filters === null ? this.known : this.allowed(filters);
    // Newest first is the highest id first here; a position is the id of the page's last photo.
    const newestFirst = [...photos].reverse().filter((p) => after === null || p.id < Number(after));
    const page = newestFirst.slice(0, limit);
    return {
      photos: page.map((p) => ({ id: p.id, width: 400, height: 300, hasPreview: this.previewMs === 0, taken: mockTaken(p.id) })),
      total: photos.length,
      next: page.length === limit ? String(page[page.length - 1].id) : null,
    };
  }
  async photoFolders(): Promise<PhotoFolder[]> {
    const counts = new Map<string, number>();
    for (const photo of this.known) counts.set(this.folderOf(photo), (counts.get(this.folderOf(photo)) ?? 0) + 1);
    return [...counts].sort(([a], [b]) => a.localeCompare(b)).map(([name, photos]) => ({ name, photos }));
  }
  async photoDetails(id: number): Promise<PhotoDetails> {
    const photo = this.photos.find((p) => p.id === id);
    if (!photo) throw { code: 'no_such_photo', message: `no photo with id ${id} in the catalog` };
    return {
      id,
      name: `${photo.colour}-${photo.shape}-${id}.jpg`,
      folder: this.sources[photo.folder]?.detail ?? '/mock',
      inLibrary: this.sources[photo.folder]?.kind === 'library',
      width: 400,
      height: 300,
      bytes: 48_000,
      modifiedMs: 1_700_000_000_000 + id * 60_000,
      taken: mockTaken(id),
      takenFrom: 'exif',
      takenOffset: 60,
      error: this.broken.get(id) ?? null,
    };
  }
  async openPhoto() {}
  async showInFolder() {}
  async sharePhoto(id: number) {
    this.shared.push(id);
  }
  async powerState(): Promise<PowerState> {
    return { charging: this.charging };
  }
  /** What the app tells the page about its life on a phone; `lifecycle()` plays it. */
  private lifecycleHandlers: ((event: Lifecycle) => void)[] = [];
  onLifecycle(handler: (event: Lifecycle) => void) {
    this.lifecycleHandlers.push(handler);
    return () => {
      this.lifecycleHandlers = this.lifecycleHandlers.filter((h) => h !== handler);
    };
  }
  lifecycle(event: Lifecycle) {
    for (const handler of this.lifecycleHandlers) handler(event);
  }
  async getSettings() {
    return this.settings;
  }
  async setSettings(settings: Settings) {
    this.settings = { ...settings, results: Math.min(1000, Math.max(1, settings.results)) };
    return this.settings;
  }
  photoUrl(kind: 'preview' | 'thumbnail' | 'full', id: number) {
    // Photos as phones write them: each carries a thumbnail, there at once.
    if (kind === 'thumbnail') return this.drawn(id, 40, 0);
    return this.drawn(id, kind === 'preview' ? 160 : 640, kind === 'preview' ? this.previewMs : 0);
  }
  renditionUrl(id: number, size: number) {
    return this.drawn(id, size, 0);
  }
  private drawn(id: number, size: number, delayMs: number): string {
    // A broken photo has no preview: its address answers with something no image decodes.
    if (this.broken.has(id)) return 'data:image/png;base64,AA==';
    if (delayMs > 0) return `/__mock-photo/${id}?size=${size}&ms=${delayMs}`;
    const photo = this.photos.find((p) => p.id === id) ?? mockPhotos(1, 0, id)[0];
    return drawing(photo, size);
  }
}
