//! The Models panel's commands: the installed models and the short list of downloadable
//! ones, a download with progress over a `Channel` (cancelled from the page, resumed
//! after a restart), and choosing the model search uses. A choice keeps search on the
//! current model while the gallery is encoded with the new one (`AppState::next`), and
//! switches when that covers the gallery, or earlier when the person asks.
//!
//! The page names models by id and downloads by short-list name only: it cannot make
//! the app fetch an arbitrary repository or open a folder by path.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use motis_embed::Model;
use motis_engine::ErrorCode;
use motis_hub::{AVAILABLE, DownloadEvent, Hub, HubError, find_available, interrupted_downloads};
use serde::Serialize;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use crate::commands::{CommandError, Reply, Switching, blocking, finish_switch_if_covered, switching};
use crate::state::{AppState, lock};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelsReply {
    /// The id of the model search uses.
    current: String,
    switching: Option<Switching>,
    models: Vec<ModelEntry>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModelEntry {
    id: String,
    name: String,
    description: String,
    licence: String,
    /// Installed and usable; otherwise `downloadMb` says what getting it costs.
    installed: bool,
    /// Shipped with the app (the demo model): there to stay.
    shipped: bool,
    download_mb: Option<u32>,
    /// The real model a person with only the demo model is offered.
    suggested: bool,
    download: Option<DownloadState>,
    /// A model folder that is there but cannot be opened, and why.
    error: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadState {
    /// Downloading now; otherwise stopped part-way (the app quit, the network went) and
    /// resumed by the next download.
    running: bool,
    present: u64,
    total: u64,
}

#[tauri::command]
pub async fn list_models(state: State<'_, AppState>) -> Reply<ModelsReply> {
    models_reply(&state).await
}

async fn models_reply(state: &AppState) -> Reply<ModelsReply> {
    let engine = state.engine()?;
    let folders = state.models()?.clone();
    let next = state.next();
    let running: Vec<String> = lock(&state.downloads).keys().cloned().collect();
    blocking(move || {
        let installed = folders.installed().to_owned();
        let interrupted = interrupted_downloads(&installed);
        let download = |id: &str| {
            interrupted.iter().find(|d| d.id == id).map(|d| DownloadState {
                running: running.iter().any(|r| r == id),
                present: d.present,
                total: d.total,
            })
        };
        let mut models: Vec<ModelEntry> = folders
            .models()?
            .into_iter()
            .map(|folder| {
                let id = folder.file_name().unwrap_or_default().to_string_lossy().into_owned();
                let available = find_available(&id);
                let shipped = !folder.starts_with(&installed);
                match Model::open(&folder) {
                    Ok(model) => ModelEntry {
                        id,
                        name: model.manifest.name,
                        description: model.manifest.description,
                        licence: model.manifest.licence,
                        installed: true,
                        shipped,
                        download_mb: available.map(|a| a.download_mb),
                        suggested: available.is_some_and(|a| a.suggested),
                        download: None,
                        error: None,
                    },
                    Err(error) => ModelEntry {
                        name: id.clone(),
                        description: String::new(),
                        licence: String::new(),
                        installed: false,
                        shipped,
                        download_mb: None,
                        suggested: false,
                        download: None,
                        error: Some(error.to_string()),
                        id,
                    },
                }
            })
            .collect();
        for available in AVAILABLE {
            if models.iter().any(|m| m.id == available.name) {
                continue;
            }
            models.push(ModelEntry {
                id: available.name.to_owned(),
                name: format!("{} ({})", available.name, available.repo),
                description: available.note.to_owned(),
                licence: available.licence.to_owned(),
                installed: false,
                shipped: false,
                download_mb: Some(available.download_mb),
                suggested: available.suggested,
                download: download(available.name),
                error: None,
            });
        }
        Ok(ModelsReply {
            current: engine.model().manifest.id.clone(),
            switching: next.map(|next| switching(&next)).transpose()?,
            models,
        })
    })
    .await
}

/// Download `name` from the short list into the data folder's models folder, with the
/// hub's events on `on_event`. Resolves `true` when installed, `false` when the page
/// cancelled it (and what it had fetched is deleted). A download that fails or that the
/// app's end interrupts keeps its verified files, for the next one to resume.
#[tauri::command]
pub async fn download_model(name: String, state: State<'_, AppState>, on_event: Channel<DownloadEvent>) -> Reply<bool> {
    let available =
        find_available(&name).ok_or_else(|| CommandError::failed(format!("{name:?} is not a model motis offers")))?;
    let folders = state.models()?.clone();
    folders.check_free(available.name)?;
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let mut downloads = lock(&state.downloads);
        if downloads.contains_key(&name) {
            return Err(CommandError {
                code: ErrorCode::Busy,
                message: format!("{name} is downloading already"),
            });
        }
        downloads.insert(name.clone(), Arc::clone(&cancel));
    }
    let request = available.request("main", None);
    let flag = Arc::clone(&cancel);
    let outcome = blocking(move || {
        let runtime = motis_embed::Runtime::load().map_err(motis_engine::EngineError::from)?;
        let hub = Hub::from_env().with_cancel(flag);
        let models_dir = folders.installed().to_owned();
        match motis_hub::download_model(&hub, &runtime, &request, &models_dir, &mut |event| {
            // The page may have gone (reloaded); the download goes on regardless.
            let _ = on_event.send(event);
        }) {
            Ok(_) => Ok(true),
            Err(HubError::Cancelled) => {
                motis_hub::discard_download(&models_dir, &request.id).map_err(hub_error)?;
                Ok(false)
            }
            Err(error) => Err(hub_error(error)),
        }
    })
    .await;
    lock(&state.downloads).remove(&name);
    outcome
}

fn hub_error(error: HubError) -> CommandError {
    CommandError {
        code: ErrorCode::Failed,
        message: error.to_string(),
    }
}

/// Cancel the download of `name`; returns whether one was running. The download's
/// command resolves `false` once it has stopped and deleted what it fetched.
#[tauri::command]
pub fn cancel_download(name: String, state: State<'_, AppState>) -> bool {
    lock(&state.downloads)
        .get(&name)
        .map(|cancel| cancel.store(true, Ordering::Relaxed))
        .is_some()
}

/// Discard what a stopped download of `name` left: the page's "Discard" beside "Resume".
#[tauri::command]
pub async fn discard_download(name: String, state: State<'_, AppState>) -> Reply<ModelsReply> {
    if lock(&state.downloads).contains_key(&name) {
        return Err(CommandError {
            code: ErrorCode::Busy,
            message: format!("{name} is downloading: cancel it instead"),
        });
    }
    let models_dir = state.models()?.installed().to_owned();
    blocking(move || motis_hub::discard_download(&models_dir, &name).map_err(hub_error)).await?;
    models_reply(&state).await
}

/// Choose model `id` for search. The run in progress stops (the page starts the next,
/// which encodes with `id`); search stays on the current model until `id` covers the
/// gallery, or at once when it does already (a gallery it has encoded before, or none).
/// Choosing the current model again stops a switch.
#[tauri::command]
pub async fn use_model(id: String, app: AppHandle, state: State<'_, AppState>) -> Reply<ModelsReply> {
    let current = state.engine()?;
    let same = |engine: &motis_engine::Engine| engine.model().manifest.id == id;
    let next = state.next();
    let unchanged = match &next {
        Some(next) => same(next),
        None => same(&current),
    };
    if unchanged {
        return models_reply(&state).await;
    }
    // The run encodes for another model than the one chosen now.
    if let Some(cancel) = lock(&state.indexing).as_ref() {
        cancel.cancel();
    }
    if same(&current) {
        *state.next.write().unwrap_or_else(|p| p.into_inner()) = None;
        state.set_choice(|choice| choice.next = None)?;
    } else {
        let opened = {
            let (app, id) = (app.clone(), id.clone());
            blocking(move || {
                use tauri::Manager;
                app.state::<AppState>().open_with_model(&app, &id)
            })
            .await?
        };
        *state.next.write().unwrap_or_else(|p| p.into_inner()) = Some(opened);
        state.set_choice(|choice| choice.next = Some(id))?;
    }
    finish_switch_if_covered(&app, &state).await?;
    models_reply(&state).await
}

/// Search with the next model now, on the photos it has encoded so far; indexing goes
/// on with it.
#[tauri::command]
pub async fn switch_now(app: AppHandle, state: State<'_, AppState>) -> Reply<ModelsReply> {
    state.switch_to_next(&app)?;
    models_reply(&state).await
}
