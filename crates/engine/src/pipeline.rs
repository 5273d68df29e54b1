//! The indexing run: scan (the gallery is complete in the catalog once it ends) →
//! previews of the newest photos on a worker pool, yielding to those the screen asks for
//! → decode on a worker pool, once per photo: the preview (for photos that still lack
//! one) and the model input from the same decode → batched encoding on blocking threads,
//! each owning an ONNX Runtime session → one writer that stores embeddings and previews
//! and feeds the index.
//!
//! Stages are joined by bounded queues, so memory stays flat whatever the gallery size.
//! A photo that fails is an `ItemFailed` event and a catalog row with its cause; the run
//! goes on. The writer commits each batch to the catalog before the index sees it, and
//! saves the index now and then (see `live_index`), so that a kill at any moment leaves
//! a consistent pair and the next run resumes with what is left.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use motis_embed::{ImageEncoder, Runtime, Tower};
use motis_media::{PREVIEW_LONG_SIDE, Preprocessor};
use tokio::sync::mpsc;

use crate::previews::Made;
use crate::reading::Stage;
use crate::{
    CancellationToken, Catalog, Engine, EngineError, IndexChoice, IndexEvent, IndexSummary, LibraryItem, Origin, Phase,
    PhotoDate, PhotoId, ScanReport, Source, scan_folder,
};

/// Whether a run may go on now, and if not why (a phone's battery or heat, say): asked
/// before each photo a run makes a preview of and each batch it encodes, so it must be
/// cheap (read a state the platform keeps up to date, not ask the platform). While it
/// says no, the run waits there, asking again every [`IndexOptions::recheck`].
#[derive(Clone)]
pub struct RunCondition(Arc<dyn Fn() -> Result<(), String> + Send + Sync>);

impl RunCondition {
    pub fn new(condition: impl Fn() -> Result<(), String> + Send + Sync + 'static) -> RunCondition {
        RunCondition(Arc::new(condition))
    }
}

impl std::fmt::Debug for RunCondition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunCondition")
    }
}

#[derive(Clone, Debug)]
pub struct IndexOptions {
    /// Threads decoding photos (for previews, then for the model input).
    pub decode_workers: usize,
    /// Image encoder sessions, each on its own thread.
    pub encoders: usize,
    /// Photos per encoder call.
    pub batch_size: usize,
    /// Previews made in a phase of their own before encoding, for the newest photos
    /// (the top of the gallery: a person's first screens, made while no encoder takes
    /// the cores); the others are made from the decode encoding does anyway, so that
    /// each photo is decoded once. Photos the run does not encode always get theirs in
    /// that phase.
    pub previews_first: usize,
    /// How often the index file is saved while encoding. A crash loses no embedding
    /// either way (the catalog has them); a shorter interval means less to fold in at
    /// the next start.
    pub save_interval: Duration,
    /// The least time between two progress events of a phase (the last one of a phase
    /// is always sent).
    pub progress_interval: Duration,
    /// The index strategy to keep from this run on (recorded in the data folder);
    /// `None` keeps the data folder's.
    pub strategy: Option<IndexChoice>,
    /// Read again the photos skipped because reading them stopped motis twice (each alone
    /// first). Other failed photos are tried again by every run.
    pub retry_failed: bool,
    /// When the run may work (none: always).
    pub may_run: Option<RunCondition>,
    /// How often a paused run asks its condition again.
    pub recheck: Duration,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            decode_workers: std::thread::available_parallelism().map_or(2, |n| n.get().min(4)),
            encoders: 1,
            batch_size: 16,
            previews_first: 128,
            save_interval: Duration::from_secs(30),
            progress_interval: Duration::from_millis(100),
            strategy: None,
            retry_failed: false,
            may_run: None,
            recheck: Duration::from_secs(2),
        }
    }
}

