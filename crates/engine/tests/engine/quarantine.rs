//! A photo whose reading takes the process down (a decoder's crash, stood in for by the
//! abort `MOTIS_CRASH_READING` asks of a debug build, or the fake library's): it costs at most two runs,
//! is then named among the failures while every other photo is indexed, and is read
//! again when the failed photos are retried.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use motis_engine::{CancellationToken, Engine, Filters, IndexEvent, IndexOptions, Phase, SKIPPED_CAUSE, Source};

use crate::fake_library::{FakeLibrary, NAME};
use crate::pipeline::{captions, copy_gallery, failures, file_name, index_sources_with, open, repo, small_batches};

const CHILD: &str = "MOTIS_TEST_QUARANTINE_CHILD";
/// What the child does: `folder` or `library` indexes, `thumbnails` asks for every
/// photo's embedded thumbnail.
const MODE: &str = "MOTIS_TEST_QUARANTINE_MODE";
/// The fake library's photo whose reading aborts the child.
const LIBRARY_CRASH: &str = "MOTIS_TEST_LIBRARY_CRASH";

fn sources(work: &Path, mode: &str) -> Vec<Source> {
    match mode {
        "library" => vec![Source::Library {
            name: NAME.into(),
            albums: None,
        }],
        _ => vec![Source::Folder(work.join("photos"))],
    }
}

fn with_library(engine: &Arc<Engine>, work: &Path, crashes_on: Option<String>) {
    let library = FakeLibrary::new(&work.join("photos"));
    library.quirks.lock().unwrap().crashes_on_read = crashes_on;
    engine.attach_library(Arc::new(library));
}

/// Not a test on its own: the process the tests below start, and that may die.
#[test]
#[ignore = "run by the quarantine tests"]
fn quarantine_child() {
    let work = PathBuf::from(std::env::var_os(CHILD).expect("started by a quarantine test"));
    let mode = std::env::var(MODE).unwrap();
    let engine = open(&work.join("data"));
    with_library(&engine, &work, std::env::var(LIBRARY_CRASH).ok());
    if mode == "thumbnails" {
        for photo in engine.gallery(&Filters::default(), None, 100).unwrap() {
            let _ = engine.embedded_thumbnail(photo.id);
        }
        return;
    }
    let options = IndexOptions {
        retry_failed: std::env::var_os("MOTIS_TEST_RETRY_FAILED").is_some(),
        ..small_batches()
    };
    let (result, _) = index_sources_with(
        &engine,
        sources(&work, &mode),
        options,
        CancellationToken::new(),
        |_| {},
    );
    result.unwrap();
}

/// Run the child; whether it ended cleanly.
fn child_ends_cleanly(work: &Path, mode: &str, environment: &[(&str, &str)]) -> bool {
    let emulator = std::env::var("MOTIS_TEST_RUNNER").unwrap_or_default();
    let mut program: Vec<String> = emulator.split_whitespace().map(String::from).collect();
    program.push(std::env::current_exe().unwrap().to_string_lossy().into_owned());
    let status = Command::new(&program[0])
        .args(&program[1..])
        .args(["quarantine::quarantine_child", "--exact", "--ignored", "--nocapture"])
        .env(CHILD, work)
        .env(MODE, mode)
        .envs(environment.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    status.success()
}

/// The committed gallery and one more photo, `bad.jpg`, in `work/photos`.
fn gallery_and_a_bad_photo(work: &Path) {
    copy_gallery(&work.join("photos"));
    std::fs::copy(
        repo().join("tests/fixtures/images/landscape.jpg"),
        work.join("photos/bad.jpg"),
    )
    .unwrap();
}

/// Runs of the child until one ends cleanly (at most `limit`); how many died.
fn runs_that_died(work: &Path, mode: &str, environment: &[(&str, &str)], limit: usize) -> usize {
    (0..limit)
        .take_while(|_| !child_ends_cleanly(work, mode, environment))
        .count()
}

/// After the runs that died: the bad photo is the one failure, skipped with the cause,
/// and every other photo is searchable, each caption finding its own photo first.
fn only_the_bad_photo_failed(work: &Path, mode: &str) -> Arc<Engine> {
    let engine = open(&work.join("data"));
    with_library(&engine, work, None);
    let failed: Vec<(String, String)> = engine
        .failures()
        .unwrap()
        .into_iter()
        .map(|f| (file_name(&f.origin.label()), f.cause))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, "bad.jpg");
    assert!(failed[0].1.contains(SKIPPED_CAUSE), "{}", failed[0].1);
    let status = engine.status().unwrap();
    assert_eq!((status.counts.photos, status.searchable), (11, 10), "{mode}");
    for (name, caption) in captions().iter().take(3) {
        let found = crate::pipeline::search(&engine, caption, 1, motis_engine::SearchMode::Auto);
        let motis_engine::SearchResults::Matches { found, .. } = found else {
            panic!("no matches")
        };
        assert_eq!(&file_name(&found[0].origin.label()), name);
    }
    engine
}

