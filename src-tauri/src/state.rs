//! What the app keeps between commands: the engine (opened in the background, so the
//! window is interactive at once), the running indexing job, and the settings.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};

use motis_engine::{
    CancellationToken, DEFAULT_MODEL, Engine, EngineConfig, EngineError, ErrorCode, ModelFolders, Source,
    find_shipped_models,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager};
use tauri_plugin_photo_library::PhotoLibraryExt;

use crate::commands::CommandError;

/// How the app was started (see `launch_options`).
#[derive(Clone, Debug, Default)]
pub struct Launch {
    pub data_dir: Option<PathBuf>,
    pub add_folders: Vec<PathBuf>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// How many results a search shows.
    pub results: usize,
    /// Index only while the device charges: on phones the run waits for the charger
    /// (`platform::indexing_condition`); on desktops the page acts on it where the
    /// webview says whether it charges.
    pub only_while_charging: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            results: 60,
            only_while_charging: false,
        }
    }
}

/// The model search uses, and the one the gallery is being encoded with to take its
/// place (kept in `model.json`, so that a switch goes on after a restart).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct ModelChoice {
    /// `None`: the demo model.
    pub current: Option<String>,
    pub next: Option<String>,
}

impl ModelChoice {
    fn load(path: &Path) -> ModelChoice {
        std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }
}

/// Where the engine (catalog and index), and separately the search model, are: the page
/// shows the gallery as soon as the engine is ready, and says while the model loads or
/// why it cannot run (with the fix).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum EngineState {
    Opening,
    Ready,
    Failed { error: CommandError },
}

pub struct AppState {
    /// The engine search uses, on the current model.
    pub engine: RwLock<Option<Arc<Engine>>>,
    /// An engine on the same data folder with the model chosen next: indexing runs on it
    /// (the previews are shared, so only encoding is done again) until it covers the
    /// gallery, while search stays on `engine`; then it takes `engine`'s place.
    pub next: RwLock<Option<Arc<Engine>>>,
    pub engine_state: RwLock<EngineState>,
    pub model_state: RwLock<EngineState>,
    pub indexing: Mutex<Option<CancellationToken>>,
    /// Where models are, known once the engine has looked.
    pub models: OnceLock<ModelFolders>,
    pub choice: Mutex<ModelChoice>,
    choice_path: PathBuf,
    /// Downloads in progress, by short-list name, with the flag that cancels each.
    pub downloads: Mutex<HashMap<String, Arc<AtomicBool>>>,
    /// Sources to index that the catalog does not know yet (chosen, or folders given at
    /// launch), or known ones with a new choice of albums.
    pub pending_sources: Mutex<Vec<Source>>,
    /// The next indexing run reads again the photos skipped for stopping motis twice.
    pub retry_failed: AtomicBool,
    /// The rendered demo gallery, when this is a checkout where `scripts/demo` ran.
    pub demo_gallery: Option<PathBuf>,
    pub settings: Mutex<Settings>,
    pub settings_path: PathBuf,
    data_dir: PathBuf,
}

pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AppState {
    /// The state, with the engine opening on a background thread.
    pub fn new(app: &AppHandle, launch: Launch) -> Result<AppState, Box<dyn std::error::Error>> {
        let data_dir = match &launch.data_dir {
            Some(dir) => dir.clone(),
            None => crate::platform::default_data_dir(app)?,
        };
        std::fs::create_dir_all(&data_dir)?;
        let settings_path = data_dir.join("settings.json");
        let settings = std::fs::read_to_string(&settings_path)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        let choice_path = data_dir.join("model.json");
        let choice = ModelChoice::load(&choice_path);
        let handle = app.clone();
        let opening_dir = data_dir.clone();
        // After `setup` has managed the state, which the opening thread fills in.
        std::thread::spawn(move || {
            while handle.try_state::<AppState>().is_none() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let models_dir = crate::platform::bundled_models(&handle, &opening_dir);
            open_engine(&handle, opening_dir, models_dir)
        });
        Ok(AppState {
            engine: RwLock::new(None),
            next: RwLock::new(None),
            engine_state: RwLock::new(EngineState::Opening),
            model_state: RwLock::new(EngineState::Opening),
            indexing: Mutex::new(None),
            models: OnceLock::new(),
            choice: Mutex::new(choice),
            choice_path,
            downloads: Mutex::new(HashMap::new()),
            pending_sources: Mutex::new(launch.add_folders.iter().cloned().map(Source::Folder).collect()),
            retry_failed: AtomicBool::new(false),
            demo_gallery: find_demo_gallery(),
            settings: Mutex::new(settings),
            settings_path,
            data_dir,
        })
    }

    pub fn engine(&self) -> Result<Arc<Engine>, CommandError> {
        self.engine
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
            .ok_or_else(|| match &*self.engine_state.read().unwrap_or_else(|p| p.into_inner()) {
                EngineState::Failed { error } => error.clone(),
                _ => CommandError::not_ready(),
            })
    }

    /// The engine on the model chosen next, while the gallery is encoded with it.
    pub fn next(&self) -> Option<Arc<Engine>> {
        read(&self.next).clone()
    }

    /// The engine indexing runs on: the next model's while there is one (search stays
    /// on the current one), else the current one's.
    pub fn indexing_engine(&self) -> Result<Arc<Engine>, CommandError> {
        match self.next() {
            Some(next) => Ok(next),
            None => self.engine(),
        }
    }

    pub fn models(&self) -> Result<&ModelFolders, CommandError> {
        self.models.get().ok_or_else(CommandError::not_ready)
    }

    pub fn save_settings(&self, settings: &Settings) -> Result<(), CommandError> {
        save_json(&self.settings_path, settings)
    }

    /// Change the model choice, and keep it for the next start.
    pub fn set_choice(&self, change: impl FnOnce(&mut ModelChoice)) -> Result<(), CommandError> {
        let mut choice = lock(&self.choice);
        change(&mut choice);
        save_json(&self.choice_path, &*choice)
    }

    /// Open an engine on this data folder with model `id` (its index loaded, its weights
    /// not yet), with the phone's photo library attached as the current engine has it.
    pub fn open_with_model(&self, app: &AppHandle, id: &str) -> Result<Arc<Engine>, CommandError> {
        let engine = Arc::new(Engine::open(&EngineConfig {
            models: self.models()?.clone(),
            data_dir: self.data_dir.clone(),
            model: id.to_owned(),
            threads: THREADS,
        })?);
        if let Some(library) = app.photo_library().library() {
            engine.attach_library(library);
        }
        Ok(engine)
    }

    /// The next model takes the current one's place: search uses it from now on, and
    /// indexing goes on with it. Loads its text tower behind the page, as at start.
    pub fn switch_to_next(&self, app: &AppHandle) -> Result<(), CommandError> {
        let Some(next) = write(&self.next).take() else {
            return Ok(());
        };
        let id = next.model().manifest.id.clone();
        *write(&self.engine) = Some(Arc::clone(&next));
        *write(&self.model_state) = EngineState::Opening;
        self.set_choice(|choice| {
            choice.current = Some(id);
            choice.next = None;
        })?;
        let app = app.clone();
        std::thread::spawn(move || {
            let prepared = next.prepare_model().map(|_| EngineState::Ready);
            *write(&app.state::<AppState>().model_state) = prepared.unwrap_or_else(failed);
        });
        Ok(())
    }
}

/// How far `engine` has encoded the gallery: photos encoded, of those that can be (photos
/// that failed, unreadable files, never will be). A switch to it is complete when the
/// two meet.
pub fn coverage(engine: &Engine) -> Result<(usize, usize), CommandError> {
    let status = engine.status()?;
    Ok((
        status.searchable,
        status.counts.photos.saturating_sub(status.counts.failed),
    ))
}

/// The threads each engine's encoders use.
const THREADS: usize = 2;

