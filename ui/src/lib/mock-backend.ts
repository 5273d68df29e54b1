// A backend without the Rust side: a gallery of drawn shapes whose captions are known,
// searched by word overlap, indexed in simulated steps. For component and UI tests and
// for working on the page in a plain browser (`npm run ui:dev`).

import type {
  AppStatus,
  Backend,
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
}

export function mockPhotos(count: number): MockPhoto[] {
  return Array.from({ length: count }, (_, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const shape = SHAPES[Math.floor(i / COLOURS.length) % SHAPES.length];
    return { id: i + 1, colour, shape, caption: `a ${colour} ${shape}` };
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
      failed: 0,
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
    this.folders = [...this.folders, { index: this.folders.length, name: 'images', path: '/mock/demo/images' }];
    this.photos = mockPhotos(this.photos.length + this.demo);
    return true;
  }
  async removeFolder(index: number) {
    this.folders = this.folders.filter((f) => f.index !== index);
    const removed = this.photos.length;
    this.photos = [];
    return removed;
  }
  async startIndexing(onEvent: (event: IndexEvent) => void) {
    const total = this.photos.length;
    onEvent({ kind: 'started', model: 'mock', folders: this.folders.map((f) => f.path) });
    for (const phase of ['scanning', 'previews', 'encoding'] as const) {
      const steps = phase === 'scanning' ? 1 : total;
      for (let done = 0; done <= steps; done += Math.max(1, Math.ceil(steps / 10))) {
        if (phase === 'encoding') this.encoded = Math.min(done, total);
        onEvent({ kind: 'progress', phase, done: Math.min(done, steps), total: steps, failed: 0 });
        await new Promise((resolve) => setTimeout(resolve, this.stepMs));
      }
    }
    this.encoded = total;
    onEvent({ kind: 'progress', phase: 'encoding', done: total, total, failed: 0 });
    onEvent({
      kind: 'finished',
      photos: total,
      added: total,
      changed: 0,
      moved: 0,
      removed: 0,
      previews: total,
      encoded: total,
      failed: 0,
      searchable: total,
    });
  }
  async cancelIndexing() {
    return false;
  }
  async search(query: string): Promise<SearchReply> {
    const trimmed = query.trim().toLowerCase();
    if (trimmed === '' || trimmed === 'reset') return { kind: 'gallery' };
    const words = trimmed.split(/\s+/);
    const searchable = this.photos.slice(0, this.encoded);
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
      folder: '/mock/Shapes',
      width: 400,
      height: 300,
      bytes: 48_000,
      modifiedMs: 1_700_000_000_000 + id * 60_000,
      error: null,
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
    const photo = this.photos.find((p) => p.id === id) ?? mockPhotos(id).at(-1)!;
    return drawing(photo, kind === 'preview' ? 160 : 640);
  }
}
