//! Phones: the data folder is the app's own (its sandbox; no other app or command sees
//! it). Photos live in the system photo library there, not in folders a person picks, and
//! the system dialog has no folder picker on Android or iOS.

use std::path::PathBuf;

use motis_engine::ErrorCode;
use tauri::{AppHandle, Manager};

use crate::commands::CommandError;

pub fn default_data_dir(app: &AppHandle) -> Result<PathBuf, CommandError> {
    app.path().app_data_dir().map_err(|e| CommandError {
        code: ErrorCode::Failed,
        message: format!("the app's data folder is not available: {e}"),
    })
}

pub fn pick_folder(_app: &AppHandle) -> Result<Option<PathBuf>, CommandError> {
    Err(CommandError {
        code: ErrorCode::Failed,
        message: "folders cannot be chosen on a phone: motis reads the photo library there".into(),
    })
}
