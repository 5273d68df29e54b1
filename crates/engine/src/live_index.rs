//! The searchable vector index of one model, kept consistent with the catalog.
//!
//! The saved file may lag the catalog (embeddings stored since the last save) and may
//! hold ids the catalog has since dropped (tombstones). A process that only reads
//! searches the file's graph plus, exhaustively, the embeddings the file lacks, and
//! hides the tombstones. The one process that writes folds both into the graph, saves
//! the file atomically and then records in the catalog what the file holds, so that a
//! crash at any moment leaves a pair the next start reads correctly.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use motis_index::{Hit, IndexError, SearchMode, VectorIndex};

use crate::{Catalog, EngineError, PhotoId};

pub(crate) struct LiveIndex {
    path: PathBuf,
    model_key: String,
    graph: VectorIndex,
    /// Embeddings the catalog has and the graph lacks.
    recent: HashMap<PhotoId, Vec<f32>>,
    /// Ids the graph holds but must not answer with.
    hidden: HashSet<PhotoId>,
    /// Changes to the graph since the file was saved.
    unsaved_inserted: Vec<PhotoId>,
    unsaved_removed: Vec<PhotoId>,
}

impl LiveIndex {
    /// Open the saved index of `model_key` and what the catalog holds beyond it. The
    /// graph is memory-mapped, read-only: a process that only searches reads only the
    /// pages its searches touch ([`LiveIndex::fold`] loads it to change it). A missing or
    /// unreadable file is rebuilt from the catalog's embeddings.
    pub fn open(path: &Path, dimensions: usize, catalog: &Catalog, model_key: &str) -> Result<LiveIndex, EngineError> {
        LiveIndex::open_with(path, dimensions, catalog, model_key, VectorIndex::map)
    }

    fn open_with(
        path: &Path,
        dimensions: usize,
        catalog: &Catalog,
        model_key: &str,
        open_graph: fn(&Path, usize) -> Result<VectorIndex, IndexError>,
    ) -> Result<LiveIndex, EngineError> {
        let loaded = match open_graph(path, dimensions) {
            Ok(graph) => Some(graph),
            Err(IndexError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => None,
            Err(IndexError::Corrupt { .. }) => None,
            Err(other) => return Err(other.into()),
        };
        let (graph, recent) = match loaded {
            Some(graph) => (graph, catalog.embeddings_not_in_index(model_key)?),
            None => (VectorIndex::new(dimensions)?, catalog.embeddings(model_key)?),
        };
        Ok(LiveIndex {
            path: path.to_owned(),
            model_key: model_key.to_owned(),
            graph,
            recent: recent.into_iter().collect(),
            hidden: catalog.index_tombstones(model_key)?.into_iter().collect(),
            unsaved_inserted: Vec::new(),
            unsaved_removed: Vec::new(),
        })
    }

    /// How many photos a search covers.
    pub fn searchable(&self) -> usize {
        let hidden_in_graph = self.hidden.iter().filter(|&&id| self.graph.contains(id as u64)).count();
        let recent_outside = self
            .recent
            .keys()
            .filter(|&&id| !self.graph.contains(id as u64) || self.hidden.contains(&id))
            .count();
        self.graph.len() - hidden_in_graph + recent_outside
    }

    /// The `k` nearest photos to a unit-length query, best first.
    pub fn search(&self, query: &[f32], k: usize, mode: SearchMode) -> Result<Vec<Hit>, EngineError> {
        // Ask the graph for enough extra hits to make up for the ones hidden or
        // superseded by a recent embedding.
        let extra = self.hidden.len() + self.recent.len();
        let mut hits: Vec<Hit> = self
            .graph
            .search(query, k.saturating_add(extra), mode)?
            .into_iter()
            .filter(|hit| {
                let id = hit.id as PhotoId;
                !self.hidden.contains(&id) && !self.recent.contains_key(&id)
            })
            .collect();
        hits.extend(self.recent.iter().map(|(&id, vector)| Hit {
            id: id as u64,
            score: vector.iter().zip(query).map(|(a, b)| a * b).sum(),
        }));
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(k);
        Ok(hits)
    }

    /// Take the catalog's latest state into the graph: drop tombstoned ids and add the
    /// embeddings the graph lacks. Only the writing process does this, holding the data
    /// folder's lock: it starts again from the saved file as it is now, loaded to be
    /// changed, since another process may have saved it after this one opened it.
    pub fn fold(&mut self, catalog: &Catalog) -> Result<(), EngineError> {
        *self = LiveIndex::open_with(
            &self.path,
            self.graph.dimensions(),
            catalog,
            &self.model_key,
            VectorIndex::load,
        )?;
        for id in std::mem::take(&mut self.hidden) {
            self.graph.remove(id as u64)?;
            self.unsaved_removed.push(id);
        }
        for (id, vector) in std::mem::take(&mut self.recent) {
            self.insert(id, &vector)?;
        }
        Ok(())
    }

    /// Add a freshly stored embedding (writer only).
    pub fn insert(&mut self, id: PhotoId, vector: &[f32]) -> Result<(), EngineError> {
        self.graph.insert(id as u64, vector)?;
        self.unsaved_inserted.push(id);
        Ok(())
    }

    pub fn has_unsaved_changes(&self) -> bool {
        !self.unsaved_inserted.is_empty() || !self.unsaved_removed.is_empty()
    }

    /// Save the graph atomically, then record in the catalog what the file now holds.
    pub fn save(&mut self, catalog: &mut Catalog) -> Result<(), EngineError> {
        self.graph.save(&self.path)?;
        catalog.record_index_saved(&self.model_key, &self.unsaved_inserted, &self.unsaved_removed)?;
        self.unsaved_inserted.clear();
        self.unsaved_removed.clear();
        Ok(())
    }
}
