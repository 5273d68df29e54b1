//! Desktop: the data folder the `motis` command uses too, so that both see one catalog;
//! photos come from folders the person adds.

use std::path::{Path, PathBuf};

use motis_engine::DataDir;
use tauri::{AppHandle, Manager, Window, WindowEvent};

use crate::commands::CommandError;

/// What the page is told it runs on: it offers "Show in folder" and "Open" here.
pub const PLATFORM: &str = "desktop";

/// Where photos come from: the page offers "Add folder…".
pub const PHOTO_SOURCES: &str = "folders";

pub fn default_data_dir(_app: &AppHandle) -> Result<PathBuf, CommandError> {
    Ok(DataDir::default_location()?)
}

/// The models installed beside the program (bundle resources), if it was installed.
pub fn bundled_models(app: &AppHandle, _data_dir: &Path) -> Option<PathBuf> {
    super::models_in(&app.path().resource_dir().ok()?.join("models"))
}

/// Indexing goes on behind other windows: a desktop does not pause apps it cannot see.
pub fn on_window_event(_window: &Window, _event: &WindowEvent) {}
