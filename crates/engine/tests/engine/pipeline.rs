//! Indexing runs end to end with the demo model: previews, encoding, search, rescans,
//! bad photos, cancellation, a lost index file, and searching while a run goes on.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use motis_engine::{
    CancellationToken, Engine, EngineConfig, EngineError, ErrorCode, Filters, IndexChoice, IndexEvent, IndexOptions,
    IndexSummary, ModelFolders, Origin, Phase, PreviewState, Query, RunCondition, SearchMode, SearchOptions,
    SearchResults, Sort, Source, Strategy, Subject,
};

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The committed gallery: ten shapes-world photos, each with a caption stating all it shows.
pub fn captions() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/gallery/captions.json")).unwrap();
    let map: HashMap<String, String> = serde_json::from_str(&text).unwrap();
    let mut pairs: Vec<_> = map.into_iter().collect();
    pairs.sort();
    pairs
}

pub fn copy_gallery(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for (name, _) in captions() {
        std::fs::copy(repo().join("tests/fixtures/gallery").join(&name), to.join(&name)).unwrap();
    }
}

pub fn open(data: &Path) -> Arc<Engine> {
    Arc::new(
        Engine::open(&EngineConfig {
            data_dir: data.to_owned(),
            models: ModelFolders::new(repo().join("models"), None),
            model: "motis-demo".into(),
            threads: 1,
        })
        .unwrap(),
    )
}

/// Small batches and every progress event, so that tests can act at chosen moments.
pub fn small_batches() -> IndexOptions {
    IndexOptions {
        batch_size: 2,
        progress_interval: Duration::ZERO,
        ..IndexOptions::default()
    }
}

/// Run an indexing pass over folders, collecting its events; `on_event` sees each one as
/// it happens.
fn index_with(
    engine: &Arc<Engine>,
    folders: &[&Path],
    options: IndexOptions,
    cancel: CancellationToken,
    on_event: impl Fn(&IndexEvent) + Send + Sync + 'static,
) -> (Result<IndexSummary, EngineError>, Vec<IndexEvent>) {
    let sources = folders.iter().map(|f| Source::Folder(f.to_path_buf())).collect();
    index_sources_with(engine, sources, options, cancel, on_event)
}

/// Run an indexing pass over any sources, collecting its events.
pub fn index_sources_with(
    engine: &Arc<Engine>,
    sources: Vec<Source>,
    options: IndexOptions,
    cancel: CancellationToken,
    on_event: impl Fn(&IndexEvent) + Send + Sync + 'static,
) -> (Result<IndexSummary, EngineError>, Vec<IndexEvent>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let result = runtime.block_on(engine.index(sources, options, cancel, move |event| {
        on_event(&event);
        seen.lock().unwrap().push(event);
    }));
    let events = std::mem::take(&mut *events.lock().unwrap());
    (result, events)
}

fn index(engine: &Arc<Engine>, folders: &[&Path]) -> (IndexSummary, Vec<IndexEvent>) {
    let (result, events) = index_with(engine, folders, small_batches(), CancellationToken::new(), |_| {});
    (result.unwrap(), events)
}

pub fn failures(events: &[IndexEvent]) -> Vec<(PathBuf, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            IndexEvent::ItemFailed { path, cause, .. } => Some((path.clone(), cause.clone())),
            _ => None,
        })
        .collect()
}

