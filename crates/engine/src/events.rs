//! What an indexing run tells its caller while it works: one typed event stream, the
//! same for the CLI's progress bars and the app's progress channel.

use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};

use crate::PhotoId;

/// The stages of a run, in order: find the photos (the gallery is complete once this
/// ends), make every preview (the screen's first), then encode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Scanning,
    Previews,
    Encoding,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IndexEvent {
    /// `sources`: each folder's path and each library's name.
    Started {
        model: String,
        #[serde(serialize_with = "lossy_paths")]
        sources: Vec<PathBuf>,
    },
    /// `done` of `total` items of a phase; sent at the start and end of each phase and
    /// at most every `IndexOptions::progress_interval` between.
    Progress {
        phase: Phase,
        done: usize,
        total: usize,
        failed: usize,
    },
    /// One photo (or one part of a folder, or a whole source) that could not be read,
    /// previewed or encoded; `path` is its label (see [`crate::Origin::label`]). The run
    /// goes on.
    ItemFailed {
        id: Option<PhotoId>,
        #[serde(serialize_with = "lossy_path")]
        path: PathBuf,
        cause: String,
    },
    /// The run waits: its condition ([`crate::RunCondition`]) says it may not go on now,
    /// and why ("the phone is hot"). Sent once per wait.
    Paused {
        reason: String,
    },
    /// The condition holds again: the run goes on.
    Resumed,
    Finished(IndexSummary),
    Cancelled(IndexSummary),
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IndexSummary {
    pub photos: usize,
    pub added: usize,
    pub changed: usize,
    pub moved: usize,
    pub removed: usize,
    pub previews: usize,
    pub encoded: usize,
    pub failed: usize,
    /// Photos with an embedding for the model once the run ended.
    pub searchable: usize,
}

/// Paths go to front ends as text for display; a name that is not UTF-8 gets
/// replacement characters there (front ends name photos by id, never by path).
fn lossy_path<S: Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

fn lossy_paths<S: Serializer>(paths: &[PathBuf], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(paths.iter().map(|p| p.to_string_lossy()))
}
