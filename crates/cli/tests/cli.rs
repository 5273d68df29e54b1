//! The `motis` binary as a person or a script uses it: output formats and exit codes.

// The loopback Hub's faults and request log are for crates/hub's own tests.
#[allow(dead_code)]
#[path = "../../hub/tests/hub_server/mod.rs"]
mod hub_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The emulator command that starts an ARM64 program, when the tests run under qemu-user
/// (scripts/test-arm64), which cannot start another ARM64 program by itself; empty
/// otherwise.
fn emulator() -> Vec<String> {
    let runner = std::env::var("MOTIS_TEST_RUNNER").unwrap_or_default();
    runner.split_whitespace().map(String::from).collect()
}

/// The program under test.
fn motis_command() -> Command {
    let emulator = emulator();
    let Some((program, args)) = emulator.split_first() else {
        return Command::new(env!("CARGO_BIN_EXE_motis"));
    };
    let mut command = Command::new(program);
    command.args(args).arg(env!("CARGO_BIN_EXE_motis"));
    command
}

fn motis(args: &[&str]) -> Output {
    motis_command()
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env_remove("MOTIS_MODELS")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

#[test]
fn models_verify_reports_the_demo_model_ok() {
    let output = motis(&["models", "verify", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let rows: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == "motis-demo" && r["status"] == "ok"),
        "{rows}"
    );
}

#[test]
fn tokenize_json_prints_clip_ids() {
    let output = motis(&["tokenize", "a red star", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let ids: Vec<i64> = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(ids.first(), Some(&49406));
    assert_eq!(ids.last(), Some(&49407));
    assert_eq!(ids.len(), 5);
}

#[test]
fn embed_prints_a_unit_vector_of_the_model_dimension() {
    for args in [
        &["embed", "--text", "two small red stars", "--json"][..],
        &["embed", "--image", "tests/fixtures/images/landscape.jpg", "--json"],
    ] {
        let output = motis(args);
        assert!(output.status.success(), "{}", stderr(&output));
        let vector: Vec<f32> = serde_json::from_str(&stdout(&output)).unwrap();
        assert_eq!(vector.len(), 128);
        assert!((vector.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-4);
    }
}

#[test]
fn a_missing_photo_exits_4_naming_it() {
    let output = motis(&["embed", "--image", "no/such/photo.jpg"]);
    assert_eq!(output.status.code(), Some(4));
    assert!(stderr(&output).contains("no/such/photo.jpg"), "{}", stderr(&output));
}

#[test]
fn an_unknown_model_exits_3_naming_it() {
    let output = motis(&["embed", "--text", "a red star", "--model", "no-such-model"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("no-such-model"), "{}", stderr(&output));
}

#[test]
fn a_missing_runtime_exits_3_with_the_fix() {
    let output = motis_command()
        .args(["embed", "--text", "a red star"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so.1.31.1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("scripts/setup"), "{}", stderr(&output));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(motis(&["embed"]).status.code(), Some(2));
    assert_eq!(motis(&["no-such-command"]).status.code(), Some(2));
}

#[test]
fn a_missing_models_folder_exits_3_naming_it() {
    let output = motis(&["models", "--models-dir", "/nonexistent/models"]);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("/nonexistent/models"), "{}", stderr(&output));
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn captions() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(repo().join("tests/fixtures/gallery/captions.json")).unwrap();
    let mut pairs: Vec<(String, String)> = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&text)
        .unwrap()
        .into_iter()
        .map(|(name, caption)| (name, caption.as_str().unwrap().to_owned()))
        .collect();
    pairs.sort();
    pairs
}

/// The committed gallery copied into `folder`, plus `extra` variants of each photo
/// (a corner repainted, so every file has its own content).
fn gallery(folder: &Path, extra: usize) {
    std::fs::create_dir_all(folder).unwrap();
    for (i, (name, _)) in captions().into_iter().enumerate() {
        let source = repo().join("tests/fixtures/gallery").join(&name);
        std::fs::copy(&source, folder.join(&name)).unwrap();
        let photo = image::open(&source).unwrap().into_rgb8();
        for v in 0..extra {
            let mut variant = photo.clone();
            for y in 0..12 {
                for x in 0..12 {
                    variant.put_pixel(x, y, image::Rgb([(i * 20) as u8, (v * 30) as u8, 7]));
                }
            }
            variant.save(folder.join(format!("variant-{v}-{name}"))).unwrap();
        }
    }
}

fn motis_in(data: &Path, args: &[&str]) -> Output {
    let mut all = vec!["--data-dir", data.to_str().unwrap()];
    all.extend(args);
    motis(&all)
}

fn json(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", stderr(output));
    serde_json::from_str(&stdout(output)).unwrap_or_else(|e| panic!("{e}: {}", stdout(output)))
}

#[test]
fn index_then_search_similar_status_and_failed_as_documented() {
    let dir = tempfile::tempdir().unwrap();
    let (photos, data) = (dir.path().join("photos"), dir.path().join("data"));
    gallery(&photos, 0);
    std::fs::copy(
        repo().join("tests/fixtures/bad/truncated.jpg"),
        photos.join("broken.jpg"),
    )
    .unwrap();

    let output = motis_in(&data, &["index", photos.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let log = stderr(&output);
    // Piped: plain lines, not progress bars.
    assert!(log.contains("previews 11/11 (1 failed)"), "{log}");
    assert!(log.contains("encoding 10/10"), "{log}");
    assert!(log.contains("failed: ") && log.contains("broken.jpg"), "{log}");
    assert!(!log.contains('\r') && !log.contains('\u{1b}'), "{log}");
    assert!(stdout(&output).contains("10 searchable"), "{}", stdout(&output));

    let (name, caption) = &captions()[4];
    let found = json(&motis_in(
        &data,
        &["search", caption, "-k", "3", "--no-cutoff", "--json"],
    ));
    let found = found.as_array().unwrap();
    assert_eq!(found.len(), 3);
    assert!(found[0]["path"].as_str().unwrap().ends_with(name.as_str()), "{found:?}");
    assert!(found[0]["score"].as_f64().unwrap() > found[1]["score"].as_f64().unwrap());
    assert_eq!(found[0]["shown"], true, "its own caption: the photo stands out");
    let id = found[0]["id"].as_i64().unwrap();
    // Without --no-cutoff, only the photos above the cut-off.
    let shown = json(&motis_in(&data, &["search", caption, "-k", "3", "--json"]));
    let shown = shown.as_array().unwrap();
    assert_eq!(shown.len(), found.iter().filter(|row| row["shown"] == true).count());
    assert!(!shown.is_empty() && shown.len() <= 3);

    let by_id = json(&motis_in(
        &data,
        &["similar", &id.to_string(), "-k", "4", "--no-cutoff", "--json"],
    ));
    let by_path = json(&motis_in(
        &data,
        &[
            "similar",
            photos.join(name).to_str().unwrap(),
            "-k",
            "4",
            "--no-cutoff",
            "--json",
        ],
    ));
    assert_eq!(by_id, by_path);
    assert_eq!(by_id.as_array().unwrap().len(), 4);
    assert!(
        by_id
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row["id"].as_i64() != Some(id))
    );

    let text = stdout(&motis_in(&data, &["search", caption, "-k", "2"]));
    let first = text.lines().next().unwrap();
    let columns: Vec<&str> = first.split('\t').collect();
    assert_eq!(columns.len(), 4, "score, id, date taken, path: {text}");
    assert_eq!(columns[1], id.to_string());
    assert!(columns[3].ends_with(name.as_str()), "{text}");

    let everything = json(&motis_in(&data, &["search", " Reset ", "--json"]));
    assert_eq!(everything.as_array().unwrap().len(), 11);
    assert!(everything.as_array().unwrap().iter().all(|row| row["score"].is_null()));

    let status = json(&motis_in(&data, &["status", "--json"]));
    for (field, value) in [
        ("folders", 1),
        ("photos", 11),
        ("previews", 10),
        ("encoded", 10),
        ("failed", 1),
        ("searchable", 10),
    ] {
        assert_eq!(status[field], value, "{field} in {status}");
    }
    assert!(status["index_bytes"].as_u64().unwrap() > 0);

    let failed = json(&motis_in(&data, &["failed", "--json"]));
    let failed = failed.as_array().unwrap();
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["path"].as_str().unwrap().ends_with("broken.jpg"));
    assert!(failed[0]["cause"].as_str().unwrap().contains("truncated"));

    // Rescanning the known folders needs no arguments.
    let again = json(&motis_in(&data, &["index", "--json"]));
    assert_eq!(
        (again["encoded"].as_u64(), again["searchable"].as_u64()),
        (Some(0), Some(10))
    );

    let timed = json(&motis_in(&data, &["bench", "--library", "--json"]));
    assert_eq!(
        (timed["photos"].as_u64(), timed["encoded"].as_u64()),
        (Some(11), Some(10)),
        "{timed}"
    );
    for operation in [
        "status",
        "gallery_last_page",
        "search",
        "folders",
        "gallery_in_folder_first_page",
        "search_in_folder",
        "search_in_year",
        "similar",
    ] {
        let (p50, p95) = (
            timed[operation]["p50_ms"].as_f64().unwrap(),
            timed[operation]["p95_ms"].as_f64().unwrap(),
        );
        assert!(0.0 < p50 && p50 <= p95, "{operation} in {timed}");
    }
    assert!(timed["first_search_ms"].as_f64().unwrap() > 0.0, "{timed}");
    for (narrowed, prefix) in [("folder", "in:"), ("year", "on:")] {
        let photos = timed[narrowed]["photos"].as_u64().unwrap();
        assert!((1..=11).contains(&photos), "{narrowed} in {timed}");
        assert!(
            timed[narrowed]["filter"].as_str().unwrap().starts_with(prefix),
            "{timed}"
        );
    }

    // Ten photos are too few to tell the index strategies apart: said, not measured.
    let too_few = motis_in(&data, &["bench", "index", "--library", "--json"]);
    assert!(!too_few.status.success());
    assert!(
        stderr(&too_few).contains("10 photos") && stderr(&too_few).contains("from 10000 on"),
        "{}",
        stderr(&too_few)
    );
}

#[test]
fn queries_combine_terms_filter_by_date_and_folder_and_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let (photos, data) = (dir.path().join("photos"), dir.path().join("data"));
    // Ten photos in two folders; the first five from July 2024 (their files' times: the
    // fixture photos have no EXIF date), the rest from now.
    gallery(&photos.join("July"), 0);
    // Noon UTC on 14 July 2024: the 14th in every time zone within twelve hours of UTC.
    let july = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_720_958_400);
    let mut moved = 0;
    for entry in std::fs::read_dir(photos.join("July")).unwrap() {
        let path = entry.unwrap().path();
        if moved < 5 {
            std::fs::create_dir_all(photos.join("Later")).unwrap();
            std::fs::rename(&path, photos.join("Later").join(path.file_name().unwrap())).unwrap();
            moved += 1;
        } else {
            // A minute apart, so that an order by date is one order.
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(july + std::time::Duration::from_secs(60 * (moved - 5)))
                .unwrap();
            moved += 1;
        }
    }
    let output = motis_in(&data, &["index", photos.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));

    // Filters alone list the photos they allow; the dates show in the plain output.
    let in_july = json(&motis_in(&data, &["search", "after:2024-07 before:2024-08", "--json"]));
    let in_july = in_july.as_array().unwrap();
    assert_eq!(in_july.len(), 5, "{in_july:?}");
    assert!(
        in_july
            .iter()
            .all(|row| row["taken"].as_str().unwrap().starts_with("2024-07-14"))
    );
    assert!(
        in_july
            .iter()
            .all(|row| row["path"].as_str().unwrap().contains("/July/"))
    );
    let later = json(&motis_in(&data, &["search", "in:later", "--json"]));
    assert_eq!(later.as_array().unwrap().len(), 5);
    let plain = stdout(&motis_in(&data, &["search", "on:2024-07-14"]));
    assert_eq!(plain.lines().count(), 5, "{plain}");
    assert!(
        plain
            .lines()
            .all(|line| line.split('\t').nth(2).unwrap().starts_with("2024-07-14"))
    );

    // Words and filters: only July's photos answer, newest or oldest first on request.
    let taken_in = |sort: &str| -> Vec<String> {
        let found = json(&motis_in(
            &data,
            &["search", "red - blue in:july", "--no-cutoff", "--sort", sort, "--json"],
        ));
        let found = found.as_array().unwrap();
        assert!(found.iter().all(|row| row["path"].as_str().unwrap().contains("/July/")));
        found
            .iter()
            .map(|row| row["taken"].as_str().unwrap().to_owned())
            .collect()
    };
    let newest = taken_in("newest");
    assert_eq!(newest.len(), 5);
    assert!(newest.windows(2).all(|pair| pair[0] > pair[1]), "{newest:?}");
    let mut oldest = taken_in("oldest");
    assert!(oldest.windows(2).all(|pair| pair[0] < pair[1]), "{oldest:?}");
    oldest.reverse();
    assert_eq!(oldest, newest);
    // The subtraction is part of the query: the scores are not red's alone.
    let scores = |query: &str| -> std::collections::BTreeMap<String, f64> {
        json(&motis_in(&data, &["search", query, "--no-cutoff", "--json"]))
            .as_array()
            .unwrap()
            .iter()
            .map(|row| (row["path"].as_str().unwrap().to_owned(), row["score"].as_f64().unwrap()))
            .collect()
    };
    let (red, red_not_blue) = (scores("red in:july"), scores("red - blue in:july"));
    assert_eq!(red.keys().collect::<Vec<_>>(), red_not_blue.keys().collect::<Vec<_>>());
    assert!(
        red.iter()
            .any(|(path, score)| (score - red_not_blue[path]).abs() > 1e-3),
        "{red:?} {red_not_blue:?}"
    );

    // A photo as a term, by path: itself left out.
    let path = in_july[0]["path"].as_str().unwrap();
    let like = json(&motis_in(
        &data,
        &["search", &format!("\"{path}\" + red"), "--no-cutoff", "--json"],
    ));
    assert!(
        like.as_array()
            .unwrap()
            .iter()
            .all(|row| row["path"] != in_july[0]["path"])
    );

    // What cannot be understood: exit 2, the part at fault named, nothing printed.
    for (query, says) in [
        ("red \"circle", "quote"),
        ("after:2024-13", "\"after:2024-13\": not a date"),
        ("red +", "\"+\" has no term after it"),
        ("- red", "every term is subtracted"),
        ("red - red", "cancel"),
    ] {
        let output = motis_in(&data, &["search", query]);
        assert_eq!(output.status.code(), Some(2), "{query}: {}", stderr(&output));
        assert!(stderr(&output).contains(says), "{query}: {}", stderr(&output));
        assert!(stdout(&output).is_empty());
    }
}

#[test]
fn photos_that_are_not_there_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let unknown_id = motis_in(&data, &["similar", "12345"]);
    assert_eq!(unknown_id.status.code(), Some(4), "{}", stderr(&unknown_id));
    assert!(stderr(&unknown_id).contains("12345"));
    let unknown_path = motis_in(&data, &["similar", "/nonexistent/photo.jpg"]);
    assert_eq!(unknown_path.status.code(), Some(4), "{}", stderr(&unknown_path));
    assert!(stderr(&unknown_path).contains("/nonexistent/photo.jpg"));
}

#[test]
fn a_second_index_run_on_the_same_data_folder_exits_5() {
    let dir = tempfile::tempdir().unwrap();
    let (photos, data) = (dir.path().join("photos"), dir.path().join("data"));
    gallery(&photos, 0);
    std::fs::create_dir_all(&data).unwrap();
    let held = std::fs::File::create(data.join("indexing.lock")).unwrap();
    held.lock().unwrap();
    let output = motis_in(&data, &["index", photos.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("another motis is indexing"),
        "{}",
        stderr(&output)
    );
}

/// `kill -9` at moments spread over a run (scan, previews, encoding, index saves after
/// every batch) never leaves a catalog and an index that disagree, and the next run
/// finishes the job.
#[test]
fn kill_9_at_any_moment_leaves_a_consistent_pair_and_the_next_run_resumes() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    // Enough photos that a run lasts through the kills, and that some previews are made
    // while encoding (past the newest 128).
    gallery(&photos, 19);
    let total: u64 = 200;
    // Each moment: kill once the run prints a line starting with this, after a pause.
    let moments = [
        ("indexing", 0),
        ("previews", 0),
        ("previews", 20),
        ("encoding", 0),
        ("encoding", 3),
        ("encoding", 10),
        ("encoding 2", 0),
        ("encoding 3", 5),
    ];
    let mut interrupted = 0;
    for (round, (after, pause)) in moments.into_iter().enumerate() {
        let data = dir.path().join(format!("data-{round}"));
        let mut child = motis_command()
            .args(["--data-dir", data.to_str().unwrap(), "index", photos.to_str().unwrap()])
            .args(["--save-interval", "0"])
            .current_dir(repo())
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stderr.take().unwrap()).lines();
        for line in lines {
            if line.unwrap().starts_with(after) {
                break;
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(pause));
        child.kill().unwrap();
        child.wait().unwrap();

        let status = json(&motis_in(&data, &["status", "--json"]));
        println!("killed after {after:?} + {pause} ms: {status}");
        assert_eq!(
            status["searchable"], status["encoded"],
            "after a kill at {after:?}: the index and the catalog disagree: {status}"
        );
        interrupted += usize::from(status["encoded"].as_u64().unwrap() < total);
        let finished = json(&motis_in(&data, &["index", photos.to_str().unwrap(), "--json"]));
        assert_eq!(
            (finished["photos"].as_u64(), finished["searchable"].as_u64()),
            (Some(total), Some(total))
        );
        let status = json(&motis_in(&data, &["status", "--json"]));
        assert_eq!(
            (status["encoded"].as_u64(), status["searchable"].as_u64()),
            (Some(total), Some(total))
        );
        let (name, caption) = &captions()[round % 10];
        let found = json(&motis_in(
            &data,
            &["search", caption, "-k", "1", "--no-cutoff", "--json"],
        ));
        // The photo or one of its variants (a repainted corner does not change what it shows).
        assert!(found[0]["path"].as_str().unwrap().ends_with(name.as_str()), "{found}");
    }
    assert!(
        interrupted >= moments.len() / 2,
        "most kills must land before the end of a run"
    );
}

/// A photo whose reading crashes motis (a build with debug assertions aborts where
/// `MOTIS_CRASH_READING` says, as a decoder's bug would): two runs die, the third skips
/// it and indexes the rest, `motis failed` names it, and `--retry-failed` reads it again.
#[test]
fn a_photo_that_crashes_motis_costs_two_runs_and_is_then_listed_in_failed() {
    let dir = tempfile::tempdir().unwrap();
    let (photos, data) = (dir.path().join("photos"), dir.path().join("data"));
    gallery(&photos, 0);
    std::fs::copy(
        repo().join("tests/fixtures/images/landscape.jpg"),
        photos.join("crash.jpg"),
    )
    .unwrap();
    let index = |crash: Option<&str>, extra: &[&str]| {
        let mut command = motis_command();
        command
            .args([
                "--data-dir",
                data.to_str().unwrap(),
                "index",
                photos.to_str().unwrap(),
                "--json",
            ])
            .args(extra)
            .current_dir(repo());
        if let Some(crash) = crash {
            command.env("MOTIS_CRASH_READING", crash);
        }
        command.output().unwrap()
    };
    for stage in ["decode:crash.jpg", "decode:crash.jpg"] {
        let died = index(Some(stage), &[]);
        assert!(
            died.status.code().is_none(),
            "not killed by a signal: {}",
            stderr(&died)
        );
    }
    let summary = json(&index(Some("decode:crash.jpg"), &[]));
    assert_eq!(
        (
            summary["photos"].as_u64(),
            summary["searchable"].as_u64(),
            summary["failed"].as_u64()
        ),
        (Some(11), Some(10), Some(1))
    );
    let failed = json(&motis_in(&data, &["failed", "--json"]));
    assert_eq!(failed.as_array().unwrap().len(), 1, "{failed}");
    assert!(failed[0]["path"].as_str().unwrap().ends_with("crash.jpg"), "{failed}");
    assert!(
        failed[0]["cause"]
            .as_str()
            .unwrap()
            .contains("stopped while reading this photo, twice"),
        "{failed}"
    );
    let listed = stdout(&motis_in(&data, &["failed"]));
    assert!(listed.contains("crash.jpg\t") && listed.contains("twice"), "{listed}");

    // Without --retry-failed it stays skipped; with it (the crash gone), it is indexed.
    assert_eq!(json(&index(None, &[]))["searchable"].as_u64(), Some(10));
    let retried = json(&index(None, &["--retry-failed"]));
    assert_eq!(
        (retried["searchable"].as_u64(), retried["failed"].as_u64()),
        (Some(11), Some(0))
    );
    assert_eq!(json(&motis_in(&data, &["failed", "--json"])), serde_json::json!([]));
}

/// As a normal user (root reads everything, so as root the test drops to `nobody`): a
/// photo without read permission is a failure naming it, and the rest is indexed.
#[test]
fn a_photo_without_read_permission_is_a_failure_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (photos, data) = (root.join("photos"), root.join("data"));
    gallery(&photos, 0);
    let secret = photos.join("secret.jpg");
    std::fs::copy(repo().join("tests/fixtures/images/landscape.jpg"), &secret).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::create_dir(&data).unwrap();

    // /proc/self belongs to the effective user of this process.
    let as_root = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata("/proc/self").unwrap()) == 0;
    let mut command = if as_root {
        // Run a world-readable copy of the program and its files as `nobody`.
        let bin = root.join("motis");
        std::fs::copy(env!("CARGO_BIN_EXE_motis"), &bin).unwrap();
        let runtime = root.join("libonnxruntime.so.1.31.1");
        let built_for = std::env::var_os("ORT_DYLIB_PATH")
            .map_or_else(|| repo().join(".ort/lib/libonnxruntime.so.1.31.1"), PathBuf::from);
        std::fs::copy(built_for, &runtime).unwrap();
        let models = root.join("models");
        copy_tree(&repo().join("models"), &models);
        std::process::Command::new("chown")
            .args(["-R", "65534:65534", data.to_str().unwrap()])
            .status()
            .unwrap();
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .args(emulator())
            .arg(&bin)
            .args(["--models-dir", models.to_str().unwrap()])
            .env("ORT_DYLIB_PATH", &runtime);
        command
    } else {
        let mut command = motis_command();
        command.current_dir(repo());
        command
    };
    let output = command
        .args([
            "--data-dir",
            data.to_str().unwrap(),
            "index",
            photos.to_str().unwrap(),
            "--json",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let log = stderr(&output);
    let line = log
        .lines()
        .find(|l| l.contains("secret.jpg"))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(line.contains("Permission denied"), "{line}");
    let summary: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(
        (summary["searchable"].as_u64(), summary["failed"].as_u64()),
        (Some(10), Some(1))
    );
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The committed gallery as a Karpathy-format caption file: every photo in split `test`
/// with its caption, captions shifted by `shift` photos (0: each caption with its photo),
/// plus a `train` image that does not exist (it must be left out).
fn karpathy(folder: &Path, shift: usize) -> PathBuf {
    gallery(&folder.join("photos"), 0);
    let pairs = captions();
    let mut images: Vec<serde_json::Value> = pairs
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let caption = &pairs[(i + shift) % pairs.len()].1;
            serde_json::json!({ "filepath": "photos", "filename": name, "split": "test", "sentences": [{ "raw": caption }] })
        })
        .collect();
    images.push(serde_json::json!({ "filepath": "photos", "filename": "absent.jpg", "split": "train", "sentences": [{ "raw": "x" }] }));
    let path = folder.join("captions.json");
    std::fs::write(&path, serde_json::json!({ "images": images }).to_string()).unwrap();
    path
}

