//! Desktop: the data folder the `motis` command uses too, so that both see one catalog;
//! folders chosen in the system's dialog.

use std::path::PathBuf;

use motis_engine::DataDir;
use tauri::AppHandle;
use tauri_plugin_dialog::DialogExt;

use crate::commands::CommandError;

pub fn default_data_dir(_app: &AppHandle) -> Result<PathBuf, CommandError> {
    Ok(DataDir::default_location()?)
}

/// Blocks until the person chooses a folder or closes the dialog (`None`).
pub fn pick_folder(app: &AppHandle) -> Result<Option<PathBuf>, CommandError> {
    Ok(app
        .dialog()
        .file()
        .blocking_pick_folder()
        .and_then(|f| f.into_path().ok()))
}
