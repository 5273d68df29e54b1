//! HEIF photos (HEIC, as phones write them, and AVIF where libheif has a decoder for
//! it), decoded by the system's libheif when motis is built with the `heif` feature.
//!
//! libheif applies the file's own rotation and mirroring (`irot`, `imir`) and its crop
//! while decoding; HEIF leaves EXIF orientation as a copy of those for other readers, so
//! it is not applied again. Without the feature, a HEIF photo is an error that says so.

use std::path::Path;

use crate::{Decoded, MediaError};

/// Whether `bytes` start like an ISO-BMFF image: an `ftyp` box naming a HEIF or AVIF
/// brand as its major brand or among the compatible ones.
pub(crate) fn is_heif(bytes: &[u8]) -> bool {
    const BRANDS: [&[u8; 4]; 10] = [
        b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis",
    ];
    if bytes.len() < 16 || &bytes[4..8] != b"ftyp" {
        return false;
    }
    let size = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) as usize;
    let ftyp = &bytes[8..size.clamp(16, bytes.len())];
    // Major brand, minor version, then compatible brands.
    std::iter::once(&ftyp[..4])
        .chain(ftyp.get(8..).unwrap_or_default().chunks_exact(4))
        .any(|brand| BRANDS.iter().any(|b| &b[..] == brand))
}

#[cfg(feature = "heif")]
pub(crate) fn decode(path: &Path, bytes: &[u8]) -> Result<Decoded, MediaError> {
    use libheif_rs::{ColorSpace, HeifContext, LibHeif, RgbChroma};

    let failed = |error: libheif_rs::HeifError| MediaError::Heif {
        path: path.to_owned(),
        reason: error.message,
    };
    let context = HeifContext::read_from_bytes(bytes).map_err(failed)?;
    let handle = context.primary_image_handle().map_err(failed)?;
    let (width, height) = (handle.width(), handle.height());
    if u64::from(width) * u64::from(height) > crate::MAX_PIXELS {
        return Err(MediaError::TooLarge {
            path: path.to_owned(),
            width,
            height,
        });
    }
    let image = LibHeif::new()
        .decode(&handle, ColorSpace::Rgb(RgbChroma::Rgb), None)
        .map_err(failed)?;
    let planes = image.planes();
    let plane = planes.interleaved.ok_or_else(|| MediaError::Heif {
        path: path.to_owned(),
        reason: "libheif gave no interleaved RGB plane".into(),
    })?;
    let (width, height) = (plane.width, plane.height);
    let row = 3 * width as usize;
    let mut pixels = Vec::with_capacity(row * height as usize);
    for line in plane.data.chunks(plane.stride).take(height as usize) {
        pixels.extend_from_slice(&line[..row]);
    }
    let image = image::RgbImage::from_raw(width, height, pixels).expect("rows of the plane's width");
    Ok(Decoded {
        image,
        width,
        height,
        orientation: 1,
    })
}

#[cfg(not(feature = "heif"))]
pub(crate) fn decode(path: &Path, _bytes: &[u8]) -> Result<Decoded, MediaError> {
    Err(MediaError::Heif {
        path: path.to_owned(),
        reason: "a HEIC/HEIF photo, and this motis was built without libheif (the motis-media `heif` feature)".into(),
    })
}