#[test]
fn eval_measures_recall_both_ways_on_a_karpathy_file() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let matched = karpathy(&work.path().join("matched"), 0);
    let report = json(&motis_in(&data, &["eval", matched.to_str().unwrap(), "--json"]));
    assert_eq!(
        (report["images"].as_u64(), report["captions"].as_u64()),
        (Some(10), Some(10))
    );
    // Every full caption finds its own photo first (as the engine tests show for search).
    assert_eq!(report["whole"]["t2i_R@1"], 1.0, "{report}");
    assert_eq!(report["whole"]["i2t_R@10"], 1.0, "{report}");
    assert!(report["1K"].is_null(), "fewer than 1,000 images: no 1K folds");

    // Each caption now names the next photo's scene: its own photo is never the answer.
    let shifted = karpathy(&work.path().join("shifted"), 1);
    let report = json(&motis_in(&data, &["eval", shifted.to_str().unwrap(), "--json"]));
    assert_eq!(report["whole"]["t2i_R@1"], 0.0, "{report}");
    assert_eq!(
        report["whole"]["t2i_R@10"], 1.0,
        "ten photos: every caption is within 10"
    );

    let table = motis_in(&data, &["eval", matched.to_str().unwrap()]);
    assert!(table.status.success(), "{}", stderr(&table));
    assert!(stdout(&table).contains("text→image"), "{}", stdout(&table));
    assert!(stdout(&table).contains("10 images"), "{}", stdout(&table));
}

