//! [`Engine`]: one data folder and one model, shared by every front end.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};

use motis_embed::{ImageEncoder, Model, Runtime, TextEncoder, Tower, VerifiedFiles};
use motis_media::{
    Decoded, PREVIEW_LONG_SIDE, Preprocessor, decode_bytes_upright_reduced, decode_upright, decode_upright_reduced,
    embedded_thumbnail, write_preview,
};

use crate::cutoff::{self, Spread};
use crate::data::RENDITION_SIDES;
use crate::live_index::LiveIndex;
use crate::pipeline::{self, IndexOptions};
use crate::previews::PreviewDesk;
use crate::reading::{self, Reads, Stage};
use crate::{
    CancellationToken, Catalog, CatalogCounts, DataDir, EngineError, Failure, Filters, GalleryPosition, IndexChoice,
    IndexEvent, IndexSummary, ModelFolders, Origin, PhotoDate, PhotoFolder, PhotoId, PhotoLibrary, PhotoRecord,
    PreviewState, Query, QueryError, SearchMode, Source, Strategy, Subject, Term, model_key,
};

#[derive(Clone, Debug)]
pub struct EngineConfig {
    pub data_dir: PathBuf,
    pub models: ModelFolders,
    pub model: String,
    /// Threads each ONNX Runtime session may use.
    pub threads: usize,
}

/// How a search answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SearchOptions {
    /// The most photos it returns.
    pub k: usize,
    pub mode: SearchMode,
    pub sort: Sort,
}

impl SearchOptions {
    /// The best `k`, by score, searched as the index is built to be.
    pub fn best(k: usize) -> SearchOptions {
        SearchOptions {
            k,
            mode: SearchMode::Auto,
            sort: Sort::Score,
        }
    }
}

/// The order of a search's results: the shown ones, then the ones past the cut-off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Best match first.
    #[default]
    Score,
    /// Newest first, by when each photo was taken.
    Newest,
    Oldest,
}

impl std::str::FromStr for Sort {
    type Err = String;
    fn from_str(name: &str) -> Result<Sort, String> {
        match name {
            "score" => Ok(Sort::Score),
            "newest" => Ok(Sort::Newest),
            "oldest" => Ok(Sort::Oldest),
            _ => Err(format!("{name:?}: sort by score, newest or oldest")),
        }
    }
}

