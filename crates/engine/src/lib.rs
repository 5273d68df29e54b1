//! The engine the app and the CLI share: the photo catalog, photo sources (folders and
//! a device's photo library), the indexing pipeline (the gallery at once, previews with
//! the ones on screen first, then encoding in the background) and search.
//!
//! Not here: decoding pixels (motis-media), running models (motis-embed), the vector
//! index itself (motis-index), and anything that knows about Tauri or terminals.

mod allocator;
pub mod catalog;
mod cutoff;
mod data;
mod dates;
mod engine;
mod events;
mod live_index;
mod models;
mod pipeline;
mod previews;
mod query;
mod reading;
pub mod scan;
mod source;

use std::path::PathBuf;

pub use allocator::use_one_allocator_arena;
pub use catalog::{
    Catalog, CatalogCounts, Failure, GalleryPosition, PhotoFolder, PhotoId, PhotoRecord, PreviewState, ScanReport,
};
pub use data::{DataDir, RENDITION_SIDES};
pub use dates::{DateSource, PhotoDate};
pub use engine::{Engine, EngineConfig, Found, SearchOptions, SearchResults, Sort, Status};
pub use events::{IndexEvent, IndexSummary, Phase};
pub use live_index::IndexChoice;
pub use models::{DEFAULT_MODEL, ModelFolders, example_searches, find_shipped_models, model_key};
pub use motis_index::{SearchMode, Strategy};
pub use pipeline::{IndexOptions, RunCondition};
pub use query::{Filters, Query, QueryError, Subject, Term};
pub use reading::{Reads, SKIPPED_CAUSE, Stage};
pub use scan::{ScanEntry, ScanProblem, scan_folder};
pub use source::{Album, LibraryError, LibraryItem, Origin, PhotoLibrary, Source};
pub use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{}: {}", path.display(), sqlite_message(source))]
    Sqlite { path: PathBuf, source: rusqlite::Error },
    #[error("{path}: the catalog was written by a newer motis (schema {found}, this motis knows up to {known})")]
    TooNew { path: PathBuf, found: i64, known: i64 },
    #[error("{path}: the catalog could not be brought to schema {step}: {cause}")]
    Migration { path: PathBuf, step: usize, cause: String },
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// A photo whose reading stopped motis twice (see `reading.rs`).
    #[error("{}: {}", label.display(), SKIPPED_CAUSE)]
    Skipped { label: PathBuf },
    /// A photo of a library (named by its label) could not be handed over.
    #[error("{label}: {source}")]
    Library { label: PathBuf, source: LibraryError },
    /// A library could not be listed.
    #[error("{library}: {source}")]
    LibraryListing { library: String, source: LibraryError },
    /// The cause names the photo.
    #[error("{0}")]
    Preview(String),
    #[error("the photo library {0:?} is not available in this program")]
    NoSuchLibrary(String),
    #[error("{path}: cannot scan this folder: {source}")]
    Folder { path: PathBuf, source: std::io::Error },
    #[error("{path}: cannot use the data folder: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("no data folder: neither XDG_DATA_HOME nor HOME is set; pass --data-dir DIR")]
    NoDataDir,
    #[error("{path}: another motis is indexing this data folder; wait for it or stop it")]
    Busy { path: PathBuf },
    /// The data folder's disk filled up during a run, which stopped there.
    #[error(
        "{}: the disk is full. Free space on it and run motis index again: nothing indexed so far is lost",
        folder.display()
    )]
    DiskFull { folder: PathBuf },
    #[error(
        "{}: motis cannot write to its data folder (a read-only disk or folder); \
         make it writable, or use another data folder",
        folder.display()
    )]
    ReadOnly { folder: PathBuf },
    /// The data folder went away during a run: its disk was removed or unmounted.
    #[error(
        "{}: the data folder is gone (was its disk removed or unmounted?). Connect it again \
         and run motis index again: nothing indexed so far is lost",
        folder.display()
    )]
    DataFolderGone { folder: PathBuf },
    #[error("{0}: no such models folder")]
    ModelsDirMissing(PathBuf),
    #[error("no model {id:?} in {searched} (installed: {installed})")]
    UnknownModel {
        id: String,
        searched: String,
        installed: String,
    },
    #[error("{}: a model with id {id:?} is installed already: choose another id with --id", folder.display())]
    ModelInstalled { id: String, folder: PathBuf },
    #[error("no photo with id {0} in the catalog")]
    NoSuchPhoto(PhotoId),
    #[error("{0}: not in the catalog; index its folder first")]
    NotInCatalog(PathBuf),
    #[error("photo {id} ({}) has no embedding for model {model} yet", path.display())]
    NotEncoded { id: PhotoId, path: PathBuf, model: String },
    #[error(transparent)]
    Embed(#[from] motis_embed::EmbedError),
    #[error(transparent)]
    Media(#[from] motis_media::MediaError),
    #[error(transparent)]
    Index(#[from] motis_index::IndexError),
    #[error(
        "{path}: not an index strategy ({source}); write one of auto, flat, ivf, rp-forest, hnsw, or delete the file"
    )]
    IndexChoice {
        path: PathBuf,
        source: motis_index::IndexError,
    },
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("an indexing worker stopped unexpectedly: {0}")]
    Worker(String),
}

/// What a catalog error says: for a damaged file, that motis leaves it as it is and the way
/// out, for it holds a person's whole catalog; else SQLite's words.
fn sqlite_message(error: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    match error.sqlite_error_code() {
        Some(DatabaseCorrupt | NotADatabase) => format!(
            "the catalog is damaged ({error}); motis leaves it as it is. Move it aside and run \
             motis index to build a new one (your photos are not touched; each is read and \
             encoded again), or put back a copy from a backup"
        ),
        _ => format!("catalog database error: {error}"),
    }
}