/// A search as a person types it, for up to `k` photos.
pub fn search(engine: &Engine, text: &str, k: usize, mode: SearchMode) -> SearchResults {
    let query = Query::parse(text, true).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    engine
        .search(
            &query,
            SearchOptions {
                k,
                mode,
                sort: Sort::Score,
            },
        )
        .unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn top(engine: &Engine, text: &str, k: usize) -> Vec<PathBuf> {
    match search(engine, text, k, SearchMode::Exact) {
        SearchResults::Matches { found, .. } => {
            found.into_iter().map(|f| f.origin.file().unwrap().to_owned()).collect()
        }
        SearchResults::Gallery(_) => panic!("{text:?} is a query, not the gallery"),
    }
}

pub fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn each_caption_finds_its_own_photo_first_and_reset_means_the_gallery() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    copy_gallery(&photos);
    let engine = open(&dir.path().join("data"));
    let (summary, events) = index(&engine, &[&photos]);
    assert_eq!(failures(&events), vec![]);
    assert_eq!(
        (summary.added, summary.previews, summary.encoded, summary.searchable),
        (10, 10, 10, 10)
    );
    // Every preview exists before the first photo is encoded.
    let first_encoding = events
        .iter()
        .position(|e| {
            matches!(
                e,
                IndexEvent::Progress {
                    phase: Phase::Encoding,
                    ..
                }
            )
        })
        .unwrap();
    assert!(events[..first_encoding].iter().any(|e| matches!(
        e,
        IndexEvent::Progress {
            phase: Phase::Previews,
            done: 10,
            total: 10,
            ..
        }
    )));
    for (name, caption) in captions() {
        let found = top(&engine, &caption, 3);
        assert_eq!(file_name(&found[0]), name, "{caption:?} found {found:?}");
    }
    for query in ["reset", "  RESET ", "Reset", "", "   "] {
        assert_eq!(
            search(&engine, query, 5, SearchMode::Auto),
            SearchResults::Gallery(Filters::default()),
            "{query:?}"
        );
    }
    // "reset" inside a longer query is an ordinary query.
    assert!(matches!(
        search(&engine, "reset the red star", 5, SearchMode::Auto),
        SearchResults::Matches { .. }
    ));
    let gallery = engine.gallery(&Filters::default(), None, 100).unwrap();
    assert_eq!(gallery.len(), 10);
    for photo in &gallery {
        assert_eq!(photo.preview, PreviewState::Done);
        let preview = engine.preview_path(photo.id).unwrap().unwrap();
        let (width, height) = image::image_dimensions(&preview).unwrap();
        assert_eq!(
            width.max(height),
            320.min(photo.width.unwrap().max(photo.height.unwrap()))
        );
    }
    // A fresh engine (a new process) loads the saved index and finds the same.
    drop(engine);
    let engine = open(&dir.path().join("data"));
    let (name, caption) = &captions()[3];
    assert_eq!(&file_name(&top(&engine, caption, 1)[0]), name);
    let status = engine.status().unwrap();
    assert_eq!((status.counts.photos, status.searchable), (10, 10));
    assert!(status.index_bytes > 0);
}

#[test]
fn rescans_encode_only_new_and_changed_photos_and_forget_deleted_ones() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    copy_gallery(&photos);
    let data = dir.path().join("data");
    let engine = open(&data);
    index(&engine, &[&photos]);
    let caption = |name: &str| captions().into_iter().find(|(n, _)| n == name).unwrap().1;
    let moved_id = engine.photo_id_by_path(&photos.join("scene-02.jpg")).unwrap();

    std::fs::copy(
        repo().join("tests/fixtures/images/landscape.jpg"),
        photos.join("scene-01.jpg"),
    )
    .unwrap();
    std::fs::create_dir(photos.join("album")).unwrap();
    std::fs::rename(photos.join("scene-02.jpg"), photos.join("album/renamed.jpg")).unwrap();
    std::fs::remove_file(photos.join("scene-03.jpg")).unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/images/portrait.jpg"),
        photos.join("new.jpg"),
    )
    .unwrap();

    let (summary, events) = index(&engine, &[&photos]);
    assert_eq!(failures(&events), vec![]);
    assert_eq!(
        (summary.added, summary.changed, summary.moved, summary.removed),
        (1, 1, 1, 1),
        "{summary:?}"
    );
    assert_eq!(summary.encoded, 2, "only the new and the changed photo are encoded");
    assert_eq!(summary.searchable, 10);
    let renamed = top(&engine, &caption("scene-02.jpg"), 1);
    assert_eq!(renamed[0], photos.join("album/renamed.jpg").canonicalize().unwrap());
    assert_eq!(engine.photo_id_by_path(&renamed[0]).unwrap(), moved_id);
    let everything = top(&engine, &caption("scene-03.jpg"), 20);
    assert_eq!(everything.len(), 10);
    assert!(
        everything.iter().all(|p| file_name(p) != "scene-03.jpg"),
        "{everything:?}"
    );

    // Nothing changed: nothing to do.
    let (summary, _) = index(&engine, &[&photos]);
    assert_eq!(
        (summary.added, summary.changed, summary.moved, summary.removed),
        (0, 0, 0, 0)
    );
    assert_eq!((summary.previews, summary.encoded, summary.searchable), (0, 0, 10));
}

