//! The commands the page may call. Each is a thin call into the engine; errors reach
//! the page as `{code, message}`. Photos are named by catalog id, never by path.

use std::path::PathBuf;
use std::sync::Arc;

use motis_engine::{
    CancellationToken, Engine, ErrorCode, IndexEvent, IndexOptions, PhotoId, SearchMode, SearchResults,
};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::state::{AppState, EngineState, Settings, lock};

#[derive(Clone, Debug, Serialize)]
pub struct CommandError {
    pub code: ErrorCode,
    pub message: String,
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CommandError {}

type Reply<T> = Result<T, CommandError>;

/// Run blocking engine work off the async runtime's threads.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Reply<T> + Send + 'static) -> Reply<T> {
    tauri::async_runtime::spawn_blocking(work)
        .await
        .map_err(|e| CommandError {
            code: ErrorCode::Failed,
            message: format!("a background task stopped: {e}"),
        })?
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    engine: EngineState,
    model: EngineState,
    photos: usize,
    encoded: usize,
    failed: usize,
    indexing: bool,
    /// Whether "Try the demo gallery" can be offered.
    demo_gallery: bool,
}

#[tauri::command]
pub async fn app_status(state: State<'_, AppState>) -> Reply<AppStatus> {
    let engine_state = state
        .engine_state
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    let model = state
        .model_state
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone();
    let indexing = lock(&state.indexing).is_some();
    let demo_gallery = state.demo_gallery.is_some();
    let Ok(engine) = state.engine() else {
        return Ok(AppStatus {
            engine: engine_state,
            model,
            photos: 0,
            encoded: 0,
            failed: 0,
            indexing,
            demo_gallery,
        });
    };
    let status = blocking(move || Ok(engine.status()?)).await?;
    Ok(AppStatus {
        engine: engine_state,
        model,
        photos: status.counts.photos,
        encoded: status.searchable,
        failed: status.counts.failed,
        indexing,
        demo_gallery,
    })
}

#[derive(Serialize)]
pub struct Folder {
    /// Position in the list: what `remove_folder` takes.
    index: usize,
    /// For display only.
    name: String,
    path: String,
}

#[tauri::command]
pub async fn list_folders(state: State<'_, AppState>) -> Reply<Vec<Folder>> {
    let engine = state.engine()?;
    let folders = blocking(move || Ok(engine.folders()?)).await?;
    Ok(folders
        .into_iter()
        .enumerate()
        .map(|(index, path)| Folder {
            index,
            name: path
                .file_name()
                .map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy())
                .into_owned(),
            path: path.to_string_lossy().into_owned(),
        })
        .collect())
}

/// Ask for a folder with the system dialog (on the Rust side: the page never names a
/// path) and queue it for indexing. Returns whether one was chosen.
#[tauri::command]
pub async fn add_folder(app: AppHandle, state: State<'_, AppState>) -> Reply<bool> {
    let Some(folder) = blocking(move || crate::platform::pick_folder(&app)).await? else {
        return Ok(false);
    };
    lock(&state.pending_folders).push(folder);
    Ok(true)
}

/// Queue the rendered demo gallery for indexing. Returns whether there is one.
#[tauri::command]
pub fn add_demo_gallery(state: State<'_, AppState>) -> bool {
    let Some(gallery) = state.demo_gallery.clone() else {
        return false;
    };
    lock(&state.pending_folders).push(gallery);
    true
}

#[tauri::command]
pub async fn remove_folder(index: usize, state: State<'_, AppState>) -> Reply<usize> {
    let engine = state.engine()?;
    blocking(move || {
        let folder = engine.folders()?.into_iter().nth(index).ok_or_else(|| CommandError {
            code: ErrorCode::Failed,
            message: format!("no folder number {index}"),
        })?;
        Ok(engine.remove_folder(&folder)?)
    })
    .await
}

/// Index every known folder and the queued ones, streaming the engine's events to
/// `on_event`, until nothing is queued. A second call while a run goes on returns at once.
#[tauri::command]
pub async fn start_indexing(state: State<'_, AppState>, on_event: Channel<IndexEvent>) -> Reply<()> {
    let engine = state.engine()?;
    let cancel = {
        let mut running = lock(&state.indexing);
        if running.is_some() {
            return Ok(());
        }
        running.insert(CancellationToken::new()).clone()
    };
    let outcome = run_until_nothing_is_queued(&engine, &state, &cancel, on_event).await;
    *lock(&state.indexing) = None;
    outcome
}

async fn run_until_nothing_is_queued(
    engine: &Arc<Engine>,
    state: &AppState,
    cancel: &CancellationToken,
    on_event: Channel<IndexEvent>,
) -> Reply<()> {
    loop {
        let queued: Vec<PathBuf> = std::mem::take(&mut *lock(&state.pending_folders));
        let mut folders = {
            let engine = Arc::clone(engine);
            blocking(move || Ok(engine.folders()?)).await?
        };
        folders.extend(queued.iter().cloned());
        if folders.is_empty() {
            return Ok(());
        }
        let channel = on_event.clone();
        engine
            .index(folders, IndexOptions::default(), cancel.clone(), move |event| {
                // The page may have gone (reloaded); indexing goes on regardless.
                let _ = channel.send(event);
            })
            .await?;
        if cancel.is_cancelled() || lock(&state.pending_folders).is_empty() {
            return Ok(());
        }
    }
}

