//! A tiny random-weight model of open_clip's real CLIP architecture (ViT image tower,
//! causal text transformer, centre-crop preprocessing), against open_clip's own
//! embeddings: the path real CLIP models take. Written by scripts/make_clip_fixture_model.py.

use std::path::{Path, PathBuf};

use motis_embed::{ImageEncoder, Model, Runtime, TextEncoder};
use motis_media::{Preprocessor, decode_upright, decode_upright_reduced};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

fn vector(value: &serde_json::Value) -> Vec<f32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect()
}

/// The fixture model laid out as an installed model: models/clip-tiny beside the
/// shared models/tokenizers.
fn installed(dir: &Path) -> Model {
    let models = dir.join("models");
    let folder = models.join("clip-tiny");
    std::fs::create_dir_all(&folder).unwrap();
    for entry in std::fs::read_dir(repo().join("tests/fixtures/clip-tiny")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), folder.join(entry.file_name())).unwrap();
    }
    std::os::unix::fs::symlink(
        repo().join("models/tokenizers").canonicalize().unwrap(),
        models.join("tokenizers"),
    )
    .unwrap();
    let model = Model::open(&folder).unwrap();
    model.verify().unwrap();
    model
}

fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(repo().join("tests/fixtures/clip-tiny-reference.json")).unwrap())
        .unwrap()
}

#[test]
fn centre_cropped_image_embeddings_equal_open_clip() {
    let dir = tempfile::tempdir().unwrap();
    let model = installed(dir.path());
    let mut encoder = ImageEncoder::new(&Runtime::load().unwrap(), &model, 1).unwrap();
    let mut preprocessor = Preprocessor::new(model.input.clone());
    let mut worst = (1.0f32, String::new());
    for (name, expected) in reference()["images"].as_object().unwrap() {
        let image = decode_upright(&repo().join("tests/fixtures/images").join(name)).unwrap();
        let mut pixels = vec![0.0; model.input.len()];
        preprocessor.write_input(&image, &mut pixels).unwrap();
        let similarity = cosine(&encoder.encode(&pixels).unwrap()[0], &vector(expected));
        if similarity < worst.0 {
            worst = (similarity, name.clone());
        }
    }
    println!("worst image cosine to open_clip: {:.9} ({})", worst.0, worst.1);
    // The same input pixel for pixel: what is left is f32 arithmetic (0.99999982 at worst
    // on x86_64, measured), with room for ARM64's kernels.
    assert!(worst.0 >= 0.999999, "{} has cosine {} to open_clip", worst.1, worst.0);

    // The indexing pipeline's fast path: the large JPEG decoded at 1/8 scale.
    let path = repo().join("tests/fixtures/images/large.jpg");
    let reduced = decode_upright_reduced(&path, model.input.min_decode_side())
        .unwrap()
        .image;
    assert!(reduced.width() <= 2592 / 8, "{:?}", reduced.dimensions());
    let mut pixels = vec![0.0; model.input.len()];
    preprocessor.write_input(&reduced, &mut pixels).unwrap();
    let similarity = cosine(
        &encoder.encode(&pixels).unwrap()[0],
        &vector(&reference()["images"]["large.jpg"]),
    );
    println!(
        "reduced decoding ({}×{}) against open_clip's full-resolution path: cosine {similarity:.6}",
        reduced.width(),
        reduced.height()
    );
    assert!(similarity >= 0.995, "cosine {similarity}");
}

#[test]
fn text_embeddings_at_real_length_equal_open_clip_at_77() {
    let dir = tempfile::tempdir().unwrap();
    let model = installed(dir.path());
    let mut encoder = TextEncoder::new(&Runtime::load().unwrap(), &model, 1).unwrap();
    for (text, expected) in reference()["texts"].as_object().unwrap() {
        let similarity = cosine(&encoder.encode(&[text]).unwrap()[0], &vector(expected));
        // The same tokens: f32 arithmetic alone (0.99999994 at worst on x86_64).
        assert!(similarity >= 0.999999, "{text:?}: cosine {similarity}");
    }
}
