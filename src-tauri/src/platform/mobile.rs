//! Phones: the data folder is the app's own (its sandbox; no other app or command sees
//! it), and photos come from the system photo library, not from folders.

use std::path::{Path, PathBuf};
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

/// The models the app ships: files in the app bundle on iOS.
#[cfg(target_os = "ios")]
pub fn bundled_models(app: &AppHandle, _data_dir: &Path) -> Option<PathBuf> {
    super::models_in(&app.path().resource_dir().ok()?.join("models"))
}

/// The models the app ships. On Android they are APK assets, which ONNX Runtime cannot
/// open by path: they are copied to the data folder's `shipped-models/` (at the first
/// start, and after an update that ships other ones), each file checked against the
/// manifest's sha256, into a staging folder that takes the place of the old one only when
/// complete, so that a start cut short never leaves a half-copied model. Not `models/`,
/// which holds the models the person downloaded: an update replaces this folder whole.
#[cfg(target_os = "android")]
pub fn bundled_models(app: &AppHandle, data_dir: &Path) -> Option<PathBuf> {
    match copy_bundled_models(app, data_dir) {
        Ok(models) => Some(models),
        Err(message) => {
            eprintln!("motis: the shipped model could not be installed: {message}");
            None
        }
    }
}

#[cfg(target_os = "android")]
fn copy_bundled_models(app: &AppHandle, data_dir: &Path) -> Result<PathBuf, String> {
    use std::io::Read;

    use tauri_plugin_fs::{FsExt, OpenOptions};

    use super::DEMO_MODEL;

    let assets = app.path().resource_dir().map_err(|e| e.to_string())?.join("models");
    let read = |relative: &str| -> Result<Vec<u8>, String> {
        let mut options = OpenOptions::new();
        options.read(true);
        let mut bytes = Vec::new();
        app.fs()
            .open(assets.join(relative), options)
            .and_then(|mut file| file.read_to_end(&mut bytes))
            .map_err(|e| format!("{relative}: {e}"))?;
        Ok(bytes)
    };
    let target = data_dir.join("shipped-models");
    let manifest = read(&format!("{DEMO_MODEL}/manifest.json"))?;
    let installed = target.join(DEMO_MODEL).join("manifest.json");
    if std::fs::read(&installed).is_ok_and(|bytes| bytes == manifest) {
        return Ok(target);
    }
    #[derive(serde::Deserialize)]
    struct Shipped {
        files: Vec<ShippedFile>,
        text: ShippedText,
    }
    #[derive(serde::Deserialize)]
    struct ShippedFile {
        path: String,
        sha256: String,
    }
    #[derive(serde::Deserialize)]
    struct ShippedText {
        tokenizer: String,
    }
    let shipped: Shipped = serde_json::from_slice(&manifest).map_err(|e| format!("{DEMO_MODEL}/manifest.json: {e}"))?;
    let staging = data_dir.join("shipped-models.partial");
    let _ = std::fs::remove_dir_all(&staging);
    let write = |relative: &str, bytes: &[u8]| -> Result<PathBuf, String> {
        let path = staging.join(relative);
        std::fs::create_dir_all(path.parent().expect("a file in a folder"))
            .and_then(|()| std::fs::write(&path, bytes))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    };
    write(&format!("{DEMO_MODEL}/manifest.json"), &manifest)?;
    for file in &shipped.files {
        let relative = format!("{DEMO_MODEL}/{}", file.path);
        let written = write(&relative, &read(&relative)?)?;
        let hash = motis_engine::catalog::content_hash(&written).map_err(|e| e.to_string())?;
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        if hex != file.sha256 {
            return Err(format!(
                "{relative}: its sha256 is {hex}, the manifest says {}",
                file.sha256
            ));
        }
    }
    let tokenizer = format!("tokenizers/{}/tokenizer.json", shipped.text.tokenizer);
    write(&tokenizer, &read(&tokenizer)?)?;
    let _ = std::fs::remove_dir_all(&target);
    std::fs::rename(&staging, &target).map_err(|e| format!("{}: {e}", target.display()))?;
    super::models_in(&target).ok_or_else(|| format!("{}: installed, yet no manifest there", target.display()))
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

/// The system webviews (WKWebView, Android's WebView) composite on the GPU: nothing to set.
pub fn before_webview() {}

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

/// How long a power reading stands: the condition is asked before each photo and batch,
/// the platform at most this often.
const POWER_READING: std::time::Duration = std::time::Duration::from_secs(20);

/// A phone indexes while its battery, charger and heat allow it (the plugin's rule,
/// `PowerState::may_index`), reading them from the platform at most every
/// [`POWER_READING`]; a reading that fails holds nothing back.
pub fn indexing_condition(app: &tauri::AppHandle, only_while_charging: bool) -> Option<motis_engine::RunCondition> {
    use tauri_plugin_photo_library::{PhotoLibraryExt, PowerState};
    let app = app.clone();
    let last: std::sync::Mutex<Option<(std::time::Instant, PowerState)>> = std::sync::Mutex::new(None);
    Some(motis_engine::RunCondition::new(move || {
        let mut last = last.lock().unwrap_or_else(|p| p.into_inner());
        let state = match *last {
            Some((read, state)) if read.elapsed() < POWER_READING => state,
            _ => {
                let state = app.photo_library().power_state().unwrap_or_default();
                *last = Some((std::time::Instant::now(), state));
                state
            }
        };
        state.may_index(only_while_charging)
    }))
}
