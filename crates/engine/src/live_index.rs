//! The searchable vector index of one model, kept consistent with the catalog.
//!
//! The saved file may lag the catalog (embeddings stored since the last save) and may
//! hold ids the catalog has since dropped (tombstones). A process that only reads
//! searches the file's graph plus, exhaustively, the embeddings the file lacks, and
//! hides the tombstones. The one process that writes folds both into the graph, saves
//! the file atomically and then records in the catalog what the file holds, so that a
//! crash at any moment leaves a pair the next start reads correctly.
//!
//! The writer also keeps the file in the strategy the data folder asks for
//! ([`IndexChoice`]): when it differs from the saved one, the index is built again from
//! the catalog's embeddings, without encoding a photo again.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use motis_index::{Filter, Hit, IndexError, SearchMode, Strategy, VectorIndex};

use crate::{Catalog, EngineError, PhotoId};

/// The index strategy of a data folder: chosen by the library's size, or fixed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IndexChoice {
    #[default]
    Auto,
    Fixed(Strategy),
}

impl IndexChoice {
    /// The strategy for a library of `vectors` embeddings.
    pub fn resolve(self, vectors: usize) -> Strategy {
        match self {
            IndexChoice::Auto => Strategy::for_library(vectors),
            IndexChoice::Fixed(strategy) => strategy,
        }
    }
}

impl std::fmt::Display for IndexChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IndexChoice::Auto => f.write_str("auto"),
            IndexChoice::Fixed(strategy) => strategy.fmt(f),
        }
    }
}

impl std::str::FromStr for IndexChoice {
    type Err = IndexError;
    fn from_str(name: &str) -> Result<IndexChoice, IndexError> {
        if name == "auto" {
            Ok(IndexChoice::Auto)
        } else {
            name.parse().map(IndexChoice::Fixed)
        }
    }
}

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
            None => {
                let all = catalog.embeddings(model_key)?;
                (VectorIndex::new(Strategy::for_library(all.len()), dimensions)?, all)
            }
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

    /// The strategy of the index searched (the saved file's).
    pub fn strategy(&self) -> Strategy {
        self.graph.strategy()
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

    /// Whether a search covers photo `id`.
    pub fn holds(&self, id: PhotoId) -> bool {
        self.recent.contains_key(&id) || (self.graph.contains(id as u64) && !self.hidden.contains(&id))
    }

    /// The `k` nearest photos to a unit-length query among those `filter` allows, best first.
    pub fn search(
        &self,
        query: &[f32],
        k: usize,
        mode: SearchMode,
        filter: Option<Filter>,
    ) -> Result<Vec<Hit>, EngineError> {
        let allowed = |id: u64| filter.is_none_or(|allowed| allowed(id));
        // Ask the graph for enough extra hits to make up for the ones hidden or
        // superseded by a recent embedding.
        let extra = self.hidden.len() + self.recent.len();
        let mut hits: Vec<Hit> = self
            .graph
            .search_where(query, k.saturating_add(extra), mode, filter)?
            .into_iter()
            .filter(|hit| {
                let id = hit.id as PhotoId;
                !self.hidden.contains(&id) && !self.recent.contains_key(&id)
            })
            .collect();
        hits.extend(
            self.recent
                .iter()
                .filter(|(id, _)| allowed(**id as u64))
                .map(|(&id, vector)| Hit {
                    id: id as u64,
                    score: vector.iter().zip(query).map(|(a, b)| a * b).sum(),
                }),
        );
        hits.sort_by(|a, b| b.score.total_cmp(&a.score));
        hits.truncate(k);
        Ok(hits)
    }

    /// Take the catalog's latest state into the graph: drop tombstoned ids and add the
    /// embeddings the graph lacks, in the strategy `choice` names for the library's size
    /// (all embeddings go into a new index when that is not the saved one's). Only the
    /// writing process does this, holding the data folder's lock: it starts again from
    /// the saved file as it is now, loaded to be changed, since another process may have
    /// saved it after this one opened it.
    pub fn fold(&mut self, catalog: &Catalog, choice: IndexChoice) -> Result<(), EngineError> {
        *self = LiveIndex::open_with(
            &self.path,
            self.graph.dimensions(),
            catalog,
            &self.model_key,
            VectorIndex::load,
        )?;
        let wanted = choice.resolve(self.searchable());
        if self.graph.strategy() != wanted {
            self.graph = VectorIndex::new(wanted, self.graph.dimensions())?;
            self.recent = catalog.embeddings(&self.model_key)?.into_iter().collect();
        }
        for id in std::mem::take(&mut self.hidden) {
            self.graph.remove(id as u64)?;
            self.unsaved_removed.push(id);
        }
        let recent: Vec<(PhotoId, Vec<f32>)> = std::mem::take(&mut self.recent).into_iter().collect();
        self.extend(recent)
    }

    /// Add freshly stored embeddings (writer only).
    pub fn extend(&mut self, embeddings: Vec<(PhotoId, Vec<f32>)>) -> Result<(), EngineError> {
        self.unsaved_inserted.extend(embeddings.iter().map(|(id, _)| *id));
        self.graph
            .extend(embeddings.into_iter().map(|(id, vector)| (id as u64, vector)).collect())?;
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