fn read<T>(slot: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    slot.read().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn write<T>(slot: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    slot.write().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Written whole or not at all: through a temporary file renamed over the old one.
fn save_json(path: &Path, value: &impl Serialize) -> Result<(), CommandError> {
    let text = serde_json::to_string_pretty(value).expect("settings serialise");
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, text)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| CommandError::io(path, e))
}

fn failed(error: EngineError) -> EngineState {
    let error = CommandError::from(error);
    eprintln!("motis: {}", error.message);
    EngineState::Failed { error }
}

/// `build/demo-world/demo/images` above the working directory or the program.
fn find_demo_gallery() -> Option<PathBuf> {
    let mut starts: Vec<PathBuf> = std::env::current_dir().into_iter().collect();
    starts.extend(std::env::current_exe().ok().and_then(|e| e.parent().map(PathBuf::from)));
    starts
        .iter()
        .flat_map(|start| start.ancestors().map(|dir| dir.join("build/demo-world/demo/images")))
        .find(|dir| dir.is_dir())
}

/// Opens the engine on the chosen model (the demo model until a person chooses another),
/// found among the models installed in the data folder (`models/`: downloads) and those
/// the app ships (`bundled_models`, read-only when installed), else on the usual search
/// for those (`MOTIS_MODELS`, `models/` above the working directory or the program); and
/// the model a switch was under way to, whose encoding the first run goes on with.
fn open_engine(app: &AppHandle, data_dir: PathBuf, bundled_models: Option<PathBuf>) {
    let state = app.state::<AppState>();
    let opened = (|| -> Result<Arc<Engine>, CommandError> {
        let shipped = match bundled_models {
            Some(dir) if std::env::var_os("MOTIS_MODELS").is_none() => Some(dir),
            _ => find_shipped_models()?,
        };
        let _ = state.models.set(ModelFolders::new(data_dir.join("models"), shipped));
        let chosen = lock(&state.choice).current.clone();
        match chosen {
            Some(id) if id != DEFAULT_MODEL => state.open_with_model(app, &id).or_else(|error| {
                // A model deleted by hand, or damaged: the demo model keeps the gallery
                // searchable, and the page says why.
                eprintln!("motis: the chosen model {id} cannot be opened ({error}); using {DEFAULT_MODEL}");
                state.set_choice(|choice| *choice = ModelChoice::default())?;
                state.open_with_model(app, DEFAULT_MODEL)
            }),
            _ => state.open_with_model(app, DEFAULT_MODEL),
        }
    })();
    let engine = match opened {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("motis: {}", error.message);
            let error = EngineState::Failed { error };
            *write(&state.model_state) = error.clone();
            *write(&state.engine_state) = error;
            return;
        }
    };
    if let Some(id) = lock(&state.choice).next.clone() {
        match state.open_with_model(app, &id) {
            Ok(next) => *write(&state.next) = Some(next),
            Err(error) => {
                eprintln!("motis: the switch to {id} stops: {}", error.message);
                let _ = state.set_choice(|choice| choice.next = None);
            }
        }
    }
    *write(&state.engine) = Some(Arc::clone(&engine));
    *write(&state.engine_state) = EngineState::Ready;
    // Load ONNX Runtime and check the model's checksums now, behind the gallery, so that
    // the first search is quick and a missing runtime shows before anyone types.
    *write(&state.model_state) = match engine.prepare_model() {
        Ok(_) => EngineState::Ready,
        Err(error) => failed(error),
    };
}

impl From<EngineError> for CommandError {
    fn from(error: EngineError) -> Self {
        CommandError {
            code: error.code(),
            message: error.to_string(),
        }
    }
}

impl CommandError {
    pub fn not_ready() -> CommandError {
        CommandError {
            code: ErrorCode::Failed,
            message: "motis is still starting".into(),
        }
    }

    pub fn io(path: &std::path::Path, error: std::io::Error) -> CommandError {
        CommandError {
            code: ErrorCode::Failed,
            message: format!("{}: {error}", path.display()),
        }
    }
}