#[test]
fn eval_names_a_missing_image_and_an_empty_split() {
    let work = tempfile::tempdir().unwrap();
    let data = work.path().join("data");
    let captions = karpathy(work.path(), 0);
    std::fs::remove_file(work.path().join("photos/scene-03.jpg")).unwrap();
    let output = motis_in(&data, &["eval", captions.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("scene-03.jpg: no such file"),
        "{}",
        stderr(&output)
    );

    let output = motis_in(&data, &["eval", captions.to_str().unwrap(), "--split", "val"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no image is in split \"val\" (the file has: test, train)"),
        "{}",
        stderr(&output)
    );
}

/// tests/fixtures/immich-tiny completed with the CLIP tokenizer Immich ships beside its
/// text towers, in `folder`.
fn immich_folder(folder: &Path) -> PathBuf {
    let source = folder.join("immich-tiny");
    copy_tree(&repo().join("tests/fixtures/immich-tiny"), &source);
    std::fs::copy(
        repo().join("models/tokenizers/clip-bpe/tokenizer.json"),
        source.join("textual/tokenizer.json"),
    )
    .unwrap();
    source
}

fn close(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-5)
}

#[test]
fn models_import_reads_immichs_layout_and_its_int32_one_text_per_call_towers() {
    let work = tempfile::tempdir().unwrap();
    let models = work.path().join("models");
    copy_tree(&repo().join("models/tokenizers"), &models.join("tokenizers"));
    let source = immich_folder(work.path());
    let in_models = |args: &[&str]| {
        let mut all = vec!["--models-dir", models.to_str().unwrap(), "--model", "immich-tiny"];
        all.extend(args);
        motis(&all)
    };

    let manifest = json(&in_models(&["models", "import", source.to_str().unwrap(), "--json"]));
    assert_eq!(manifest["id"], "immich-tiny");
    assert_eq!(
        (manifest["image"]["input"].as_str(), manifest["text"]["input"].as_str()),
        (Some("image"), Some("text"))
    );
    assert_eq!(manifest["image"]["size"], serde_json::json!([32, 32]));
    assert_eq!(manifest["image"]["resize"], "shortest_side_centre_crop");
    assert_eq!(
        manifest["text"]["tokenizer"], "clip-bpe",
        "the same BPE as motis's is shared, not copied"
    );
    assert!(!models.join("tokenizers/immich-tiny").exists());
    let verified = json(&in_models(&["models", "verify", "--json"]));
    assert!(
        verified
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["id"] == "immich-tiny" && m["status"] == "ok"),
        "{verified}"
    );

    // Text: what onnxruntime gave for open_clip's tokens, through int32 ids, one per call.
    let expected = json_file(&repo().join("tests/fixtures/immich-tiny/expected.json"));
    for (caption, vector) in expected["text"].as_object().unwrap() {
        let got: Vec<f64> = serde_json::from_value(json(&in_models(&["embed", "--text", caption, "--json"]))).unwrap();
        let want: Vec<f64> = serde_json::from_value(vector.clone()).unwrap();
        assert!(close(&got, &want), "{caption}: {got:?} vs {want:?}");
    }
    // Image: one solid colour, so the tower's per-channel mean is that colour, normalised.
    let colour = [200u8, 40, 90];
    let photo = work.path().join("solid.png");
    image::RgbImage::from_pixel(300, 200, image::Rgb(colour))
        .save(&photo)
        .unwrap();
    let mean = [0.48145466, 0.4578275, 0.40821073];
    let std = [0.26862954, 0.26130258, 0.27577711];
    let matrix: Vec<Vec<f64>> = serde_json::from_value(expected["colour_matrix"].clone()).unwrap();
    let channels: Vec<f64> = (0..3)
        .map(|c| (f64::from(colour[c]) / 255.0 - mean[c]) / std[c])
        .collect();
    let mut want: Vec<f64> = (0..8)
        .map(|j| (0..3).map(|c| channels[c] * matrix[c][j]).sum())
        .collect();
    let norm = want.iter().map(|x| x * x).sum::<f64>().sqrt();
    want.iter_mut().for_each(|x| *x /= norm);
    let got: Vec<f64> = serde_json::from_value(json(&in_models(&[
        "embed",
        "--image",
        photo.to_str().unwrap(),
        "--json",
    ])))
    .unwrap();
    assert!(close(&got, &want), "{got:?} vs {want:?}");

    // Many captions at once (eval encodes in batches) through a tower that takes one.
    let captions = karpathy(&work.path().join("dataset"), 0);
    let data = work.path().join("data");
    let mut args = vec![
        "--models-dir",
        models.to_str().unwrap(),
        "--model",
        "immich-tiny",
        "--data-dir",
        data.to_str().unwrap(),
    ];
    args.extend(["eval", captions.to_str().unwrap(), "--json"]);
    assert_eq!(json(&motis(&args))["captions"], 10);

    let again = in_models(&["models", "import", source.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(3));
    assert!(stderr(&again).contains("installed already"), "{}", stderr(&again));
}

