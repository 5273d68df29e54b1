//! CLIP-family dual encoders through ONNX Runtime: model folders and their manifests,
//! CLIP's tokenizer, and synchronous image and text encoders.
//!
//! Nothing here spawns threads or knows about catalogs and indexes: callers give each
//! blocking worker its own encoder (an encoder owns its ONNX Runtime session).

mod encoder;
mod import;
mod manifest;
mod optimized;
mod runtime;
mod tokenizer;
mod verified;

use std::path::PathBuf;

pub use encoder::{ImageEncoder, TextEncoder};
pub use import::{Provenance, import_folder, install_staged, install_target};
pub use manifest::{ImageTower, Manifest, Model, ModelFile, ModelSource, TextTower, Tower, sha256_file};
pub use runtime::Runtime;
pub use tokenizer::ClipTokenizer;
pub use verified::VerifiedFiles;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("ONNX Runtime library not found (looked for {searched}); {fix}", fix = runtime::FIX)]
    RuntimeMissing { searched: String },
    #[error("{path}: cannot load ONNX Runtime: {source}; {fix}", fix = runtime::FIX)]
    RuntimeLoad { path: PathBuf, source: runtime::LoadError },
    #[error("cannot start ONNX Runtime: {source}")]
    RuntimeStart { source: ort::Error },
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a valid model manifest: {source}")]
    ManifestSyntax { path: PathBuf, source: serde_json::Error },
    #[error("{path}: {reason}")]
    Manifest { path: PathBuf, reason: String },
    #[error("{path}: sha256 is {actual} but the manifest says {expected}: the file is damaged or was replaced")]
    Checksum {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("{path}: ONNX Runtime cannot load this model: {source}")]
    Session { path: PathBuf, source: ort::Error },
    #[error("{path}: {reason}")]
    ModelInterface { path: PathBuf, reason: String },
    #[error("{path}: cannot load the tokenizer: {source}")]
    Tokenizer { path: PathBuf, source: tokenizers::Error },
    #[error("cannot tokenize {text:?}: {source}")]
    Tokenize { text: String, source: tokenizers::Error },
    #[error("{path}: inference failed: {source}")]
    Inference { path: PathBuf, source: ort::Error },
    #[error("{path}: cannot import: {reason}")]
    Import { path: PathBuf, reason: String },
    #[error("{path}: cannot write: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Media(#[from] motis_media::MediaError),
}

/// Scale vectors to unit length, so that a dot product is a cosine similarity.
pub fn normalise(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
}
