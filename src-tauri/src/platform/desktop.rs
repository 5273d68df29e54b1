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

/// Before the webview starts. WebKitGTK composites the page with OpenGL, which without a
/// GPU is Mesa's software rasteriser: on a 2-core machine without one it took a quarter
/// to three quarters of a core whenever the page changed (previews arriving, the progress
/// line), the core the first screenful's previews need. WebKit's non-composited mode
/// paints the same page for a tenth of that. Where there is a GPU (a render node), WebKit
/// keeps its default; a person can decide either way by setting the variable themselves.
pub fn before_webview() {
    #[cfg(target_os = "linux")]
    {
        const NOT_COMPOSITED: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
        let has_gpu = std::fs::read_dir("/dev/dri").is_ok_and(|nodes| {
            nodes
                .flatten()
                .any(|node| node.file_name().to_string_lossy().starts_with("renderD"))
        });
        if !has_gpu && std::env::var_os(NOT_COMPOSITED).is_none() {
            // SAFETY: called first thing in `run`, before the app starts any thread.
            unsafe { std::env::set_var(NOT_COMPOSITED, "1") };
        }
    }
}

/// Indexing goes on behind other windows: a desktop does not pause apps it cannot see.
pub fn on_window_event(_window: &Window, _event: &WindowEvent) {}

/// Indexing runs whenever it is asked to on a desktop (the page offers "only while
/// charging" where the webview says whether it charges).
pub fn indexing_condition(_app: &tauri::AppHandle, _only_while_charging: bool) -> Option<motis_engine::RunCondition> {
    None
}
