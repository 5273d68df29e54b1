//! Finding models: the folder a person installs models into (downloads and imports) and
//! the one that ships with motis, which an installed app may not write.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use motis_embed::Model;

use crate::EngineError;

/// The model used when none is named.
pub const DEFAULT_MODEL: &str = "motis-demo";

/// Searches offered with a model whose manifest lists none: what people look for in
/// their own photos, which a CLIP-family model trained on the web answers.
const EVERYDAY_SEARCHES: [&str; 6] = [
    "beach at sunset",
    "a dog",
    "screenshots",
    "receipts",
    "birthday cake",
    "snow",
];

/// Searches to offer with `model`: its manifest's examples, else everyday ones.
pub fn example_searches(model: &Model) -> Vec<String> {
    if model.manifest.examples.is_empty() {
        EVERYDAY_SEARCHES.iter().map(|s| s.to_string()).collect()
    } else {
        model.manifest.examples.clone()
    }
}

/// Where model folders are found: first the folder models are installed into
/// (`--models-dir`, else `models/` in the data folder; made by the first install), then
/// the models folder that ships with motis. A model id names a folder in one of them;
/// installing refuses an id either one holds, so an id always means one model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelFolders {
    installed: PathBuf,
    shipped: Option<PathBuf>,
}

impl ModelFolders {
    pub fn new(installed: PathBuf, shipped: Option<PathBuf>) -> ModelFolders {
        let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => a == b,
        };
        let shipped = shipped.filter(|shipped| !same(shipped, &installed));
        ModelFolders { installed, shipped }
    }

    /// The folder downloads and imports go into.
    pub fn installed(&self) -> &Path {
        &self.installed
    }

    /// Both folders, the installed one first (whether or not it exists yet).
    pub fn folders(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.installed.as_path()).chain(self.shipped.as_deref())
    }

    /// Every model folder (one holding a manifest): the installed ones, then the shipped
    /// ones, each sorted; an id both hold is the installed one.
    pub fn models(&self) -> Result<Vec<PathBuf>, EngineError> {
        let mut seen = HashSet::new();
        let mut models = Vec::new();
        for folder in self.folders() {
            if folder == self.installed && !folder.exists() {
                continue;
            }
            for model in installed_models(folder)? {
                if seen.insert(model.file_name().map(ToOwned::to_owned)) {
                    models.push(model);
                }
            }
        }
        Ok(models)
    }

    /// The folder of model `id`, if either models folder holds it.
    pub fn find(&self, id: &str) -> Option<PathBuf> {
        self.folders()
            .map(|folder| folder.join(id))
            .find(|model| model.join("manifest.json").is_file())
    }

    /// Open model `id`; an unknown id is an error that lists the installed ones and
    /// where they were looked for.
    pub fn open(&self, id: &str) -> Result<Model, EngineError> {
        match self.find(id) {
            Some(folder) => Ok(Model::open(&folder)?),
            None => Err(EngineError::UnknownModel {
                id: id.to_owned(),
                searched: match &self.shipped {
                    Some(shipped) => format!("{} or {}", self.installed.display(), shipped.display()),
                    None => format!(
                        "{} (and no models folder of motis's own was found above the working directory or the program: set MOTIS_MODELS)",
                        self.installed.display()
                    ),
                },
                installed: match self.ids() {
                    ids if ids.is_empty() => "none".to_owned(),
                    ids => ids.join(", "),
                },
            }),
        }
    }

    /// The ids of [`ModelFolders::models`].
    pub fn ids(&self) -> Vec<String> {
        self.models()
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect()
    }

    /// Refuse to install model `id` when a models folder holds it already.
    pub fn check_free(&self, id: &str) -> Result<(), EngineError> {
        match self.find(id) {
            Some(folder) => Err(EngineError::ModelInstalled {
                id: id.to_owned(),
                folder,
            }),
            None => Ok(()),
        }
    }
}

/// The models folder that ships with motis: `$MOTIS_MODELS` (an error when it is not a
/// folder), else the nearest `models/` folder holding the demo model above the working
/// directory or the executable, else none.
pub fn find_shipped_models() -> Result<Option<PathBuf>, EngineError> {
    if let Some(dir) = std::env::var_os("MOTIS_MODELS").map(PathBuf::from) {
        return if dir.is_dir() {
            Ok(Some(dir))
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
    Ok(starts
        .iter()
        .flat_map(|s| s.ancestors().map(|d| d.join("models")))
        .find(|d| d.join(DEFAULT_MODEL).join("manifest.json").is_file()))
}

/// The folders under `models_dir` that hold a manifest, sorted.
fn installed_models(models_dir: &Path) -> Result<Vec<PathBuf>, EngineError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn model(folder: &Path, id: &str) {
        std::fs::create_dir_all(folder.join(id)).unwrap();
        std::fs::write(folder.join(id).join("manifest.json"), "{}").unwrap();
    }

    #[test]
    fn installed_models_come_first_and_an_id_means_one_model() {
        let dir = tempfile::tempdir().unwrap();
        let (installed, shipped) = (dir.path().join("data/models"), dir.path().join("app/models"));
        model(&shipped, "motis-demo");
        model(&shipped, "shared");
        let folders = ModelFolders::new(installed.clone(), Some(shipped.clone()));
        assert_eq!(
            folders.ids(),
            ["motis-demo", "shared"],
            "nothing installed yet, and no folder for it"
        );
        assert!(!installed.exists(), "looking does not make the folder");

        model(&installed, "vit-b-32-laion2b");
        model(&installed, "shared");
        assert_eq!(folders.ids(), ["shared", "vit-b-32-laion2b", "motis-demo"]);
        assert_eq!(folders.find("shared"), Some(installed.join("shared")));
        assert_eq!(folders.find("motis-demo"), Some(shipped.join("motis-demo")));
        assert_eq!(folders.find("nothing"), None);

        let taken = folders.check_free("motis-demo").unwrap_err().to_string();
        assert!(
            taken.contains(&*shipped.join("motis-demo").to_string_lossy()),
            "{taken}"
        );
        folders.check_free("vit-b-32-openai").unwrap();

        let unknown = folders.open("nothing").err().unwrap().to_string();
        assert!(
            unknown.contains(&*installed.to_string_lossy()) && unknown.contains(&*shipped.to_string_lossy()),
            "{unknown}"
        );
        assert!(unknown.contains("shared, vit-b-32-laion2b, motis-demo"), "{unknown}");
    }

    #[test]
    fn a_model_offers_its_manifests_example_searches_or_everyday_ones() {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/clip-tiny");
        let dir = tempfile::tempdir().unwrap();
        for file in ["manifest.json", "image.onnx", "text.onnx"] {
            std::fs::copy(fixture.join(file), dir.path().join(file)).unwrap();
        }
        assert_eq!(example_searches(&Model::open(dir.path()).unwrap()), EVERYDAY_SEARCHES);
        let mut manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("manifest.json")).unwrap()).unwrap();
        manifest["examples"] = serde_json::json!(["red stars", "on blue"]);
        std::fs::write(dir.path().join("manifest.json"), manifest.to_string()).unwrap();
        assert_eq!(
            example_searches(&Model::open(dir.path()).unwrap()),
            ["red stars", "on blue"]
        );
    }

    #[test]
    fn one_folder_given_twice_is_searched_once() {
        let dir = tempfile::tempdir().unwrap();
        model(dir.path(), "motis-demo");
        let folders = ModelFolders::new(dir.path().to_owned(), Some(dir.path().join(".")));
        assert_eq!(folders.folders().count(), 1);
        assert_eq!(folders.ids(), ["motis-demo"]);
    }
}
