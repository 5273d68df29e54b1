use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ort::environment::Environment;

use crate::EmbedError;

const LIBRARY: &str = "libonnxruntime.so.1.31.1";

/// The loaded ONNX Runtime library; one per process, shared by all encoders.
#[derive(Clone)]
pub struct Runtime {
    pub(crate) environment: Environment,
}

/// ONNX Runtime allows one environment per process: every `load` after the first
/// successful one returns that one.
static LOADED: Mutex<Option<Runtime>> = Mutex::new(None);

impl Runtime {
    /// Load ONNX Runtime from `ORT_DYLIB_PATH`, else from the project-local `.ort/lib`
    /// that scripts/setup fills (searched upwards from the working directory and from
    /// the executable), else from `../lib/motis` beside the executable, where the
    /// desktop app's package installs it (`/usr/bin/motis-app`, `/usr/lib/motis`).
    pub fn load() -> Result<Runtime, EmbedError> {
        let mut loaded = LOADED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(runtime) = loaded.as_ref() {
            return Ok(runtime.clone());
        }
        let path = find_runtime_library()?;
        let builder = ort::init_from(&path).map_err(|source| EmbedError::RuntimeLoad {
            path: path.clone(),
            source,
        })?;
        let environment = builder
            .with_name("motis")
            .build()
            .map_err(|source| EmbedError::RuntimeStart { source })?;
        Ok(loaded.insert(Runtime { environment }).clone())
    }
}

pub fn find_runtime_library() -> Result<PathBuf, EmbedError> {
    if let Some(path) = std::env::var_os("ORT_DYLIB_PATH") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(EmbedError::RuntimeMissing {
                searched: format!("ORT_DYLIB_PATH={}", path.display()),
            })
        };
    }
    let mut starts: Vec<PathBuf> = std::env::current_dir().into_iter().collect();
    if let Ok(exe) = std::env::current_exe() {
        starts.extend(exe.parent().map(Path::to_path_buf));
    }
    let mut candidates: Vec<PathBuf> = starts
        .iter()
        .flat_map(|start| start.ancestors().map(|dir| dir.join(".ort").join("lib").join(LIBRARY)))
        .collect();
    let installed = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("lib").join("motis").join(LIBRARY)));
    candidates.extend(installed);
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .ok_or_else(|| EmbedError::RuntimeMissing {
            searched: format!(
                "{LIBRARY} in .ort/lib above {}, and in ../lib/motis beside the program",
                starts
                    .iter()
                    .map(|s| s.display().to_string())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        })
}
