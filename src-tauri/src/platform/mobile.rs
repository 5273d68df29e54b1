//! Phones: the data folder is the app's own (its sandbox; no other app or command sees
//! it), and photos come from the system photo library, not from folders.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use motis_engine::ErrorCode;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Window, WindowEvent};

use crate::commands::CommandError;
use crate::state::{AppState, lock};

/// What the page is told it runs on: it offers the share sheet here, and no file manager.
#[cfg(target_os = "android")]
pub const PLATFORM: &str = "android";
#[cfg(target_os = "ios")]
pub const PLATFORM: &str = "ios";

/// Where photos come from: the page offers the photo library.
pub const PHOTO_SOURCES: &str = "library";

pub fn default_data_dir(app: &AppHandle) -> Result<PathBuf, CommandError> {
    app.path().app_data_dir().map_err(|e| CommandError {
        code: ErrorCode::Failed,
        message: format!("the app's data folder is not available: {e}"),
    })
}

/// What the page hears on `motis://lifecycle`.
#[derive(Clone, Serialize)]
struct Lifecycle {
    background: bool,
    /// On return: a run was stopped when the app left, and is to go on.
    resume: bool,
}

/// A run was stopped because the app left the screen.
static RESUME_ON_RETURN: AtomicBool = AtomicBool::new(false);

/// The system pauses an app in the background and may kill it there: indexing stops
/// when the app leaves the screen (what is done is saved, as for any cancelled run), here
/// on the Rust side because the page may be frozen by then, and the page starts it again
/// when the app returns. A run the system killed resumes at the next start.
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    let lifecycle = match event {
        WindowEvent::Suspended => {
            let state = window.state::<AppState>();
            if lock(&state.indexing).as_ref().map(|run| run.cancel()).is_some() {
                RESUME_ON_RETURN.store(true, Ordering::SeqCst);
            }
            Lifecycle {
                background: true,
                resume: false,
            }
        }
        WindowEvent::Resumed => Lifecycle {
            background: false,
            resume: RESUME_ON_RETURN.swap(false, Ordering::SeqCst),
        },
        _ => return,
    };
    let _ = window.emit("motis://lifecycle", lifecycle);
}
