//! `hnsw`: usearch's graph over f16 vectors, in usearch's own file format.

use std::path::Path;

use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

use crate::kernels::parallel_parts;
use crate::{Filter, Hit, IndexError, Strategy, Structure};

const PARALLEL_ADDS_FROM: usize = 64;

/// Removed vectors stay in the graph as tombstones that searches walk through; past this
/// share of the index the graph is compacted (their links pruned).
const COMPACT_AT_REMOVED_SHARE: f64 = 0.2;

pub(crate) struct Hnsw {
    inner: Index,
    /// Removed since this process loaded or last compacted the graph.
    removed: usize,
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
        // Twice usearch's default links and a search eight times as wide: text queries come
        // from another distribution than the photos, and a narrower graph or search leads
        // them astray (`motis bench index --vectors 1000000`, text recall@10: 16 links and
        // 128 wide 0.75, 32 and 512 wide 0.95, at 2.4 ms).
        connectivity: 32,
        expansion_search: 512,
        ..IndexOptions::default()
    }
}

enum Saved<'a> {
    File(&'a str),
    Bytes(Vec<u8>),
}

impl Hnsw {
    pub fn new(dimensions: usize) -> Result<Hnsw, IndexError> {
        Ok(Hnsw {
            inner: Index::new(&options(dimensions)).map_err(usearch("create an index"))?,
            removed: 0,
        })
    }

    pub fn open(path: &Path, dimensions: usize, mapped: bool) -> Result<Hnsw, IndexError> {
        let corrupt = |reason: String| IndexError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        // usearch reads the file itself, without a copy in memory beside it; a path it
        // cannot be given (not UTF-8) is read here and handed over as bytes.
        let saved = match path.to_str() {
            Some(native) => Saved::File(native),
            None => Saved::Bytes(std::fs::read(path).map_err(|source| IndexError::Read {
                path: path.to_owned(),
                source,
            })?),
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
        let index = Hnsw::new(dimensions)?;
        let opened = match (&saved, mapped) {
            (Saved::File(native), true) => index.inner.view(native),
            (Saved::File(native), false) => index.inner.load(native),
            // A view of bytes would outlive them: they are loaded.
            (Saved::Bytes(bytes), _) => index.inner.load_from_buffer(bytes),
        };
        opened.map_err(|e| corrupt(e.to_string()))?;
        Ok(index)
    }
}

impl Structure for Hnsw {
    fn strategy(&self) -> Strategy {
        Strategy::Hnsw
    }

    fn len(&self) -> usize {
        self.inner.size()
    }

    fn contains(&self, id: u64) -> bool {
        self.inner.contains(id)
    }

    fn extend(&mut self, items: &[(u64, Vec<f32>)]) -> Result<(), IndexError> {
        for (id, _) in items {
            if self.inner.contains(*id) {
                self.inner.remove(*id).map_err(usearch("remove a vector"))?;
            }
        }
        let needed = self.inner.size() + items.len();
        if needed > self.inner.capacity() {
            let grown = needed.max(self.inner.capacity() * 2).max(1024);
            self.inner.reserve(grown).map_err(usearch("grow the index"))?;
        }
        let inner = &self.inner;
        let add = |part: &[(u64, Vec<f32>)]| {
            part.iter()
                .try_for_each(|(id, vector)| inner.add(*id, vector).map_err(usearch("add a vector")))
        };
        // usearch adds from several threads at once, once there is room for all.
        if items.len() < PARALLEL_ADDS_FROM {
            return add(items);
        }
        parallel_parts(items.len(), |range| add(&items[range]))
            .into_iter()
            .collect()
    }

    fn remove(&mut self, id: u64) -> Result<bool, IndexError> {
        let removed = self.inner.remove(id).map_err(usearch("remove a vector"))? > 0;
        self.removed += usize::from(removed);
        if self.removed as f64 > COMPACT_AT_REMOVED_SHARE * self.inner.size() as f64 {
            self.inner.compact().map_err(usearch("compact the graph"))?;
            self.removed = 0;
        }
        Ok(removed)
    }

    fn search(&self, query: &[f32], k: usize, exact: bool, filter: Option<Filter>) -> Result<Vec<Hit>, IndexError> {
        let matches = match (exact, filter) {
            (false, None) => self.inner.search(query, k),
            (false, Some(allowed)) => self.inner.filtered_search(query, k, allowed),
            (true, None) => self.inner.exact_search(query, k),
            // usearch's exhaustive search takes no filter: rank everything, then keep
            // what the filter allows.
            (true, Some(_)) => self.inner.exact_search(query, self.inner.size()),
        }
        .map_err(usearch("search"))?;
        let mut hits: Vec<Hit> = matches
            .keys
            .iter()
            .zip(&matches.distances)
            .filter(|(id, _)| filter.is_none_or(|allowed| allowed(**id)))
            .map(|(&id, &distance)| Hit {
                id,
                score: 1.0 - distance,
            })
            .collect();
        hits.truncate(k);
        Ok(hits)
    }

    fn save(&self, path: &Path) -> Result<(), IndexError> {
        let write_error = |source| IndexError::Write {
            path: path.to_owned(),
            source,
        };
        // usearch writes the file itself, without the whole index serialised in memory
        // first; a path it cannot be given (not UTF-8) gets the bytes from here.
        match path.to_str() {
            Some(native) => self
                .inner
                .save(native)
                .map_err(|e| write_error(std::io::Error::other(e.to_string()))),
            None => {
                let mut bytes = vec![0u8; self.inner.serialized_length()];
                self.inner
                    .save_to_buffer(&mut bytes)
                    .map_err(usearch("serialise the index"))?;
                std::fs::write(path, &bytes).map_err(write_error)
            }
        }
    }

    fn memory_bytes(&self) -> usize {
        self.inner.memory_usage()
    }
}