fn write_panorama(path: &Path) {
    let image = image::RgbImage::from_fn(20_000, 300, |x, y| image::Rgb([(x / 80) as u8, (y % 256) as u8, 128]));
    image.save(path).unwrap();
}

#[test]
fn bad_photos_fail_one_by_one_naming_the_file_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    copy_gallery(&photos);
    let fixtures = repo().join("tests/fixtures");
    for name in ["empty.jpg", "truncated.jpg", "not-a-photo.jpg", "bomb.png"] {
        std::fs::copy(fixtures.join("bad").join(name), photos.join(name)).unwrap();
    }
    for name in [
        "one-pixel.png",
        "cmyk.jpg",
        "rgb16.png",
        "animated.gif",
        "gray-alpha.png",
    ] {
        std::fs::copy(fixtures.join("images").join(name), photos.join(name)).unwrap();
    }
    write_panorama(&photos.join("panorama.jpg"));
    let not_utf8 = photos.join(OsStr::from_bytes(b"caf\xe9-\xff.jpg"));
    std::fs::copy(fixtures.join("images/landscape.jpg"), &not_utf8).unwrap();
    std::os::unix::fs::symlink(&photos, photos.join("loop")).unwrap();

    // Previews in a phase of their own, and made from the decode for the model input.
    for previews_first in [IndexOptions::default().previews_first, 0] {
        let engine = open(&dir.path().join(format!("data-{previews_first}")));
        let options = IndexOptions {
            previews_first,
            ..small_batches()
        };
        let (summary, events) = index_with(&engine, &[&photos], options, CancellationToken::new(), |_| {});
        let summary = summary.unwrap();
        let mut failed: Vec<String> = failures(&events).iter().map(|(p, _)| file_name(p)).collect();
        failed.sort();
        assert_eq!(
            failed,
            ["bomb.png", "empty.jpg", "not-a-photo.jpg", "truncated.jpg"],
            "previews_first {previews_first}"
        );
        for (path, cause) in failures(&events) {
            assert!(
                cause.contains(&path.display().to_string()),
                "{cause:?} must name the file"
            );
        }
        let causes: HashMap<String, String> = engine
            .failures()
            .unwrap()
            .into_iter()
            .map(|f| (file_name(&f.origin.label()), f.cause))
            .collect();
        assert!(causes["bomb.png"].contains("100000×100000"), "{causes:?}");
        assert!(causes["truncated.jpg"].contains("truncated"), "{causes:?}");
        assert_eq!(causes.len(), 4);
        let good = 10 + 5 + 2;
        assert_eq!(
            (summary.previews, summary.encoded, summary.failed, summary.searchable),
            (good, good, 4, good)
        );
        // The photo with a name that is not UTF-8 comes back with its exact bytes.
        let id = engine.photo_id_by_path(&not_utf8).unwrap();
        let photo = engine.photo(id).unwrap();
        assert_eq!(photo.origin, Origin::File(not_utf8.canonicalize().unwrap()));
        assert_eq!((photo.width, photo.height), (Some(200), Some(150)));
        let panorama = engine
            .photo(engine.photo_id_by_path(&photos.join("panorama.jpg")).unwrap())
            .unwrap();
        assert_eq!((panorama.width, panorama.height), (Some(20_000), Some(300)));
        assert!(matches!(
            engine
                .search(
                    &Query::like(Subject::Photo(id)),
                    SearchOptions {
                        k: 3,
                        mode: SearchMode::Exact,
                        sort: Sort::Score
                    }
                )
                .unwrap(),
            SearchResults::Matches { found, .. } if found.len() == 3 && found.iter().all(|f| f.id != id)
        ));
    }
}

