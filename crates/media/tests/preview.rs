//! Previews: upright, the long side shrunk, aspect kept, replaced atomically.

use std::path::Path;

use image::{Rgb, RgbImage};
use motis_media::{PREVIEW_LONG_SIDE, decode_upright, preview_size, write_preview};

#[test]
fn sizes_keep_the_aspect_and_never_enlarge() {
    assert_eq!(preview_size(4032, 3024, 320), (320, 240));
    assert_eq!(preview_size(3024, 4032, 320), (240, 320));
    assert_eq!(preview_size(20_000, 300, 320), (320, 5));
    assert_eq!(preview_size(100, 80, 320), (100, 80));
    assert_eq!(preview_size(10_000, 1, 320), (320, 1));
}

#[test]
fn a_preview_is_a_smaller_jpeg_of_the_same_picture() {
    let dir = tempfile::tempdir().unwrap();
    // Left half red, right half blue: a preview that flipped or cropped would show it.
    let image = RgbImage::from_fn(1000, 500, |x, _| {
        if x < 500 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let path = dir.path().join("previews/1.jpg");
    std::fs::create_dir(dir.path().join("previews")).unwrap();
    assert_eq!(write_preview(&image, PREVIEW_LONG_SIDE, &path).unwrap(), (320, 160));
    let preview = image::open(&path).unwrap().into_rgb8();
    assert_eq!(preview.dimensions(), (320, 160));
    let (left, right) = (preview.get_pixel(40, 80), preview.get_pixel(280, 80));
    assert!(left[0] > 180 && left[2] < 60, "{left:?}");
    assert!(right[2] > 180 && right[0] < 60, "{right:?}");
    write_preview(&image, 100, &path).unwrap();
    assert_eq!(image::open(&path).unwrap().width(), 100);
    assert_eq!(
        std::fs::read_dir(dir.path().join("previews")).unwrap().count(),
        1,
        "no temporary file left"
    );
}

#[test]
fn previews_of_rotated_photos_are_upright() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images");
    let dir = tempfile::tempdir().unwrap();
    let upright = decode_upright(&fixtures.join("orientation-6.jpg")).unwrap();
    write_preview(&upright, 64, &dir.path().join("p.jpg")).unwrap();
    // The fixture is a 160×120 landscape scene stored as 120×160 pixels with tag 6.
    assert_eq!(
        image::open(dir.path().join("p.jpg")).unwrap().into_rgb8().dimensions(),
        (64, 48)
    );
}