/// The small, stable set of error kinds front ends act on: the CLI maps them to exit
/// codes, the app to what it shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// ONNX Runtime is missing or a model folder is missing, unknown or damaged.
    ModelOrRuntime,
    NoSuchPhoto,
    /// Another process is indexing the same data folder.
    Busy,
    /// The system refuses motis the photo library: only its settings change that.
    PermissionDenied,
    /// A query that cannot be understood; the message says what is wrong with it.
    BadQuery,
    /// The data folder's disk is full: indexing pauses until there is space.
    DiskFull,
    /// The data folder's disk went away: indexing pauses until it is back.
    DataFolderGone,
    Failed,
}

impl ErrorCode {
    pub fn of_embed(error: &motis_embed::EmbedError) -> ErrorCode {
        use motis_embed::EmbedError as E;
        match error {
            E::RuntimeMissing { .. }
            | E::RuntimeLoad { .. }
            | E::RuntimeStart { .. }
            | E::Read { .. }
            | E::Checksum { .. }
            | E::ManifestSyntax { .. }
            | E::Manifest { .. }
            | E::Session { .. }
            | E::ModelInterface { .. }
            | E::Tokenizer { .. }
            | E::Import { .. } => ErrorCode::ModelOrRuntime,
            E::Media(media) => ErrorCode::of_media(media),
            E::Tokenize { .. } | E::Inference { .. } | E::Write { .. } => ErrorCode::Failed,
        }
    }

    pub fn of_media(error: &motis_media::MediaError) -> ErrorCode {
        match error {
            motis_media::MediaError::Read { .. } => ErrorCode::NoSuchPhoto,
            _ => ErrorCode::Failed,
        }
    }
}

/// Why a write to the data folder failed, when the disk itself is the cause.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DiskProblem {
    Full,
    ReadOnly,
    Gone,
}

fn disk_problem_of_io(error: &std::io::Error) -> Option<DiskProblem> {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => Some(DiskProblem::Full),
        ErrorKind::ReadOnlyFilesystem => Some(DiskProblem::ReadOnly),
        _ => None,
    }
}

impl EngineError {
    /// Whether this error is the disk of the data folder `folder` being full, read-only or
    /// gone: then a run stops (no photo is failed for it) and says so. Gone is told by the
    /// folder itself, for what fails once its disk is removed says only "not found" or
    /// "I/O error".
    pub(crate) fn disk_problem(&self, folder: &std::path::Path) -> Option<DiskProblem> {
        self.disk_problem_said()
            .or_else(|| (!folder.is_dir()).then_some(DiskProblem::Gone))
    }

    fn disk_problem_said(&self) -> Option<DiskProblem> {
        use rusqlite::ErrorCode::{DiskFull, ReadOnly};
        match self {
            EngineError::Sqlite { source, .. } => match source.sqlite_error_code() {
                Some(DiskFull) => Some(DiskProblem::Full),
                Some(ReadOnly) => Some(DiskProblem::ReadOnly),
                // The WAL's shared memory file could not grow: a full disk says so this way.
                _ if matches!(source, rusqlite::Error::SqliteFailure(e, _)
                    if e.extended_code == rusqlite::ffi::SQLITE_IOERR_SHMSIZE) =>
                {
                    Some(DiskProblem::Full)
                }
                _ => None,
            },
            EngineError::DataDir { source, .. } => disk_problem_of_io(source),
            EngineError::Media(motis_media::MediaError::Write { source, .. }) => disk_problem_of_io(source),
            EngineError::Index(motis_index::IndexError::Write { source, .. }) => disk_problem_of_io(source),
            EngineError::DiskFull { .. } => Some(DiskProblem::Full),
            EngineError::ReadOnly { .. } => Some(DiskProblem::ReadOnly),
            EngineError::DataFolderGone { .. } => Some(DiskProblem::Gone),
            _ => None,
        }
    }

    /// This error, said plainly when the disk of the data folder `folder` is the cause.
    pub(crate) fn in_data_folder(self, folder: &std::path::Path) -> EngineError {
        match self.disk_problem(folder) {
            Some(DiskProblem::Full) => EngineError::DiskFull {
                folder: folder.to_owned(),
            },
            Some(DiskProblem::ReadOnly) => EngineError::ReadOnly {
                folder: folder.to_owned(),
            },
            Some(DiskProblem::Gone) => EngineError::DataFolderGone {
                folder: folder.to_owned(),
            },
            None => self,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            EngineError::ModelsDirMissing(_)
            | EngineError::UnknownModel { .. }
            | EngineError::ModelInstalled { .. } => ErrorCode::ModelOrRuntime,
            EngineError::Embed(error) => ErrorCode::of_embed(error),
            EngineError::Media(error) => ErrorCode::of_media(error),
            EngineError::NoSuchPhoto(_) | EngineError::NotInCatalog(_) => ErrorCode::NoSuchPhoto,
            EngineError::Busy { .. } => ErrorCode::Busy,
            EngineError::Query(_) => ErrorCode::BadQuery,
            EngineError::DiskFull { .. } => ErrorCode::DiskFull,
            EngineError::DataFolderGone { .. } => ErrorCode::DataFolderGone,
            EngineError::LibraryListing {
                source: LibraryError::Denied(_),
                ..
            } => ErrorCode::PermissionDenied,
            _ => ErrorCode::Failed,
        }
    }
}
