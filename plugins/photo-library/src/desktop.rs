//! Desktops: photos come from folders, picked in the system's dialog; there is no
//! system photo library to read and no permission to ask for.

use std::path::PathBuf;
use std::sync::Arc;

use motis_engine::Album;
use serde::de::DeserializeOwned;
use tauri::plugin::PluginApi;
use tauri::{AppHandle, Runtime};
use tauri_plugin_dialog::DialogExt;

use crate::{Access, Error, Result};

/// The folder dialog is `tauri-plugin-dialog`'s: the app registers it beside this one
/// (a plugin registered from another's setup never finishes starting).
pub fn init<R: Runtime, C: DeserializeOwned>(app: &AppHandle<R>, _api: PluginApi<R, C>) -> Result<PhotoLibrary<R>> {
    Ok(PhotoLibrary(app.clone()))
}

pub struct PhotoLibrary<R: Runtime>(AppHandle<R>);

impl<R: Runtime> PhotoLibrary<R> {
    pub async fn access(&self) -> Result<Access> {
        Ok(Access::Folders)
    }

    pub async fn request_access(&self) -> Result<Access> {
        Ok(Access::Folders)
    }

    pub async fn widen_selection(&self) -> Result<Access> {
        Ok(Access::Folders)
    }

    pub async fn albums(&self) -> Result<Vec<Album>> {
        Ok(Vec::new())
    }

    /// The system photo library as a source for the engine: none on a desktop.
    pub fn library(&self) -> Option<Arc<dyn motis_engine::PhotoLibrary>> {
        None
    }

    /// Blocks until the person chooses a folder or closes the dialog (`None`).
    pub fn pick_folder(&self) -> Result<Option<PathBuf>> {
        Ok(self
            .0
            .dialog()
            .file()
            .blocking_pick_folder()
            .and_then(|folder| folder.into_path().ok()))
    }

    /// The device's power: not reported on desktops (the page asks the webview whether
    /// it charges), so nothing holds indexing back.
    pub fn power_state(&self) -> Result<crate::PowerState> {
        Ok(crate::PowerState::default())
    }

    /// The system's share sheet: desktops have none that motis uses ("Show in folder"
    /// and "Open" serve there).
    pub fn share(&self, _item: &str) -> Result<()> {
        Err(Error::Unsupported("sharing"))
    }
}
