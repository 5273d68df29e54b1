//! The commands the page may call. Each is a thin call into the engine; errors reach
//! the page as `{code, message}`. Photos are named by catalog id, never by path.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use motis_engine::{
    CancellationToken, DateSource, Engine, EngineError, ErrorCode, Filters, GalleryPosition, IndexEvent, IndexOptions,
    Origin, PhotoId, Query, RunCondition, SearchOptions, SearchResults, Sort, Source,
};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;
use tauri_plugin_photo_library::{Access, LIBRARY_NAME, PhotoLibraryExt};

use crate::state::{AppState, EngineState, Settings, coverage, lock};

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

impl CommandError {
    pub fn failed(message: String) -> CommandError {
        CommandError {
            code: ErrorCode::Failed,
            message,
        }
    }
}

impl From<tauri_plugin_photo_library::Error> for CommandError {
    fn from(error: tauri_plugin_photo_library::Error) -> Self {
        CommandError::failed(error.to_string())
    }
}

pub type Reply<T> = Result<T, CommandError>;

/// Run blocking engine work off the async runtime's threads.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Reply<T> + Send + 'static) -> Reply<T> {
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
    /// `desktop`, `android` or `ios`: what the page offers (a file manager, a share sheet).
    platform: &'static str,
    /// `folders` or `library`: where photos come from here.
    photo_sources: &'static str,
    /// The model search uses (once the engine is open).
    model_id: Option<String>,
    model_name: Option<String>,
    /// Searches that work with that model, offered while the search box is empty.
    example_searches: Vec<String>,
    /// The model the gallery is being encoded with, to take the current one's place.
    switching: Option<Switching>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Switching {
    id: String,
    name: String,
    /// Photos it has encoded, of the `total` it can.
    covered: usize,
    total: usize,
}

pub fn switching(next: &Engine) -> Reply<Switching> {
    let (covered, total) = coverage(next)?;
    let manifest = &next.model().manifest;
    Ok(Switching {
        id: manifest.id.clone(),
        name: manifest.name.clone(),
        covered,
        total,
    })
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
    let mut reply = AppStatus {
        engine: engine_state,
        model,
        photos: 0,
        encoded: 0,
        failed: 0,
        indexing,
        demo_gallery,
        platform: crate::platform::PLATFORM,
        photo_sources: crate::platform::PHOTO_SOURCES,
        model_id: None,
        model_name: None,
        example_searches: Vec::new(),
        switching: None,
    };
    if let Ok(engine) = state.engine() {
        reply.model_id = Some(engine.model().manifest.id.clone());
        reply.model_name = Some(engine.model().manifest.name.clone());
        reply.example_searches = motis_engine::example_searches(engine.model());
        let next = state.next();
        let (status, switching) = blocking(move || {
            let switching = next.map(|next| switching(&next)).transpose()?;
            Ok((engine.status()?, switching))
        })
        .await?;
        (reply.photos, reply.encoded, reply.failed) = (status.counts.photos, status.searchable, status.counts.failed);
        reply.switching = switching;
    }
    Ok(reply)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceInfo {
    /// Position in the list: what `remove_source` takes.
    index: usize,
    /// `folder` or `library`.
    kind: &'static str,
    /// For display only: a folder's name, or the library's.
    name: String,
    /// A folder's path, or which part of the library.
    detail: String,
    /// A library's chosen albums; `null` for all of it.
    albums: Option<Vec<String>>,
}

#[tauri::command]
pub async fn list_sources(state: State<'_, AppState>) -> Reply<Vec<SourceInfo>> {
    let engine = state.engine()?;
    let sources = blocking(move || Ok(engine.sources()?)).await?;
    Ok(sources
        .into_iter()
        .enumerate()
        .map(|(index, source)| match source {
            Source::Folder(path) => SourceInfo {
                index,
                kind: "folder",
                name: path
                    .file_name()
                    .map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy())
                    .into_owned(),
                detail: path.to_string_lossy().into_owned(),
                albums: None,
            },
            Source::Library { name, albums } => SourceInfo {
                index,
                kind: "library",
                name,
                detail: match &albums {
                    None => "All photos motis may see".into(),
                    Some(albums) if albums.len() == 1 => "1 album".into(),
                    Some(albums) => format!("{} albums", albums.len()),
                },
                albums,
            },
        })
        .collect())
}

/// Ask for a folder with the system dialog (on the Rust side: the page never names a
/// path) and queue it for indexing. Returns whether one was chosen.
#[tauri::command]
pub async fn add_folder(app: AppHandle, state: State<'_, AppState>) -> Reply<bool> {
    let Some(folder) = blocking(move || Ok(app.photo_library().pick_folder()?)).await? else {
        return Ok(false);
    };
    lock(&state.pending_sources).push(Source::Folder(folder));
    Ok(true)
}

