use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use motis_media::{InputSpec, ResizeMode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{EmbedError, VerifiedFiles};

pub(crate) const FORMAT: u32 = 1;

// Beyond these a model's configuration is damaged or hostile, not a bigger model
// (CLIP-style models take 224–560 px, 64–248 tokens and give 512–1,536 dimensions), and
// obeying it would ask for gigabytes before anything could fail.
const MAX_IMAGE_SIDE: u32 = 2048;
const MAX_CONTEXT: usize = 1024;
const MAX_EMBEDDING_DIM: usize = 16384;

/// What is wrong with a model's image input, if anything: `size` is `[height, width]`.
pub(crate) fn image_shape_problem(size: [u32; 2], mean: [f32; 3], std: [f32; 3]) -> Option<String> {
    if size.iter().any(|&side| side == 0 || side > MAX_IMAGE_SIDE) {
        return Some(format!(
            "image size {size:?} is not a model input (each side 1 to {MAX_IMAGE_SIDE} pixels)"
        ));
    }
    if !mean.iter().chain(&std).all(|v| v.is_finite()) || std.contains(&0.0) {
        return Some(format!(
            "image mean {mean:?} and std {std:?} must be finite numbers, the std not zero"
        ));
    }
    None
}

/// What is wrong with a model's text input and embedding, if anything.
pub(crate) fn text_shape_problem(context_length: usize, embedding_dim: usize) -> Option<String> {
    if !(2..=MAX_CONTEXT).contains(&context_length) {
        return Some(format!(
            "context length {context_length} is not a text input (2, for the start and end tokens, to {MAX_CONTEXT})"
        ));
    }
    if !(1..=MAX_EMBEDDING_DIM).contains(&embedding_dim) {
        return Some(format!(
            "embedding dimension {embedding_dim} is not one a model gives (1 to {MAX_EMBEDDING_DIM})"
        ));
    }
    None
}

/// Whether `path` names a file inside the model's folder: relative, and never `..`.
fn inside_folder(path: &str) -> bool {
    let path = Path::new(path);
    path.is_relative()
        && path
            .components()
            .all(|part| matches!(part, std::path::Component::Normal(_)))
}

/// `manifest.json` of a model folder; the format is documented in models/README.md.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Manifest {
    pub format: u32,
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub embedding_dim: usize,
    pub normalized: bool,
    pub image: ImageTower,
    pub text: TextTower,
    pub files: Vec<ModelFile>,
    pub licence: String,
    /// Searches that work with this model, for a front end to offer while its search box
    /// is empty (a model that knows one small world lists that world's); none: the front
    /// end offers everyday ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<String>,
    /// The cosine similarity from which a photo matches a query of words for this model,
    /// where it has been measured on photos whose every answer is known (the demo model's
    /// world); the cut-off then also shows the photos above it (`cutoff.rs` in the engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub match_score: Option<f32>,
    /// Where it was downloaded from; absent for shipped and imported models.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ModelSource>,
}

