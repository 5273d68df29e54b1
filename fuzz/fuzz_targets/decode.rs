//! A photo's bytes through motis-media's own entry points, as a run reads them: the
//! decode (format by content: JPEG through libjpeg-turbo at a reduced scale, PNG, WebP,
//! GIF, BMP, TIFF through `image`, HEIC and AVIF through libheif) with its EXIF
//! orientation, the EXIF date, and the camera's embedded thumbnail.
#![no_main]

use std::io::Cursor;
use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    // The side a preview and a model input ask for, and the whole photo.
    for side in [320, 0] {
        let _ = motis_media::decode_bytes_upright_reduced(Path::new("fuzzed.jpg"), bytes, side);
    }
    let _ = motis_media::exif_date(&mut Cursor::new(bytes));
    let _ = motis_media::embedded_thumbnail(&mut Cursor::new(bytes));
});
