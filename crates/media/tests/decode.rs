//! Decoding every fixture format to upright RGB, matching the Python reference
//! preprocessing, and refusing bad files with an error that names them.

use std::path::{Path, PathBuf};

use motis_media::{InputSpec, MediaError, Preprocessor, ResizeMode, decode_upright};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn reference() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("reference.json")).unwrap()).unwrap()
}

/// The side of the reference model inputs: the demo model's, at which
/// scripts/make_test_fixtures.py writes them.
const SIDE: usize = 128;

/// Model input before normalisation: the resized 8-bit pixels themselves.
fn raw_spec(resize: ResizeMode) -> InputSpec {
    InputSpec {
        width: SIDE as u32,
        height: SIDE as u32,
        resize,
        mean: [0.0; 3],
        std: [1.0 / 255.0; 3],
    }
}

#[test]
fn every_fixture_decodes_upright_at_the_reference_size() {
    for (name, entry) in reference().as_object().unwrap() {
        let image = decode_upright(&fixtures().join("images").join(name)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (image.width() as u64, image.height() as u64),
            (entry["width"].as_u64().unwrap(), entry["height"].as_u64().unwrap()),
            "{name}"
        );
    }
}

#[test]
fn preprocessing_matches_pillow_within_rounding() {
    let mut worst = Vec::new();
    for (mode, suffix) in [
        (ResizeMode::Squash, "squash"),
        (ResizeMode::ShortestSideCentreCrop, "crop"),
    ] {
        let mut preprocessor = Preprocessor::new(raw_spec(mode));
        for name in reference().as_object().unwrap().keys() {
            let image = decode_upright(&fixtures().join("images").join(name)).unwrap();
            let mut ours = vec![0.0; 3 * SIDE * SIDE];
            preprocessor.write_input(&image, &mut ours).unwrap();
            let expected = image::open(fixtures().join("reference").join(format!("{name}.{suffix}.png")))
                .unwrap()
                .into_rgb8();
            assert_eq!(expected.dimensions(), (SIDE as u32, SIDE as u32), "{name}");
            let mut max_diff: f32 = 0.0;
            let mut sum_diff = 0.0;
            for (i, pixel) in expected.pixels().enumerate() {
                for c in 0..3 {
                    let diff = (ours[c * SIDE * SIDE + i] - f32::from(pixel[c])).abs();
                    max_diff = max_diff.max(diff);
                    sum_diff += diff;
                }
            }
            worst.push((
                max_diff,
                sum_diff / (3 * SIDE * SIDE) as f32,
                format!("{name} ({suffix})"),
            ));
        }
    }
    worst.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (max, mean, name) in &worst {
        println!("{name}: max {max} levels, mean {mean:.3}");
    }
    // Both sides decode JPEGs with libjpeg-turbo and resize with Pillow's bicubic
    // arithmetic: what differs is its rounding at a few sharp edges (4 levels at most, 0.12
    // on average, measured). A geometry mistake (a crop off by one pixel, a wrong
    // orientation) shows as tens of levels.
    let failing: Vec<_> = worst
        .iter()
        .filter(|(max, mean, _)| *max > 4.0 || *mean > 0.15)
        .collect();
    assert!(
        failing.is_empty(),
        "differ from Pillow by more than 4 levels (or 0.15 on average): {failing:?}"
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn assert_names_file(error: MediaError, path: &Path) {
    let message = error.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "{message:?} does not name {}",
        path.display()
    );
}

#[test]
fn empty_text_and_truncated_files_are_errors_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = std::fs::read(fixtures().join("images/landscape.jpg")).unwrap();
    for (name, bytes) in [
        ("empty.jpg", &b""[..]),
        ("notes.jpg", &b"shopping list: milk, eggs\n"[..]),
        ("truncated.jpg", &jpeg[..jpeg.len() / 3]),
        ("cut-before-the-end-marker.jpg", &jpeg[..jpeg.len() - 2]),
    ] {
        let path = write(dir.path(), name, bytes);
        let error = match decode_upright(&path) {
            Ok(_) => panic!("{name} decoded"),
            Err(error) => error,
        };
        assert!(
            matches!(error, MediaError::Decode { .. } | MediaError::Truncated { .. }),
            "{name}: {error:?}"
        );
        assert_names_file(error, &path);
    }
}

#[test]
fn a_missing_file_is_a_read_error() {
    let path = Path::new("/nonexistent/motis/photo.jpg");
    let error = decode_upright(path).unwrap_err();
    assert!(matches!(error, MediaError::Read { .. }));
    assert_names_file(error, path);
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    // A valid PNG header claiming 100,000 × 100,000 RGB pixels, with almost no data.
    let path = fixtures().join("bad/bomb.png");
    let error = decode_upright(&path).unwrap_err();
    assert!(
        matches!(
            error,
            MediaError::TooLarge {
                width: 100_000,
                height: 100_000,
                ..
            }
        ),
        "{error:?}"
    );
    assert_names_file(error, &path);
}

/// A JPEG with an APP1 EXIF segment holding only an Orientation tag.
fn jpeg_with_orientation(image: &image::RgbImage, orientation: u16) -> Vec<u8> {
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 90)
        .encode_image(image)
        .unwrap();
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    tiff.extend(1u16.to_le_bytes());
    tiff.extend(0x0112u16.to_le_bytes());
    tiff.extend(3u16.to_le_bytes());
    tiff.extend(1u32.to_le_bytes());
    tiff.extend(orientation.to_le_bytes());
    tiff.extend([0, 0, 0, 0, 0, 0]);
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend(((2 + 6 + tiff.len()) as u16).to_be_bytes());
    app1.extend(b"Exif\0\0");
    app1.extend(tiff);
    jpeg.splice(2..2, app1);
    jpeg
}

#[test]
fn reduced_decoding_of_a_large_rotated_jpeg_is_upright_and_smaller() {
    // Upright: 2400×1600, red on the left, blue on the right; stored turned a quarter
    // counter-clockwise with tag 6, as a phone held upright stores it.
    let upright = image::RgbImage::from_fn(2400, 1600, |x, _| {
        image::Rgb(if x < 1200 { [220, 30, 30] } else { [30, 30, 220] })
    });
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "phone.jpg",
        &jpeg_with_orientation(&image::imageops::rotate270(&upright), 6),
    );
    let exact = decode_upright(&path).unwrap();
    assert_eq!(exact.dimensions(), (2400, 1600));
    let decoded = motis_media::decode_upright_reduced(&path, 192).unwrap();
    assert_eq!((decoded.width, decoded.height, decoded.orientation), (2400, 1600, 6));
    let reduced = decoded.image;
    assert_eq!(
        reduced.dimensions(),
        (300, 200),
        "1/8 scale keeps the short side at 200 ≥ 192"
    );
    let (left, right) = (reduced.get_pixel(40, 100), reduced.get_pixel(260, 100));
    assert!(left[0] > 180 && left[2] < 80, "{left:?}");
    assert!(right[2] > 180 && right[0] < 80, "{right:?}");
    assert_eq!(
        motis_media::decode_upright_reduced(&path, 400)
            .unwrap()
            .image
            .dimensions(),
        (600, 400)
    );
    assert_eq!(
        motis_media::decode_upright_reduced(&path, 500)
            .unwrap()
            .image
            .dimensions(),
        (1200, 800)
    );
    assert_eq!(
        motis_media::decode_upright_reduced(&path, 1600)
            .unwrap()
            .image
            .dimensions(),
        (2400, 1600)
    );
}