#[test]
fn a_photo_deleted_between_scan_and_encoding_is_a_failure_and_then_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    copy_gallery(&photos);
    let engine = open(&dir.path().join("data"));
    let doomed = photos.join("scene-05.jpg");
    let victim = doomed.clone();
    let (result, events) = index_with(
        &engine,
        &[&photos],
        small_batches(),
        CancellationToken::new(),
        move |event| {
            if let IndexEvent::Progress {
                phase: Phase::Encoding,
                done: 0,
                ..
            } = event
            {
                let _ = std::fs::remove_file(&victim);
            }
        },
    );
    let summary = result.unwrap();
    let failed = failures(&events);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(file_name(&failed[0].0), "scene-05.jpg");
    assert!(failed[0].1.contains("No such file"), "{}", failed[0].1);
    assert_eq!((summary.encoded, summary.searchable), (9, 9));
    assert_eq!(engine.failures().unwrap().len(), 1);

    let (summary, events) = index(&engine, &[&photos]);
    assert_eq!(failures(&events), vec![]);
    assert_eq!((summary.removed, summary.photos, summary.searchable), (1, 9, 9));
    assert_eq!(engine.failures().unwrap(), vec![]);
}

#[test]
fn a_folder_that_vanishes_during_the_scan_keeps_its_photos() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    copy_gallery(&first);
    std::fs::create_dir(&second).unwrap();
    std::fs::copy(repo().join("tests/fixtures/images/landscape.jpg"), second.join("a.jpg")).unwrap();
    std::fs::copy(repo().join("tests/fixtures/images/portrait.jpg"), second.join("b.jpg")).unwrap();
    let engine = open(&dir.path().join("data"));
    index(&engine, &[&first, &second]);

    let (gone, away) = (second.clone(), dir.path().join("unplugged"));
    let (result, events) = index_with(
        &engine,
        &[&first, &second],
        small_batches(),
        CancellationToken::new(),
        move |event| {
            if let IndexEvent::Progress {
                phase: Phase::Scanning,
                done: 1,
                failed: 0,
                ..
            } = event
            {
                std::fs::rename(&gone, &away).unwrap();
            }
        },
    );
    let summary = result.unwrap();
    let failed = failures(&events);
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, second.canonicalize().unwrap_or(second.clone()));
    assert_eq!((summary.removed, summary.photos, summary.searchable), (0, 12, 12));
}

#[test]
fn searches_work_while_a_run_goes_on_over_what_is_encoded_so_far() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    copy_gallery(&photos);
    let engine = open(&dir.path().join("data"));
    let searcher = Arc::clone(&engine);
    let seen = Arc::new(Mutex::new(None));
    let record = Arc::clone(&seen);
    let (result, _) = index_with(
        &engine,
        &[&photos],
        IndexOptions {
            batch_size: 1,
            ..small_batches()
        },
        CancellationToken::new(),
        move |event| {
            if let IndexEvent::Progress {
                phase: Phase::Encoding,
                done,
                ..
            } = event
                && *done > 0
                && *done < 10
                && record.lock().unwrap().is_none()
            {
                let results = search(&searcher, "a red star", 20, SearchMode::Auto);
                *record.lock().unwrap() = Some((*done, results));
            }
        },
    );
    result.unwrap();
    let (done, results) = seen
        .lock()
        .unwrap()
        .take()
        .expect("a search ran during the encoding phase");
    let SearchResults::Matches {
        found, searched, total, ..
    } = results
    else {
        panic!("not a query")
    };
    assert_eq!(total, 10);
    assert!(searched >= done && searched < 10, "searched {searched} after {done}");
    assert_eq!(found.len(), searched);
}

#[test]
fn a_cancelled_run_keeps_its_work_and_the_next_one_does_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    copy_gallery(&photos);
    let engine = open(&dir.path().join("data"));
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let (result, events) = index_with(
        &engine,
        &[&photos],
        IndexOptions {
            batch_size: 1,
            decode_workers: 1,
            ..small_batches()
        },
        cancel,
        move |event| {
            if let IndexEvent::Progress {
                phase: Phase::Encoding,
                done: 1..,
                ..
            } = event
            {
                trigger.cancel();
            }
        },
    );
    let first = result.unwrap();
    assert!(
        matches!(events.last(), Some(IndexEvent::Cancelled(_))),
        "{:?}",
        events.last()
    );
    assert!(first.encoded >= 1 && first.encoded < 10, "{first:?}");
    assert_eq!(first.searchable, first.encoded);

    let engine = open(&dir.path().join("data"));
    assert_eq!(engine.status().unwrap().searchable, first.encoded);
    let (second, events) = index(&engine, &[&photos]);
    assert!(matches!(events.last(), Some(IndexEvent::Finished(_))));
    assert_eq!(second.encoded, 10 - first.encoded, "nothing is encoded twice");
    assert_eq!(second.searchable, 10);
}

