//! The vector index: photo embeddings keyed by catalog id, searched by cosine similarity
//! (usearch, HNSW, vectors stored as f16).
//!
//! It holds vectors and nothing else: which photo an id is, and which ids the saved file
//! holds, is the catalog's business. One writer owns an index; `save` is atomic, so a
//! crash leaves either the previous file or the new one, never a mix.

use std::fs::File;
use std::path::{Path, PathBuf};

use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

/// Below this many vectors an exhaustive search is as fast as the graph (about 1 ms at
/// 10,000 × 512 f16 on this project's 2-core machines) and always exact.
pub const EXACT_BELOW: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("vector index: cannot {operation}: {source}")]
    Usearch {
        operation: &'static str,
        source: cxx::Exception,
    },
    #[error("the vector index is memory-mapped read-only: load it to change it")]
    ReadOnly,
    #[error("vector has {got} dimensions, the index holds {expected}")]
    Dimensions { expected: usize, got: usize },
    #[error("{path}: cannot read the vector index: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a usable vector index ({reason}); it will be rebuilt from the catalog")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{path}: cannot save the vector index: {source}")]
    Write { path: PathBuf, source: std::io::Error },
}

/// A search result: the catalog id and its cosine similarity to the query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub id: u64,
    pub score: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchMode {
    /// Exhaustive below [`EXACT_BELOW`] vectors, the HNSW graph above.
    Auto,
    /// Always exhaustive: exact, and slower on large indexes.
    Exact,
}

pub struct VectorIndex {
    inner: Index,
    dimensions: usize,
    mapped: bool,
}

#[derive(Clone, Copy)]
enum Opening {
    Load,
    Map,
}

enum Saved<'a> {
    File(&'a str),
    Bytes(Vec<u8>),
}

fn usearch(operation: &'static str) -> impl FnOnce(cxx::Exception) -> IndexError {
    move |source| IndexError::Usearch { operation, source }
}

fn options(dimensions: usize) -> IndexOptions {
    IndexOptions {
        dimensions,
        metric: MetricKind::Cos,
        // usearch defaults to BF16; f16 keeps more mantissa for unit vectors.
        quantization: ScalarKind::F16,
        // A wider search than usearch's default: recall matters more than the last
        // fraction of a millisecond when a person waits for the answer.
        expansion_search: 128,
        ..IndexOptions::default()
    }
}

impl VectorIndex {
    pub fn new(dimensions: usize) -> Result<VectorIndex, IndexError> {
        let inner = Index::new(&options(dimensions)).map_err(usearch("create an index"))?;
        Ok(VectorIndex {
            inner,
            dimensions,
            mapped: false,
        })
    }

    /// Load a saved index into memory, refusing one of another dimension or metric.
    pub fn load(path: &Path, dimensions: usize) -> Result<VectorIndex, IndexError> {
        VectorIndex::open_saved(path, dimensions, Opening::Load)
    }

    /// Open a saved index memory-mapped and read-only: a search reads only the pages it
    /// touches, and those stay the kernel's to reclaim (what a process that only searches
    /// wants). Inserting into it or removing from it is an error; [`VectorIndex::load`]
    /// for that.
    pub fn map(path: &Path, dimensions: usize) -> Result<VectorIndex, IndexError> {
        VectorIndex::open_saved(path, dimensions, Opening::Map)
    }

    fn open_saved(path: &Path, dimensions: usize, opening: Opening) -> Result<VectorIndex, IndexError> {
        let corrupt = |reason: String| IndexError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        let read_error = |source| IndexError::Read {
            path: path.to_owned(),
            source,
        };
        // usearch reads the file itself, without a copy in memory beside it; a path it
        // cannot be given (not UTF-8) is read here and handed over as bytes.
        let saved = match path.to_str() {
            Some(native) => {
                std::fs::metadata(path).map_err(read_error)?;
                Saved::File(native)
            }
            None => Saved::Bytes(std::fs::read(path).map_err(read_error)?),
        };
        let meta = match &saved {
            Saved::File(native) => Index::metadata(native),
            Saved::Bytes(bytes) => Index::metadata_from_buffer(bytes),
        }
        .map_err(|e| corrupt(e.to_string()))?;
        if meta.dimensions != dimensions as u64 || meta.metric != MetricKind::Cos {
            return Err(corrupt(format!(
                "it holds {}-dimensional {:?} vectors, expected {dimensions}-dimensional cosine",
                meta.dimensions, meta.metric
            )));
        }
        let mut index = VectorIndex::new(dimensions)?;
        let opened = match (&saved, opening) {
            (Saved::File(native), Opening::Map) => {
                index.mapped = true;
                index.inner.view(native)
            }
            (Saved::File(native), Opening::Load) => index.inner.load(native),
            // A view of bytes would outlive them: they are loaded.
            (Saved::Bytes(bytes), _) => index.inner.load_from_buffer(bytes),
        };
        opened.map_err(|e| corrupt(e.to_string()))?;
        Ok(index)
    }