type Sink = Arc<dyn Fn(IndexEvent) + Send + Sync>;
type Shared<T> = Arc<Mutex<T>>;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Start `work` on a blocking thread at once (not when first awaited: stages of the
/// pipeline must run side by side).
fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, EngineError> + Send + 'static,
) -> impl Future<Output = Result<T, EngineError>> {
    let handle = tokio::task::spawn_blocking(work);
    async move { handle.await.map_err(|e| EngineError::Worker(e.to_string()))? }
}

/// Progress of one phase, sent at most every `interval`.
struct Progress {
    phase: Phase,
    total: usize,
    done: usize,
    failed: usize,
    interval: Duration,
    last_sent: Option<Instant>,
    sink: Sink,
}

impl Progress {
    fn new(phase: Phase, total: usize, interval: Duration, sink: &Sink) -> Progress {
        let mut progress = Progress {
            phase,
            total,
            done: 0,
            failed: 0,
            interval,
            last_sent: None,
            sink: Arc::clone(sink),
        };
        progress.send();
        progress
    }

    fn advance(&mut self, done: usize, failed: usize) {
        self.done += done;
        self.failed += failed;
        if self.last_sent.is_none_or(|t| t.elapsed() >= self.interval) {
            self.send();
        }
    }

    fn send(&mut self) {
        (self.sink)(IndexEvent::Progress {
            phase: self.phase,
            done: self.done,
            total: self.total,
            failed: self.failed,
        });
        self.last_sent = Some(Instant::now());
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.send();
    }
}

fn failed(sink: &Sink, id: Option<PhotoId>, path: &Path, cause: String) {
    sink(IndexEvent::ItemFailed {
        id,
        path: path.to_owned(),
        cause,
    });
}

/// The first write that failed for the disk itself (full, read-only, removed): it stops
/// the run, and no photo is failed for it.
#[derive(Clone)]
struct DiskTrouble {
    data_folder: Arc<Path>,
    first: Shared<Option<EngineError>>,
}

impl DiskTrouble {
    fn of(data_folder: &Path) -> DiskTrouble {
        DiskTrouble {
            data_folder: data_folder.into(),
            first: Shared::default(),
        }
    }

    /// The text a photo's failure records for `error`, unless the disk is the cause: then
    /// the error is kept and `stop` cancelled.
    fn note(&self, error: EngineError, stop: &CancellationToken) -> String {
        let text = error.to_string();
        if error.disk_problem(&self.data_folder).is_some() {
            lock(&self.first).get_or_insert(error.in_data_folder(&self.data_folder));
            stop.cancel();
        }
        text
    }

    fn happened(&self) -> bool {
        lock(&self.first).is_some()
    }

    fn take(&self) -> Result<(), EngineError> {
        lock(&self.first).take().map_or(Ok(()), Err)
    }
}

/// A run's [`RunCondition`], shared by its workers: each asks it before its next piece of
/// work and waits while it says no; the run says once that it paused, and once that it
/// goes on.
#[derive(Clone)]
struct Pauses {
    condition: Option<RunCondition>,
    recheck: Duration,
    paused: Shared<bool>,
    sink: Sink,
}

impl Pauses {
    fn new(options: &IndexOptions, sink: &Sink) -> Pauses {
        Pauses {
            condition: options.may_run.clone(),
            recheck: options.recheck,
            paused: Shared::default(),
            sink: Arc::clone(sink),
        }
    }

    /// Return once the run may go on, or `stop` is cancelled.
    fn wait_until_allowed(&self, stop: &CancellationToken) {
        let Some(condition) = &self.condition else { return };
        loop {
            let verdict = (condition.0)();
            {
                let mut paused = lock(&self.paused);
                match &verdict {
                    Ok(()) if *paused => {
                        *paused = false;
                        (self.sink)(IndexEvent::Resumed);
                    }
                    Err(reason) if !*paused => {
                        *paused = true;
                        (self.sink)(IndexEvent::Paused { reason: reason.clone() });
                    }
                    _ => {}
                }
            }
            if verdict.is_ok() || stop.is_cancelled() {
                return;
            }
            // Asleep in steps, so that a cancel is heard at once.
            let asked = Instant::now();
            while asked.elapsed() < self.recheck && !stop.is_cancelled() {
                std::thread::sleep(self.recheck.min(Duration::from_millis(50)));
            }
        }
    }
}

