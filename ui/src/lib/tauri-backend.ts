// The backend inside the app: each method is one Tauri command.

import { Channel, convertFileSrc, invoke } from '@tauri-apps/api/core';
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

export class TauriBackend implements Backend {
  appStatus() {
    return invoke<AppStatus>('app_status');
  }
  listFolders() {
    return invoke<Folder[]>('list_folders');
  }
  addFolder() {
    return invoke<boolean>('add_folder');
  }
  addDemoGallery() {
    return invoke<boolean>('add_demo_gallery');
  }
  removeFolder(index: number) {
    return invoke<number>('remove_folder', { index });
  }
  startIndexing(onEvent: (event: IndexEvent) => void) {
    const channel = new Channel<IndexEvent>();
    channel.onmessage = onEvent;
    return invoke<void>('start_indexing', { onEvent: channel });
  }
  cancelIndexing() {
    return invoke<boolean>('cancel_indexing');
  }
  listFailures() {
    return invoke<Failure[]>('list_failures');
  }
  search(query: string) {
    return invoke<SearchReply>('search', { query });
  }
  similar(id: number) {
    return invoke<SearchReply>('similar', { id });
  }
  gallery(offset: number, limit: number) {
    return invoke<GalleryPage>('gallery', { offset, limit });
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
  getSettings() {
    return invoke<Settings>('get_settings');
  }
  setSettings(settings: Settings) {
    return invoke<Settings>('set_settings', { settings });
  }
  photoUrl(kind: 'preview' | 'full', id: number) {
    return convertFileSrc(`${kind}-${id}`, 'photo');
  }
}