fn import_into(models: &Path, source: &Path) -> Output {
    motis(&[
        "--models-dir",
        models.to_str().unwrap(),
        "models",
        "import",
        source.to_str().unwrap(),
    ])
}

#[test]
fn models_import_names_what_is_missing_and_leaves_nothing_behind() {
    let work = tempfile::tempdir().unwrap();
    let models = work.path().join("models");
    copy_tree(&repo().join("models/tokenizers"), &models.join("tokenizers"));
    let source = immich_folder(work.path());
    std::fs::remove_file(source.join("visual/preprocess_cfg.json")).unwrap();
    let output = import_into(&models, &source);
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("visual/preprocess_cfg.json: cannot read"),
        "{}",
        stderr(&output)
    );

    let source = immich_folder(&work.path().join("second"));
    std::fs::write(source.join("textual/model.onnx"), b"not a model").unwrap();
    let output = import_into(&models, &source);
    assert_eq!(output.status.code(), Some(3));
    assert!(stderr(&output).contains("textual/model.onnx"), "{}", stderr(&output));
    let left: Vec<_> = std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["tokenizers"], "no model folder and no staging folder remain");
}

#[test]
fn models_import_refuses_sizes_no_model_has_before_allocating_for_them() {
    let work = tempfile::tempdir().unwrap();
    let models = work.path().join("models");
    copy_tree(&repo().join("models/tokenizers"), &models.join("tokenizers"));
    let preprocess = r#"{"size": [100000, 100000], "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5]}"#;
    for (n, (file, text, says)) in [
        ("visual/preprocess_cfg.json", preprocess, "image size [100000, 100000]"),
        (
            "config.json",
            r#"{"embed_dim": 8, "text_cfg": {"context_length": 0}}"#,
            "context length 0",
        ),
        ("config.json", r#"{"embed_dim": 0}"#, "embedding dimension 0"),
    ]
    .into_iter()
    .enumerate()
    {
        let source = immich_folder(&work.path().join(n.to_string()));
        std::fs::write(source.join(file), text).unwrap();
        let output = import_into(&models, &source);
        assert_eq!(output.status.code(), Some(3), "{file}: {}", stderr(&output));
        assert!(
            stderr(&output).contains(file) && stderr(&output).contains(says),
            "{file}: {}",
            stderr(&output)
        );
    }
}

fn json_file(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn models_download_installs_a_model_from_a_hub_and_available_lists_the_short_list() {
    let server = hub_server::HubServer::start("immich-app/Tiny__fixture", hub_server::immich_tiny(&repo(), None));
    let models = tempfile::tempdir().unwrap();
    let in_models = |args: &[&str]| {
        motis_command()
            .args(["--models-dir", models.path().to_str().unwrap()])
            .args(args)
            .env("HF_ENDPOINT", &server.endpoint)
            .output()
            .unwrap()
    };
    let output = in_models(&["models", "download", "immich-app/Tiny__fixture", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines: Vec<serde_json::Value> = stdout(&output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines[0]["event"], "resolved");
    assert_eq!(lines[0]["commit"], hub_server::COMMIT);
    assert!(lines.iter().any(|line| line["event"] == "bytes"));
    let manifest = lines.last().unwrap();
    assert_eq!(
        manifest["id"], "tiny-fixture",
        "the id comes from the repository's name"
    );
    assert_eq!(manifest["source"]["repo"], "immich-app/Tiny__fixture");
    assert_eq!(manifest["source"]["commit"], hub_server::COMMIT);
    let search = in_models(&["--model", "tiny-fixture", "embed", "--text", "a red circle", "--json"]);
    assert!(search.status.success(), "{}", stderr(&search));
    assert_eq!(serde_json::from_str::<Vec<f32>>(&stdout(&search)).unwrap().len(), 8);

    let available = json(&in_models(&["models", "available", "--json"]));
    let names: Vec<&str> = available
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["vit-b-32-laion2b", "vit-b-32-openai"]);
    assert!(available.as_array().unwrap().iter().all(|m| m["installed"] == false));

    let unknown = in_models(&["models", "download", "vit-h-14"]);
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("motis models available"),
        "{}",
        stderr(&unknown)
    );
}

#[test]
fn downloads_go_into_the_data_folder_and_are_used_beside_the_shipped_models() {
    let server = hub_server::HubServer::start("immich-app/Tiny__fixture", hub_server::immich_tiny(&repo(), None));
    let data = tempfile::tempdir().unwrap();
    let with_data = |args: &[&str]| {
        motis_command()
            .args(["--data-dir", data.path().to_str().unwrap()])
            .args(args)
            .current_dir(repo())
            .env_remove("MOTIS_MODELS")
            .env("HF_ENDPOINT", &server.endpoint)
            .output()
            .unwrap()
    };
    let downloaded = with_data(&["models", "download", "immich-app/Tiny__fixture"]);
    assert!(downloaded.status.success(), "{}", stderr(&downloaded));
    let installed = data.path().join("models/tiny-fixture");
    assert!(
        installed.join("manifest.json").is_file(),
        "into the data folder's models/"
    );

    let listed = json(&with_data(&["models", "--json"]));
    let folders: Vec<(&str, PathBuf)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["id"].as_str().unwrap(), PathBuf::from(m["folder"].as_str().unwrap())))
        .collect();
    assert_eq!(folders[0], ("tiny-fixture", installed.clone()), "{listed}");
    assert!(
        folders.iter().any(
            |(id, folder)| *id == "motis-demo" && folder.starts_with(repo().join("models").canonicalize().unwrap())
        ),
        "the shipped models are listed too: {listed}"
    );
    let available = json(&with_data(&["models", "available", "--json"]));
    assert!(available.as_array().unwrap().iter().all(|m| m["installed"] == false));

    let embedded = with_data(&["--model", "tiny-fixture", "embed", "--text", "a red circle", "--json"]);
    assert!(embedded.status.success(), "{}", stderr(&embedded));
    let demo = with_data(&["embed", "--text", "a red circle", "--json"]);
    assert!(
        demo.status.success(),
        "the shipped demo model still answers: {}",
        stderr(&demo)
    );

    // An id a shipped model has is refused before anything is fetched.
    let taken = with_data(&["models", "download", "immich-app/Tiny__fixture", "--id", "motis-demo"]);
    assert_eq!(taken.status.code(), Some(3));
    assert!(stderr(&taken).contains("installed already"), "{}", stderr(&taken));
    assert!(!data.path().join("models/.motis-demo.downloading").exists());
}