#[test]
fn a_run_waits_while_its_condition_says_no_and_goes_on_when_it_holds_again() {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    copy_gallery(&photos);
    let engine = open(&dir.path().join("data"));
    // A fake power source: from the start of encoding (its phase's first event, sent
    // before any encoder starts), the phone is hot for the condition's next five answers.
    let (hot, refusals) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicUsize::new(0)));
    let condition = {
        let (hot, refusals) = (Arc::clone(&hot), Arc::clone(&refusals));
        RunCondition::new(move || {
            if hot.load(Ordering::SeqCst) && refusals.fetch_add(1, Ordering::SeqCst) < 5 {
                Err("the phone is hot".into())
            } else {
                Ok(())
            }
        })
    };
    let options = IndexOptions {
        batch_size: 1,
        decode_workers: 1,
        may_run: Some(condition),
        recheck: Duration::from_millis(10),
        ..small_batches()
    };
    let (result, events) = index_with(&engine, &[&photos], options, CancellationToken::new(), move |event| {
        if let IndexEvent::Progress {
            phase: Phase::Encoding,
            done: 0,
            ..
        } = event
        {
            hot.store(true, Ordering::SeqCst);
        }
    });
    let summary = result.unwrap();
    assert_eq!((summary.encoded, summary.searchable), (10, 10));
    assert!(
        refusals.load(Ordering::SeqCst) > 5,
        "asked again after the five refusals"
    );
    let at = |wanted: fn(&IndexEvent) -> bool| {
        let found: Vec<usize> = (0..events.len()).filter(|&i| wanted(&events[i])).collect();
        assert_eq!(found.len(), 1, "{events:?}");
        found[0]
    };
    let paused = at(|e| matches!(e, IndexEvent::Paused { reason } if reason == "the phone is hot"));
    let resumed = at(|e| matches!(e, IndexEvent::Resumed));
    assert!(paused < resumed);
    // Nothing was encoded while it waited.
    let encoded_by = |end: usize| {
        events[..end]
            .iter()
            .filter_map(|e| match e {
                IndexEvent::Progress {
                    phase: Phase::Encoding,
                    done,
                    ..
                } => Some(*done),
                _ => None,
            })
            .max()
            .unwrap_or(0)
    };
    assert_eq!(encoded_by(resumed), 0, "{events:?}");
}

#[test]
fn a_lost_index_file_is_rebuilt_from_the_catalog_without_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    copy_gallery(&photos);
    let data = dir.path().join("data");
    let engine = open(&data);
    index(&engine, &[&photos]);
    let index_path = engine.status().unwrap().index_path;
    drop(engine);

    std::fs::write(&index_path, b"not an index").unwrap();
    let engine = open(&data);
    let (name, caption) = &captions()[7];
    assert_eq!(&file_name(&top(&engine, caption, 1)[0]), name);
    let (summary, _) = index(&engine, &[&photos]);
    assert_eq!((summary.encoded, summary.searchable), (0, 10));
    drop(engine);
    let engine = open(&data);
    assert_eq!(&file_name(&top(&engine, caption, 1)[0]), name);
}