pub(crate) async fn run(
    engine: Arc<Engine>,
    sources: Vec<Source>,
    options: IndexOptions,
    cancel: CancellationToken,
    sink: Sink,
) -> Result<IndexSummary, EngineError> {
    let folder = engine.data.root().to_owned();
    run_holding_the_lock(engine, sources, options, cancel, sink)
        .await
        .map_err(|error| error.in_data_folder(&folder))
}

async fn run_holding_the_lock(
    engine: Arc<Engine>,
    sources: Vec<Source>,
    options: IndexOptions,
    cancel: CancellationToken,
    sink: Sink,
) -> Result<IndexSummary, EngineError> {
    let _lock = engine.data.lock_for_writing()?;
    // What a process that died was reading is known before this run reads anything.
    engine.reads.adopt_leftovers()?;
    if options.retry_failed {
        engine.reads.retry_skipped()?;
    }
    engine.data.adopt_legacy_index(&engine.key)?;
    if let Some(choice) = options.strategy {
        engine.data.set_index_choice(choice)?;
    }
    let choice = engine.data.index_choice()?;
    let writer = Arc::new(Mutex::new(Catalog::open(&engine.data.catalog_path())?));
    let sources = if sources.is_empty() {
        lock(&writer).sources()?
    } else {
        sources
    };
    let sources = sources
        .into_iter()
        .map(|source| match source {
            Source::Folder(folder) => std::fs::canonicalize(&folder)
                .map(Source::Folder)
                .map_err(|source| EngineError::Folder { path: folder, source }),
            library => Ok(library),
        })
        .collect::<Result<Vec<_>, _>>()?;
    sink(IndexEvent::Started {
        model: engine.key.clone(),
        sources: sources.iter().map(source_label).collect(),
    });
    let mut summary = IndexSummary::default();
    scan(&engine, &writer, &sources, &cancel, &sink, &mut summary).await?;
    {
        let (engine, writer) = (Arc::clone(&engine), Arc::clone(&writer));
        blocking(move || {
            let catalog = lock(&writer);
            engine
                .index
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .fold(&catalog, choice)
        })
        .await?;
    }
    let encoded = if cancel.is_cancelled() {
        Ok(())
    } else {
        previews_then_encode(&engine, &writer, &options, &cancel, &sink, &mut summary).await
    };
    // Whatever happened while encoding, what was stored goes into the saved index.
    let saved = {
        let (engine, writer) = (Arc::clone(&engine), Arc::clone(&writer));
        blocking(move || {
            let mut index = engine.index.write().unwrap_or_else(|p| p.into_inner());
            if index.has_unsaved_changes() {
                index.save(&mut lock(&writer))?;
            }
            Ok(index.searchable())
        })
        .await
    };
    encoded?;
    summary.searchable = saved?;
    summary.photos = lock(&writer).photo_count()?;
    sink(if cancel.is_cancelled() {
        IndexEvent::Cancelled(summary.clone())
    } else {
        IndexEvent::Finished(summary.clone())
    });
    if !cancel.is_cancelled() {
        // Searches come next: the text tower is loaded now, with the image tower
        // released, so that the first search on a new data folder does not make the
        // text tower's optimised copy in a process of its own (a fresh search's peak
        // memory with ViT-B/32 fp32: 569 MB when it makes the copy, 220 MB after). A
        // tower that will not load is the search's error to report.
        let engine = Arc::clone(&engine);
        blocking(move || {
            drop(engine.text_encoder());
            Ok(())
        })
        .await?;
    }
    Ok(summary)
}

/// How the `Started` event names a source.
fn source_label(source: &Source) -> PathBuf {
    match source {
        Source::Folder(path) => path.clone(),
        Source::Library { name, .. } => PathBuf::from(name),
    }
}