/// A run that retries the failed photos, with the crash gone (the decoder fixed): the
/// photo is read (alone) and indexed.
fn a_retry_indexes_it(engine: &Arc<Engine>, work: &Path, mode: &str) {
    let (result, events) = index_sources_with(
        engine,
        sources(work, mode),
        IndexOptions {
            retry_failed: true,
            ..small_batches()
        },
        CancellationToken::new(),
        |_| {},
    );
    let summary = result.unwrap();
    assert_eq!(failures(&events), vec![]);
    assert_eq!(summary.searchable, 11, "{mode}");
    assert!(engine.failures().unwrap().is_empty());
}

#[test]
fn a_photo_that_crashes_the_scan_costs_two_runs_then_is_a_failure_and_the_rest_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    gallery_and_a_bad_photo(dir.path());
    let crash = [("MOTIS_CRASH_READING", "scan:bad.jpg")];
    assert_eq!(runs_that_died(dir.path(), "folder", &crash, 4), 2);
    let engine = only_the_bad_photo_failed(dir.path(), "folder");

    // Retried with the crash still there: read alone, it costs one run, not two.
    drop(engine);
    let retry = [crash[0], ("MOTIS_TEST_RETRY_FAILED", "1")];
    assert!(!child_ends_cleanly(dir.path(), "folder", &retry));
    assert_eq!(runs_that_died(dir.path(), "folder", &crash, 2), 0);
    let engine = only_the_bad_photo_failed(dir.path(), "folder");
    a_retry_indexes_it(&engine, dir.path(), "folder");
}

#[test]
fn a_photo_that_crashes_its_decoding_costs_two_runs_then_is_a_failure_and_the_rest_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    gallery_and_a_bad_photo(dir.path());
    let crash = [("MOTIS_CRASH_READING", "decode:bad.jpg")];
    assert_eq!(runs_that_died(dir.path(), "folder", &crash, 4), 2);
    let engine = only_the_bad_photo_failed(dir.path(), "folder");
    a_retry_indexes_it(&engine, dir.path(), "folder");
}

#[test]
fn a_library_photo_that_crashes_its_reading_costs_two_runs_then_is_a_failure_and_the_rest_is_indexed() {
    let dir = tempfile::tempdir().unwrap();
    gallery_and_a_bad_photo(dir.path());
    let crash = [(LIBRARY_CRASH, "bad.jpg")];
    assert_eq!(runs_that_died(dir.path(), "library", &crash, 4), 2);
    let engine = only_the_bad_photo_failed(dir.path(), "library");
    a_retry_indexes_it(&engine, dir.path(), "library");
}

#[test]
fn a_photo_whose_embedded_thumbnail_crashes_the_screen_is_skipped_after_two() {
    let dir = tempfile::tempdir().unwrap();
    gallery_and_a_bad_photo(dir.path());
    // The gallery catalogued, no preview made yet: what the screen shows at a first start.
    let engine = open(&dir.path().join("data"));
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    let (result, _) = index_sources_with(
        &engine,
        sources(dir.path(), "folder"),
        small_batches(),
        cancel,
        move |event| {
            if let IndexEvent::Progress {
                phase: Phase::Previews, ..
            } = event
            {
                stop.cancel();
            }
        },
    );
    result.unwrap();
    drop(engine);
    let crash = [("MOTIS_CRASH_READING", "thumbnail:bad.jpg")];
    assert_eq!(runs_that_died(dir.path(), "thumbnails", &crash, 4), 2);

    let engine = open(&dir.path().join("data"));
    let bad = engine
        .gallery(&Filters::default(), None, 100)
        .unwrap()
        .into_iter()
        .find(|photo| file_name(&photo.origin.label()) == "bad.jpg")
        .unwrap();
    let error = engine.embedded_thumbnail(bad.id).unwrap_err();
    assert!(error.to_string().contains(SKIPPED_CAUSE), "{error}");
}

#[test]
fn photos_in_flight_when_a_run_is_killed_are_read_again_and_none_fails() {
    let dir = tempfile::tempdir().unwrap();
    copy_gallery(&dir.path().join("photos"));
    // Abort in the middle of decoding a photo of the gallery: as a kill would, with
    // others in flight beside it.
    let (victim, _) = &captions()[4];
    let crash = format!("decode:{victim}");
    assert!(!child_ends_cleanly(
        dir.path(),
        "folder",
        &[("MOTIS_CRASH_READING", &crash)]
    ));
    // The next run, without the fault: nothing is skipped, everything is indexed.
    let engine = open(&dir.path().join("data"));
    let (result, events) = index_sources_with(
        &engine,
        sources(dir.path(), "folder"),
        small_batches(),
        CancellationToken::new(),
        |_| {},
    );
    assert_eq!(failures(&events), vec![]);
    assert_eq!(result.unwrap().searchable, 10);
}