#[test]
fn a_new_index_strategy_is_built_from_the_stored_embeddings_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    copy_gallery(&photos);
    let data = dir.path().join("data");
    let mut engine = open(&data);
    index(&engine, &[&photos]);
    let status = engine.status().unwrap();
    assert_eq!((status.strategy, status.choice), (Strategy::Flat, IndexChoice::Auto));
    let before: Vec<Vec<PathBuf>> = captions().iter().map(|(_, c)| top(&engine, c, 3)).collect();

    for strategy in [Strategy::Hnsw, Strategy::RpForest, Strategy::Ivf, Strategy::Flat] {
        let options = IndexOptions {
            strategy: Some(IndexChoice::Fixed(strategy)),
            ..small_batches()
        };
        let (result, _) = index_with(&engine, &[&photos], options, CancellationToken::new(), |_| {});
        let summary = result.unwrap();
        assert_eq!(
            (summary.encoded, summary.searchable),
            (0, 10),
            "{strategy}: nothing encoded again"
        );
        drop(engine);
        // A fresh process reads the new file, of the new strategy, and keeps the choice.
        engine = open(&data);
        let status = engine.status().unwrap();
        assert_eq!(
            (status.strategy, status.choice),
            (strategy, IndexChoice::Fixed(strategy))
        );
        let after: Vec<Vec<PathBuf>> = captions().iter().map(|(_, c)| top(&engine, c, 3)).collect();
        assert_eq!(after, before, "{strategy}");
        let (summary, _) = index(&engine, &[&photos]);
        assert_eq!(summary.searchable, 10);
        assert_eq!(
            engine.status().unwrap().strategy,
            strategy,
            "a run without --strategy keeps it"
        );
    }
    let options = IndexOptions {
        strategy: Some(IndexChoice::Auto),
        ..small_batches()
    };
    index_with(&engine, &[&photos], options, CancellationToken::new(), |_| {})
        .0
        .unwrap();
    assert_eq!(engine.status().unwrap().choice, IndexChoice::Auto);

    std::fs::write(data.join("indexes/strategy"), "annoy\n").unwrap();
    let error = engine.status().unwrap_err();
    assert!(
        error.to_string().contains("indexes/strategy") && error.to_string().contains("annoy"),
        "{error}"
    );
}

#[test]
fn a_second_writer_on_the_same_data_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    copy_gallery(&photos);
    let data = dir.path().join("data");
    let engine = open(&data);
    let held = std::fs::File::create(data.join("indexing.lock")).unwrap();
    held.lock().unwrap();
    let (result, events) = index_with(&engine, &[&photos], small_batches(), CancellationToken::new(), |_| {});
    let error = result.unwrap_err();
    assert_eq!(error.code(), ErrorCode::Busy, "{error}");
    assert!(events.is_empty());
    drop(held);
    let (summary, _) = index(&engine, &[&photos]);
    assert_eq!(summary.searchable, 10);
}

#[test]
fn a_removed_folder_leaves_catalog_index_and_previews() {
    let dir = tempfile::tempdir().unwrap();
    let (kept, dropped) = (dir.path().join("kept"), dir.path().join("dropped"));
    copy_gallery(&kept);
    std::fs::create_dir(&dropped).unwrap();
    std::fs::copy(
        repo().join("tests/fixtures/images/landscape.jpg"),
        dropped.join("a.jpg"),
    )
    .unwrap();
    std::fs::copy(repo().join("tests/fixtures/images/portrait.jpg"), dropped.join("b.jpg")).unwrap();
    let data = dir.path().join("data");
    let engine = open(&data);
    index(&engine, &[&kept, &dropped]);
    let gone = engine.photo_id_by_path(&dropped.join("a.jpg")).unwrap();
    let preview = engine.preview_path(gone).unwrap().unwrap();

    assert_eq!(
        engine
            .remove_source(&Source::Folder(dropped.canonicalize().unwrap()))
            .unwrap(),
        2
    );
    assert!(!preview.exists());
    assert_eq!(engine.folders().unwrap(), vec![kept.canonicalize().unwrap()]);
    let everything = top(&engine, "a red star", 20);
    assert_eq!(everything.len(), 10);
    assert!(everything.iter().all(|p| p.starts_with(kept.canonicalize().unwrap())));
    drop(engine);
    let engine = open(&data);
    assert_eq!(engine.status().unwrap().searchable, 10);
    assert_eq!(top(&engine, "a red star", 20).len(), 10);
}

