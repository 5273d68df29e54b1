//! Downloads against a loopback server that answers as the Hub does (tests/hub_server),
//! in every case the download must survive: a dropped connection, an interrupted run, a
//! corrupted byte, a server that ignores Range, missing repositories, revisions and
//! files, 429 and 503 answers, a tokenizer motis cannot run, and a full disk.

mod hub_server;

use std::path::{Path, PathBuf};
use std::time::Duration;

use hub_server::{COMMIT, DamagedListing, HubServer, immich_tiny};
use motis_embed::Runtime;
use motis_hub::{DownloadEvent, DownloadRequest, Hub, HubError, download_model};

const REPO: &str = "immich-app/Tiny__fixture";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn request(revision: &str) -> DownloadRequest {
    DownloadRequest {
        repo: REPO.to_owned(),
        revision: revision.to_owned(),
        id: "tiny".to_owned(),
        licence: None,
        name: None,
        description: None,
    }
}

fn hub(server: &HubServer) -> Hub {
    Hub::new(&server.endpoint).with_first_wait(Duration::from_millis(5))
}

fn download(server: &HubServer, models: &Path) -> (Result<motis_embed::Model, HubError>, Vec<DownloadEvent>) {
    let mut events = Vec::new();
    let result = download_model(
        &hub(server),
        &Runtime::load().unwrap(),
        &request("main"),
        models,
        &mut |event| events.push(event),
    );
    (result, events)
}