/// What a scan found: the report, and the parts of a folder that could not be read.
type Scanned = (ScanReport, Vec<(PathBuf, String)>);

/// Scan one source and bring the catalog in line with it. `Ok(Err(..))`: the whole
/// source is unreachable (an unplugged drive, a library motis may no longer read), which
/// leaves its photos in the catalog untouched; the `Vec` lists the parts of a folder that
/// could not be read.
fn scan_source(
    engine: &Engine,
    writer: &Mutex<Catalog>,
    source: &Source,
) -> Result<Result<Scanned, EngineError>, EngineError> {
    match source {
        Source::Folder(folder) => {
            let (entries, problems) = match scan_folder(folder) {
                Ok(found) => found,
                Err(error) => return Ok(Err(error)),
            };
            let unreachable: Vec<PathBuf> = problems.iter().map(|p| p.path.clone()).collect();
            let report = lock(writer).reconcile(folder, &entries, &unreachable, &engine.reads)?;
            // Photos catalogued before dates were kept: their EXIF dates, read once (a
            // photo skipped by the quarantine keeps its file's time).
            let undated = lock(writer).without_date(folder)?;
            for batch in undated.chunks(256) {
                let mut dates: Vec<(PhotoId, PhotoDate)> = Vec::with_capacity(batch.len());
                for (id, path, mtime_ns) in batch {
                    match engine.reads.begin(&Origin::File(path.clone()), Stage::Scan) {
                        Ok(_reading) => dates.push((*id, PhotoDate::of_file(path, *mtime_ns))),
                        Err(EngineError::Skipped { .. }) => {}
                        Err(other) => return Err(other),
                    }
                }
                lock(writer).record_dates(&dates)?;
            }
            let problems = problems
                .into_iter()
                .map(|p| (p.path, format!("cannot read: {}", p.cause)))
                .collect();
            Ok(Ok((report, problems)))
        }
        Source::Library { name, albums } => {
            let library = match engine.library(name) {
                Ok(library) => library,
                Err(error) => return Ok(Err(error)),
            };
            let mut items: Vec<LibraryItem> = Vec::new();
            if let Err(source) = library.list(albums.as_deref(), &mut |page| items.extend(page)) {
                return Ok(Err(EngineError::LibraryListing {
                    library: name.clone(),
                    source,
                }));
            }
            let report = lock(writer).reconcile_library(name, albums.as_deref(), &items)?;
            // An edited photo is read again, whatever stopped motis while reading it before.
            for &id in &report.changed {
                if let Some(origin) = lock(writer).origin(id)? {
                    engine.reads.forget(&origin)?;
                }
            }
            Ok(Ok((report, Vec::new())))
        }
    }
}

async fn scan(
    engine: &Arc<Engine>,
    writer: &Shared<Catalog>,
    sources: &[Source],
    cancel: &CancellationToken,
    sink: &Sink,
    summary: &mut IndexSummary,
) -> Result<(), EngineError> {
    // Sources are few and slow: each one is news.
    let mut progress = Progress::new(Phase::Scanning, sources.len(), Duration::ZERO, sink);
    for source in sources {
        if cancel.is_cancelled() {
            break;
        }
        let scanned = {
            let (engine, writer, source) = (Arc::clone(engine), Arc::clone(writer), source.clone());
            blocking(move || scan_source(&engine, &writer, &source)).await?
        };
        let (report, problems) = match scanned {
            Ok(scanned) => scanned,
            Err(error) => {
                failed(sink, None, &source_label(source), error.to_string());
                summary.failed += 1;
                progress.advance(0, 1);
                continue;
            }
        };
        for (path, cause) in problems.iter().chain(&report.unreadable) {
            failed(sink, None, path, cause.clone());
        }
        engine.previews.forget(report.changed.iter().copied());
        engine.previews.forget(report.removed.iter().copied());
        engine.data.forget_made_files(&report.removed);
        engine.data.forget_made_files(&report.changed);
        summary.failed += problems.len() + report.unreadable.len();
        summary.added += report.added.len();
        summary.changed += report.changed.len();
        summary.moved += report.moved.len();
        summary.removed += report.removed.len();
        progress.advance(1, 0);
    }
    Ok(())
}

