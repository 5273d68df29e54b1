// A backend without the Rust side: a gallery of drawn shapes whose captions are known,
// searched by word overlap, indexed in simulated steps. For component and UI tests and
// for working on the page in a plain browser (`npm run ui:dev`).

import type {
  AppStatus,
  Backend,
  Failure,
  Folder,
  GalleryPage,
  IndexEvent,
  PhotoDetails,
  SearchReply,
  Settings,
} from './backend';

const COLOURS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange'];
const SHAPES = ['circle', 'square', 'star', 'triangle'];

export interface MockPhoto {
  id: number;
  caption: string;
  colour: string;
  shape: string;
  /** Index of the folder that holds it. */
  folder: number;
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

function drawing(photo: MockPhoto, size: number): string {
  const half = size / 2;
  const body: Record<string, string> = {
    circle: `<circle cx="${half}" cy="${half}" r="${size / 3}"/>`,
    square: `<rect x="${size / 4}" y="${size / 4}" width="${half}" height="${half}"/>`,
    star: `<polygon points="${half},${size * 0.1} ${size * 0.62},${size * 0.4} ${size * 0.9},${size * 0.4} ${size * 0.67},${size * 0.6} ${size * 0.76},${size * 0.9} ${half},${size * 0.72} ${size * 0.24},${size * 0.9} ${size * 0.33},${size * 0.6} ${size * 0.1},${size * 0.4} ${size * 0.38},${size * 0.4}"/>`,
    triangle: `<polygon points="${half},${size * 0.15} ${size * 0.85},${size * 0.85} ${size * 0.15},${size * 0.85}"/>`,
  };
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="#eee"/><g fill="${photo.colour}">${body[photo.shape]}</g></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

export class MockBackend implements Backend {
  photos: MockPhoto[];
  folders: Folder[] = [{ index: 0, name: 'Shapes', path: '/mock/Shapes' }];
  encoded = 0;
  settings: Settings = { results: 60 };
  /** Milliseconds between simulated indexing steps. */
  stepMs: number;
  /** Photos the demo gallery adds, or null when there is none. */
  demo: number | null = null;
  /** Ids whose preview "fails", with the cause. */
  broken = new Map<number, string>();
  private cancelled = false;

  constructor(count = 120, stepMs = 5) {
    this.photos = mockPhotos(count);
    this.stepMs = stepMs;
  }

  async appStatus(): Promise<AppStatus> {
    return {
      engine: { state: 'ready' },
      model: { state: 'ready' },
      photos: this.photos.length,
      encoded: this.encoded,
      failed: this.photos.filter((p) => this.broken.has(p.id)).length,
      indexing: false,
      demoGallery: this.demo !== null,
    };
  }
  async listFolders() {
    return this.folders;
  }
  async addFolder() {
    return false;
  }
  async addDemoGallery() {
    if (this.demo === null) return false;
    const folder = this.folders.length;
    this.folders = [...this.folders, { index: folder, name: 'images', path: '/mock/demo/images' }];
    const first = Math.max(0, ...this.photos.map((p) => p.id)) + 1;
    this.photos = [...this.photos, ...mockPhotos(this.demo, folder, first)];
    return true;
  }
  async removeFolder(index: number) {
    if (!this.folders[index]) throw { code: 'failed', message: `no folder number ${index}` };
    const before = this.photos.length;
    this.photos = this.photos
      .filter((p) => p.folder !== index)
      .map((p) => ({ ...p, folder: p.folder > index ? p.folder - 1 : p.folder }));
    this.folders = this.folders.filter((f) => f.index !== index).map((f, i) => ({ ...f, index: i }));
    this.encoded = Math.min(this.encoded, this.photos.length);
    return before - this.photos.length;
  }
  async startIndexing(onEvent: (event: IndexEvent) => void) {
    this.cancelled = false;
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
    onEvent({ kind: 'started', model: 'mock', folders: this.folders.map((f) => f.path) });
    for (const photo of this.photos.filter((p) => this.broken.has(p.id))) {
      onEvent({ kind: 'item_failed', id: photo.id, path: this.path(photo), cause: this.broken.get(photo.id)! });
    }
    const workable = total - failed;
    for (const phase of ['scanning', 'previews', 'encoding'] as const) {
      const steps = phase === 'scanning' ? 1 : workable;
      // Encoding resumes where a paused run stopped, as the engine's does.
      let done = phase === 'encoding' ? Math.min(this.encoded, workable) : 0;
      for (;;) {
        if (this.cancelled) {
          onEvent({ kind: 'cancelled', ...summary(this.encoded) });
          return;
        }
        if (phase === 'encoding') this.encoded = done;
        onEvent({ kind: 'progress', phase, done, total: steps, failed: phase === 'scanning' ? 0 : failed });
        if (done >= steps) break;
        await new Promise((resolve) => setTimeout(resolve, this.stepMs));
        done = Math.min(steps, done + Math.max(1, Math.ceil(steps / 10)));
      }
    }
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
    return `${this.folders[photo.folder]?.path ?? '/mock'}/${photo.colour}-${photo.shape}-${photo.id}.jpg`;
  }
  async search(query: string): Promise<SearchReply> {
    const trimmed = query.trim().toLowerCase();
    if (trimmed === '' || trimmed === 'reset') return { kind: 'gallery' };
    const words = trimmed.split(/\s+/);
    const searchable = this.photos.filter((p) => !this.broken.has(p.id)).slice(0, this.encoded);
    const results = searchable
      .map((p) => ({ id: p.id, score: words.filter((w) => p.caption.includes(w)).length / words.length }))
      .sort((a, b) => b.score - a.score || a.id - b.id)
      .slice(0, this.settings.results);
    return { kind: 'matches', results, searched: searchable.length, total: this.photos.length };
  }
  async similar(id: number): Promise<SearchReply> {
    const photo = this.photos.find((p) => p.id === id);
    if (!photo) throw { code: 'no_such_photo', message: `no photo with id ${id} in the catalog` };
    return this.search(`${photo.colour} ${photo.shape}`).then((reply) =>
      reply.kind === 'matches' ? { ...reply, results: reply.results.filter((r) => r.id !== id) } : reply,
    );
  }
  async gallery(offset: number, limit: number): Promise<GalleryPage> {
    const newestFirst = [...this.photos].reverse();
    return {
      photos: newestFirst.slice(offset, offset + limit).map((p) => ({ id: p.id, width: 400, height: 300, hasPreview: true })),
      total: this.photos.length,
    };
  }
  async photoDetails(id: number): Promise<PhotoDetails> {
    const photo = this.photos.find((p) => p.id === id);
    if (!photo) throw { code: 'no_such_photo', message: `no photo with id ${id} in the catalog` };
    return {
      id,
      name: `${photo.colour}-${photo.shape}-${id}.jpg`,
      folder: this.folders[photo.folder]?.path ?? '/mock',
      width: 400,
      height: 300,
      bytes: 48_000,
      modifiedMs: 1_700_000_000_000 + id * 60_000,
      error: this.broken.get(id) ?? null,
    };
  }
  async openPhoto() {}
  async showInFolder() {}
  async getSettings() {
    return this.settings;
  }
  async setSettings(settings: Settings) {
    this.settings = { results: Math.min(1000, Math.max(1, settings.results)) };
    return this.settings;
  }
  photoUrl(kind: 'preview' | 'full', id: number) {
    // A broken photo has no preview: its address answers with something no image decodes.
    if (this.broken.has(id)) return 'data:image/png;base64,AA==';
    const photo = this.photos.find((p) => p.id === id) ?? mockPhotos(1, 0, id)[0];
    return drawing(photo, kind === 'preview' ? 160 : 640);
  }
}
