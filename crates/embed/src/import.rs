//! Importing a model folder laid out as other tools publish ONNX CLIP exports (Immich's:
//! `config.json`, `visual/model.onnx` + `preprocess_cfg.json`, `textual/model.onnx` +
//! `tokenizer.json`): the files are copied and a manifest is written from their
//! configuration, without re-exporting anything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::manifest::{FORMAT, image_shape_problem, sha256_hex, text_shape_problem};
use crate::{
    ClipTokenizer, EmbedError, ImageEncoder, ImageTower, Manifest, Model, ModelFile, ModelSource, Runtime, TextEncoder,
    TextTower,
};

/// The tokenizer motis ships; an import that brings the same one shares it.
const CLIP_BPE: &str = "clip-bpe";
/// Texts whose token ids must agree for a shipped tokenizer to count as the same as
/// motis's own (plain words, case, punctuation, accents, emoji, numbers).
const PROBES: &[&str] = &[
    "a photo of a dog",
    "Two RED stars, left of a café!",
    "naïve résumé 😀 #tag 123.5",
    "black-and-white photo of the Eiffel Tower at night",
];

#[derive(Deserialize)]
struct ModelConfig {
    embed_dim: usize,
    #[serde(default)]
    text_cfg: TextConfig,
}

#[derive(Deserialize)]
struct TextConfig {
    #[serde(default = "clip_context")]
    context_length: usize,
}

impl Default for TextConfig {
    fn default() -> Self {
        TextConfig {
            context_length: clip_context(),
        }
    }
}