/// A photo found by a search, with its cosine similarity to the query.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub id: PhotoId,
    pub origin: Origin,
    pub score: f32,
    pub taken: PhotoDate,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SearchResults {
    /// The query has no terms: the gallery, narrowed by its filters (see [`Engine::gallery`]).
    Gallery(Filters),
    /// The best `k` photos among the `searched` photos encoded so far and allowed by the
    /// query's filters, of `total` photos the filters allow.
    Matches {
        found: Vec<Found>,
        /// How many of `found`, from the first, stand out from the gallery for this query
        /// (see `cutoff.rs`): what a front end shows unless asked for more. 0: no good match.
        shown: usize,
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
    /// The strategy of the index searched, and what the data folder asks for (the next
    /// indexing run builds the index again when they differ).
    pub strategy: Strategy,
    pub choice: IndexChoice,
}

impl Status {
    /// Photos encoded with this model.
    pub fn encoded(&self) -> usize {
        self.counts
            .encoded
            .iter()
            .find(|(key, _)| key == &self.model_key)
            .map_or(0, |(_, n)| *n)
    }
}

/// Towers smaller than this load in a few milliseconds from their own file (the demo
/// model's are 3-4 MB): no optimised copy for them.
const OPTIMIZED_COPY_MIN_BYTES: u64 = 32 << 20;

pub struct Engine {
    pub(crate) data: DataDir,
    pub(crate) model: Model,
    pub(crate) key: String,
    pub(crate) threads: usize,
    catalog: Mutex<Catalog>,
    pub(crate) index: RwLock<LiveIndex>,
    text: Mutex<Option<TextEncoder>>,
    runtime: OnceLock<Runtime>,
    /// Whether each tower's files were checked against the manifest in this process
    /// (image, text): a lock each, so that a search never waits for the image tower.
    checked: [Mutex<bool>; 2],
    libraries: RwLock<HashMap<String, Arc<dyn PhotoLibrary>>>,
    pub(crate) previews: PreviewDesk,
    /// Every read of a photo's bytes goes through it: the crash quarantine.
    pub(crate) reads: Arc<Reads>,
    /// A sample of the encoded photos' embeddings for the cut-off's statistics, and how
    /// many photos were searchable when it was drawn.
    sample: Mutex<(usize, Arc<Vec<Vec<f32>>>)>,
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
        let model = config.models.open(&config.model)?;
        let key = model_key(&model);
        let catalog = Catalog::open(&data.catalog_path()).map_err(|error| data.explain(error))?;
        let index = LiveIndex::open(&data.index_path(&key), model.manifest.embedding_dim, &catalog, &key)?;
        let reads = Reads::of(&data);
        Ok(Engine {
            data,
            model,
            key,
            threads: config.threads.max(1),
            catalog: Mutex::new(catalog),
            index: RwLock::new(index),
            text: Mutex::new(None),
            runtime: OnceLock::new(),
            checked: [Mutex::new(false), Mutex::new(false)],
            libraries: RwLock::new(HashMap::new()),
            previews: PreviewDesk::new(std::thread::available_parallelism().map_or(2, |n| n.get())),
            reads,
            sample: Mutex::new((0, Arc::new(Vec::new()))),
        })
    }

    /// Make a photo library available to indexing runs ([`Source::Library`] by its
    /// name) and to reading its photos. Replaces a library of the same name.
    pub fn attach_library(&self, library: Arc<dyn PhotoLibrary>) {
        let name = library.name().to_owned();
        self.libraries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(name, library);
    }

    pub(crate) fn library(&self, name: &str) -> Result<Arc<dyn PhotoLibrary>, EngineError> {
        self.libraries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(name)
            .cloned()
            .ok_or_else(|| EngineError::NoSuchLibrary(name.to_owned()))
    }

    /// The bytes of a photo as its source holds them (a library converts formats
    /// motis cannot decode, such as HEIC, to JPEG).
    pub fn photo_bytes(&self, id: PhotoId) -> Result<Vec<u8>, EngineError> {
        let origin = self.photo(id)?.origin;
        let _reading = self.reads.begin(&origin, Stage::Decode)?;
        self.read(&origin, None)
    }

    fn read(&self, origin: &Origin, min_short_side: Option<u32>) -> Result<Vec<u8>, EngineError> {
        match origin {
            Origin::File(path) => std::fs::read(path).map_err(|source| EngineError::Read {
                path: path.clone(),
                source,
            }),
            Origin::Library { library, item, .. } => {
                self.library(library)?
                    .read(item, min_short_side)
                    .map_err(|source| EngineError::Library {
                        label: origin.label(),
                        source,
                    })
            }
        }
    }

    /// A photo decoded upright, reduced as far as its shorter side stays at least
    /// `min_short_side` (see [`motis_media::decode_upright_reduced`]).
    pub(crate) fn decode(&self, origin: &Origin, min_short_side: u32) -> Result<Decoded, EngineError> {
        let _reading = self.reads.begin(origin, Stage::Decode)?;
        Ok(match origin {
            Origin::File(path) => {
                reading::crash_point(Stage::Decode, path);
                decode_upright_reduced(path, min_short_side)?
            }
            Origin::Library { .. } => {
                let bytes = self.read(origin, Some(min_short_side))?;
                decode_bytes_upright_reduced(&origin.label(), &bytes, min_short_side)?
            }
        })
    }

    /// Make the preview of one photo; returns its upright size and EXIF orientation. The
    /// error as it is: a run tells a full disk from a photo's own failure.
    pub(crate) fn preview_outcome(&self, id: PhotoId, origin: &Origin) -> Result<(u32, u32, u8), EngineError> {
        self.decode(origin, PREVIEW_LONG_SIDE)
            .and_then(|decoded| self.preview_from(id, &decoded))
    }

    /// Write the preview of photo `id` from `decoded` (decoded with its shorter side at
    /// least [`PREVIEW_LONG_SIDE`], or whole); returns its upright size and orientation.
    pub(crate) fn preview_from(&self, id: PhotoId, decoded: &Decoded) -> Result<(u32, u32, u8), EngineError> {
        let path = self.data.preview_path(id);
        self.data.make_folders_for(&path)?;
        write_preview(&decoded.image, PREVIEW_LONG_SIDE, &path)?;
        Ok((decoded.width, decoded.height, decoded.orientation))
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The crash quarantine every read of a photo's bytes goes through (see
    /// [`Reads::begin`]).
    pub fn reads(&self) -> &Reads {
        &self.reads
    }

    /// The model id and the start of its weights' sha256: what embeddings are stored under.
    pub fn model_key(&self) -> &str {
        &self.key
    }

    pub fn data_dir(&self) -> &Path {
        self.data.root()
    }

    /// Load ONNX Runtime and check both towers' files (see [`Engine::prepare`]). Front
    /// ends may call this early, in the background; searching and indexing prepare the
    /// tower they need themselves.
    pub fn prepare_model(&self) -> Result<Runtime, EngineError> {
        // The text tower first: a search is what a person waits for.
        self.prepare(Tower::Text)?;
        self.prepare(Tower::Image)
    }

    /// Load ONNX Runtime (once per process, with encoders that load large towers from
    /// optimised copies in the data folder: [`Runtime::with_optimized_copies`]) and
    /// check the files `tower` runs from against the model's sha256s (once per process,
    /// and only the files that changed since a start that hashed them: the data folder
    /// remembers, see [`motis_embed::VerifiedFiles`]).
    pub fn prepare(&self, tower: Tower) -> Result<Runtime, EngineError> {
        let runtime = match self.runtime.get() {
            Some(runtime) => runtime.clone(),
            None => {
                let runtime =
                    Runtime::load()?.with_optimized_copies(self.data.optimized_models_path(), OPTIMIZED_COPY_MIN_BYTES);
                self.runtime.get_or_init(|| runtime).clone()
            }
        };
        let mut checked = lock(
            &self.checked[match tower {
                Tower::Image => 0,
                Tower::Text => 1,
            }],
        );
        if !*checked {
            let mut record = VerifiedFiles::load(&self.data.verified_files_path());
            self.model.verify_tower(tower, &mut record)?;
            // A record that cannot be written, or that the other tower's check (at the
            // same moment) writes over, costs the next start a hash, nothing more.
            let _ = record.save();
            *checked = true;
        }
        Ok(runtime)
    }

    /// Search the encoded photos for a query, or recognise a request for the (filtered)
    /// gallery. The terms' unit embeddings are summed with their weights; photos that are
    /// terms themselves are not among the answers. The first `shown` answers are those
    /// that stand out (see `cutoff.rs`).
    pub fn search(&self, query: &Query, options: SearchOptions) -> Result<SearchResults, EngineError> {
        if query.is_gallery() {
            return Ok(SearchResults::Gallery(query.filters.clone()));
        }
        let (vector, terms_photos) = self.query_vector(&query.terms)?;
        let allowed: Option<HashSet<PhotoId>> = if query.filters.is_empty() {
            None
        } else {
            Some(lock(&self.catalog).photo_ids(&query.filters)?.into_iter().collect())
        };
        let answers = |id: u64| {
            let id = id as PhotoId;
            !terms_photos.contains(&id) && allowed.as_ref().is_none_or(|allowed| allowed.contains(&id))
        };
        let (hits, searched, searchable) = {
            let index = self.index.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            // The cut-off reads the scores to a depth of its own, so that where it falls
            // does not depend on how many results were asked for.
            let depth = options.k.max(cutoff::DEPTH);
            let hits = index.search(&vector, depth, options.mode, Some(&answers))?;
            let searched = match &allowed {
                None => index.searchable(),
                Some(allowed) => allowed.iter().filter(|&&id| index.holds(id)).count(),
            };
            (hits, searched, index.searchable())
        };
        let sample = self.score_sample(searchable)?;
        let catalog = lock(&self.catalog);
        let mut found = Vec::with_capacity(hits.len());
        for hit in hits {
            // An id the catalog no longer has (removed by a run in another process
            // since this index was loaded) is not an answer.
            if let Some(photo) = catalog.photo(hit.id as PhotoId)? {
                found.push(Found {
                    id: photo.id,
                    origin: photo.origin,
                    score: hit.score,
                    taken: photo.taken,
                });
            }
        }
        let scores: Vec<f32> = found.iter().map(|f| f.score).collect();
        // The model's match score is measured for queries of words: a sum of terms or a
        // photo scores on another scale.
        let match_score = match query.terms.as_slice() {
            [
                Term {
                    weight,
                    subject: Subject::Text(_),
                },
            ] if *weight > 0.0 => self.model.manifest.match_score,
            _ => None,
        };
        let shown = cutoff::shown(&scores, Spread::of(&vector, &sample), searched, match_score).min(options.k);
        found.truncate(options.k);
        let (first, rest) = found.split_at_mut(shown);
        for part in [first, rest] {
            match options.sort {
                Sort::Score => {}
                Sort::Newest => part.sort_by(|a, b| b.taken.local.cmp(&a.taken.local).then(b.id.cmp(&a.id))),
                Sort::Oldest => part.sort_by(|a, b| a.taken.local.cmp(&b.taken.local).then(a.id.cmp(&b.id))),
            }
        }
        // The photos the filters allow were counted when they were listed.
        let total = match &allowed {
            Some(allowed) => allowed.len(),
            None => catalog.photo_count()?,
        };
        Ok(SearchResults::Matches {
            found,
            shown,
            searched,
            total,
        })
    }

    /// The unit sum of the terms' weighted unit embeddings, and the photos among the terms
    /// (which a search leaves out of its answers).
    fn query_vector(&self, terms: &[Term]) -> Result<(Vec<f32>, HashSet<PhotoId>), EngineError> {
        let texts: Vec<&str> = terms
            .iter()
            .filter_map(|term| match &term.subject {
                Subject::Text(text) => Some(text.as_str()),
                _ => None,
            })
            .collect();
        let mut encoded = if texts.is_empty() {
            Vec::new()
        } else {
            self.encode_texts(&texts)?
        }
        .into_iter();
        let mut photos = HashSet::new();
        let mut sum = vec![0.0f32; self.model.manifest.embedding_dim];
        for term in terms {
            let vector = match &term.subject {
                Subject::Text(_) => encoded.next().expect("one embedding per text"),
                Subject::Photo(id) => {
                    if term.weight > 0.0 {
                        photos.insert(*id);
                    }
                    self.embedding(*id)?
                }
                Subject::File(path) => {
                    let path = expand_home(path);
                    match self.photo_id_by_path(&path) {
                        Ok(id) => {
                            if term.weight > 0.0 {
                                photos.insert(id);
                            }
                            self.embedding(id)?
                        }
                        Err(EngineError::NotInCatalog(_)) => self.encode_image_file(&path)?,
                        Err(other) => return Err(other),
                    }
                }
            };
            let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
            for (total, x) in sum.iter_mut().zip(&vector) {
                *total += term.weight * x / norm;
            }
        }
        let norm = sum.iter().map(|x| x * x).sum::<f32>().sqrt();
        if norm < 1e-4 {
            return Err(QueryError::CancelsOut.into());
        }
        sum.iter_mut().for_each(|x| *x /= norm);
        Ok((sum, photos))
    }

    /// The unit embedding of a photo file that is not in the catalog, with the image
    /// tower (loaded for this and dropped).
    fn encode_image_file(&self, path: &Path) -> Result<Vec<f32>, EngineError> {
        let runtime = self.prepare(Tower::Image)?;
        let mut preprocessor = Preprocessor::new(self.model.input.clone());
        let mut pixels = vec![0.0; self.model.input.len()];
        preprocessor.write_input(&decode_upright(path)?, &mut pixels)?;
        Ok(ImageEncoder::new(&runtime, &self.model, self.threads)?
            .encode(&pixels)?
            .remove(0))
    }

    /// The embeddings the cut-off scores a query against: drawn again when the photos
    /// searchable have changed by a tenth since.
    fn score_sample(&self, searchable: usize) -> Result<Arc<Vec<Vec<f32>>>, EngineError> {
        let mut sample = lock(&self.sample);
        let (drawn_at, _) = *sample;
        if searchable.abs_diff(drawn_at) * 10 > drawn_at || (drawn_at == 0 && searchable > 0) {
            let vectors = lock(&self.catalog).embedding_sample(&self.key, cutoff::SAMPLE_SIZE)?;
            *sample = (searchable, Arc::new(vectors));
        }
        Ok(Arc::clone(&sample.1))
    }

    /// Unit-length text embeddings, in the order given, with the model's text tower
    /// (loaded on first use and kept).
    pub fn encode_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EngineError> {
        let mut encoder = self.text_encoder()?;
        Ok(encoder.as_mut().expect("loaded by text_encoder").encode(texts)?)
    }

    /// The text tower, loaded (and its optimised copy made, the first time on this data
    /// folder) unless it already is.
    pub(crate) fn text_encoder(&self) -> Result<MutexGuard<'_, Option<TextEncoder>>, EngineError> {
        let mut encoder = lock(&self.text);
        if encoder.is_none() {
            let runtime = self.prepare(Tower::Text)?;
            *encoder = Some(TextEncoder::new(&runtime, &self.model, self.threads)?);
        }
        Ok(encoder)
    }

    /// The stored embedding of photo `id` under this model.
    pub fn embedding(&self, id: PhotoId) -> Result<Vec<f32>, EngineError> {
        if let Some(vector) = lock(&self.catalog).embedding(id, &self.key)? {
            return Ok(vector);
        }
        // Only the error needs the photo: no such photo, or one not encoded yet.
        Err(EngineError::NotEncoded {
            id,
            path: self.photo(id)?.origin.label(),
            model: self.key.clone(),
        })
    }

    /// Every stored embedding under this model, by photo: what `motis bench index`
    /// measures the strategies on.
    pub fn embeddings(&self) -> Result<Vec<(PhotoId, Vec<f32>)>, EngineError> {
        lock(&self.catalog).embeddings(&self.key)
    }

    /// A page of the gallery, the photos `filters` allow newest first: the first, or the
    /// one after `after` (see [`Catalog::gallery`]).
    pub fn gallery(
        &self,
        filters: &Filters,
        after: Option<GalleryPosition>,
        limit: usize,
    ) -> Result<Vec<PhotoRecord>, EngineError> {
        lock(&self.catalog).gallery(filters, after, limit)
    }

    /// How many photos `filters` allow (encoded or not; all of them when empty).
    pub fn photo_count(&self, filters: &Filters) -> Result<usize, EngineError> {
        lock(&self.catalog).count(filters)
    }

    /// The folders that hold photos, for choosing one to search in (`in:NAME`).
    pub fn photo_folders(&self) -> Result<Vec<PhotoFolder>, EngineError> {
        lock(&self.catalog).photo_folders()
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
        Ok((photo.preview == PreviewState::Done).then(|| self.data.preview_path(id)))
    }

    /// The preview file of photo `id` for the screen: made now if it is not made yet,
    /// ahead of an indexing run's background work. `Err` with the cause when the photo
    /// cannot be previewed.
    pub fn preview_for_screen(&self, id: PhotoId) -> Result<PathBuf, EngineError> {
        let arrival = self.previews.arrive();
        let photo = self.photo(id)?;
        let path = self.data.preview_path(id);
        let failed = EngineError::Preview;
        match photo.preview {
            PreviewState::Done if whole_jpeg(&path) => return Ok(path),
            PreviewState::Failed => return Err(failed(photo.last_error.clone().unwrap_or_default())),
            // Not made yet, or made and since lost or damaged: made now.
            PreviewState::Done | PreviewState::Pending => {}
        }
        // A full, read-only or removed disk is not the photo's failure: not recorded as one.
        let mut disk = None;
        let made = self.previews.for_screen(arrival, id, || {
            self.preview_outcome(id, &photo.origin).map_err(|error| {
                let text = error.to_string();
                if error.disk_problem(self.data.root()).is_some() {
                    disk = Some(error.in_data_folder(self.data.root()));
                }
                text
            })
        });
        if let Some(error) = disk {
            return Err(error);
        }
        match made {
            Some(made) => {
                // A run records it when its worker reaches the photo; without one, it is
                // recorded here.
                if !self.previews.run_active() {
                    let (done, failures) = match &made {
                        Ok((width, height, orientation)) => (vec![(id, *width, *height, *orientation)], vec![]),
                        Err(cause) => (vec![], vec![(id, cause.clone())]),
                    };
                    lock(&self.catalog).record_previews(&done, &failures)?;
                }
                made.map(|_| path).map_err(failed)
            }
            // Made meanwhile by the background run, which records it.
            None if path.is_file() => Ok(path),
            None => Err(failed(format!(
                "{}: the preview could not be made",
                photo.origin.label().display()
            ))),
        }
    }

    /// What the screen shows of photo `id` until its preview is made: the thumbnail its
    /// camera embedded (see [`motis_media::embedded_thumbnail`]), upright, as JPEG bytes.
    /// Read from the first few kilobytes of the file, so a screenful of them costs less
    /// than one preview. `None` once the preview is made or failed, and for photos without
    /// one. Photos of a library have none here: reading one is the platform's costly step,
    /// which the preview takes anyway.
    pub fn embedded_thumbnail(&self, id: PhotoId) -> Result<Option<Vec<u8>>, EngineError> {
        let photo = self.photo(id)?;
        let Origin::File(path) = &photo.origin else {
            return Ok(None);
        };
        if photo.preview != PreviewState::Pending {
            return Ok(None);
        }
        let _reading = self.reads.begin(&photo.origin, Stage::Thumbnail)?;
        reading::crash_point(Stage::Thumbnail, path);
        let file = std::fs::File::open(path).map_err(|source| EngineError::Read {
            path: path.clone(),
            source,
        })?;
        Ok(embedded_thumbnail(&mut std::io::BufReader::new(file)))
    }

    /// A rendition of photo `id` for the screen, at least `long_side` pixels on its long
    /// side where the photo has them (see [`crate::RENDITION_SIDES`]), made on first
    /// request and kept.
    pub fn rendition(&self, id: PhotoId, long_side: u32) -> Result<PathBuf, EngineError> {
        let photo = self.photo(id)?;
        let side = RENDITION_SIDES
            .into_iter()
            .find(|&side| side >= long_side)
            .unwrap_or(RENDITION_SIDES[RENDITION_SIDES.len() - 1]);
        let path = self.data.rendition_path(id, side);
        if whole_jpeg(&path) {
            return Ok(path);
        }
        // Decoded as small as keeps the long side: the short side may shrink by the
        // aspect ratio.
        let short_side = match (photo.width, photo.height) {
            (Some(w), Some(h)) if w.max(h) > 0 => (u64::from(side) * u64::from(w.min(h)) / u64::from(w.max(h))) as u32,
            _ => side,
        };
        let decoded = self.decode(&photo.origin, short_side)?;
        self.data.make_folders_for(&path)?;
        write_preview(&decoded.image, side, &path)?;
        Ok(path)
    }

    pub fn failures(&self) -> Result<Vec<Failure>, EngineError> {
        lock(&self.catalog).failures()
    }

    pub fn folders(&self) -> Result<Vec<PathBuf>, EngineError> {
        lock(&self.catalog).folders()
    }

    /// Every photo source the catalog knows: folders, then libraries.
    pub fn sources(&self) -> Result<Vec<Source>, EngineError> {
        lock(&self.catalog).sources()
    }

    /// Stop indexing a source: its photos leave the catalog, the index and the previews.
    /// Refused (`Busy`) while an indexing run holds the data folder.
    pub fn remove_source(&self, source: &Source) -> Result<usize, EngineError> {
        let _lock = self.data.lock_for_writing()?;
        let mut writer = Catalog::open(&self.data.catalog_path())?;
        let removed = writer.remove_source(source)?;
        self.previews.forget(removed.iter().copied());
        self.data.forget_made_files(&removed);
        let mut index = self.index.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        index.fold(&writer, self.data.index_choice()?)?;
        index.save(&mut writer)?;
        Ok(removed.len())
    }

    pub fn status(&self) -> Result<Status, EngineError> {
        let counts = lock(&self.catalog).counts()?;
        let (searchable, strategy) = {
            let index = self.index.read().unwrap_or_else(|poisoned| poisoned.into_inner());
            (index.searchable(), index.strategy())
        };
        let index_path = self.data.index_path(&self.key);
        let index_bytes = std::fs::metadata(&index_path).map(|m| m.len()).unwrap_or(0);
        Ok(Status {
            strategy,
            choice: self.data.index_choice()?,
            data_dir: self.data.root().to_owned(),
            model_key: self.key.clone(),
            counts,
            searchable,
            index_path,
            index_bytes,
        })
    }

    /// Index `sources` (all sources indexed before when empty): scan them (the gallery
    /// is complete once the scan phase ends), make every missing preview, then encode
    /// what is not encoded yet, reporting through `events`. Previews asked for by the
    /// screen meanwhile go first ([`Engine::preview_for_screen`]); searches keep working,
    /// on what is encoded so far. Cancelling stops the run after the photos in flight,
    /// with everything done so far saved.
    pub async fn index(
        self: &Arc<Self>,
        sources: Vec<Source>,
        options: IndexOptions,
        cancel: CancellationToken,
        events: impl Fn(IndexEvent) + Send + Sync + 'static,
    ) -> Result<IndexSummary, EngineError> {
        pipeline::run(Arc::clone(self), sources, options, cancel, Arc::new(events)).await
    }
}

/// Whether a JPEG motis wrote (a preview, a rendition) is still whole, by its first and
/// last markers: a damaged disk or a person tidying the data folder may have emptied,
/// truncated or removed it, and the screen would show nothing.
fn whole_jpeg(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let (mut start, mut end) = ([0u8; 2], [0u8; 2]);
    file.read_exact(&mut start).is_ok()
        && file.seek(SeekFrom::End(-2)).is_ok()
        && file.read_exact(&mut end).is_ok()
        && start == [0xFF, 0xD8]
        && end == [0xFF, 0xD9]
}

/// `~/…` as the shell would expand it: a path typed inside a quoted query is not.
fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_owned(),
    }
}
