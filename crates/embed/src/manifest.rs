use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use motis_media::{InputSpec, ResizeMode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::{EmbedError, VerifiedFiles};

pub(crate) const FORMAT: u32 = 1;

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
        let [height, width] = manifest.image.size;
        if height == 0 || width == 0 || manifest.image.std.contains(&0.0) {
            return Err(invalid("image.size and image.std must not be zero".into()));
        }
        if manifest.text.context_length < 2 {
            return Err(invalid(
                "text.context_length must leave room for the start and end tokens".into(),
            ));
        }
        for tower_file in [&manifest.image.file, &manifest.text.file] {
            if !manifest.files.iter().any(|f| &f.path == tower_file) {
                return Err(invalid(format!("{tower_file} is not listed in files with its sha256")));
            }
        }
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