/// The model folders a listing would show: none of a download in progress.
fn installed(models: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(models)
        .map(|entries| {
            entries
                .flatten()
                .filter(|e| e.path().join("manifest.json").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Hidden entries in the models folder (a download's staging).
fn leftovers(models: &Path) -> Vec<String> {
    std::fs::read_dir(models)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect()
}

fn server() -> HubServer {
    HubServer::start(REPO, immich_tiny(&root(), None))
}

#[test]
fn a_model_downloads_verified_with_only_the_files_it_needs_and_its_source_recorded() {
    let server = server();
    let models = tempfile::tempdir().unwrap();
    let (model, events) = download(&server, models.path());
    let model = model.unwrap();
    assert_eq!(installed(models.path()), ["tiny"]);
    assert_eq!(
        leftovers(models.path()),
        Vec::<String>::new(),
        "the staging folder is gone"
    );
    let source = model.manifest.source.as_ref().unwrap();
    assert_eq!(
        (source.repo.as_str(), source.revision.as_str(), source.commit.as_str()),
        (REPO, "main", COMMIT)
    );
    assert_eq!(source.endpoint, server.endpoint);
    assert_eq!(model.manifest.licence, "mit");
    assert!(model.manifest.files.iter().any(|f| f.path == "visual/model.onnx"));
    // The accelerator builds and the repository's extras were never asked for.
    let asked: Vec<String> = server.seen().into_iter().map(|s| s.path).collect();
    for unwanted in ["model.armnn", "model.rknn", "README.md", ".gitattributes"] {
        assert!(
            !asked.iter().any(|path| path.ends_with(unwanted)),
            "{unwanted} fetched: {asked:?}"
        );
    }
    // The tree listing came in two pages.
    assert_eq!(asked.iter().filter(|p| p.contains("/tree/")).count(), 2);
    let Some(DownloadEvent::Resolved { bytes, present: 0, .. }) = events.first() else {
        panic!("{events:?}")
    };
    let last_bytes = events.iter().rev().find_map(|e| match e {
        DownloadEvent::Bytes { done, total } => Some((*done, *total)),
        _ => None,
    });
    assert_eq!(last_bytes, Some((*bytes, *bytes)));
    assert_eq!(events.last(), Some(&DownloadEvent::Checking));
    // Installed once: the same id again is refused, and nothing is fetched for it.
    let before = server.seen().len();
    let (again, _) = download(&server, models.path());
    assert!(matches!(again, Err(HubError::Embed(_))), "{again:?}");
    assert_eq!(server.seen().len(), before);
}

#[test]
fn a_dropped_connection_resumes_where_it_stopped_with_a_range_request() {
    let server = server();
    server
        .faults()
        .drop_after
        .insert("textual/tokenizer.json".into(), vec![1_000_000, 300_000]);
    let models = tempfile::tempdir().unwrap();
    let (model, events) = download(&server, models.path());
    model.unwrap();
    let fetches = server.fetches_of("textual/tokenizer.json");
    let ranges: Vec<Option<String>> = fetches.into_iter().map(|s| s.range).collect();
    assert_eq!(
        ranges,
        [None, Some("bytes=300000-".into()), Some("bytes=1300000-".into())],
        "each retry continues the part"
    );
    let retries = events
        .iter()
        .filter(|e| matches!(e, DownloadEvent::Retrying { .. }))
        .count();
    assert_eq!(retries, 2);
}

#[test]
fn an_interrupted_run_is_resumed_by_the_next_and_nothing_is_a_model_meanwhile() {
    let server = server();
    // More drops than a run retries: the run gives up with a network error.
    server
        .faults()
        .drop_after
        .insert("textual/tokenizer.json".into(), vec![100_000; 6]);
    let models = tempfile::tempdir().unwrap();
    let (failed, _) = download(&server, models.path());
    assert!(matches!(failed, Err(HubError::Network { .. })), "{failed:?}");
    assert!(installed(models.path()).is_empty());
    let part = models.path().join(".tiny.downloading/textual/tokenizer.json.part");
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 600_000);
    let small_files_before = server.fetches_of("config.json").len();

    let (model, events) = download(&server, models.path());
    model.unwrap();
    let Some(DownloadEvent::Resolved { present, .. }) = events.first() else {
        panic!("{events:?}")
    };
    assert!(*present >= 600_000, "the next run counts what is there: {present}");
    let last = server.fetches_of("textual/tokenizer.json").pop().unwrap();
    assert_eq!(last.range.as_deref(), Some("bytes=600000-"));
    assert_eq!(
        server.fetches_of("config.json").len(),
        small_files_before,
        "verified files are not fetched again"
    );
}

#[test]
fn a_corrupted_file_is_deleted_and_named_and_the_next_run_fetches_it_again() {
    let server = server();
    server.faults().corrupt.insert("visual/model.onnx".into());
    let models = tempfile::tempdir().unwrap();
    let (failed, _) = download(&server, models.path());
    match failed {
        Err(HubError::Corrupt { path, algorithm, .. }) => {
            assert!(path.ends_with("visual/model.onnx"), "{path:?}");
            assert_eq!(algorithm, "sha256");
            assert!(!path.exists() && !models.path().join(".tiny.downloading/visual/model.onnx.part").exists());
        }
        other => panic!("{other:?}"),
    }
    assert!(installed(models.path()).is_empty());
    download(&server, models.path()).0.unwrap();
    assert_eq!(installed(models.path()), ["tiny"]);
}

#[test]
fn a_small_file_is_checked_by_its_git_blob_sha1() {
    let server = server();
    server.faults().corrupt.insert("visual/preprocess_cfg.json".into());
    let models = tempfile::tempdir().unwrap();
    let (failed, _) = download(&server, models.path());
    assert!(
        matches!(&failed, Err(HubError::Corrupt { algorithm: "git blob SHA-1", path, .. }) if path.ends_with("preprocess_cfg.json")),
        "{failed:?}"
    );
}

#[test]
fn a_server_that_ignores_range_gets_the_whole_file_again_not_a_spliced_one() {
    let server = server();
    server.faults().ignore_range = true;
    server
        .faults()
        .drop_after
        .insert("textual/tokenizer.json".into(), vec![500_000]);
    let models = tempfile::tempdir().unwrap();
    let model = download(&server, models.path()).0.unwrap();
    let fetches = server.fetches_of("textual/tokenizer.json");
    assert_eq!(fetches.len(), 2);
    assert_eq!(fetches[1].range.as_deref(), Some("bytes=500000-"));
    // The 200 that answered it was taken from its start, and the file checks out.
    let installed = std::fs::read(model.folder.join("textual/tokenizer.json")).unwrap();
    assert_eq!(
        installed,
        std::fs::read(root().join("models/tokenizers/clip-bpe/tokenizer.json")).unwrap()
    );
}

#[test]
fn a_partial_answer_that_does_not_continue_the_part_is_not_appended_to_it() {
    let server = server();
    server.faults().misplace_range = true;
    server
        .faults()
        .drop_after
        .insert("textual/tokenizer.json".into(), vec![400_000]);
    let models = tempfile::tempdir().unwrap();
    let model = download(&server, models.path()).0.unwrap();
    let ranges: Vec<Option<String>> = server
        .fetches_of("textual/tokenizer.json")
        .into_iter()
        .map(|s| s.range)
        .collect();
    // Dropped at 400,000; asked to continue, answered from byte 1,000; asked again whole.
    assert_eq!(ranges, [None, Some("bytes=400000-".into()), None]);
    let installed = std::fs::read(model.folder.join("textual/tokenizer.json")).unwrap();
    assert_eq!(
        installed,
        std::fs::read(root().join("models/tokenizers/clip-bpe/tokenizer.json")).unwrap()
    );
}

#[test]
fn a_missing_repository_revision_or_file_is_a_clear_error() {
    let server = server();
    let models = tempfile::tempdir().unwrap();
    let runtime = Runtime::load().unwrap();
    let mut ignore = |_| {};
    let mut other = request("main");
    other.repo = "immich-app/No__such".into();
    let error = download_model(&hub(&server), &runtime, &other, models.path(), &mut ignore).unwrap_err();
    assert!(
        matches!(&error, HubError::NoRepository { repo, .. } if repo == "immich-app/No__such"),
        "{error}"
    );

    let error = download_model(&hub(&server), &runtime, &request("v9"), models.path(), &mut ignore).unwrap_err();
    assert!(
        matches!(&error, HubError::NoRevision { revision, .. } if revision == "v9"),
        "{error}"
    );
    assert!(error.to_string().contains("v9"));

    server.faults().missing.insert("textual/model.onnx".into());
    let error = download_model(&hub(&server), &runtime, &request("main"), models.path(), &mut ignore).unwrap_err();
    assert!(
        matches!(&error, HubError::NotFound { url } if url.ends_with("textual/model.onnx")),
        "{error}"
    );
    assert!(installed(models.path()).is_empty());
}

#[test]
fn a_listing_that_never_ends_repeats_a_file_or_gives_impossible_sizes_is_refused_and_fetches_nothing() {
    for (damage, says) in [
        (DamagedListing::LinksBack, "does not end"),
        (DamagedListing::ListsTwice, "config.json is listed twice"),
        (
            DamagedListing::Exabytes,
            "visual/model.onnx is listed with 18446744073709551614 bytes",
        ),
    ] {
        let server = server();
        server.faults().damaged_listing = Some(damage);
        let models = tempfile::tempdir().unwrap();
        let (result, _) = download(&server, models.path());
        let error = result.unwrap_err();
        assert!(
            matches!(&error, HubError::Protocol { url, reason } if url.contains("/tree/") && reason.contains(says)),
            "{damage:?}: {error}"
        );
        let fetched: Vec<_> = server
            .seen()
            .into_iter()
            .filter(|s| s.path.contains("/resolve/"))
            .collect();
        assert!(fetched.is_empty(), "{damage:?}: {fetched:?}");
        assert!(installed(models.path()).is_empty() && leftovers(models.path()).is_empty());
    }
}

#[test]
fn answers_429_are_retried_after_the_wait_the_server_asks_and_a_server_that_stays_down_is_an_error() {
    let server = server();
    server.faults().too_many_requests = 3;
    let models = tempfile::tempdir().unwrap();
    let (model, events) = download(&server, models.path());
    model.unwrap();
    let waits: Vec<(u32, u64)> = events
        .iter()
        .filter_map(|e| match e {
            DownloadEvent::Retrying {
                attempt,
                wait_ms,
                cause,
                ..
            } => {
                assert_eq!(cause, "HTTP 429");
                Some((*attempt, *wait_ms))
            }
            _ => None,
        })
        .collect();
    // Retry-After: 0 is what this server asks.
    assert_eq!(waits, [(2, 0), (3, 0), (4, 0)]);

    let server = self::server();
    server.faults().unavailable = true;
    let models = tempfile::tempdir().unwrap();
    let (failed, events) = download(&server, models.path());
    let error = failed.unwrap_err();
    assert!(matches!(error, HubError::Status { status: 503, .. }), "{error}");
    assert!(error.to_string().contains("tried 6 times"), "{error}");
    // Waits double: 5, 10, 20, 40, 80 ms.
    let waits: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            DownloadEvent::Retrying { wait_ms, .. } => Some(*wait_ms),
            _ => None,
        })
        .collect();
    assert_eq!(waits, [5, 10, 20, 40, 80]);
}

#[test]
fn a_model_whose_tokenizer_motis_cannot_run_is_refused_before_its_towers_are_fetched() {
    let config = r#"{"embed_dim": 8, "text_cfg": {"hf_tokenizer_name": "timm/ViT-B-16-SigLIP", "context_length": 64}}"#;
    let server = HubServer::start(REPO, immich_tiny(&root(), Some(config)));
    let models = tempfile::tempdir().unwrap();
    let (refused, _) = download(&server, models.path());
    let error = refused.unwrap_err();
    assert!(matches!(error, HubError::Unsupported { .. }), "{error}");
    assert!(error.to_string().contains("timm/ViT-B-16-SigLIP"), "{error}");
    assert!(server.fetches_of("visual/model.onnx").is_empty());
    assert!(server.fetches_of("textual/model.onnx").is_empty());
    assert_eq!(
        leftovers(models.path()),
        Vec::<String>::new(),
        "nothing is kept of a refused model"
    );
}

/// Not a test on its own: run by the test below in a mount namespace of its own (as
/// `unshare --map-root-user` makes it), where it may mount a 1 MB tmpfs.
#[test]
#[ignore = "run by a_full_disk_is_a_clear_error_and_leaves_nothing_behind"]
fn full_disk_child() {
    let server = server();
    let scratch = tempfile::tempdir().unwrap();
    let disk = scratch.path().join("small");
    std::fs::create_dir_all(&disk).unwrap();
    let status = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=1m", "tmpfs"])
        .arg(&disk)
        .status()
        .unwrap();
    assert!(status.success(), "mount a tmpfs at {}", disk.display());
    let models = disk.join("models");
    std::fs::create_dir_all(&models).unwrap();
    let (failed, _) = download(&server, &models);
    let error = failed.unwrap_err();
    assert!(matches!(error, HubError::DiskFull { .. }), "{error}");
    assert!(error.to_string().contains("the disk is full"), "{error}");
    assert!(
        std::fs::read_dir(&models).unwrap().next().is_none(),
        "nothing left in the models folder"
    );
}

#[test]
fn a_full_disk_is_a_clear_error_and_leaves_nothing_behind() {
    // No privilege needed and no mount left behind: the namespace goes with the child.
    let emulator = std::env::var("MOTIS_TEST_RUNNER").unwrap_or_default();
    let output = std::process::Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount"])
        .args(emulator.split_whitespace())
        .arg(std::env::current_exe().unwrap())
        .args(["full_disk_child", "--exact", "--ignored", "--nocapture"])
        .output()
        .expect("unshare (util-linux) starts the child in a mount namespace of its own");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A download into `models` whose cancel flag is set once 600,000 bytes are in.
fn cancelled_at_600k(server: &HubServer, models: &Path) -> Result<motis_embed::Model, HubError> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let cancel = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&cancel);
    download_model(
        &hub(server).with_cancel(cancel),
        &Runtime::load().unwrap(),
        &request("main"),
        models,
        &mut |event| {
            if let DownloadEvent::Bytes { done, .. } = event
                && done >= 600_000
            {
                flag.store(true, Ordering::Relaxed);
            }
        },
    )
}

/// The app's Cancel: the download stops within a buffer, is listed as interrupted with
/// how far it got, is resumed by the next download with a Range request, and when
/// discarded leaves nothing.
#[test]
fn a_cancelled_download_stops_is_listed_as_interrupted_and_resumes_or_is_discarded() {
    let server = server();
    let models = tempfile::tempdir().unwrap();
    let stopped = cancelled_at_600k(&server, models.path());
    assert!(matches!(stopped, Err(HubError::Cancelled)), "{stopped:?}");
    assert_eq!(installed(models.path()), Vec::<String>::new());
    let interrupted = motis_hub::interrupted_downloads(models.path());
    let [first] = interrupted.as_slice() else {
        panic!("{interrupted:?}")
    };
    assert_eq!((first.id.as_str(), first.repo.as_str()), ("tiny", REPO));
    assert!(
        first.present >= 600_000 && first.present < first.total,
        "{first:?}: stopped within a buffer of the cancel"
    );

    let (resumed, events) = download(&server, models.path());
    resumed.unwrap();
    let Some(DownloadEvent::Resolved { present, bytes, .. }) = events.first() else {
        panic!("{events:?}")
    };
    assert_eq!((*present, *bytes), (first.present, first.total));
    let ranges: Vec<Option<String>> = server
        .fetches_of("textual/tokenizer.json")
        .into_iter()
        .map(|s| s.range)
        .collect();
    assert!(
        matches!(ranges.as_slice(), [None, Some(range)] if range.starts_with("bytes=") && range != "bytes=0-"),
        "{ranges:?}"
    );
    assert!(motis_hub::interrupted_downloads(models.path()).is_empty());

    // Cancelled and discarded: nothing is left, and the next download starts afresh.
    let other = tempfile::tempdir().unwrap();
    let stopped = cancelled_at_600k(&server, other.path());
    assert!(matches!(stopped, Err(HubError::Cancelled)), "{stopped:?}");
    motis_hub::discard_download(other.path(), "tiny").unwrap();
    assert_eq!(leftovers(other.path()), Vec::<String>::new());
    assert!(motis_hub::interrupted_downloads(other.path()).is_empty());
    let (fresh, events) = download(&server, other.path());
    fresh.unwrap();
    assert!(matches!(
        events.first(),
        Some(DownloadEvent::Resolved { present: 0, .. })
    ));
}
