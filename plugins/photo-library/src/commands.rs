//! What the page may call (each one allowed by a permission in `permissions/`): whether
//! motis may read the library, asking for it, widening a limited selection, and the
//! albums to choose from. Each awaits the platform, off the main thread.

use motis_engine::Album;
use tauri::{AppHandle, Runtime};

use crate::{Access, PhotoLibraryExt, Result};

#[tauri::command]
pub(crate) async fn access<R: Runtime>(app: AppHandle<R>) -> Result<Access> {
    app.photo_library().access().await
}

/// Shows the system's permission prompt when it has not been answered yet.
#[tauri::command]
pub(crate) async fn request_access<R: Runtime>(app: AppHandle<R>) -> Result<Access> {
    app.photo_library().request_access().await
}

/// Limited access: lets the person choose more photos (the system's picker on iOS, the
/// permission prompt again on Android 14+).
#[tauri::command]
pub(crate) async fn widen_selection<R: Runtime>(app: AppHandle<R>) -> Result<Access> {
    app.photo_library().widen_selection().await
}

#[tauri::command]
pub(crate) async fn list_albums<R: Runtime>(app: AppHandle<R>) -> Result<Vec<Album>> {
    app.photo_library().albums().await
}