    /// Whether this index is a read-only view of its file ([`VectorIndex::map`]).
    pub fn is_mapped(&self) -> bool {
        self.mapped
    }

    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    pub fn len(&self) -> usize {
        self.inner.size()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, id: u64) -> bool {
        self.inner.contains(id)
    }

    /// Add or replace the vector of `id`.
    pub fn insert(&self, id: u64, vector: &[f32]) -> Result<(), IndexError> {
        self.check(vector)?;
        self.check_writable()?;
        if self.inner.contains(id) {
            self.inner.remove(id).map_err(usearch("remove a vector"))?;
        }
        if self.inner.size() + 1 > self.inner.capacity() {
            let grown = (self.inner.capacity() * 2).max(1024);
            self.inner.reserve(grown).map_err(usearch("grow the index"))?;
        }
        self.inner.add(id, vector).map_err(usearch("add a vector"))
    }

    /// Make room for `capacity` vectors, so that inserts from several threads at once
    /// never have to grow the index (growing is not safe while others insert).
    pub fn reserve(&self, capacity: usize) -> Result<(), IndexError> {
        if capacity > self.inner.capacity() {
            self.inner.reserve(capacity).map_err(usearch("grow the index"))?;
        }
        Ok(())
    }

    /// Remove `id`; returns whether it was there.
    pub fn remove(&self, id: u64) -> Result<bool, IndexError> {
        self.check_writable()?;
        Ok(self.inner.remove(id).map_err(usearch("remove a vector"))? > 0)
    }

    /// The `k` most similar vectors, best first.
    pub fn search(&self, query: &[f32], k: usize, mode: SearchMode) -> Result<Vec<Hit>, IndexError> {
        self.check(query)?;
        if self.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        let exact = mode == SearchMode::Exact || self.len() < EXACT_BELOW;
        let matches = if exact {
            self.inner.exact_search(query, k).map_err(usearch("search"))?
        } else {
            self.inner.search(query, k).map_err(usearch("search"))?
        };
        Ok(matches
            .keys
            .iter()
            .zip(&matches.distances)
            .map(|(&id, &distance)| Hit {
                id,
                score: 1.0 - distance,
            })
            .collect())
    }

    /// Write the index to `path` atomically: a temporary file beside it is written and
    /// synced, then renamed over `path`, and the folder synced, so that a crash at any
    /// moment leaves the old file or the new one.
    pub fn save(&self, path: &Path) -> Result<(), IndexError> {
        let write_error = |source| IndexError::Write {
            path: path.to_owned(),
            source,
        };
        let temporary = path.with_extension("tmp");
        // usearch writes the file itself, without the whole index serialised in memory
        // first; a path it cannot be given (not UTF-8) gets the bytes from here.
        match temporary.to_str() {
            Some(native) => self
                .inner
                .save(native)
                .map_err(|e| write_error(std::io::Error::other(e.to_string())))?,
            None => {
                let mut bytes = vec![0u8; self.inner.serialized_length()];
                self.inner
                    .save_to_buffer(&mut bytes)
                    .map_err(usearch("serialise the index"))?;
                std::fs::write(&temporary, &bytes).map_err(write_error)?;
            }
        }
        File::open(&temporary).and_then(|f| f.sync_all()).map_err(write_error)?;
        std::fs::rename(&temporary, path).map_err(write_error)?;
        if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            File::open(folder).and_then(|f| f.sync_all()).map_err(write_error)?;
        }
        Ok(())
    }

    fn check_writable(&self) -> Result<(), IndexError> {
        if self.mapped { Err(IndexError::ReadOnly) } else { Ok(()) }
    }

    fn check(&self, vector: &[f32]) -> Result<(), IndexError> {
        if vector.len() == self.dimensions {
            Ok(())
        } else {
            Err(IndexError::Dimensions {
                expected: self.dimensions,
                got: vector.len(),
            })
        }
    }
}
