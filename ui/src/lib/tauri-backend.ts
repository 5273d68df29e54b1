// The backend inside the app: each method is one Tauri command (motis's own, or the
// photo-library plugin's on phones).

import { Channel, convertFileSrc, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
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
  ModelsReply,
  PhotoDetails,
  PhotoFolder,
  PowerState,
  SearchReply,
  Settings,
  Sort,
  Source,
} from './backend';

type BatteryNavigator = Navigator & { getBattery?: () => Promise<{ charging: boolean }> };

export class TauriBackend implements Backend {
  appStatus() {
    return invoke<AppStatus>('app_status');
  }
  listSources() {
    return invoke<Source[]>('list_sources');
  }
  addFolder() {
    return invoke<boolean>('add_folder');
  }
  addPhotoLibrary(albums: string[] | null) {
    return invoke<Access>('add_photo_library', { albums });
  }
  libraryAccess() {
    return invoke<Access>('plugin:photo-library|access');
  }
  widenSelection() {
    return invoke<Access>('plugin:photo-library|widen_selection');
  }
  listAlbums() {
    return invoke<Album[]>('plugin:photo-library|list_albums');
  }
  addDemoGallery() {
    return invoke<boolean>('add_demo_gallery');
  }
  removeSource(index: number) {
    return invoke<number>('remove_source', { index });
  }
  startIndexing(onEvent: (event: IndexEvent) => void, options?: { retryFailed?: boolean }) {
    const channel = new Channel<IndexEvent>();
    channel.onmessage = onEvent;
    return invoke<void>('start_indexing', { onEvent: channel, retryFailed: options?.retryFailed ?? false });
  }
  cancelIndexing() {
    return invoke<boolean>('cancel_indexing');
  }
  listFailures() {
    return invoke<Failure[]>('list_failures');
  }
  search(query: string, sort: Sort) {
    return invoke<SearchReply>('search', { query, sort });
  }
  gallery(after: string | null, limit: number, query: string | null = null) {
    return invoke<GalleryPage>('gallery', { after, limit, query });
  }
  photoFolders() {
    return invoke<PhotoFolder[]>('photo_folders');
  }
  photoDetails(id: number) {
    return invoke<PhotoDetails>('photo_details', { id });
  }
  openPhoto(id: number) {
    return invoke<void>('open_photo', { id });
  }
  showInFolder(id: number) {
    return invoke<void>('show_in_folder', { id });
  }
  sharePhoto(id: number) {
    return invoke<void>('share_photo', { id });
  }
  /** A phone's platform says (the app's `power_state`, granted on phones only); elsewhere the
   * webview's Battery Status API, where it has one (WebKit on Linux has none, and the
   * "only while charging" option is not offered there). */
  async powerState(): Promise<PowerState> {
    const platform = await invoke<PowerState>('power_state').catch(() => null);
    if (platform && platform.charging !== null) return platform;
    const battery = await (navigator as BatteryNavigator).getBattery?.().catch(() => undefined);
    return { charging: battery ? battery.charging : null };
  }
  onLifecycle(handler: (event: Lifecycle) => void) {
    const listening = listen<Lifecycle>('motis://lifecycle', (event) => handler(event.payload));
    return () => void listening.then((unlisten) => unlisten());
  }
  getSettings() {
    return invoke<Settings>('get_settings');
  }
  setSettings(settings: Settings) {
    return invoke<Settings>('set_settings', { settings });
  }
  listModels() {
    return invoke<ModelsReply>('list_models');
  }
  downloadModel(name: string, onEvent: (event: DownloadEvent) => void) {
    const channel = new Channel<DownloadEvent>();
    channel.onmessage = onEvent;
    return invoke<boolean>('download_model', { name, onEvent: channel });
  }
  cancelDownload(name: string) {
    return invoke<boolean>('cancel_download', { name });
  }
  discardDownload(name: string) {
    return invoke<ModelsReply>('discard_download', { name });
  }
  useModel(id: string) {
    return invoke<ModelsReply>('use_model', { id });
  }
  switchNow() {
    return invoke<ModelsReply>('switch_now');
  }
  photoUrl(kind: 'preview' | 'thumbnail' | 'full', id: number) {
    return convertFileSrc(`${kind}-${id}`, 'photo');
  }
  renditionUrl(id: number, size: number) {
    return convertFileSrc(`rendition-${id}-${Math.ceil(size)}`, 'photo');
  }
}
