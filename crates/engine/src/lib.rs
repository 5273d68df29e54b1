//! The engine the desktop app and the CLI share: the photo catalog, folder scans and,
//! built on them, the indexing pipeline and search.
//!
//! Not here: decoding pixels (motis-media), running models (motis-embed), the vector
//! index itself (motis-index), and anything that knows about Tauri or terminals.

pub mod catalog;
pub mod scan;

use std::path::PathBuf;

pub use catalog::{Catalog, PhotoId, ScanReport};
pub use scan::{ScanEntry, ScanProblem, scan_folder};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{path}: catalog database error: {source}")]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("{path}: the catalog was written by a newer motis (schema {found}, this motis knows up to {known})")]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: cannot scan this folder: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
}
