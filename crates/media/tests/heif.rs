//! HEIF photos: decoded upright by libheif (its irot/imir transforms applied, EXIF
//! orientation not applied again), or, in a build without libheif, an error that says so.

use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/heif")
        .join(name)
}

#[cfg(feature = "heif")]
mod with_libheif {
    use super::fixture;
    use motis_media::{decode_upright, decode_upright_reduced};

    /// Mean difference per channel value against the pixels the file was encoded from.
    fn difference(name: &str) -> f64 {
        // Turned a quarter (twice, or not at all), the size is wrong already.
        let reference = image::open(fixture("upright.png")).unwrap().into_rgb8();
        let decoded = decode_upright(&fixture(name)).unwrap();
        assert_eq!(decoded.dimensions(), reference.dimensions(), "{name}");
        let differences: Vec<u8> = decoded
            .as_raw()
            .iter()
            .zip(reference.as_raw())
            .map(|(a, b)| a.abs_diff(*b))
            .collect();
        differences.iter().map(|&d| f64::from(d)).sum::<f64>() / differences.len() as f64
    }

    // Measured with libheif's own heif-dec: mean difference 0.53 (photo.heic), 0.89
    // (photo.avif), 0.92 (rotated.heic: lossy twice, the JPEG it came from, then HEVC);
    // mirrored, 23; turned half round, 44.
    const MEAN_AT_MOST: f64 = 2.0;

    #[test]
    fn heic_and_avif_decode_to_the_pixels_they_were_made_from() {
        for name in ["photo.heic", "photo.avif"] {
            let mean = difference(name);
            eprintln!("{name}: mean difference {mean:.2}");
            assert!(mean <= MEAN_AT_MOST, "{name}: mean difference {mean:.2}");
        }
    }

    #[test]
    fn a_heic_stored_sideways_comes_out_upright_once() {
        let mean = difference("rotated.heic");
        eprintln!("rotated.heic: mean difference {mean:.2}");
        assert!(
            mean <= MEAN_AT_MOST,
            "mean difference {mean:.2}: turned twice, or not at all?"
        );
        let decoded = decode_upright_reduced(&fixture("rotated.heic"), 32).unwrap();
        assert_eq!((decoded.width, decoded.height), (160, 120));
        assert_eq!(decoded.orientation, 1, "the pixels are upright already");
    }

    #[test]
    fn a_damaged_heic_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = std::fs::read(fixture("photo.heic")).unwrap();
        let cut = dir.path().join("cut.heic");
        std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
        let error = decode_upright(&cut).unwrap_err().to_string();
        assert!(error.contains("cut.heic"), "{error}");
    }

    /// Found by `scripts/fuzz` (decode): an AVIF whose AV1 data is damaged. libheif hands
    /// it to dav1d, which refuses it (and leaks 80 bytes doing so, in Debian's libdav1d
    /// 1.0: not motis's to fix; fuzz/lsan-suppressions.txt names it). motis must say
    /// which file, at every size it decodes at.
    #[test]
    fn fuzz_dav1d_leak_avif_is_an_error_naming_the_file() {
        for side in [320, 0] {
            let error = decode_upright_reduced(&fixture("fuzz-dav1d-leak.avif"), side)
                .map(|decoded| decoded.image.dimensions())
                .unwrap_err()
                .to_string();
            assert!(error.contains("fuzz-dav1d-leak.avif"), "{error}");
        }
    }
}

#[cfg(not(feature = "heif"))]
#[test]
fn without_libheif_a_heic_is_an_error_that_says_so() {
    let error = motis_media::decode_upright(&fixture("photo.heic"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("photo.heic") && error.contains("without libheif"),
        "{error}"
    );
}

#[test]
fn other_photos_are_not_taken_for_heif() {
    // An MP4-like ftyp box that names no image brand, then a JPEG: neither is HEIF.
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("clip.heic");
    std::fs::write(&video, b"\0\0\0\x18ftypisom\0\0\0\0isommp41").unwrap();
    let error = motis_media::decode_upright(&video).unwrap_err().to_string();
    assert!(!error.contains("libheif"), "{error}");
}
