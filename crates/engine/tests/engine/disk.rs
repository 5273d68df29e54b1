//! A data folder whose disk fills up, turns read-only or is removed during a run: the run
//! stops with an error that says so, names the folder and the way on, fails no photo, and
//! once the disk is writable (or back) the next run finishes with nothing lost and nothing
//! counted twice. The disks are a small tmpfs and a bind mount, mounted by a child test
//! process in a mount namespace of its own (`unshare`), so that the test needs no
//! privilege and leaves no mount behind.

use std::path::{Path, PathBuf};
use std::process::Command;

use motis_engine::{CancellationToken, Engine, EngineError, IndexEvent, IndexOptions, IndexSummary, Phase, Source};

use crate::pipeline::{captions, index_sources_with, open, repo, small_batches};

const CHILD: &str = "MOTIS_TEST_DISK_CHILD";
/// Copies of the committed gallery: enough photos that the previews fill the small disk.
const COPIES: usize = 4;

fn photos(work: &Path) -> PathBuf {
    work.join("photos")
}

fn run(engine: &std::sync::Arc<Engine>, work: &Path) -> Result<IndexSummary, EngineError> {
    index_sources_with(
        engine,
        vec![Source::Folder(photos(work))],
        small_batches(),
        CancellationToken::new(),
        |_| {},
    )
    .0
}

fn mount(args: &[&str]) {
    let status = Command::new("mount").args(args).status().unwrap();
    assert!(status.success(), "mount {args:?}");
}

fn bytes_in(folder: &Path) -> u64 {
    std::fs::read_dir(folder)
        .unwrap()
        .flatten()
        .map(|e| {
            let meta = e.metadata().unwrap();
            if meta.is_dir() { bytes_in(&e.path()) } else { meta.len() }
        })
        .sum()
}

fn encoded(engine: &Engine) -> usize {
    engine.status().unwrap().encoded()
}

/// Not a test on its own: run by the test below in a mount namespace where it may mount.
#[test]
#[ignore = "run by a_full_or_read_only_data_disk_stops_the_run_clearly_and_loses_nothing"]
fn disk_child() {
    let work = PathBuf::from(std::env::var_os(CHILD).expect("started by the disk test"));
    let total = COPIES * captions().len();

    // What a whole run writes, measured on an ordinary folder; the small disk gets half.
    let measured = work.join("measured");
    run(&open(&measured), &work).unwrap();
    let needed = bytes_in(&measured);
    let data = work.join("data");
    std::fs::create_dir(&data).unwrap();
    let target = data.to_str().unwrap();
    mount(&["-t", "tmpfs", "-o", &format!("size={}", needed / 2), "tmpfs", target]);

    let engine = open(&data);
    let error = run(&engine, &work).unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, EngineError::DiskFull { .. }), "{error:?}");
    assert!(
        message.contains(target)
            && message.contains("the disk is full")
            && message.contains("nothing indexed so far is lost"),
        "{message}"
    );
    assert_eq!(engine.failures().unwrap(), vec![], "a full disk fails no photo");
    let before = encoded(&engine);
    assert!(before < total, "the disk filled before the end: {before} encoded");
    drop(engine);

    // Space freed: the next run goes on from there.
    mount(&["-o", &format!("remount,size={}", needed * 4), target]);
    let engine = open(&data);
    assert_eq!(
        engine.status().unwrap().searchable,
        before,
        "what was stored is searchable"
    );
    let summary = run(&engine, &work).unwrap();
    assert_eq!((summary.searchable, summary.failed), (total, 0));
    assert_eq!(summary.encoded, total - before, "nothing encoded twice");
    let counts = engine.status().unwrap().counts;
    assert_eq!((counts.photos, counts.previews, counts.failed), (total, total, 0));
    drop(engine);

    // A new photo, and a disk that has turned read-only.
    std::fs::copy(
        repo().join("tests/fixtures/images/landscape.jpg"),
        photos(&work).join("new.jpg"),
    )
    .unwrap();
    mount(&["-o", "remount,ro", target]);
    let message = match Engine::open(&crate::damage::config(&data)) {
        Err(error) => error.to_string(),
        Ok(engine) => run(&std::sync::Arc::new(engine), &work).unwrap_err().to_string(),
    };
    assert!(message.contains(target) && message.contains("read-only"), "{message}");
    mount(&["-o", "remount,rw", target]);
    let engine = open(&data);
    assert_eq!(engine.status().unwrap().searchable, total, "nothing lost");
    let summary = run(&engine, &work).unwrap();
    assert_eq!((summary.searchable, summary.failed, summary.encoded), (total + 1, 0, 1));
}