/// Run `work` on each job on `workers` blocking threads and send what it returns, stopping
/// early when `stop` is cancelled or the receiving side hangs up. Each worker builds its
/// own state first (a preprocessor, say) with `setup`.
fn spawn_pool<J, S, R>(
    jobs: Vec<J>,
    workers: usize,
    stop: &CancellationToken,
    results: mpsc::Sender<R>,
    setup: impl Fn() -> S + Send + Sync + 'static,
    work: impl Fn(&mut S, J) -> Option<R> + Send + Sync + 'static,
) -> Vec<tokio::task::JoinHandle<()>>
where
    J: Send + 'static,
    R: Send + 'static,
{
    let queue = Arc::new(Mutex::new(jobs.into_iter()));
    let (setup, work) = (Arc::new(setup), Arc::new(work));
    (0..workers.max(1))
        .map(|_| {
            let (queue, stop, results) = (Arc::clone(&queue), stop.clone(), results.clone());
            let (setup, work) = (Arc::clone(&setup), Arc::clone(&work));
            tokio::task::spawn_blocking(move || {
                let mut state = setup();
                while !stop.is_cancelled() {
                    let Some(job) = lock(&queue).next() else { break };
                    if let Some(result) = work(&mut state, job)
                        && results.blocking_send(result).is_err()
                    {
                        break;
                    }
                }
            })
        })
        .collect()
}

async fn join_all(handles: Vec<tokio::task::JoinHandle<()>>) -> Result<(), EngineError> {
    for handle in handles {
        handle.await.map_err(|e| EngineError::Worker(e.to_string()))?;
    }
    Ok(())
}

/// The previews phase, then encoding. Each photo is decoded once where it can be: the
/// previews phase makes those of the newest photos (the top of the gallery, what a person
/// sees first, while no encoder competes for the cores) and of photos this run does not
/// encode; encoding makes the rest from the decode it does for the model input. When the
/// image tower cannot run, every preview is made here, and then the error is returned.
async fn previews_then_encode(
    engine: &Arc<Engine>,
    writer: &Shared<Catalog>,
    options: &IndexOptions,
    cancel: &CancellationToken,
    sink: &Sink,
    summary: &mut IndexSummary,
) -> Result<(), EngineError> {
    let (without_preview, to_encode) = {
        let catalog = lock(writer);
        (catalog.without_preview()?, catalog.unencoded(&engine.key)?)
    };
    let runtime = if to_encode.is_empty() {
        None
    } else {
        let engine = Arc::clone(engine);
        Some(blocking(move || engine.prepare(Tower::Image)).await)
    };
    let previews_ride_along = matches!(runtime, Some(Ok(_)));
    let jobs: Vec<(PhotoId, Origin)> = if previews_ride_along {
        let encoded_here: HashSet<PhotoId> = to_encode.iter().map(|(id, _, _)| *id).collect();
        without_preview
            .into_iter()
            .enumerate()
            .filter(|(position, (id, _))| *position < options.previews_first || !encoded_here.contains(id))
            .map(|(_, job)| job)
            .collect()
    } else {
        without_preview
    };
    make_previews(engine, writer, jobs, options, cancel, sink, summary).await?;
    let runtime = match runtime {
        Some(Err(error)) => return Err(error),
        _ if cancel.is_cancelled() => return Ok(()),
        runtime => runtime,
    };
    // Read again: the previews phase made some of these previews, and failed others (a
    // photo that cannot be decoded is not encoded), or made one that failed before.
    let jobs = lock(writer).unencoded(&engine.key)?;
    if jobs.is_empty() {
        return Ok(());
    }
    let runtime = match runtime {
        Some(Ok(runtime)) => runtime,
        _ => {
            let engine = Arc::clone(engine);
            blocking(move || engine.prepare(Tower::Image)).await?
        }
    };
    encode(engine, writer, runtime, jobs, options, cancel, sink, summary).await
}

