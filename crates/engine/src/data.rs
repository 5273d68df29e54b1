//! Where the engine keeps its state: one data folder holding the catalog, the previews,
//! the renditions made for the screen, and one vector index file per model.

use std::fs::File;
use std::path::{Path, PathBuf};

use crate::{EngineError, IndexChoice, PhotoId};

/// The long sides renditions are made at: a request is served from the smallest that
/// covers it, so that the cache holds a few sizes of a photo, not one per window size.
pub const RENDITION_SIDES: [u32; 5] = [480, 720, 1080, 1440, 2160];

#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// The operating system's place for application data: `$XDG_DATA_HOME/motis`, else
    /// `~/.local/share/motis`.
    pub fn default_location() -> Result<PathBuf, EngineError> {
        let xdg = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute());
        xdg.or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local").join("share")))
            .map(|base| base.join("motis"))
            .ok_or(EngineError::NoDataDir)
    }

    /// Use (and create if needed) the data folder at `root`.
    pub fn create(root: &Path) -> Result<DataDir, EngineError> {
        for folder in [root.to_owned(), root.join("previews"), root.join("indexes")] {
            std::fs::create_dir_all(&folder).map_err(|source| EngineError::DataDir {
                path: folder.clone(),
                source,
            })?;
        }
        Ok(DataDir { root: root.to_owned() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn catalog_path(&self) -> PathBuf {
        self.root.join("catalog.sqlite")
    }

    /// Which model files were hashed, and what they looked like then.
    pub fn verified_files_path(&self) -> PathBuf {
        self.root.join("verified-models.json")
    }

    /// ONNX Runtime's optimised copies of the towers this data folder's engine ran.
    pub fn optimized_models_path(&self) -> PathBuf {
        self.root.join("optimized-models")
    }

    /// Held by the one process that writes the catalog and the indexes.
    pub fn lock_path(&self) -> PathBuf {
        self.root.join("indexing.lock")
    }

    /// Previews are spread over subfolders of a thousand, so that no folder grows huge.
    pub fn preview_path(&self, id: PhotoId) -> PathBuf {
        self.root
            .join("previews")
            .join((id / 1000).to_string())
            .join(format!("{id}.jpg"))
    }

    /// Make the folders from the data folder down to the one `path` goes in, never the data
    /// folder itself: when it has gone (its disk removed), it would be made again on
    /// another disk, hidden once the first comes back.
    pub(crate) fn make_folders_for(&self, path: &Path) -> Result<(), EngineError> {
        let parent = path.parent().unwrap_or(&self.root);
        if parent.is_dir() {
            return Ok(());
        }
        let below = parent.strip_prefix(&self.root).unwrap_or(Path::new(""));
        let mut folder = self.root.clone();
        for part in below.components() {
            folder.push(part);
            match std::fs::create_dir(&folder) {
                Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => {
                    return Err(EngineError::DataDir {
                        path: folder,
                        source: error,
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// A rendition of a photo for the screen, `long_side` pixels on its long side.
    pub fn rendition_path(&self, id: PhotoId, long_side: u32) -> PathBuf {
        self.root
            .join("renditions")
            .join(long_side.to_string())
            .join((id / 1000).to_string())
            .join(format!("{id}.jpg"))
    }

    /// Delete what was made from photos that changed or left: previews and renditions.
    /// A stale file only costs disk space, but its id may be reused.
    pub(crate) fn forget_made_files(&self, ids: &[PhotoId]) {
        for &id in ids {
            let _ = std::fs::remove_file(self.preview_path(id));
            for side in RENDITION_SIDES {
                let _ = std::fs::remove_file(self.rendition_path(id, side));
            }
        }
    }

    /// The vector index of a model, named by its key (id and weights).
    pub fn index_path(&self, model_key: &str) -> PathBuf {
        self.root.join("indexes").join(format!("{model_key}.index"))
    }

    /// Give an index saved before there were strategies (usearch's HNSW, named
    /// `KEY.usearch`) its current name; the writer does this holding the lock.
    pub(crate) fn adopt_legacy_index(&self, model_key: &str) -> Result<(), EngineError> {
        let legacy = self.root.join("indexes").join(format!("{model_key}.usearch"));
        let current = self.index_path(model_key);
        if legacy.exists() && !current.exists() {
            std::fs::rename(&legacy, &current).map_err(|source| EngineError::DataDir { path: legacy, source })?;
        }
        Ok(())
    }

    /// The index strategy this data folder asks for (see [`IndexChoice`]): one word in
    /// a file, `auto` when there is none.
    pub fn index_choice(&self) -> Result<IndexChoice, EngineError> {
        let path = self.index_choice_path();
        match std::fs::read_to_string(&path) {
            Ok(text) => text
                .trim()
                .parse()
                .map_err(|source| EngineError::IndexChoice { path, source }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(IndexChoice::Auto),
            Err(source) => Err(EngineError::Read { path, source }),
        }
    }

    /// Record the index strategy (a new file renamed into place: never half written).
    pub fn set_index_choice(&self, choice: IndexChoice) -> Result<(), EngineError> {
        let path = self.index_choice_path();
        let temporary = path.with_extension("tmp");
        std::fs::write(&temporary, format!("{choice}\n"))
            .and_then(|()| std::fs::rename(&temporary, &path))
            .map_err(|source| EngineError::DataDir { path, source })
    }

    fn index_choice_path(&self) -> PathBuf {
        self.root.join("indexes").join("strategy")
    }

    /// `error`, said plainly when the cause is this folder's disk: full, read-only, or a
    /// folder motis may not write (SQLite says only "unable to open" for the last two).
    pub(crate) fn explain(&self, error: EngineError) -> EngineError {
        if error.disk_problem(&self.root).is_some() {
            return error.in_data_folder(&self.root);
        }
        let probe = self.root.join(".motis-write-test");
        match File::create(&probe) {
            Ok(_) => {
                let _ = std::fs::remove_file(&probe);
                error
            }
            Err(cause)
                if matches!(
                    cause.kind(),
                    std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied
                ) =>
            {
                EngineError::ReadOnly {
                    folder: self.root.clone(),
                }
            }
            Err(cause) if cause.kind() == std::io::ErrorKind::StorageFull => EngineError::DiskFull {
                folder: self.root.clone(),
            },
            Err(_) => error,
        }
    }

    /// Only one process may write a data folder's catalog and indexes at a time; the
    /// lock is released when the returned file closes, also when the process is killed.
    pub(crate) fn lock_for_writing(&self) -> Result<File, EngineError> {
        let path = self.lock_path();
        let file = File::create(&path).map_err(|source| EngineError::DataDir {
            path: path.clone(),
            source,
        })?;
        match file.try_lock() {
            Ok(()) => Ok(file),
            Err(std::fs::TryLockError::WouldBlock) => Err(EngineError::Busy { path }),
            Err(std::fs::TryLockError::Error(source)) => Err(EngineError::DataDir { path, source }),
        }
    }
}