/// Ask for access to the phone's photo library (the system prompt, the first time) and
/// queue it, all of it or the chosen `albums`, for indexing. Returns the access granted.
#[tauri::command]
pub async fn add_photo_library(
    albums: Option<Vec<String>>,
    app: AppHandle,
    state: State<'_, AppState>,
) -> Reply<Access> {
    let access = app.photo_library().request_access().await?;
    match access {
        Access::Full | Access::Limited => {
            lock(&state.pending_sources).push(Source::Library {
                name: LIBRARY_NAME.into(),
                albums,
            });
            Ok(access)
        }
        Access::Denied | Access::NotDetermined => Err(CommandError {
            code: ErrorCode::PermissionDenied,
            message: "motis may not read your photos: allow it in the system settings (Privacy › Photos)".into(),
        }),
        Access::Folders => Err(CommandError::failed(
            "there is no system photo library here: add a folder".into(),
        )),
    }
}

/// Queue the rendered demo gallery for indexing. Returns whether there is one.
#[tauri::command]
pub fn add_demo_gallery(state: State<'_, AppState>) -> bool {
    let Some(gallery) = state.demo_gallery.clone() else {
        return false;
    };
    lock(&state.pending_sources).push(Source::Folder(gallery));
    true
}

#[tauri::command]
pub async fn remove_source(index: usize, state: State<'_, AppState>) -> Reply<usize> {
    let engine = state.engine()?;
    let next = state.next();
    blocking(move || {
        let source = engine
            .sources()?
            .into_iter()
            .nth(index)
            .ok_or_else(|| CommandError::failed(format!("no source number {index}")))?;
        let removed = engine.remove_source(&source)?;
        // The photos are gone from the catalog; this folds them out of the next model's
        // index too.
        if let Some(next) = next {
            next.remove_source(&source)?;
        }
        Ok(removed)
    })
    .await
}

/// Index every known source and the queued ones, streaming the engine's events to
/// `on_event`, until nothing is queued. A second call while a run goes on returns at once.
/// With `retry_failed`, a run (the next one, if one goes on) reads again the photos
/// skipped because reading them stopped motis twice. During a switch of models the run
/// is the next model's, and when it has encoded the gallery that model takes the current
/// one's place.
#[tauri::command]
pub async fn start_indexing(
    app: AppHandle,
    state: State<'_, AppState>,
    on_event: Channel<IndexEvent>,
    retry_failed: Option<bool>,
) -> Reply<()> {
    if retry_failed == Some(true) {
        state.retry_failed.store(true, Ordering::SeqCst);
    }
    let engine = state.indexing_engine()?;
    let cancel = {
        let mut running = lock(&state.indexing);
        if running.is_some() {
            return Ok(());
        }
        running.insert(CancellationToken::new()).clone()
    };
    let only_while_charging = lock(&state.settings).only_while_charging;
    let condition = crate::platform::indexing_condition(&app, only_while_charging);
    let outcome = run_until_nothing_is_queued(&engine, &state, &cancel, condition, on_event).await;
    *lock(&state.indexing) = None;
    outcome?;
    finish_switch_if_covered(&app, &state).await
}

/// The next model takes over once it has encoded every photo it can.
pub async fn finish_switch_if_covered(app: &AppHandle, state: &AppState) -> Reply<()> {
    let Some(next) = state.next() else {
        return Ok(());
    };
    let (covered, total) = blocking(move || coverage(&next)).await?;
    if covered >= total {
        state.switch_to_next(app)?;
    }
    Ok(())
}

async fn run_until_nothing_is_queued(
    engine: &Arc<Engine>,
    state: &AppState,
    cancel: &CancellationToken,
    condition: Option<RunCondition>,
    on_event: Channel<IndexEvent>,
) -> Reply<()> {
    loop {
        let queued: Vec<Source> = std::mem::take(&mut *lock(&state.pending_sources));
        let mut sources = {
            let engine = Arc::clone(engine);
            blocking(move || Ok(engine.sources()?)).await?
        };
        // A queued library replaces the known one: its albums may be a new choice.
        sources.retain(|known| !queued.iter().any(|q| same_source(q, known)));
        sources.extend(queued);
        if sources.is_empty() {
            return Ok(());
        }
        let channel = on_event.clone();
        let options = IndexOptions {
            retry_failed: state.retry_failed.swap(false, Ordering::SeqCst),
            may_run: condition.clone(),
            ..IndexOptions::default()
        };
        engine
            .index(sources, options, cancel.clone(), move |event| {
                // The page may have gone (reloaded); indexing goes on regardless.
                let _ = channel.send(event);
            })
            .await?;
        let asked_again = state.retry_failed.load(Ordering::SeqCst) || !lock(&state.pending_sources).is_empty();
        if cancel.is_cancelled() || !asked_again {
            return Ok(());
        }
    }
}