#[test]
fn renditions_are_made_at_a_few_sizes_on_request_kept_and_dropped_when_the_photo_changes() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    let big = photos.join("big.jpg");
    image::RgbImage::from_fn(3000, 2000, |x, y| image::Rgb([(x / 12) as u8, (y / 8) as u8, 90]))
        .save(&big)
        .unwrap();
    let engine = open(&dir.path().join("data"));
    index(&engine, &[&photos]);
    let id = engine.photo_id_by_path(&big).unwrap();

    let small = engine.rendition(id, 500).unwrap();
    assert_eq!(
        image::image_dimensions(&small).unwrap(),
        (720, 480),
        "the next size up from 500"
    );
    assert_eq!(engine.rendition(id, 720).unwrap(), small, "one file per size");
    let made = std::fs::metadata(&small).unwrap().modified().unwrap();
    let largest = engine.rendition(id, 10_000).unwrap();
    assert_eq!(image::image_dimensions(&largest).unwrap(), (2160, 1440));
    assert_eq!(
        std::fs::metadata(&small).unwrap().modified().unwrap(),
        made,
        "kept, not made again"
    );

    // The photo is edited: what was made from it goes, and is made anew from the new content.
    image::RgbImage::from_fn(1000, 1000, |_, _| image::Rgb([0, 0, 0]))
        .save(&big)
        .unwrap();
    index(&engine, &[&photos]);
    assert!(!largest.exists());
    assert_eq!(
        image::image_dimensions(engine.rendition(id, 500).unwrap()).unwrap(),
        (720, 720)
    );
}

#[test]
fn the_screen_gets_a_photos_embedded_thumbnail_upright_until_its_preview_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir_all(&photos).unwrap();
    for name in ["with-thumbnail.jpg", "without-thumbnail.jpg"] {
        std::fs::copy(
            repo().join("tests/fixtures/exif-thumbnail").join(name),
            photos.join(name),
        )
        .unwrap();
    }
    let engine = open(&dir.path().join("data"));
    // Stopped as the scan ends: the photos are in the gallery, their previews not made.
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    let (result, _) = index_with(&engine, &[&photos], small_batches(), cancel, move |event| {
        if let IndexEvent::Progress {
            phase: Phase::Scanning,
            done,
            total,
            ..
        } = event
            && done == total
        {
            trigger.cancel();
        }
    });
    result.unwrap();
    let with = engine.photo_id_by_path(&photos.join("with-thumbnail.jpg")).unwrap();
    let without = engine.photo_id_by_path(&photos.join("without-thumbnail.jpg")).unwrap();
    assert_eq!(engine.photo(with).unwrap().preview, PreviewState::Pending);

    let thumbnail = engine
        .embedded_thumbnail(with)
        .unwrap()
        .expect("the camera's thumbnail");
    // The fixture's 640×480 scene is stored turned for orientation 6, thumbnail and all:
    // upright, the thumbnail is 160×120 again.
    assert_eq!(
        image::load_from_memory(&thumbnail).unwrap().into_rgb8().dimensions(),
        (160, 120)
    );
    assert_eq!(engine.embedded_thumbnail(without).unwrap(), None);

    index(&engine, &[&photos]);
    assert_eq!(engine.photo(with).unwrap().preview, PreviewState::Done);
    assert_eq!(
        engine.embedded_thumbnail(with).unwrap(),
        None,
        "the preview is what the screen shows now"
    );
}

#[test]
fn a_search_checks_only_the_text_tower_and_the_data_folder_remembers_what_was_hashed() {
    let data = tempfile::tempdir().unwrap();
    let remembered = || -> Vec<String> {
        let record: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&std::fs::read(data.path().join("verified-models.json")).unwrap()).unwrap();
        record
            .keys()
            .map(|path| path.rsplit('/').next().unwrap().to_owned())
            .collect()
    };
    let engine = open(data.path());
    search(&engine, "a red circle", 5, SearchMode::Auto);
    assert_eq!(remembered(), ["text.onnx"]);

    let photos = tempfile::tempdir().unwrap();
    copy_gallery(photos.path());
    index(&engine, &[photos.path()]);
    assert_eq!(remembered(), ["image.onnx", "text.onnx"]);
}

