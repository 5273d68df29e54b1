//! [`Engine`]: one data folder and one model, shared by every front end.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};

use motis_embed::{Model, Runtime, TextEncoder};

use crate::live_index::LiveIndex;
use crate::pipeline::{self, IndexOptions};
use crate::{
    CancellationToken, Catalog, CatalogCounts, DataDir, EngineError, Failure, IndexEvent, IndexSummary, PhotoId,
    PhotoRecord, SearchMode, model_key, open_model,
};

#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    pub models_dir: PathBuf,
    pub model: String,
    /// Threads each ONNX Runtime session may use.
    pub threads: usize,
}

/// What a person typed, as the engine understands it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Query {
    /// No query: show the whole gallery. An empty box, or `reset` alone in any case.
    Gallery,
    Text(String),
}

impl Query {
    pub fn parse(text: &str) -> Query {
        let trimmed = text.trim();
        if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("reset") {
            Query::Gallery
        } else {
            Query::Text(text.to_owned())
        }
    }
}

/// A photo found by a search, with its cosine similarity to the query.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub id: PhotoId,
    pub path: PathBuf,
    pub score: f32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SearchResults {
    /// The query asked for the whole gallery (see [`Engine::gallery`]).
    Gallery,
    /// The best matches among the `searched` photos encoded so far, of `total` photos.
    Matches {
        found: Vec<Found>,
        searched: usize,
        total: usize,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub data_dir: PathBuf,
    pub model_key: String,
    pub counts: CatalogCounts,
    /// Photos a search with this model covers.
    pub searchable: usize,
    pub index_path: PathBuf,
    /// Size of the saved index file; 0 before the first save.
    pub index_bytes: u64,
}

pub struct Engine {
    pub(crate) data: DataDir,
    pub(crate) model: Model,
    pub(crate) key: String,
    pub(crate) threads: usize,
    catalog: Mutex<Catalog>,
    pub(crate) index: RwLock<LiveIndex>,
    text: Mutex<Option<TextEncoder>>,
    ready: OnceLock<Runtime>,
}

/// A poisoned lock means a thread panicked mid-search; the data behind it (a read
/// connection, an encoder) is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Engine {
    /// Open the data folder (creating it if needed), the catalog and the saved index of
    /// the model. The model's weights are not loaded yet: see [`Engine::prepare_model`].
    pub fn open(config: &EngineConfig) -> Result<Engine, EngineError> {
        let data = DataDir::create(&config.data_dir)?;
        let model = open_model(&config.models_dir, &config.model)?;
        let key = model_key(&model);
        let catalog = Catalog::open(&data.catalog_path())?;
        let index = LiveIndex::open(&data.index_path(&key), model.manifest.embedding_dim, &catalog, &key)?;
        Ok(Engine {
            data,
            model,
            key,
            threads: config.threads.max(1),
            catalog: Mutex::new(catalog),
            index: RwLock::new(index),
            text: Mutex::new(None),
            ready: OnceLock::new(),
        })
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The model id and the start of its weights' sha256: what embeddings are stored under.
    pub fn model_key(&self) -> &str {
        &self.key
    }

    pub fn data_dir(&self) -> &Path {
        self.data.root()
    }

    /// Load ONNX Runtime and check the model's files against their sha256 (once per
    /// process). Front ends may call this early, in the background; searching and
    /// indexing call it themselves.
    pub fn prepare_model(&self) -> Result<Runtime, EngineError> {
        if let Some(runtime) = self.ready.get() {
            return Ok(runtime.clone());
        }
        let runtime = Runtime::load()?;
        self.model.verify()?;
        Ok(self.ready.get_or_init(|| runtime).clone())
    }

    /// Search the encoded photos for a text, or recognise a request for the gallery.
    pub fn search(&self, text: &str, k: usize, mode: SearchMode) -> Result<SearchResults, EngineError> {
        let Query::Text(text) = Query::parse(text) else {
            return Ok(SearchResults::Gallery);
        };
        let query = self.encode_texts(&[&text])?.remove(0);
        self.nearest(&query, k, mode, None)
    }

    /// Unit-length text embeddings, in the order given, with the model's text tower
    /// (loaded on first use and kept).
    pub fn encode_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EngineError> {
        let mut encoder = lock(&self.text);
        if encoder.is_none() {
            let runtime = self.prepare_model()?;
            *encoder = Some(TextEncoder::new(&runtime, &self.model, self.threads)?);
        }
        Ok(encoder.as_mut().expect("set above").encode(texts)?)
    }

    /// The stored embedding of photo `id` under this model.
    pub fn embedding(&self, id: PhotoId) -> Result<Vec<f32>, EngineError> {
        if let Some(vector) = lock(&self.catalog).embedding(id, &self.key)? {
            return Ok(vector);
        }
        // Only the error needs the photo: no such photo, or one not encoded yet.
        Err(EngineError::NotEncoded {
            id,
            path: self.photo(id)?.path,
            model: self.key.clone(),
        })
    }

    /// Photos most like photo `id` (itself left out).
    pub fn similar(&self, id: PhotoId, k: usize, mode: SearchMode) -> Result<SearchResults, EngineError> {
        let vector = self.embedding(id)?;
        self.nearest(&vector, k, mode, Some(id))
    }

    fn nearest(
        &self,
        query: &[f32],
        k: usize,
        mode: SearchMode,
        leave_out: Option<PhotoId>,
    ) -> Result<SearchResults, EngineError> {
        let (hits, searched) = {
            let index = self.index.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            (
                index.search(query, k + usize::from(leave_out.is_some()), mode)?,
                index.searchable(),
            )
        };
        let catalog = lock(&self.catalog);
        let mut found = Vec::with_capacity(hits.len());
        for hit in hits {
            let id = hit.id as PhotoId;
            if Some(id) == leave_out {
                continue;
            }
            // An id the catalog no longer has (removed by a run in another process
            // since this index was loaded) is not an answer.
            if let Some(path) = catalog.photo_path(id)? {
                found.push(Found {
                    id,
                    path,
                    score: hit.score,
                });
            }
        }
        found.truncate(k);
        Ok(SearchResults::Matches {
            found,
            searched,
            total: catalog.photo_count()?,
        })
    }

    /// A page of the gallery, newest first.
    pub fn gallery(&self, offset: usize, limit: usize) -> Result<Vec<PhotoRecord>, EngineError> {
        lock(&self.catalog).gallery(offset, limit)
    }

    /// How many photos the catalog holds (all of them, encoded or not).
    pub fn photo_count(&self) -> Result<usize, EngineError> {
        lock(&self.catalog).photo_count()
    }

    pub fn photo(&self, id: PhotoId) -> Result<PhotoRecord, EngineError> {
        lock(&self.catalog).photo(id)?.ok_or(EngineError::NoSuchPhoto(id))
    }

    /// The catalog id of the photo file at `path` (any path that leads to it).
    pub fn photo_id_by_path(&self, path: &Path) -> Result<PhotoId, EngineError> {
        // Scans keep a linked photo under its link's name in its (canonical) folder; a
        // photo may also be named through a link to it; and one deleted since the last
        // scan cannot be canonicalised but may still be in the catalog.
        let in_canonical_folder = path
            .parent()
            .zip(path.file_name())
            .and_then(|(folder, name)| Some(std::fs::canonicalize(folder).ok()?.join(name)));
        let candidates = [
            in_canonical_folder,
            std::fs::canonicalize(path).ok(),
            std::path::absolute(path).ok(),
        ];
        let catalog = lock(&self.catalog);
        for candidate in candidates.iter().flatten() {
            if let Some(id) = catalog.photo_id(candidate)? {
                return Ok(id);
            }
        }
        Err(EngineError::NotInCatalog(path.to_owned()))
    }

    /// The preview file of photo `id`, if it has been made.
    pub fn preview_path(&self, id: PhotoId) -> Result<Option<PathBuf>, EngineError> {
        let photo = self.photo(id)?;
        Ok((photo.preview == crate::PreviewState::Done).then(|| self.data.preview_path(id)))
    }

    pub fn failures(&self) -> Result<Vec<Failure>, EngineError> {
        lock(&self.catalog).failures()
    }

    pub fn folders(&self) -> Result<Vec<PathBuf>, EngineError> {
        lock(&self.catalog).folders()
    }

    /// Stop indexing a folder: its photos leave the catalog, the index and the previews.
    /// Refused (`Busy`) while an indexing run holds the data folder.
    pub fn remove_folder(&self, folder: &Path) -> Result<usize, EngineError> {
        let _lock = self.data.lock_for_writing()?;
        let mut writer = Catalog::open(&self.data.catalog_path())?;
        let removed = writer.remove_folder(folder)?;
        for &id in &removed {
            // A stale preview only costs disk space.
            let _ = std::fs::remove_file(self.data.preview_path(id));
        }
        let mut index = self.index.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        index.fold(&writer)?;
        index.save(&mut writer)?;
        Ok(removed.len())
    }

    pub fn status(&self) -> Result<Status, EngineError> {
        let counts = lock(&self.catalog).counts()?;
        let searchable = self
            .index
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .searchable();
        let index_path = self.data.index_path(&self.key);
        let index_bytes = std::fs::metadata(&index_path).map(|m| m.len()).unwrap_or(0);
        Ok(Status {
            data_dir: self.data.root().to_owned(),
            model_key: self.key.clone(),
            counts,
            searchable,
            index_path,
            index_bytes,
        })
    }

    /// Index `folders` (all folders indexed before when empty): scan them, make every
    /// missing preview, then encode what is not encoded yet, reporting through `events`.
    /// Searches keep working meanwhile, on what is encoded so far. Cancelling stops the
    /// run after the photos in flight, with everything done so far saved.
    pub async fn index(
        self: &Arc<Self>,
        folders: Vec<PathBuf>,
        options: IndexOptions,
        cancel: CancellationToken,
        events: impl Fn(IndexEvent) + Send + Sync + 'static,
    ) -> Result<IndexSummary, EngineError> {
        pipeline::run(Arc::clone(self), folders, options, cancel, Arc::new(events)).await
    }
}