async fn make_previews(
    engine: &Arc<Engine>,
    writer: &Shared<Catalog>,
    jobs: Vec<(PhotoId, Origin)>,
    options: &IndexOptions,
    cancel: &CancellationToken,
    sink: &Sink,
    summary: &mut IndexSummary,
) -> Result<(), EngineError> {
    let progress = Progress::new(Phase::Previews, jobs.len(), options.progress_interval, sink);
    engine.previews.set_run_active(true);
    let (sender, mut results) = mpsc::channel(64);
    let maker = Arc::clone(engine);
    let (stop, trouble) = (cancel.child_token(), DiskTrouble::of(engine.data.root()));
    let pauses = Pauses::new(options, sink);
    let workers = spawn_pool(jobs, options.decode_workers, &stop, sender, || (), {
        let (stop, trouble) = (stop.clone(), trouble.clone());
        move |(), (id, origin): (PhotoId, Origin)| {
            pauses.wait_until_allowed(&stop);
            if stop.is_cancelled() {
                return None;
            }
            let made = maker.previews.in_background(id, || {
                maker
                    .preview_outcome(id, &origin)
                    .map_err(|error| trouble.note(error, &stop))
            });
            (!trouble.happened()).then_some((id, origin, made))
        }
    });
    let recorder = {
        let (writer, sink, engine) = (Arc::clone(writer), Arc::clone(sink), Arc::clone(engine));
        blocking(move || {
            let mut progress = progress;
            let mut previews = PreviewRecorder::new();
            while let Some((id, origin, made)) = results.blocking_recv() {
                match &made {
                    Ok(_) => progress.advance(1, 0),
                    Err(cause) => {
                        failed(&sink, Some(id), &origin.label(), cause.clone());
                        progress.advance(0, 1);
                    }
                }
                previews.add(id, made);
                previews.flush_now_and_then(&writer, &engine)?;
            }
            previews.flush(&writer, &engine)?;
            Ok((progress.done, progress.failed))
        })
    };
    let joined = join_all(workers).await;
    let recorded = recorder.await;
    engine.previews.set_run_active(false);
    joined?;
    let (made, failed) = recorded?;
    summary.previews += made;
    summary.failed += failed;
    trouble.take()
}

/// Previews made, written to the catalog in batches and then dropped from the preview
/// desk (which holds each for the screen until the catalog has it).
struct PreviewRecorder {
    done: Vec<(PhotoId, u32, u32, u8)>,
    failures: Vec<(PhotoId, String)>,
    last_flush: Instant,
    /// Previews made in all.
    made: usize,
}

impl PreviewRecorder {
    fn new() -> PreviewRecorder {
        PreviewRecorder {
            done: Vec::new(),
            failures: Vec::new(),
            last_flush: Instant::now(),
            made: 0,
        }
    }

    fn add(&mut self, id: PhotoId, made: Made) {
        match made {
            Ok((width, height, orientation)) => {
                self.done.push((id, width, height, orientation));
                self.made += 1;
            }
            Err(cause) => self.failures.push((id, cause)),
        }
    }

    /// Write what is waiting once there is a batch of it or a moment has passed: the
    /// screen reads previews' states in the catalog.
    fn flush_now_and_then(&mut self, writer: &Shared<Catalog>, engine: &Engine) -> Result<(), EngineError> {
        if self.done.len() + self.failures.len() >= 256 || self.last_flush.elapsed() >= Duration::from_millis(250) {
            self.flush(writer, engine)?;
        }
        Ok(())
    }

    fn flush(&mut self, writer: &Shared<Catalog>, engine: &Engine) -> Result<(), EngineError> {
        lock(writer).record_previews(&self.done, &self.failures)?;
        engine.previews.forget(
            self.done
                .drain(..)
                .map(|d| d.0)
                .chain(self.failures.drain(..).map(|f| f.0)),
        );
        self.last_flush = Instant::now();
        Ok(())
    }
}

