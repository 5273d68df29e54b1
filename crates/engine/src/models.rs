//! Finding model folders: `--models-dir`, `$MOTIS_MODELS`, or the `models/` folder that
//! ships beside the program.

use std::path::{Path, PathBuf};

use motis_embed::Model;

use crate::EngineError;

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "motis-demo";

/// `flag`, else `$MOTIS_MODELS`, else the nearest `models/` folder holding the demo model
/// above the working directory or the executable.
pub fn find_models_dir(flag: Option<&Path>) -> Result<PathBuf, EngineError> {
    if let Some(dir) = flag
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("MOTIS_MODELS").map(PathBuf::from))
    {
        return if dir.is_dir() {
            Ok(dir)
        } else {
            Err(EngineError::ModelsDirMissing(dir))
        };
    }
    let mut starts: Vec<PathBuf> = std::env::current_dir().into_iter().collect();
    starts.extend(
        std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf)),
    );
    starts
        .iter()
        .flat_map(|s| s.ancestors().map(|d| d.join("models")))
        .find(|d| d.join(DEFAULT_MODEL).join("manifest.json").is_file())
        .ok_or(EngineError::ModelsDirNotFound)
}

/// The folders under `models_dir` that hold a manifest, sorted.
pub fn installed_models(models_dir: &Path) -> Result<Vec<PathBuf>, EngineError> {
    let entries = std::fs::read_dir(models_dir).map_err(|source| EngineError::Read {
        path: models_dir.to_owned(),
        source,
    })?;
    let mut folders: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    folders.sort();
    Ok(folders)
}

/// Open model `id` from `models_dir`; an unknown id is an error that lists the installed ones.
pub fn open_model(models_dir: &Path, id: &str) -> Result<Model, EngineError> {
    let folder = models_dir.join(id);
    if !folder.join("manifest.json").is_file() {
        let installed: Vec<String> = installed_models(models_dir)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        return Err(EngineError::UnknownModel {
            id: id.to_owned(),
            dir: models_dir.to_owned(),
            installed: if installed.is_empty() {
                "none".to_owned()
            } else {
                installed.join(", ")
            },
        });
    }
    Ok(Model::open(&folder)?)
}

/// What embeddings and index files are stored under: the model id and the start of its
/// image tower's sha256, so that replacing a model's weights never mixes vectors of
/// two different models.
pub fn model_key(model: &Model) -> String {
    let image_file = &model.manifest.image.file;
    let sha = model
        .manifest
        .files
        .iter()
        .find(|f| &f.path == image_file)
        .map(|f| f.sha256.as_str())
        .unwrap_or_default();
    format!("{}@{}", model.manifest.id, &sha[..sha.len().min(12)])
}