#[cfg(feature = "heif")]
#[test]
fn heic_and_avif_photos_are_indexed_upright_beside_jpegs() {
    let dir = tempfile::tempdir().unwrap();
    let (photos, data) = (dir.path().join("photos"), dir.path().join("data"));
    gallery(&photos, 0);
    for name in ["photo.heic", "rotated.heic", "photo.avif"] {
        std::fs::copy(repo().join("tests/fixtures/heif").join(name), photos.join(name)).unwrap();
    }
    let output = motis_in(&data, &["index", photos.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("encoding 13/13"), "{}", stderr(&output));
    assert!(stdout(&motis_in(&data, &["failed"])).trim().is_empty());

    // Previews are made upright: the one stored sideways too (the demo model cannot
    // tell a turned photo of shapes from an upright one, so its embedding would not).
    let found = json(&motis_in(&data, &["search", "a red circle", "-k", "13", "--json"]));
    for row in found.as_array().unwrap() {
        let path = row["path"].as_str().unwrap();
        if path.ends_with(".heic") || path.ends_with(".avif") {
            let id = row["id"].as_u64().unwrap();
            let preview = data
                .join("previews")
                .join((id / 1000).to_string())
                .join(format!("{id}.jpg"));
            let size = image::image_dimensions(&preview).unwrap();
            assert_eq!(size, (160, 120), "{path}: as large as the photo, upright");
        }
    }
}
