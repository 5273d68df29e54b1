//! The shipped demo model through the Rust path: manifest, checksums, ONNX Runtime,
//! tokenizer, encoders; embeddings equal to the Python reference.

use std::path::{Path, PathBuf};

use motis_embed::{EmbedError, ImageEncoder, Model, Runtime, TextEncoder, Tower, VerifiedFiles};
use motis_media::{Preprocessor, decode_upright, decode_upright_reduced};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn demo() -> Model {
    Model::open(&repo().join("models/motis-demo")).unwrap()
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

/// The demo model's image path as the engine runs it: preprocess, then encode.
struct ImageEmbedder {
    encoder: ImageEncoder,
    preprocessor: Preprocessor,
}

impl ImageEmbedder {
    fn new(model: &Model) -> ImageEmbedder {
        let encoder = ImageEncoder::new(&Runtime::load().unwrap(), model, 1).unwrap();
        ImageEmbedder {
            encoder,
            preprocessor: Preprocessor::new(model.input.clone()),
        }
    }

    fn pixels(&mut self, image: &image::RgbImage) -> Vec<f32> {
        let mut pixels = vec![0.0; self.preprocessor.spec().len()];
        self.preprocessor.write_input(image, &mut pixels).unwrap();
        pixels
    }

    fn embed(&mut self, image: &image::RgbImage) -> Vec<f32> {
        let pixels = self.pixels(image);
        self.encoder.encode(&pixels).unwrap().remove(0)
    }
}

#[test]
fn shipped_files_match_their_checksums() {
    demo().verify().unwrap();
}

#[test]
fn a_changed_file_is_named_in_the_checksum_error() {
    let dir = tempfile::tempdir().unwrap();
    copied_demo(dir.path());
    let mut bytes = std::fs::read(dir.path().join("image.onnx")).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(dir.path().join("image.onnx"), bytes).unwrap();
    let error = Model::open(dir.path()).unwrap().verify().unwrap_err();
    assert!(matches!(error, EmbedError::Checksum { .. }), "{error:?}");
    assert!(error.to_string().contains("image.onnx"), "{error}");
}

/// The demo model's files in a folder of their own.
fn copied_demo(dir: &Path) -> Model {
    std::fs::create_dir_all(dir).unwrap();
    for entry in std::fs::read_dir(repo().join("models/motis-demo")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    Model::open(dir).unwrap()
}

#[test]
fn a_start_checks_only_its_towers_files_and_only_those_changed_since_they_were_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let model = copied_demo(&dir.path().join("model"));
    let record_path = dir.path().join("verified.json");
    let remembered = || -> serde_json::Map<String, serde_json::Value> {
        serde_json::from_slice(&std::fs::read(&record_path).unwrap()).unwrap()
    };
    let text = model.text_path().canonicalize().unwrap();

    let mut record = VerifiedFiles::load(&record_path);
    model.verify_tower(Tower::Text, &mut record).unwrap();
    record.save().unwrap();
    let files: Vec<String> = remembered().keys().cloned().collect();
    assert_eq!(
        files,
        [text.to_string_lossy()],
        "a text-only start hashes the text tower alone"
    );

    // The record is trusted while the file looks unchanged: a wrong sha256 planted in it
    // is what the next start sees, so nothing was hashed.
    let mut planted = remembered();
    planted[&*text.to_string_lossy()]["sha256"] = "00".repeat(32).into();
    std::fs::write(&record_path, serde_json::to_vec(&planted).unwrap()).unwrap();
    let error = model
        .verify_tower(Tower::Text, &mut VerifiedFiles::load(&record_path))
        .unwrap_err();
    assert!(matches!(error, EmbedError::Checksum { .. }), "{error:?}");
    model.verify().unwrap();

    // A file rewritten since is hashed again: with the same bytes it passes and is
    // remembered anew; damaged, it fails and names itself.
    let bytes = std::fs::read(&text).unwrap();
    std::fs::write(&text, &bytes).unwrap();
    let mut record = VerifiedFiles::load(&record_path);
    model.verify_tower(Tower::Text, &mut record).unwrap();
    record.save().unwrap();
    assert_eq!(
        remembered()[&*text.to_string_lossy()]["sha256"],
        model
            .manifest
            .files
            .iter()
            .find(|f| f.path == "text.onnx")
            .unwrap()
            .sha256
    );
    let mut damaged = bytes.clone();
    damaged[100] ^= 1;
    std::fs::write(&text, &damaged).unwrap();
    let error = model
        .verify_tower(Tower::Text, &mut VerifiedFiles::load(&record_path))
        .unwrap_err();
    assert!(error.to_string().contains("text.onnx"), "{error}");

    // The image tower's start does not need the text tower.
    let mut record = VerifiedFiles::load(&record_path);
    model.verify_tower(Tower::Image, &mut record).unwrap();
    record.save().unwrap();
    assert!(remembered().contains_key(&*model.image_path().canonicalize().unwrap().to_string_lossy()));
}

#[test]
fn an_unreadable_record_is_an_empty_one() {
    let dir = tempfile::tempdir().unwrap();
    let model = copied_demo(&dir.path().join("model"));
    let record_path = dir.path().join("verified.json");
    std::fs::write(&record_path, b"{ half a rec").unwrap();
    let mut record = VerifiedFiles::load(&record_path);
    model.verify_tower(Tower::Image, &mut record).unwrap();
    record.save().unwrap();
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&record_path).unwrap()).unwrap();
    assert_eq!(saved.as_object().unwrap().len(), 1, "{saved}");
}

