//! The vector index: photo embeddings keyed by catalog id, searched by cosine similarity,
//! with four strategies behind one type, [`VectorIndex`]:
//!
//! - [`Strategy::Flat`]: every vector compared with the query (f16, and i8 candidates
//!   rescored in f16 for large libraries);
//! - [`Strategy::Ivf`]: k-means clusters, the query compared with the vectors of the
//!   clusters nearest to it;
//! - [`Strategy::RpForest`]: random-projection trees, as in Annoy;
//! - [`Strategy::Hnsw`]: usearch's graph.
//!
//! It holds vectors and nothing else: which photo an id is, and which ids the saved file
//! holds, is the catalog's business. Vectors are stored at unit length; a score is the
//! cosine similarity. One writer owns an index; `save` is atomic, so a crash leaves either
//! the previous file or the new one, never a mix. A process that only searches opens the
//! file memory-mapped ([`VectorIndex::map`]).

mod file;
mod flat;
mod hnsw;
mod ivf;
mod kernels;
mod rows;
mod rp_forest;

use std::fs::File;
use std::path::{Path, PathBuf};

/// Below this many vectors an exhaustive search is as fast as any structure (about 1 ms
/// at 10,000 × 512 f16 on this project's 2-core machines) and always exact.
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
    #[error("unknown index strategy {0:?}: use flat, ivf, rp-forest or hnsw")]
    UnknownStrategy(String),
}

/// Which ids a search may answer with: a search with a filter finds the best of those it
/// allows (a photo taken in June, say), not the best of all then filtered.
pub type Filter<'a> = &'a (dyn Fn(u64) -> bool + Sync);

/// A search result: the catalog id and its cosine similarity to the query.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Hit {
    pub id: u64,
    pub score: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchMode {
    /// Exhaustive below [`EXACT_BELOW`] vectors, the strategy's structure above.
    Auto,
    /// Always exhaustive over the f16 vectors: exact, and slower on large indexes.
    Exact,
}

/// How an index finds the nearest vectors. The codes are what saved files record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Strategy {
    Flat = 1,
    Ivf = 2,
    RpForest = 3,
    Hnsw = 4,
}

impl Strategy {
    pub const ALL: [Strategy; 4] = [Strategy::Flat, Strategy::Ivf, Strategy::RpForest, Strategy::Hnsw];

    pub fn name(self) -> &'static str {
        match self {
            Strategy::Flat => "flat",
            Strategy::Ivf => "ivf",
            Strategy::RpForest => "rp-forest",
            Strategy::Hnsw => "hnsw",
        }
    }

    fn from_code(code: u32) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| *s as u32 == code)
    }

    /// The strategy for a library of `vectors` photos when the person has not chosen one,
    /// from what `motis bench index` measured (the README's table): `flat` is exact, builds
    /// at once and answers in under 10 ms up to a quarter of a million photos; above, `ivf`
    /// is the fastest that keeps recall@10 ≥ 0.95 for text queries (`hnsw`, faster still,
    /// falls to 0.70 for text at a million) and builds in about a minute.
    pub fn for_library(vectors: usize) -> Strategy {
        if vectors < IVF_FROM {
            Strategy::Flat
        } else {
            Strategy::Ivf
        }
    }
}

/// Where [`Strategy::for_library`] leaves `flat`.
pub const IVF_FROM: usize = 250_000;

impl std::fmt::Display for Strategy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Strategy {
    type Err = IndexError;
    fn from_str(name: &str) -> Result<Strategy, IndexError> {
        Strategy::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .ok_or_else(|| IndexError::UnknownStrategy(name.to_owned()))
    }
}

/// What each strategy does; [`VectorIndex`] checks dimensions and writability first.
trait Structure: Send + Sync {
    fn strategy(&self) -> Strategy;
    fn len(&self) -> usize;
    fn contains(&self, id: u64) -> bool;
    /// Add unit vectors, replacing those of ids already held.
    fn extend(&mut self, items: &[(u64, Vec<f32>)]) -> Result<(), IndexError>;
    fn remove(&mut self, id: u64) -> Result<bool, IndexError>;
    /// The `k` best by cosine similarity among the ids `filter` allows, best first;
    /// `exact` compares every vector.
    fn search(&self, query: &[f32], k: usize, exact: bool, filter: Option<Filter>) -> Result<Vec<Hit>, IndexError>;
    /// Write the whole index to `path`, a new file.
    fn save(&self, path: &Path) -> Result<(), IndexError>;
    /// What the index takes in memory when loaded.
    fn memory_bytes(&self) -> usize;
}

pub struct VectorIndex {
    inner: Box<dyn Structure>,
    dimensions: usize,
    mapped: bool,
}

