//! CLIP models from a Hugging Face Hub (or a mirror at `HF_ENDPOINT`) in Immich's layout:
//! the short list of vetted models, what a repository's files are and which of them a
//! model needs, each file fetched resumably and checked against the Hub's own checksums,
//! and the folder installed through motis-embed's checks. Nothing half-downloaded is ever
//! a model: files wait in a hidden staging folder until every one is verified.
//!
//! Not here: what makes a model folder valid (motis-embed), where models live or which one
//! a command opens (motis-engine), progress bars (the front ends).

mod catalogue;
mod download;
mod fetch;

use std::path::PathBuf;

pub use catalogue::{AVAILABLE, Available, find_available};
pub use download::{
    DownloadEvent, DownloadRequest, Interrupted, discard_download, download_model, interrupted_downloads,
    model_id_for_repo,
};
pub use fetch::{DEFAULT_ENDPOINT, Hub, RepoFile, Snapshot};

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("{url}: {cause}")]
    Network { url: String, cause: String },
    #[error("{repo}: no such model repository on {endpoint} (or it is private or gated)")]
    NoRepository { repo: String, endpoint: String },
    #[error("{repo}: no revision {revision:?} (a branch, tag or commit)")]
    NoRevision { repo: String, revision: String },
    #[error("{url}: not found (HTTP 404)")]
    NotFound { url: String },
    #[error("{url}: HTTP {status}{retried}")]
    Status { url: String, status: u16, retried: String },
    #[error("{url}: not an answer the Hub gives: {reason}")]
    Protocol { url: String, reason: String },
    #[error(
        "{path}: {algorithm} is {actual} but the Hub lists {expected}: the download was damaged, so it was deleted; run the download again"
    )]
    Corrupt {
        path: PathBuf,
        algorithm: &'static str,
        expected: String,
        actual: String,
    },
    #[error("{path}: the disk is full; the download was removed (it needs {needed} bytes)")]
    DiskFull { path: PathBuf, needed: u64 },
    #[error("{path}: cannot write: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("the download was cancelled")]
    Cancelled,
    #[error("{repo}: {reason}")]
    Unsupported { repo: String, reason: String },
    #[error(transparent)]
    Embed(#[from] motis_embed::EmbedError),
}