#[test]
fn image_embeddings_equal_the_python_reference() {
    let mut embedder = ImageEmbedder::new(&demo());
    let fixtures = repo().join("tests/fixtures");
    let reference: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures.join("reference.json")).unwrap()).unwrap();
    let mut worst = (1.0f32, String::new());
    for (name, entry) in reference.as_object().unwrap() {
        let ours = embedder.embed(&decode_upright(&fixtures.join("images").join(name)).unwrap());
        let expected: Vec<f32> = entry["demo_embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        let similarity = cosine(&ours, &expected);
        if similarity < worst.0 {
            worst = (similarity, name.clone());
        }
    }
    println!("worst cosine to the Python reference: {:.6} ({})", worst.0, worst.1);
    assert!(
        worst.0 >= 0.9999,
        "{} has cosine {} to the Python reference",
        worst.1,
        worst.0
    );
}

#[test]
fn batches_encode_like_single_images() {
    let mut embedder = ImageEmbedder::new(&demo());
    let images = ["landscape.jpg", "portrait.jpg", "orientation-6.jpg"];
    let mut batch = Vec::new();
    for name in images {
        batch.extend(embedder.pixels(&decode_upright(&repo().join("tests/fixtures/images").join(name)).unwrap()));
    }
    let together = embedder.encoder.encode(&batch).unwrap();
    for (i, chunk) in batch.chunks_exact(batch.len() / images.len()).enumerate() {
        let alone = embedder.encoder.encode(chunk).unwrap().remove(0);
        assert!(cosine(&alone, &together[i]) > 0.99999, "{}", images[i]);
        assert!(
            (alone.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-4,
            "embeddings are unit length"
        );
    }
}

#[test]
fn text_queries_find_the_right_caption_and_ignore_padding() {
    let model = demo();
    let runtime = Runtime::load().unwrap();
    let mut encoder = TextEncoder::new(&runtime, &model, 1).unwrap();
    // Four photos of the committed gallery and their captions.
    let gallery = repo().join("tests/fixtures/gallery");
    let captions: std::collections::BTreeMap<String, String> =
        serde_json::from_str(&std::fs::read_to_string(gallery.join("captions.json")).unwrap()).unwrap();
    let scenes: Vec<(&String, &String)> = captions.iter().take(4).collect();
    let mut embedder = ImageEmbedder::new(&model);
    let photos: Vec<Vec<f32>> = scenes
        .iter()
        .map(|(name, _)| embedder.embed(&decode_upright(&gallery.join(name)).unwrap()))
        .collect();
    let texts: Vec<&str> = scenes.iter().map(|(_, caption)| caption.as_str()).collect();
    let together = encoder.encode(&texts).unwrap();
    for (i, text) in texts.iter().enumerate() {
        // Alone, each text runs at its own length; together, the shorter ones are padded.
        let alone = encoder.encode(&[text]).unwrap().remove(0);
        assert!(cosine(&alone, &together[i]) > 0.99999, "{text}");
        // ... and it is its own photo's caption that it is closest to.
        let closest = (0..photos.len())
            .max_by(|&a, &b| cosine(&together[i], &photos[a]).total_cmp(&cosine(&together[i], &photos[b])))
            .unwrap();
        assert_eq!(scenes[closest].0, scenes[i].0, "{text}");
    }
}

#[test]
fn tokenizer_frames_and_truncates_like_open_clip() {
    let model = demo();
    let tokenizer = motis_embed::ClipTokenizer::from_file(&model.tokenizer_path(), 77).unwrap();
    let ids = tokenizer.ids("  Two   RED stars ").unwrap();
    // open_clip.tokenize("two red stars"): start, "two</w>", "red</w>", "stars</w>", end.
    assert_eq!(ids, vec![49406, 1237, 736, 2895, 49407]);
    let long = tokenizer.ids(&"red star ".repeat(100)).unwrap();
    assert_eq!(long.len(), 77);
    assert_eq!(long[76], 49407);
    assert_eq!(tokenizer.ids("").unwrap(), vec![49406, 49407]);
}

#[test]
fn empty_huge_and_emoji_queries_get_an_embedding() {
    let model = demo();
    let runtime = Runtime::load().unwrap();
    let mut encoder = TextEncoder::new(&runtime, &model, 1).unwrap();
    let huge = "two small red stars on a blue background ".repeat(250);
    let emoji = "😀🐶🏖️ 🌈";
    for text in ["", "   ", huge.as_str(), emoji, "二つの赤い星", "&amp; <b>red</b>"] {
        let vector = encoder.encode(&[text]).unwrap().remove(0);
        assert_eq!(vector.len(), model.manifest.embedding_dim, "{text:.20}");
        assert!(vector.iter().all(|x| x.is_finite()), "{text:.20}");
    }
    assert_eq!(encoder.tokenizer().ids(&huge).unwrap().len(), 77);
}

#[test]
fn reduced_jpeg_decoding_keeps_the_embedding() {
    let model = demo();
    let mut embedder = ImageEmbedder::new(&model);
    let path = repo().join("tests/fixtures/images/large.jpg");
    let exact = embedder.embed(&decode_upright(&path).unwrap());
    // The side the indexing pipeline decodes at.
    let reduced_image = decode_upright_reduced(&path, model.input.min_decode_side())
        .unwrap()
        .image;
    assert!(
        reduced_image.width() < 2592 / 2,
        "the reduced path must actually reduce: {:?}",
        reduced_image.dimensions()
    );
    let reduced = embedder.embed(&reduced_image);
    let similarity = cosine(&exact, &reduced);
    println!(
        "reduced JPEG decoding ({}×{}): cosine {similarity:.6} to the exact path",
        reduced_image.width(),
        reduced_image.height()
    );
    assert!(similarity >= 0.995, "cosine {similarity}");
}