impl VectorIndex {
    pub fn new(strategy: Strategy, dimensions: usize) -> Result<VectorIndex, IndexError> {
        let inner: Box<dyn Structure> = match strategy {
            Strategy::Flat => Box::new(flat::Flat::new(dimensions)),
            Strategy::Ivf => Box::new(ivf::Ivf::new(dimensions)),
            Strategy::RpForest => Box::new(rp_forest::RpForest::new(dimensions)),
            Strategy::Hnsw => Box::new(hnsw::Hnsw::new(dimensions)?),
        };
        Ok(VectorIndex {
            inner,
            dimensions,
            mapped: false,
        })
    }

    /// Load a saved index into memory, refusing one of another dimension.
    pub fn load(path: &Path, dimensions: usize) -> Result<VectorIndex, IndexError> {
        VectorIndex::open_saved(path, dimensions, false)
    }

    /// Open a saved index memory-mapped and read-only: a search reads only the pages it
    /// touches, and those stay the kernel's to reclaim (what a process that only searches
    /// wants). Inserting into it or removing from it is an error; [`VectorIndex::load`]
    /// for that.
    pub fn map(path: &Path, dimensions: usize) -> Result<VectorIndex, IndexError> {
        VectorIndex::open_saved(path, dimensions, true)
    }

    fn open_saved(path: &Path, dimensions: usize, mapped: bool) -> Result<VectorIndex, IndexError> {
        let inner: Box<dyn Structure> = if file::is_ours(path)? {
            let opened = file::Opened::open(path, mapped)?;
            if opened.dimensions != dimensions {
                return Err(opened.corrupt(format!(
                    "it holds {}-dimensional vectors, expected {dimensions}",
                    opened.dimensions
                )));
            }
            match opened.strategy {
                Strategy::Flat => Box::new(flat::Flat::open(opened, mapped)?),
                Strategy::Ivf => Box::new(ivf::Ivf::open(opened, mapped)?),
                Strategy::RpForest => Box::new(rp_forest::RpForest::open(opened, mapped)?),
                Strategy::Hnsw => return Err(opened.corrupt("an HNSW index is saved in usearch's format")),
            }
        } else {
            Box::new(hnsw::Hnsw::open(path, dimensions, mapped)?)
        };
        Ok(VectorIndex {
            inner,
            dimensions,
            mapped,
        })
    }

    pub fn strategy(&self) -> Strategy {
        self.inner.strategy()
    }

    /// Whether this index is a read-only view of its file ([`VectorIndex::map`]).
    pub fn is_mapped(&self) -> bool {
        self.mapped
    }

    pub fn dimensions(&self) -> usize {
        self.dimensions
    }

    pub fn len(&self) -> usize {
        self.inner.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, id: u64) -> bool {
        self.inner.contains(id)
    }

    /// Add or replace the vector of `id`.
    pub fn insert(&mut self, id: u64, vector: &[f32]) -> Result<(), IndexError> {
        self.extend(vec![(id, vector.to_vec())])
    }

    /// Add or replace many vectors at once: a strategy that builds a structure over its
    /// vectors (clusters, trees) builds it once for all of them.
    pub fn extend(&mut self, mut items: Vec<(u64, Vec<f32>)>) -> Result<(), IndexError> {
        self.check_writable()?;
        for (_, vector) in &mut items {
            self.check(vector)?;
            kernels::make_unit(vector);
        }
        self.inner.extend(&items)
    }

    /// Remove `id`; returns whether it was there.
    pub fn remove(&mut self, id: u64) -> Result<bool, IndexError> {
        self.check_writable()?;
        self.inner.remove(id)
    }

    /// The `k` most similar vectors, best first.
    pub fn search(&self, query: &[f32], k: usize, mode: SearchMode) -> Result<Vec<Hit>, IndexError> {
        self.search_where(query, k, mode, None)
    }

    /// The `k` most similar vectors among the ids `filter` allows (all of them with
    /// `None`), best first. A structure that finds fewer than `k` of them (its clusters,
    /// trees or graph near the query hold few the filter allows) is followed by an
    /// exhaustive search, so that a narrow filter misses nothing it allows.
    pub fn search_where(
        &self,
        query: &[f32],
        k: usize,
        mode: SearchMode,
        filter: Option<Filter>,
    ) -> Result<Vec<Hit>, IndexError> {
        self.check(query)?;
        if self.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        let exact = mode == SearchMode::Exact || self.len() < EXACT_BELOW;
        let mut query = query.to_vec();
        kernels::make_unit(&mut query);
        let hits = self.inner.search(&query, k, exact, filter)?;
        if hits.len() < k && !exact && filter.is_some() {
            return self.inner.search(&query, k, true, filter);
        }
        Ok(hits)
    }

    /// What the index takes in memory when loaded (the parts a mapped index reads from
    /// its file are not counted).
    pub fn memory_bytes(&self) -> usize {
        self.inner.memory_bytes()
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
        self.inner.save(&temporary)?;
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
