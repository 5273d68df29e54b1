//! The `motis` binary as a person or a script uses it: output formats and exit codes.

use std::path::Path;
use std::process::{Command, Output};

fn motis(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_motis"))
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
    let output = Command::new(env!("CARGO_BIN_EXE_motis"))
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
