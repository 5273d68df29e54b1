//! Retrieval quality of a model on a captioned photo dataset, measured as the MoTIS paper
//! and CLIP measure it on COCO: Recall@1/5/10 text→image and image→text on a whole test
//! split (COCO 5K) and on the 1K protocol (the mean over consecutive folds of 1,000 images).
//!
//! The dataset is read in the Karpathy JSON format that COCO and Flickr30K splits are
//! published in. Photos are encoded by the engine's own indexing pipeline, so the numbers
//! describe exactly what a person's searches get. Not here: training, dataset downloads,
//! or any image/text processing of its own.

mod dataset;
mod recall;
mod run;

use std::path::PathBuf;

pub use dataset::Dataset;
pub use recall::{FOLD, KS, Recalls, recalls, recalls_by_fold};
pub use run::{Report, evaluate};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a Karpathy caption file: {source}")]
    Syntax { path: PathBuf, source: serde_json::Error },
    #[error("{path}: no image is in split {split:?} (the file has: {found})")]
    EmptySplit {
        path: PathBuf,
        split: String,
        found: String,
    },
    #[error("{path}: image {image} has no caption")]
    NoCaption { path: PathBuf, image: String },
    #[error("{path}: cannot prepare the evaluation folder: {source}")]
    Work { path: PathBuf, source: std::io::Error },
    #[error("{count} of the split's images could not be encoded; the first: {path}: {cause}")]
    Images { count: usize, path: PathBuf, cause: String },
    #[error("indexing the split was cancelled")]
    Cancelled,
    #[error(transparent)]
    Engine(#[from] motis_engine::EngineError),
}