/// Not a test on its own: run by the test below in a mount namespace where it may mount.
#[test]
#[ignore = "run by a_data_disk_removed_mid_run_stops_the_run_clearly_and_loses_nothing"]
fn gone_child() {
    let work = PathBuf::from(std::env::var_os(CHILD).expect("started by the disk test"));
    let total = COPIES * captions().len();
    // The disk: a folder bind-mounted where the data folder's parent is, as a removable
    // disk is mounted; unmounted (lazily, as a removed disk is) during the run, its files
    // stay in `disk`, and mounting it again is plugging it back in.
    let (disk, mount_point) = (work.join("disk"), work.join("media"));
    std::fs::create_dir_all(&disk).unwrap();
    std::fs::create_dir_all(&mount_point).unwrap();
    let (source, target) = (disk.to_str().unwrap(), mount_point.to_str().unwrap());
    mount(&["--bind", source, target]);
    let data = mount_point.join("motis");

    let engine = open(&data);
    // Previews made while encoding, so that both the catalog and the previews are written
    // when the disk goes.
    let options = IndexOptions {
        previews_first: 0,
        ..small_batches()
    };
    let removed = std::sync::atomic::AtomicBool::new(false);
    let target_owned = target.to_owned();
    let (result, events) = index_sources_with(
        &engine,
        vec![Source::Folder(photos(&work))],
        options,
        CancellationToken::new(),
        move |event| {
            if let IndexEvent::Progress {
                phase: Phase::Encoding,
                done,
                ..
            } = event
                && *done >= 4
                && !removed.swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                let status = Command::new("umount").args(["-l", &target_owned]).status().unwrap();
                assert!(status.success(), "umount -l {target_owned}");
            }
        },
    );
    let error = result.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, EngineError::DataFolderGone { .. }), "{error:?}");
    assert!(
        message.contains(data.to_str().unwrap())
            && message.contains("the data folder is gone")
            && message.contains("nothing indexed so far is lost"),
        "{message}"
    );
    let failed: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, IndexEvent::ItemFailed { .. }))
        .collect();
    assert!(failed.is_empty(), "a removed disk fails no photo: {failed:?}");
    drop(engine);
    assert!(!data.exists(), "nothing was made again where the disk was");

    // Plugged back in: what was stored is there, and the next run finishes it.
    mount(&["--bind", source, target]);
    let engine = open(&data);
    assert_eq!(engine.failures().unwrap(), vec![], "no photo failed");
    let before = encoded(&engine);
    assert!(
        (4..total).contains(&before),
        "the run stopped part way: {before} encoded"
    );
    let summary = run(&engine, &work).unwrap();
    assert_eq!((summary.searchable, summary.failed), (total, 0));
    assert_eq!(summary.encoded, total - before, "nothing encoded twice");
    let counts = engine.status().unwrap().counts;
    assert_eq!((counts.photos, counts.previews, counts.failed), (total, total, 0));
}

/// Copies of the committed gallery in `work`/photos.
fn gallery_copies(work: &Path) {
    for copy in 0..COPIES {
        for (name, _) in captions() {
            std::fs::create_dir_all(photos(work)).unwrap();
            std::fs::copy(
                repo().join("tests/fixtures/gallery").join(&name),
                photos(work).join(format!("{copy}-{name}")),
            )
            .unwrap();
        }
    }
}

/// Run the ignored test `child` of this binary in a mount namespace of its own.
fn in_mount_namespace(child: &str) {
    let dir = tempfile::tempdir().unwrap();
    gallery_copies(dir.path());
    let emulator = std::env::var("MOTIS_TEST_RUNNER").unwrap_or_default();
    let output = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount"])
        .args(emulator.split_whitespace())
        .arg(std::env::current_exe().unwrap())
        .args([child, "--exact", "--ignored", "--nocapture"])
        .env(CHILD, dir.path())
        .output()
        .expect("unshare (util-linux) starts the child in a mount namespace of its own");
    assert!(
        output.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("1 passed"),
        "the child ran"
    );
}

#[test]
fn a_full_or_read_only_data_disk_stops_the_run_clearly_and_loses_nothing() {
    in_mount_namespace("disk::disk_child");
}

#[test]
fn a_data_disk_removed_mid_run_stops_the_run_clearly_and_loses_nothing() {
    in_mount_namespace("disk::gone_child");
}