/// A photo turned into its model input, on its way to an encoder.
struct Prepared {
    id: PhotoId,
    pixels: Vec<f32>,
}

/// What reaches the writer.
enum Outcome {
    Encoded(Vec<(PhotoId, Vec<f32>)>),
    Failed {
        id: PhotoId,
        label: PathBuf,
        cause: String,
    },
    /// A preview made from the decode for the model input (or by the screen meanwhile).
    Preview {
        id: PhotoId,
        label: PathBuf,
        made: Made,
    },
}

#[allow(clippy::too_many_arguments)]
async fn encode(
    engine: &Arc<Engine>,
    writer: &Shared<Catalog>,
    runtime: Runtime,
    jobs: Vec<(PhotoId, Origin, bool)>,
    options: &IndexOptions,
    cancel: &CancellationToken,
    sink: &Sink,
    summary: &mut IndexSummary,
) -> Result<(), EngineError> {
    let progress = Progress::new(Phase::Encoding, jobs.len(), options.progress_interval, sink);
    if jobs.is_empty() {
        return Ok(());
    }
    // A fatal error in one stage (the model cannot run) stops the others.
    let stop = cancel.child_token();
    let batch_size = options.batch_size.max(1);
    let (prepared_sender, prepared) = mpsc::channel::<Prepared>(2 * batch_size * options.encoders.max(1));
    let (outcome_sender, mut outcomes) = mpsc::channel::<Outcome>(2 * options.encoders.max(1) + 16);

    let spec = engine.model.input.clone();
    let min_short_side = spec.min_decode_side();
    engine.previews.set_run_active(true);
    let trouble = DiskTrouble::of(engine.data.root());
    let decoders = {
        let failures = outcome_sender.clone();
        let reader = Arc::clone(engine);
        let (trouble, halt) = (trouble.clone(), stop.clone());
        spawn_pool(
            jobs,
            options.decode_workers,
            &stop,
            prepared_sender,
            move || Preprocessor::new(spec.clone()),
            move |preprocessor: &mut Preprocessor, (id, origin, preview_pending): (PhotoId, Origin, bool)| {
                // One decode for the preview and the model input, through the preview
                // desk (the screen's requests first; one it made is not made again).
                let mut decoded_here = None;
                if preview_pending {
                    let made = reader.previews.in_background(id, || {
                        let decoded = reader
                            .decode(&origin, PREVIEW_LONG_SIDE.max(min_short_side))
                            .map_err(|e| trouble.note(e, &halt))?;
                        let made = reader.preview_from(id, &decoded).map_err(|e| trouble.note(e, &halt));
                        decoded_here = Some(decoded);
                        made
                    });
                    if trouble.happened() {
                        return None;
                    }
                    let failed = made.is_err();
                    let _ = failures.blocking_send(Outcome::Preview {
                        id,
                        label: origin.label(),
                        made,
                    });
                    // It cannot be decoded: the preview's failure says why, once.
                    if failed {
                        return None;
                    }
                }
                let mut pixels = vec![0.0; preprocessor.spec().len()];
                let ready = match decoded_here {
                    Some(decoded) => Ok(decoded),
                    None => reader.decode(&origin, min_short_side),
                }
                .and_then(|decoded| Ok(preprocessor.write_input(&decoded.image, &mut pixels)?));
                match ready {
                    Ok(()) => Some(Prepared { id, pixels }),
                    Err(error) => {
                        let (label, cause) = (origin.label(), trouble.note(error, &halt));
                        if trouble.happened() {
                            return None;
                        }
                        let _ = failures.blocking_send(Outcome::Failed { id, label, cause });
                        None
                    }
                }
            },
        )
    };
    let encoders: Vec<_> = {
        let prepared = Arc::new(tokio::sync::Mutex::new(prepared));
        let pauses = Pauses::new(options, sink);
        (0..options.encoders.max(1))
            .map(|_| {
                let (prepared, outcomes, stop) = (Arc::clone(&prepared), outcome_sender.clone(), stop.clone());
                let pauses = pauses.clone();
                let (runtime, model, threads) = (runtime.clone(), engine.model.clone(), engine.threads);
                tokio::task::spawn_blocking(move || -> Result<(), EngineError> {
                    let failure = |error: EngineError| {
                        stop.cancel();
                        error
                    };
                    let mut encoder = ImageEncoder::new(&runtime, &model, threads).map_err(|e| failure(e.into()))?;
                    loop {
                        pauses.wait_until_allowed(&stop);
                        if stop.is_cancelled() {
                            break;
                        }
                        let batch: Vec<Prepared> = {
                            let mut queue = prepared.blocking_lock();
                            let Some(first) = queue.blocking_recv() else { break };
                            let mut batch = vec![first];
                            while batch.len() < batch_size {
                                match queue.try_recv() {
                                    Ok(next) => batch.push(next),
                                    Err(_) => break,
                                }
                            }
                            batch
                        };
                        let pixels: Vec<f32> = batch.iter().flat_map(|p| p.pixels.iter().copied()).collect();
                        let vectors = encoder.encode(&pixels).map_err(|e| failure(e.into()))?;
                        let encoded = batch.iter().map(|p| p.id).zip(vectors).collect();
                        if outcomes.blocking_send(Outcome::Encoded(encoded)).is_err() {
                            break;
                        }
                    }
                    Ok(())
                })
            })
            .collect()
    };
    drop(outcome_sender);

    let writing = {
        let (engine, writer, sink) = (Arc::clone(engine), Arc::clone(writer), Arc::clone(sink));
        let save_interval = options.save_interval;
        blocking(move || {
            let mut progress = progress;
            let mut last_save = Instant::now();
            let mut previews = PreviewRecorder::new();
            while let Some(outcome) = outcomes.blocking_recv() {
                match outcome {
                    Outcome::Preview { id, label, made } => {
                        if let Err(cause) = &made {
                            failed(&sink, Some(id), &label, cause.clone());
                            progress.advance(0, 1);
                        }
                        previews.add(id, made);
                        previews.flush_now_and_then(&writer, &engine)?;
                        continue;
                    }
                    Outcome::Encoded(batch) => {
                        lock(&writer).store_embeddings(&engine.key, &batch)?;
                        let encoded = batch.len();
                        {
                            let mut index = engine.index.write().unwrap_or_else(|p| p.into_inner());
                            index.extend(batch)?;
                            if last_save.elapsed() >= save_interval {
                                index.save(&mut lock(&writer))?;
                                last_save = Instant::now();
                            }
                        }
                        // After the lock is released: whoever listens may search at once.
                        progress.advance(encoded, 0);
                    }
                    Outcome::Failed { id, label, cause } => {
                        lock(&writer).record_failure(id, &cause)?;
                        failed(&sink, Some(id), &label, cause);
                        progress.advance(0, 1);
                    }
                }
            }
            previews.flush(&writer, &engine)?;
            Ok((progress.done, progress.failed, previews.made))
        })
    };
    let written = writing.await;
    engine.previews.set_run_active(false);
    if written.is_err() {
        // The writer failed (disk full, say): nothing more can be stored.
        stop.cancel();
    }
    for handle in decoders {
        handle.await.map_err(|e| EngineError::Worker(e.to_string()))?;
    }
    let mut first_error = None;
    for handle in encoders {
        let outcome = handle.await.map_err(|e| EngineError::Worker(e.to_string()))?;
        if let Err(error) = outcome {
            first_error.get_or_insert(error);
        }
    }
    let (encoded, failed, previews) = written?;
    summary.encoded += encoded;
    summary.failed += failed;
    summary.previews += previews;
    trouble.take()?;
    match first_error {
        Some(error) => Err(error),
        None => Ok(()),
    }
}
