//! Encoders that load ONNX Runtime's optimised copies of the towers give the embeddings
//! the towers' own files give, make each copy once, and make it again when it is damaged.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use motis_embed::{ImageEncoder, Model, Runtime, TextEncoder};

fn demo() -> Model {
    Model::open(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/motis-demo")).unwrap()
}

/// A picture-like input: a smooth ramp, so that every weight takes part.
fn pixels(model: &Model) -> Vec<f32> {
    (0..model.input.len()).map(|i| ((i % 97) as f32 / 48.0) - 1.0).collect()
}

fn embeddings(runtime: &Runtime, model: &Model) -> (Vec<f32>, Vec<f32>) {
    let image = ImageEncoder::new(runtime, model, 1)
        .unwrap()
        .encode(&pixels(model))
        .unwrap()
        .remove(0);
    let text = TextEncoder::new(runtime, model, 1)
        .unwrap()
        .encode(&["two red stars"])
        .unwrap()
        .remove(0);
    (image, text)
}

fn copies(folder: &Path) -> Vec<PathBuf> {
    let mut copies: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    copies.sort();
    copies
}

fn max_difference(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn copies_are_made_once_give_the_same_embeddings_and_are_remade_when_damaged() {
    let model = demo();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("optimized");
    let plain = Runtime::load().unwrap();
    let optimized = Runtime::load().unwrap().with_optimized_copies(folder.clone(), 0);

    let (image, text) = embeddings(&plain, &model);
    let (image_from_copy, text_from_copy) = embeddings(&optimized, &model);
    assert!(
        max_difference(&image, &image_from_copy) < 1e-5,
        "{image:?} vs {image_from_copy:?}"
    );
    assert!(
        max_difference(&text, &text_from_copy) < 1e-5,
        "{text:?} vs {text_from_copy:?}"
    );
    let made = copies(&folder);
    let names: Vec<String> = made
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "one copy per tower: {names:?}");
    assert!(
        names[0].starts_with("motis-demo.image.") && names[1].starts_with("motis-demo.text."),
        "{names:?}"
    );
    for copy in &made {
        assert!(
            copy.join("model.onnx.data").is_file(),
            "the weights in a file of their own"
        );
    }

    // Opened again, the copies are used as they are.
    let weights = made[1].join("model.onnx.data");
    let written: SystemTime = std::fs::metadata(&weights).unwrap().modified().unwrap();
    embeddings(&optimized, &model);
    assert_eq!(copies(&folder), made);
    assert_eq!(std::fs::metadata(&weights).unwrap().modified().unwrap(), written);

    // A damaged copy is made again, and the embeddings stay right.
    let mut bytes = std::fs::read(&weights).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&weights, &bytes).unwrap();
    let (_, text_after) = embeddings(&optimized, &model);
    assert!(max_difference(&text, &text_after) < 1e-5, "{text:?} vs {text_after:?}");
    assert_ne!(
        std::fs::read(&weights).unwrap(),
        bytes,
        "the damaged weights were replaced"
    );
    assert_eq!(copies(&folder), made);
}

#[test]
fn a_folder_that_cannot_hold_copies_leaves_the_towers_running_from_their_files() {
    let model = demo();
    let dir = tempfile::tempdir().unwrap();
    // A file where the folder should be: nothing can be made in it.
    let folder = dir.path().join("optimized");
    std::fs::write(&folder, b"not a folder").unwrap();
    let optimized = Runtime::load().unwrap().with_optimized_copies(folder.clone(), 0);
    let (_, text) = embeddings(&Runtime::load().unwrap(), &model);
    let (_, text_without_copy) = embeddings(&optimized, &model);
    assert_eq!(text, text_without_copy);
    assert!(folder.is_file());
}

#[test]
fn towers_smaller_than_asked_get_no_copy() {
    let model = demo();
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("optimized");
    let optimized = Runtime::load().unwrap().with_optimized_copies(folder.clone(), 64 << 20);
    embeddings(&optimized, &model);
    assert!(!folder.exists());
}