/// A model downloaded from a Hugging Face Hub (or a mirror of one).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ModelSource {
    /// The server, e.g. `https://huggingface.co`.
    pub endpoint: String,
    pub repo: String,
    /// The revision asked for (a branch, tag or commit).
    pub revision: String,
    /// The commit the server resolved it to: what was downloaded.
    pub commit: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ImageTower {
    pub file: String,
    pub input: String,
    pub output: String,
    /// `[height, width]`
    pub size: [u32; 2],
    pub resize: String,
    pub interpolation: String,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct TextTower {
    pub file: String,
    pub input: String,
    pub output: String,
    pub tokenizer: String,
    pub context_length: usize,
    pub dynamic_length: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ModelFile {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

/// One of a model's two encoders.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tower {
    Image,
    Text,
}

/// A model folder with a manifest that has been read and checked for consistency
/// (not yet for file checksums: see [`Model::verify`]).
#[derive(Clone, Debug)]
pub struct Model {
    pub folder: PathBuf,
    pub manifest: Manifest,
    pub input: InputSpec,
}

impl Model {
    pub fn open(folder: &Path) -> Result<Model, EmbedError> {
        let path = folder.join("manifest.json");
        let text = std::fs::read_to_string(&path).map_err(|source| EmbedError::Read {
            path: path.clone(),
            source,
        })?;
        let manifest: Manifest = serde_json::from_str(&text).map_err(|source| EmbedError::ManifestSyntax {
            path: path.clone(),
            source,
        })?;
        let invalid = |reason: String| EmbedError::Manifest {
            path: path.clone(),
            reason,
        };
        if manifest.format != FORMAT {
            return Err(invalid(format!(
                "manifest format {} is not supported (this motis reads format {FORMAT})",
                manifest.format
            )));
        }
        let resize = match manifest.image.resize.as_str() {
            "squash" => ResizeMode::Squash,
            "shortest_side_centre_crop" => ResizeMode::ShortestSideCentreCrop,
            other => {
                return Err(invalid(format!(
                    "unknown image.resize {other:?} (squash or shortest_side_centre_crop)"
                )));
            }
        };
        if manifest.image.interpolation != "bicubic" {
            return Err(invalid(format!(
                "unknown image.interpolation {:?} (bicubic)",
                manifest.image.interpolation
            )));
        }
        if let Some(problem) = image_shape_problem(manifest.image.size, manifest.image.mean, manifest.image.std)
            .or_else(|| text_shape_problem(manifest.text.context_length, manifest.embedding_dim))
        {
            return Err(invalid(problem));
        }
        if let Some(outside) = manifest.files.iter().find(|f| !inside_folder(&f.path)) {
            return Err(invalid(format!(
                "{:?} is not a file inside the model's folder",
                outside.path
            )));
        }
        for tower_file in [&manifest.image.file, &manifest.text.file] {
            if !manifest.files.iter().any(|f| &f.path == tower_file) {
                return Err(invalid(format!("{tower_file} is not listed in files with its sha256")));
            }
        }
        let [height, width] = manifest.image.size;
        let input = InputSpec {
            width,
            height,
            resize,
            mean: manifest.image.mean,
            std: manifest.image.std,
        };
        Ok(Model {
            folder: folder.to_owned(),
            manifest,
            input,
        })
    }

    /// Check every file against the sha256 in the manifest, hashing each one.
    pub fn verify(&self) -> Result<(), EmbedError> {
        self.verify_files(self.manifest.files.iter(), &mut VerifiedFiles::none())
    }

    /// Check the files `tower` runs from (its own file and any file neither tower is),
    /// skipping those `record` remembers unchanged since they were hashed, and remember
    /// the ones hashed now.
    pub fn verify_tower(&self, tower: Tower, record: &mut VerifiedFiles) -> Result<(), EmbedError> {
        let other = match tower {
            Tower::Image => &self.manifest.text.file,
            Tower::Text => &self.manifest.image.file,
        };
        self.verify_files(self.manifest.files.iter().filter(|file| &file.path != other), record)
    }

    fn verify_files<'a>(
        &self,
        files: impl Iterator<Item = &'a ModelFile>,
        record: &mut VerifiedFiles,
    ) -> Result<(), EmbedError> {
        for file in files {
            let path = self.folder.join(&file.path);
            let actual = record.sha256(&path).map_err(|source| EmbedError::Read {
                path: path.clone(),
                source,
            })?;
            if actual != file.sha256 {
                return Err(EmbedError::Checksum {
                    path,
                    expected: file.sha256.clone(),
                    actual,
                });
            }
        }
        Ok(())
    }

    pub fn image_path(&self) -> PathBuf {
        self.folder.join(&self.manifest.image.file)
    }

    pub fn text_path(&self) -> PathBuf {
        self.folder.join(&self.manifest.text.file)
    }

    /// Tokenizers are shared between models: `models/tokenizers/NAME/tokenizer.json`
    /// beside the model folders.
    pub fn tokenizer_path(&self) -> PathBuf {
        let models = self.folder.parent().unwrap_or(Path::new("."));
        models
            .join("tokenizers")
            .join(&self.manifest.text.tokenizer)
            .join("tokenizer.json")
    }
}

/// [`sha256_file`] in lower-case hex, as manifests write it.
pub(crate) fn sha256_hex(path: &Path) -> std::io::Result<String> {
    Ok(sha256_file(path)?.iter().map(|b| format!("{b:02x}")).collect())
}

/// sha256 of a file's content, streamed.
pub fn sha256_file(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hasher.finalize().into());
        }
        hasher.update(&buffer[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The clip-tiny fixture's manifest changed by `change`, opened from a folder of its own.
    fn open_changed(change: impl Fn(&mut serde_json::Value)) -> Result<Model, EmbedError> {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/clip-tiny/manifest.json");
        let mut manifest: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
        change(&mut manifest);
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("manifest.json"), manifest.to_string()).unwrap();
        Model::open(folder.path())
    }

    fn refusal(change: impl Fn(&mut serde_json::Value)) -> String {
        match open_changed(change) {
            Err(EmbedError::Manifest { reason, .. }) => reason,
            other => panic!("not refused as a manifest: {other:?}"),
        }
    }

    #[test]
    fn a_manifest_asking_for_shapes_no_model_has_or_files_outside_its_folder_is_refused() {
        assert!(open_changed(|_| {}).is_ok(), "the fixture itself opens");
        assert!(refusal(|m| m["image"]["size"] = serde_json::json!([64, 0])).contains("image size [64, 0]"));
        assert!(refusal(|m| m["image"]["size"] = serde_json::json!([4_000_000_000u32, 64])).contains("image size"));
        assert!(refusal(|m| m["image"]["std"][1] = serde_json::json!(0.0)).contains("std"));
        assert!(refusal(|m| m["text"]["context_length"] = 1.into()).contains("context length 1"));
        assert!(refusal(|m| m["text"]["context_length"] = 1_000_000.into()).contains("context length 1000000"));
        assert!(refusal(|m| m["embedding_dim"] = 0.into()).contains("embedding dimension 0"));
        for outside in ["../image.onnx", "/etc/passwd", "a/../../b"] {
            let reason = refusal(|m| m["files"][0]["path"] = outside.into());
            assert!(
                reason.contains("not a file inside the model's folder"),
                "{outside}: {reason}"
            );
        }
    }
}
