//! Desktop: ONNX Runtime is a library file loaded at run time (ort's `load-dynamic`),
//! the one the `onnxruntime` wheel carries.

use std::path::{Path, PathBuf};

use ort::environment::EnvironmentBuilder;

use crate::EmbedError;

pub type LoadError = ort::LoadDynamicError;

pub const FIX: &str = "run scripts/setup, or set ORT_DYLIB_PATH to libonnxruntime.so.1.31.1";

const LIBRARY: &str = "libonnxruntime.so.1.31.1";

/// Load the library from `ORT_DYLIB_PATH`, else from the project-local `.ort/lib` that
/// scripts/setup fills (searched upwards from the working directory and from the
/// executable), else from `../lib/motis` beside the executable, where the desktop app's
/// package installs it (`/usr/bin/motis-app`, `/usr/lib/motis`).
pub fn environment() -> Result<EnvironmentBuilder, EmbedError> {
    let path = find_library()?;
    ort::init_from(&path).map_err(|source| EmbedError::RuntimeLoad { path, source })
}

fn find_library() -> Result<PathBuf, EmbedError> {
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