#[tauri::command]
pub fn cancel_indexing(state: State<'_, AppState>) -> Reply<bool> {
    Ok(lock(&state.indexing).as_ref().map(CancellationToken::cancel).is_some())
}

#[derive(Serialize)]
pub struct Failure {
    id: PhotoId,
    path: String,
    cause: String,
}

/// The photos whose last preview or encoding attempt failed, with the cause: what the
/// page lists when a person clicks "N failed", also after a restart.
#[tauri::command]
pub async fn list_failures(state: State<'_, AppState>) -> Reply<Vec<Failure>> {
    let engine = state.engine()?;
    blocking(move || {
        Ok(engine
            .failures()?
            .into_iter()
            .map(|f| Failure {
                id: f.id,
                path: f.path.to_string_lossy().into_owned(),
                cause: f.cause,
            })
            .collect())
    })
    .await
}

#[derive(Serialize)]
pub struct Found {
    id: PhotoId,
    score: f32,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SearchReply {
    /// No query (`reset` or an empty box): show the gallery.
    Gallery,
    Matches {
        results: Vec<Found>,
        searched: usize,
        total: usize,
    },
}

fn reply(results: SearchResults) -> SearchReply {
    match results {
        SearchResults::Gallery => SearchReply::Gallery,
        SearchResults::Matches { found, searched, total } => SearchReply::Matches {
            results: found
                .into_iter()
                .map(|f| Found {
                    id: f.id,
                    score: f.score,
                })
                .collect(),
            searched,
            total,
        },
    }
}

#[tauri::command]
pub async fn search(query: String, state: State<'_, AppState>) -> Reply<SearchReply> {
    let engine = state.engine()?;
    let k = lock(&state.settings).results;
    blocking(move || Ok(reply(engine.search(&query, k, SearchMode::Auto)?))).await
}

#[tauri::command]
pub async fn similar(id: PhotoId, state: State<'_, AppState>) -> Reply<SearchReply> {
    let engine = state.engine()?;
    let k = lock(&state.settings).results;
    blocking(move || Ok(reply(engine.similar(id, k, SearchMode::Auto)?))).await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GalleryPhoto {
    id: PhotoId,
    width: Option<u32>,
    height: Option<u32>,
    has_preview: bool,
}

#[derive(Serialize)]
pub struct GalleryPage {
    photos: Vec<GalleryPhoto>,
    total: usize,
}

/// A page of the gallery, newest first.
#[tauri::command]
pub async fn gallery(offset: usize, limit: usize, state: State<'_, AppState>) -> Reply<GalleryPage> {
    let engine = state.engine()?;
    blocking(move || {
        let photos = engine
            .gallery(offset, limit)?
            .into_iter()
            .map(|p| GalleryPhoto {
                id: p.id,
                width: p.width,
                height: p.height,
                has_preview: p.preview == motis_engine::PreviewState::Done,
            })
            .collect();
        Ok(GalleryPage {
            photos,
            total: engine.photo_count()?,
        })
    })
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoDetails {
    id: PhotoId,
    /// File name and folder, for display.
    name: String,
    folder: String,
    width: Option<u32>,
    height: Option<u32>,
    bytes: u64,
    modified_ms: i64,
    error: Option<String>,
}

#[tauri::command]
pub async fn photo_details(id: PhotoId, state: State<'_, AppState>) -> Reply<PhotoDetails> {
    let engine = state.engine()?;
    blocking(move || {
        let photo = engine.photo(id)?;
        Ok(PhotoDetails {
            id,
            name: photo
                .path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            folder: photo
                .path
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default(),
            width: photo.width,
            height: photo.height,
            bytes: photo.size,
            modified_ms: photo.mtime_ns / 1_000_000,
            error: photo.last_error,
        })
    })
    .await
}

/// Open a photo in the system's viewer.
#[tauri::command]
pub async fn open_photo(id: PhotoId, app: AppHandle, state: State<'_, AppState>) -> Reply<()> {
    let engine = state.engine()?;
    let path = blocking(move || Ok(engine.photo(id)?.path)).await?;
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| CommandError {
            code: ErrorCode::Failed,
            message: format!("{}: cannot open: {e}", path.display()),
        })
}

/// Show a photo in the system's file manager.
#[tauri::command]
pub async fn show_in_folder(id: PhotoId, app: AppHandle, state: State<'_, AppState>) -> Reply<()> {
    let engine = state.engine()?;
    let path = blocking(move || Ok(engine.photo(id)?.path)).await?;
    app.opener().reveal_item_in_dir(&path).map_err(|e| CommandError {
        code: ErrorCode::Failed,
        message: format!("{}: cannot show: {e}", path.display()),
    })
}

#[tauri::command]
pub fn get_settings(state: State<'_, AppState>) -> Settings {
    lock(&state.settings).clone()
}

#[tauri::command]
pub fn set_settings(settings: Settings, state: State<'_, AppState>) -> Reply<Settings> {
    let settings = Settings {
        results: settings.results.clamp(1, 1000),
    };
    state.save_settings(&settings)?;
    *lock(&state.settings) = settings.clone();
    Ok(settings)
}
