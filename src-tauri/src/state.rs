//! What the app keeps between commands: the engine (opened in the background, so the
//! window is interactive at once), the running indexing job, and the settings.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use motis_engine::{
    CancellationToken, Engine, EngineConfig, EngineError, ErrorCode, ModelFolders, Source, find_shipped_models,
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
    /// Index only while the phone charges (the page acts on it, where the webview says
    /// whether it does).
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
    pub engine: RwLock<Option<Arc<Engine>>>,
    pub engine_state: RwLock<EngineState>,
    pub model_state: RwLock<EngineState>,
    pub indexing: Mutex<Option<CancellationToken>>,
    /// Sources to index that the catalog does not know yet (chosen, or folders given at
    /// launch), or known ones with a new choice of albums.
    pub pending_sources: Mutex<Vec<Source>>,
    /// The rendered demo gallery, when this is a checkout where `scripts/demo` ran.
    pub demo_gallery: Option<PathBuf>,
    pub settings: Mutex<Settings>,
    pub settings_path: PathBuf,
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
        let handle = app.clone();
        // After `setup` has managed the state, which the opening thread fills in.
        std::thread::spawn(move || {
            while handle.try_state::<AppState>().is_none() {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let models_dir = crate::platform::bundled_models(&handle, &data_dir);
            open_engine(&handle, data_dir, models_dir)
        });
        Ok(AppState {
            engine: RwLock::new(None),
            engine_state: RwLock::new(EngineState::Opening),
            model_state: RwLock::new(EngineState::Opening),
            indexing: Mutex::new(None),
            pending_sources: Mutex::new(launch.add_folders.iter().cloned().map(Source::Folder).collect()),
            demo_gallery: find_demo_gallery(),
            settings: Mutex::new(settings),
            settings_path,
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

    pub fn save_settings(&self, settings: &Settings) -> Result<(), CommandError> {
        let text = serde_json::to_string_pretty(settings).expect("settings serialise");
        let temporary = self.settings_path.with_extension("tmp");
        std::fs::write(&temporary, text)
            .and_then(|()| std::fs::rename(&temporary, &self.settings_path))
            .map_err(|e| CommandError::io(&self.settings_path, e))
    }
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

/// Opens the engine on the models installed in the data folder (`models/`: downloads) and
/// those the app ships (`bundled_models`, read-only when installed), else on the usual
/// search for those (`MOTIS_MODELS`, `models/` above the working directory or the program).
fn open_engine(app: &AppHandle, data_dir: PathBuf, bundled_models: Option<PathBuf>) {
    let state = app.state::<AppState>();
    let set = |slot: &RwLock<EngineState>, value| *slot.write().unwrap_or_else(|p| p.into_inner()) = value;
    let failed = |error: EngineError| {
        let error = CommandError::from(error);
        eprintln!("motis: {}", error.message);
        EngineState::Failed { error }
    };
    let opened = (|| -> Result<Engine, EngineError> {
        let shipped = match bundled_models {
            Some(dir) if std::env::var_os("MOTIS_MODELS").is_none() => Some(dir),
            _ => find_shipped_models()?,
        };
        Engine::open(&EngineConfig {
            models: ModelFolders::new(data_dir.join("models"), shipped),
            data_dir,
            model: "motis-demo".into(),
            threads: 2,
        })
    })();
    let engine = match opened {
        Ok(engine) => Arc::new(engine),
        Err(error) => {
            let error = failed(error);
            set(&state.model_state, error.clone());
            set(&state.engine_state, error);
            return;
        }
    };
    if let Some(library) = app.photo_library().library() {
        engine.attach_library(library);
    }
    *state.engine.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::clone(&engine));
    set(&state.engine_state, EngineState::Ready);
    // Load ONNX Runtime and check the model's checksums now, behind the gallery, so that
    // the first search is quick and a missing runtime shows before anyone types.
    match engine.prepare_model() {
        Ok(_) => set(&state.model_state, EngineState::Ready),
        Err(error) => set(&state.model_state, failed(error)),
    }
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