fn same_source(a: &Source, b: &Source) -> bool {
    match (a, b) {
        (Source::Folder(a), Source::Folder(b)) => a == b,
        (Source::Library { name: a, .. }, Source::Library { name: b, .. }) => a == b,
        _ => false,
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
                path: f.origin.label().to_string_lossy().into_owned(),
                cause: f.cause,
            })
            .collect())
    })
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Found {
    id: PhotoId,
    score: f32,
    /// When the photo was taken, as the page shows and groups it: the local time where it
    /// was taken, in seconds since 1970 read as UTC (the page formats it with UTC methods,
    /// so that a photo taken at 14:00 shows 14:00 in any time zone).
    taken: i64,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SearchReply {
    /// No terms: show the gallery, narrowed by the query's filters if it has any (the
    /// page asks `gallery` with the same query).
    #[serde(rename_all = "camelCase")]
    Gallery { filtered: bool },
    Matches {
        /// The best `results` setting's number of photos; the first `shown` stand out (the
        /// cut-off), the rest are there for "Show more".
        results: Vec<Found>,
        shown: usize,
        searched: usize,
        total: usize,
        /// The id of the model that answered.
        model: String,
    },
}

/// A query from the search box, where photos are named by id alone: a path is refused
/// before anything reads it.
fn parse_query(text: &str) -> Reply<Query> {
    Query::parse(text, false).map_err(|error| EngineError::from(error).into())
}

/// Search for what the box holds (terms, weights, `photo:ID`, filters), results sorted
/// by `sort` (`score`, `newest` or `oldest`).
#[tauri::command]
pub async fn search(query: String, sort: Option<String>, state: State<'_, AppState>) -> Reply<SearchReply> {
    let query = parse_query(&query)?;
    let sort: Sort = sort
        .as_deref()
        .unwrap_or("score")
        .parse()
        .map_err(CommandError::failed)?;
    let engine = state.engine()?;
    let k = lock(&state.settings).results;
    blocking(move || {
        let options = SearchOptions {
            sort,
            ..SearchOptions::best(k)
        };
        Ok(match engine.search(&query, options)? {
            SearchResults::Gallery(filters) => SearchReply::Gallery {
                filtered: !filters.is_empty(),
            },
            SearchResults::Matches {
                found,
                shown,
                searched,
                total,
            } => SearchReply::Matches {
                model: engine.model().manifest.id.clone(),
                results: found
                    .into_iter()
                    .map(|f| Found {
                        id: f.id,
                        score: f.score,
                        taken: f.taken.local_seconds(),
                    })
                    .collect(),
                shown,
                searched,
                total,
            },
        })
    })
    .await
}

#[derive(Serialize)]
pub struct PhotoFolderInfo {
    /// What `in:` takes to search in it.
    name: String,
    photos: usize,
}

/// The folders that hold photos (a library's, on phones), for the search's folder filter.
#[tauri::command]
pub async fn photo_folders(state: State<'_, AppState>) -> Reply<Vec<PhotoFolderInfo>> {
    let engine = state.engine()?;
    blocking(move || {
        Ok(engine
            .photo_folders()?
            .into_iter()
            .map(|folder| PhotoFolderInfo {
                name: folder.name,
                photos: folder.photos,
            })
            .collect())
    })
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GalleryPhoto {
    id: PhotoId,
    width: Option<u32>,
    height: Option<u32>,
    has_preview: bool,
    /// As `Found::taken`.
    taken: i64,
}

#[derive(Serialize)]
pub struct GalleryPage {
    photos: Vec<GalleryPhoto>,
    total: usize,
    /// Where the next page starts (`after` for the next call); none after the last page.
    next: Option<String>,
}

/// A gallery position as the page holds it: opaque to it.
fn position_text(position: GalleryPosition) -> String {
    format!("{}:{}", position.taken, position.id)
}

fn parse_position(text: &str) -> Reply<GalleryPosition> {
    let parsed = text.split_once(':').and_then(|(taken, id)| {
        Some(GalleryPosition {
            taken: taken.parse().ok()?,
            id: id.parse().ok()?,
        })
    });
    parsed.ok_or_else(|| CommandError::failed(format!("{text:?} is not a gallery position")))
}

/// A page of the gallery, newest first: the first, or the one after `after` (the
/// previous page's `next`); with `query`, the photos its filters allow (`after:2024-06
/// in:Holidays`: a query of filters alone, which `search` answers with the gallery).
#[tauri::command]
pub async fn gallery(
    after: Option<String>,
    limit: usize,
    query: Option<String>,
    state: State<'_, AppState>,
) -> Reply<GalleryPage> {
    let engine = state.engine()?;
    let after = after.as_deref().map(parse_position).transpose()?;
    let filters = match query {
        Some(text) => parse_query(&text)?.filters,
        None => Filters::default(),
    };
    blocking(move || {
        let records = engine.gallery(&filters, after, limit)?;
        let next = records
            .last()
            .filter(|_| records.len() == limit)
            .map(|last| position_text(last.gallery_position()));
        let photos = records
            .into_iter()
            .map(|p| GalleryPhoto {
                id: p.id,
                width: p.width,
                height: p.height,
                has_preview: p.preview == motis_engine::PreviewState::Done,
                taken: p.taken.local_seconds(),
            })
            .collect();
        Ok(GalleryPage {
            photos,
            total: engine.photo_count(&filters)?,
            next,
        })
    })
    .await
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoDetails {
    id: PhotoId,
    /// File name and folder (or library), for display.
    name: String,
    folder: String,
    /// Whether it is a file (desktop: "Show in folder", "Open") or in the phone's photo
    /// library (the share sheet).
    in_library: bool,
    width: Option<u32>,
    height: Option<u32>,
    bytes: u64,
    modified_ms: i64,
    /// When it was taken (as `Found::taken`), and where that date comes from.
    taken: i64,
    taken_from: DateSource,
    /// Minutes east of UTC where it was taken, where known.
    taken_offset: Option<i32>,
    error: Option<String>,
}

#[tauri::command]
pub async fn photo_details(id: PhotoId, state: State<'_, AppState>) -> Reply<PhotoDetails> {
    let engine = state.engine()?;
    blocking(move || {
        let photo = engine.photo(id)?;
        let folder = match &photo.origin {
            Origin::File(path) => path.parent().map(|p| p.to_string_lossy().into_owned()),
            Origin::Library { library, .. } => Some(library.clone()),
        };
        Ok(PhotoDetails {
            id,
            name: photo.origin.name(),
            folder: folder.unwrap_or_default(),
            in_library: matches!(photo.origin, Origin::Library { .. }),
            width: photo.width,
            height: photo.height,
            bytes: photo.size,
            modified_ms: photo.mtime_ns / 1_000_000,
            taken: photo.taken.local_seconds(),
            taken_from: photo.taken.source,
            taken_offset: photo.taken.offset_minutes,
            error: photo.last_error,
        })
    })
    .await
}

/// The file of a photo, for the desktop's own viewer and file manager.
async fn photo_file(id: PhotoId, state: &AppState) -> Reply<PathBuf> {
    let engine = state.engine()?;
    let origin = blocking(move || Ok(engine.photo(id)?.origin)).await?;
    match origin {
        Origin::File(path) => Ok(path),
        library => Err(CommandError::failed(format!(
            "{}: in the photo library, not a file: share it instead",
            library.label().display()
        ))),
    }
}

/// Open a photo in the system's viewer.
#[tauri::command]
pub async fn open_photo(id: PhotoId, app: AppHandle, state: State<'_, AppState>) -> Reply<()> {
    let path = photo_file(id, &state).await?;
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
    let path = photo_file(id, &state).await?;
    app.opener().reveal_item_in_dir(&path).map_err(|e| CommandError {
        code: ErrorCode::Failed,
        message: format!("{}: cannot show: {e}", path.display()),
    })
}

/// Offer a photo of the phone's library to the system's share sheet.
#[tauri::command]
pub async fn share_photo(id: PhotoId, app: AppHandle, state: State<'_, AppState>) -> Reply<()> {
    let engine = state.engine()?;
    blocking(move || match engine.photo(id)?.origin {
        Origin::Library { item, .. } => Ok(app.photo_library().share(&item)?),
        file => Err(CommandError::failed(format!(
            "{}: sharing is for photos of the phone's library",
            file.label().display()
        ))),
    })
    .await
}

/// Whether the phone charges, as its platform says (for the page's "only while charging";
/// runs themselves wait for the charger on the Rust side).
#[derive(Serialize)]
pub struct Charging {
    charging: Option<bool>,
}

#[tauri::command]
pub async fn power_state(app: AppHandle) -> Reply<Charging> {
    let power = blocking(move || Ok(app.photo_library().power_state()?)).await?;
    Ok(Charging {
        charging: power.charging,
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
        ..settings
    };
    state.save_settings(&settings)?;
    *lock(&state.settings) = settings.clone();
    Ok(settings)
}