fn clip_context() -> usize {
    77
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Size {
    Square(u32),
    HeightWidth([u32; 2]),
}

#[derive(Deserialize)]
struct PreprocessConfig {
    size: Size,
    mean: [f32; 3],
    std: [f32; 3],
    #[serde(default = "bicubic")]
    interpolation: String,
    /// open_clip's default for configs written before it had a choice.
    #[serde(default = "shortest")]
    resize_mode: String,
}

fn bicubic() -> String {
    "bicubic".to_owned()
}

fn shortest() -> String {
    "shortest".to_owned()
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, EmbedError> {
    let text = std::fs::read_to_string(path).map_err(|source| EmbedError::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| EmbedError::ManifestSyntax {
        path: path.to_owned(),
        source,
    })
}

fn refuse(path: &Path, reason: impl Into<String>) -> EmbedError {
    EmbedError::Import {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// The first input's and first output's names: what Immich's code feeds and reads.
fn interface_names(runtime: &Runtime, path: &Path) -> Result<(String, String), EmbedError> {
    let session = crate::encoder::open_session(runtime, path, 1)?;
    let first = |outlets: &[ort::value::Outlet], what: &str| {
        outlets
            .first()
            .map(|o| o.name().to_owned())
            .ok_or_else(|| refuse(path, format!("the model has no {what}")))
    };
    Ok((first(session.inputs(), "input")?, first(session.outputs(), "output")?))
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), EmbedError> {
    let write = |path: &Path| {
        let path = path.to_owned();
        move |source| EmbedError::Write { path, source }
    };
    std::fs::create_dir_all(to).map_err(write(to))?;
    let entries = std::fs::read_dir(from).map_err(|source| EmbedError::Read {
        path: from.to_owned(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| EmbedError::Read {
            path: from.to_owned(),
            source,
        })?;
        let (source, target) = (entry.path(), to.join(entry.file_name()));
        if source.is_dir() {
            copy_tree(&source, &target)?;
        } else {
            std::fs::copy(&source, &target).map_err(write(&target))?;
        }
    }
    Ok(())
}

/// Every file below `root` with its size and sha256, paths relative to `root`, sorted;
/// the sha256s in `checked` (by relative path) are taken as they are, not hashed again.
fn list_files(
    root: &Path,
    below: &Path,
    checked: &BTreeMap<String, String>,
    files: &mut Vec<ModelFile>,
) -> Result<(), EmbedError> {
    let read = |path: &Path| {
        let path = path.to_owned();
        move |source| EmbedError::Read { path, source }
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(below)
        .map_err(read(below))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .map_err(read(below))?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            list_files(root, &path, checked, files)?;
            continue;
        }
        let relative = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
        let sha256 = match checked.get(&relative) {
            Some(sha256) => sha256.to_ascii_lowercase(),
            None => sha256_hex(&path).map_err(read(&path))?,
        };
        files.push(ModelFile {
            path: relative,
            sha256,
            bytes: std::fs::metadata(&path).map_err(read(&path))?.len(),
        });
    }
    Ok(())
}

/// `clip-bpe` when the folder's tokenizer gives the same ids as motis's own; otherwise
/// the folder's tokenizer, installed as `tokenizers/<id>` (returned for clean-up too).
fn choose_tokenizer(
    models_dir: &Path,
    shipped: &Path,
    id: &str,
    context: usize,
) -> Result<(String, Option<PathBuf>), EmbedError> {
    let theirs = ClipTokenizer::from_file(shipped, context)?;
    if !theirs.has_clip_special_tokens() {
        return Err(refuse(
            shipped,
            "not a CLIP BPE tokenizer (no <|startoftext|> 49406 and <|endoftext|> 49407); motis reads CLIP's tokenizer only",
        ));
    }
    let ours_path = models_dir.join("tokenizers").join(CLIP_BPE).join("tokenizer.json");
    if let Ok(ours) = ClipTokenizer::from_file(&ours_path, context) {
        let same = PROBES
            .iter()
            .map(|text| Ok(ours.ids(text)? == theirs.ids(text)?))
            .collect::<Result<Vec<bool>, EmbedError>>()?;
        if same.iter().all(|&same| same) {
            return Ok((CLIP_BPE.to_owned(), None));
        }
    }
    let folder = models_dir.join("tokenizers").join(id);
    std::fs::create_dir_all(&folder).map_err(|source| EmbedError::Write {
        path: folder.clone(),
        source,
    })?;
    let target = folder.join("tokenizer.json");
    std::fs::copy(shipped, &target).map_err(|source| EmbedError::Write { path: target, source })?;
    Ok((id.to_owned(), Some(folder)))
}

/// Where an installed model came from, for its manifest.
#[derive(Clone, Debug)]
pub struct Provenance {
    pub name: String,
    pub description: String,
    pub licence: String,
    pub source: Option<ModelSource>,
}

fn check_id(id: &str, path: &Path) -> Result<(), EmbedError> {
    if id.is_empty() || id.starts_with('.') || id.contains(['/', '\\']) {
        return Err(refuse(
            path,
            format!("{id:?} cannot be a model id (a plain folder name)"),
        ));
    }
    Ok(())
}

/// Where model `id` goes, if no model has that id yet.
pub fn install_target(models_dir: &Path, id: &str) -> Result<PathBuf, EmbedError> {
    let target = models_dir.join(id);
    check_id(id, &target)?;
    if target.exists() {
        return Err(refuse(
            &target,
            "a model with this id is installed already: remove that folder, or choose another id with --id",
        ));
    }
    Ok(target)
}

/// Import `source` (Immich's layout) into `models_dir` as model `id`, checking that both
/// towers load and answer before the model appears under its id. Nothing is left behind
/// when it fails.
pub fn import_folder(runtime: &Runtime, source: &Path, models_dir: &Path, id: &str) -> Result<Model, EmbedError> {
    install_target(models_dir, id)?;
    let staging = models_dir.join(format!(".{id}.importing"));
    let copied = (|| {
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|source| EmbedError::Write {
                path: staging.clone(),
                source,
            })?;
        }
        // Read first, so that a folder in another layout is refused before anything is copied.
        read_json::<ModelConfig>(&source.join("config.json"))?;
        copy_tree(&source.join("visual"), &staging.join("visual"))?;
        copy_tree(&source.join("textual"), &staging.join("textual"))?;
        std::fs::copy(source.join("config.json"), staging.join("config.json")).map_err(|e| EmbedError::Write {
            path: staging.join("config.json"),
            source: e,
        })?;
        Ok(())
    })();
    let provenance = Provenance {
        name: format!(
            "{} (imported)",
            source.file_name().unwrap_or_default().to_string_lossy()
        ),
        description: format!("Imported by `motis models import` from {}.", source.display()),
        licence: "as published with the imported model".to_owned(),
        source: None,
    };
    let result = copied.and_then(|()| install_staged(runtime, &staging, models_dir, id, provenance, &BTreeMap::new()));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// Install the model folder `staging` (Immich's layout, on the same file system as
/// `models_dir`) as model `id`: its configuration is read, a manifest written with every
/// file's sha256, both towers are loaded and run once, and only then is the folder moved
/// into place. On failure `staging` is left as it was (the caller removes it) and nothing
/// appears in `models_dir`. `checked`: sha256s the caller has checked the files against
/// already (a download's large files, against the Hub's), by path in `staging`, which
/// the manifest takes without hashing hundreds of megabytes again.
pub fn install_staged(
    runtime: &Runtime,
    staging: &Path,
    models_dir: &Path,
    id: &str,
    provenance: Provenance,
    checked: &BTreeMap<String, String>,
) -> Result<Model, EmbedError> {
    let target = install_target(models_dir, id)?;
    let config: ModelConfig = read_json(&staging.join("config.json"))?;
    let preprocess_path = staging.join("visual").join("preprocess_cfg.json");
    let preprocess: PreprocessConfig = read_json(&preprocess_path)?;
    if preprocess.interpolation != "bicubic" {
        return Err(refuse(
            &preprocess_path,
            format!(
                "interpolation {:?} is not supported: motis resizes bicubic",
                preprocess.interpolation
            ),
        ));
    }
    let resize = match preprocess.resize_mode.as_str() {
        "shortest" => "shortest_side_centre_crop",
        "squash" => "squash",
        other => {
            return Err(refuse(
                &preprocess_path,
                format!("resize_mode {other:?} is not supported (shortest or squash)"),
            ));
        }
    };
    let size = match preprocess.size {
        Size::Square(side) => [side, side],
        Size::HeightWidth(size) => size,
    };
    if let Some(problem) = image_shape_problem(size, preprocess.mean, preprocess.std) {
        return Err(refuse(&preprocess_path, problem));
    }
    if let Some(problem) = text_shape_problem(config.text_cfg.context_length, config.embed_dim) {
        return Err(refuse(&staging.join("config.json"), problem));
    }
    let visual = staging.join("visual").join("model.onnx");
    let textual = staging.join("textual").join("model.onnx");
    let (image_input, image_output) = interface_names(runtime, &visual)?;
    let (text_input, text_output) = interface_names(runtime, &textual)?;

    let mut installed_tokenizer = None;
    let manifest_path = staging.join("manifest.json");
    let result = (|| {
        let context = config.text_cfg.context_length;
        let (tokenizer, installed) =
            choose_tokenizer(models_dir, &staging.join("textual").join("tokenizer.json"), id, context)?;
        installed_tokenizer = installed;
        let mut files = Vec::new();
        list_files(staging, staging, checked, &mut files)?;
        let manifest = Manifest {
            format: FORMAT,
            id: id.to_owned(),
            name: provenance.name,
            description: provenance.description,
            embedding_dim: config.embed_dim,
            normalized: false,
            image: ImageTower {
                file: "visual/model.onnx".to_owned(),
                input: image_input,
                output: image_output,
                size,
                resize: resize.to_owned(),
                interpolation: preprocess.interpolation.clone(),
                mean: preprocess.mean,
                std: preprocess.std,
            },
            text: TextTower {
                file: "textual/model.onnx".to_owned(),
                input: text_input,
                output: text_output,
                tokenizer,
                context_length: context,
                // The export's own padding length is kept: whether its text tower is
                // causal (so that shorter input gives the same answer) is not known.
                dynamic_length: false,
            },
            files,
            licence: provenance.licence,
            // A hub's CLIP models are trained on the web: the everyday searches fit them.
            examples: Vec::new(),
            match_score: None,
            source: provenance.source,
        };
        let json = serde_json::to_string_pretty(&manifest).expect("a manifest serialises");
        std::fs::write(&manifest_path, json + "\n").map_err(|source| EmbedError::Write {
            path: manifest_path.clone(),
            source,
        })?;
        let model = Model::open(staging)?;
        ImageEncoder::new(runtime, &model, 1)?.encode(&vec![0.0; model.input.len()])?;
        TextEncoder::new(runtime, &model, 1)?.encode(&["a photo"])?;
        std::fs::rename(staging, &target).map_err(|source| EmbedError::Write {
            path: target.clone(),
            source,
        })?;
        Model::open(&target)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&manifest_path);
        if let Some(folder) = installed_tokenizer {
            let _ = std::fs::remove_dir_all(folder);
        }
    }
    result
}