#[test]
fn an_index_run_leaves_the_text_tower_loaded_for_the_searches_that_follow() {
    let (data, photos, models) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    copy_gallery(photos.path());
    // A copy of the shipped models, so that the text tower's file can be taken away.
    for folder in ["motis-demo", "tokenizers/clip-bpe"] {
        let (from, to) = (repo().join("models").join(folder), models.path().join(folder));
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(&from).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
    let engine = Arc::new(
        Engine::open(&EngineConfig {
            data_dir: data.path().to_owned(),
            models: ModelFolders::new(models.path().to_owned(), None),
            model: "motis-demo".into(),
            threads: 1,
        })
        .unwrap(),
    );
    index(&engine, &[photos.path()]);
    // Gone from disk (and its optimised copy with it), the tower answers a search only
    // if the run loaded it and left it loaded: no search has run yet.
    std::fs::remove_file(models.path().join("motis-demo/text.onnx")).unwrap();
    let _ = std::fs::remove_dir_all(data.path().join("optimized-models"));
    let (name, caption) = &captions()[0];
    let SearchResults::Matches { found, .. } = search(&engine, caption, 1, SearchMode::Auto) else {
        panic!("no matches")
    };
    assert_eq!(&file_name(&found[0].origin.label()), name);
}

#[test]
fn a_run_starts_from_the_index_another_process_saved_after_this_one_opened_it() {
    let (data, photos) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    copy_gallery(photos.path());
    let first = open(data.path());
    assert_eq!(first.status().unwrap().searchable, 0);
    // Another process indexes the folder and saves the index while the first stays open
    // (the app left running beside `motis index`).
    let other = open(data.path());
    let (summary, _) = index(&other, &[photos.path()]);
    let all = summary.searchable;
    assert_eq!(all, captions().len());
    drop(other);
    // The first one's run finds nothing new to encode, and searches everything after it.
    let (summary, _) = index(&first, &[]);
    assert_eq!((summary.encoded, summary.searchable), (0, all));
    assert_eq!(first.status().unwrap().searchable, all);
    let (name, caption) = &captions()[2];
    assert_eq!(file_name(&top(&first, caption, 1)[0]), *name);
}

/// What switching models in the app rests on: a second engine on the same data folder,
/// with another model, encodes the gallery for that model while the first one answers,
/// and makes no preview again.
#[test]
fn a_second_model_encodes_the_gallery_while_the_first_answers_and_no_preview_is_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let (photos, data) = (dir.path().join("photos"), dir.path().join("data"));
    copy_gallery(&photos);
    let installed = dir.path().join("models");
    std::fs::create_dir_all(installed.join("clip-tiny")).unwrap();
    for entry in std::fs::read_dir(repo().join("tests/fixtures/clip-tiny")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), installed.join("clip-tiny").join(entry.file_name())).unwrap();
    }
    std::os::unix::fs::symlink(
        repo().join("models/tokenizers").canonicalize().unwrap(),
        installed.join("tokenizers"),
    )
    .unwrap();
    let open_with = |model: &str| {
        Arc::new(
            Engine::open(&EngineConfig {
                data_dir: data.clone(),
                models: ModelFolders::new(installed.clone(), Some(repo().join("models"))),
                model: model.into(),
                threads: 1,
            })
            .unwrap(),
        )
    };
    let current = open_with("motis-demo");
    let (first, _) = index(&current, &[&photos]);
    assert_eq!((first.previews, first.encoded), (10, 10));
    let preview_times = || -> Vec<std::time::SystemTime> {
        (1..=10)
            .map(|id| {
                std::fs::metadata(data.join("previews/0").join(format!("{id}.jpg")))
                    .unwrap()
                    .modified()
                    .unwrap()
            })
            .collect()
    };
    let previews_before = preview_times();
    let answer_before = top(&current, "a red star", 3);

    let next = open_with("clip-tiny");
    let searcher = Arc::clone(&current);
    let during = Arc::new(Mutex::new(None));
    let record = Arc::clone(&during);
    let (switched, _) = index_with(
        &next,
        &[&photos],
        small_batches(),
        CancellationToken::new(),
        move |event| {
            if let IndexEvent::Progress {
                phase: Phase::Encoding,
                done,
                ..
            } = event
                && *done < 10
                && record.lock().unwrap().is_none()
            {
                *record.lock().unwrap() = Some(top(&searcher, "a red star", 3));
            }
        },
    );
    let switched = switched.unwrap();
    assert_eq!((switched.previews, switched.encoded, switched.searchable), (0, 10, 10));
    assert_eq!(
        preview_times(),
        previews_before,
        "previews are the model's to share, not made again"
    );
    assert_eq!(
        during
            .lock()
            .unwrap()
            .take()
            .expect("a search during the second model's encoding"),
        answer_before,
        "the current model answers as before while the next one encodes"
    );
    assert_eq!(top(&current, "a red star", 3), answer_before);
    assert_eq!(next.status().unwrap().searchable, 10);
    assert_ne!(current.model_key(), next.model_key());
}
