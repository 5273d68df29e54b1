//! Photo files in, pixels out: decoding a photo to upright RGB (EXIF orientation applied,
//! any colour mode converted; HEIC through libheif with the `heif` feature), and turning upright RGB into the model input tensor a
//! model manifest describes.
//!
//! Pure functions over files and buffers: no threads, no catalog, no models.

mod date;
mod heif;
mod resample;
mod thumbnail;

use std::io::Cursor;
use std::path::{Path, PathBuf};

pub use date::{TakenAt, exif_date};
use fast_image_resize as fr;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits, RgbImage};
pub use thumbnail::embedded_thumbnail;

/// Photos larger than this are refused before any pixel is allocated: a 100,000 ×
/// 100,000 header would otherwise ask for 30 GB.
pub const MAX_PIXELS: u64 = 200_000_000;

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("{path}: cannot read: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: cannot decode: {source}")]
    Decode { path: PathBuf, source: image::ImageError },
    #[error("{path}: cannot decode: {reason}")]
    Heif { path: PathBuf, reason: String },
    #[error("{path}: the file is truncated: its image data ends early")]
    Truncated { path: PathBuf },
    #[error("{path}: {width}×{height} pixels is more than motis decodes ({MAX_PIXELS} at most)")]
    TooLarge { path: PathBuf, width: u32, height: u32 },
    #[error("{path}: cannot write: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path}: cannot encode the preview: {source}")]
    Encode { path: PathBuf, source: image::ImageError },
    #[error("cannot resize a {width}×{height} image: {source}")]
    Resize {
        width: u32,
        height: u32,
        source: fr::ResizeError,
    },
}

/// A decoded photo and what the catalog records about the file.
#[derive(Clone, Debug)]
pub struct Decoded {
    /// Upright pixels, possibly at a reduced scale.
    pub image: RgbImage,
    /// The photo's full-resolution size once upright (width and height swapped for
    /// EXIF orientations 5–8).
    pub width: u32,
    pub height: u32,
    /// The EXIF orientation (1–8) the file declares; 1 when it declares none.
    pub orientation: u8,
}

impl Decoded {
    fn new(image: DynamicImage, (width, height): (u32, u32), orientation: Orientation) -> Decoded {
        let mut image = image;
        image.apply_orientation(orientation);
        let turned = matches!(
            orientation,
            Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
        );
        let (width, height) = if turned { (height, width) } else { (width, height) };
        Decoded {
            image: image.into_rgb8(),
            width,
            height,
            orientation: orientation.to_exif(),
        }
    }
}

/// Decode a photo file to upright 8-bit RGB: the EXIF orientation is applied, and
/// grayscale, 16-bit and alpha images are converted as Pillow's `convert("RGB")` does
/// (alpha dropped, not composited).
pub fn decode_upright(path: &Path) -> Result<RgbImage, MediaError> {
    Ok(decode_upright_reduced(path, u32::MAX)?.image)
}

/// Like [`decode_upright`], but a large JPEG is decoded at a reduced scale (1/2, 1/4 or
/// 1/8, in the DCT domain by libjpeg-turbo, which skips most of the work) as long as its shorter
/// side stays at least `min_short_side`. For photos that only feed a model input or a
/// preview far smaller than themselves.
pub fn decode_upright_reduced(path: &Path, min_short_side: u32) -> Result<Decoded, MediaError> {
    let bytes = std::fs::read(path).map_err(|source| MediaError::Read {
        path: path.to_owned(),
        source,
    })?;
    decode_bytes_upright_reduced(path, &bytes, min_short_side)
}

/// [`decode_upright_reduced`] for a photo already in memory (one a phone's photo library
/// handed over); `path` only names it in errors.
pub fn decode_bytes_upright_reduced(path: &Path, bytes: &[u8], min_short_side: u32) -> Result<Decoded, MediaError> {
    if heif::is_heif(bytes) {
        return heif::decode(path, bytes);
    }
    if image::guess_format(bytes).ok() == Some(ImageFormat::Jpeg)
        && jpeg_is_complete(bytes)
        && let Some((image, size)) = decode_jpeg_scaled(bytes, min_short_side)
    {
        let orientation = image::codecs::jpeg::JpegDecoder::new(Cursor::new(bytes))
            .and_then(|mut d| d.orientation())
            .map_err(|source| MediaError::Decode {
                path: path.to_owned(),
                source,
            })?;
        return Ok(Decoded::new(DynamicImage::ImageRgb8(image), size, orientation));
    }
    decode_bytes(path, bytes)
}

/// A JPEG decoded by libjpeg-turbo at the smallest DCT scale that keeps its shorter side
/// at least `min_short_side` (full scale when none does), with its full size. Full-scale
/// JPEGs go through libjpeg-turbo too: its output (accurate IDCT, smooth chroma
/// upsampling) is what Pillow gives, and so what CLIP models were checked on. `None` when
/// it is not YCbCr, RGB or grayscale (CMYK), claims more than [`MAX_PIXELS`], or
/// libjpeg-turbo cannot read it: the `image` crate then decodes it or names the problem.
fn decode_jpeg_scaled(bytes: &[u8], min_short_side: u32) -> Option<(RgbImage, (u32, u32))> {
    let mut decompressor = turbojpeg::Decompressor::new().ok()?;
    let header = decompressor.read_header(bytes).ok()?;
    let (width, height) = (u32::try_from(header.width).ok()?, u32::try_from(header.height).ok()?);
    let colour = matches!(
        header.colorspace,
        turbojpeg::Colorspace::YCbCr | turbojpeg::Colorspace::RGB | turbojpeg::Colorspace::Gray
    );
    if !colour || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return None;
    }
    let factor = [8, 4, 2]
        .into_iter()
        .find(|f| width.min(height) / f >= min_short_side)
        .unwrap_or(1);
    // Asked for an output this size, libjpeg-turbo picks the matching DCT scaling factor.
    let (scaled_width, scaled_height) = (width.div_ceil(factor), height.div_ceil(factor));
    let mut image = RgbImage::new(scaled_width, scaled_height);
    let output = turbojpeg::Image {
        pixels: image.as_mut(),
        width: scaled_width as usize,
        pitch: 3 * scaled_width as usize,
        height: scaled_height as usize,
        format: turbojpeg::PixelFormat::RGB,
    };
    decompressor.decompress(bytes, output).ok()?;
    Some((image, (width, height)))
}

fn decode_bytes(path: &Path, bytes: &[u8]) -> Result<Decoded, MediaError> {
    let read = |source| MediaError::Read {
        path: path.to_owned(),
        source,
    };
    let decode = |source| MediaError::Decode {
        path: path.to_owned(),
        source,
    };
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(read)?;
    if reader.format() == Some(ImageFormat::Jpeg) && !jpeg_is_complete(bytes) {
        return Err(MediaError::Truncated { path: path.to_owned() });
    }
    // Only the header is read until the size is checked; then the decoder may allocate
    // what that size needs (up to 16-bit RGBA), and no more.
    reader.no_limits();
    let mut decoder = reader.into_decoder().map_err(decode)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(MediaError::TooLarge {
            path: path.to_owned(),
            width,
            height,
        });
    }
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_PIXELS * 8);
    decoder.set_limits(limits).map_err(decode)?;
    let orientation = decoder.orientation().map_err(decode)?;
    let image = DynamicImage::from_decoder(decoder).map_err(decode)?;
    Ok(Decoded::new(image, (width, height), orientation))
}

/// Whether a JPEG has its end-of-image marker after the image data. Decoders fill a
/// truncated JPEG's missing part with gray without complaint; Pillow refuses it, and an
/// index of half-gray photos would answer queries wrongly.
fn jpeg_is_complete(bytes: &[u8]) -> bool {
    // Walk the marker segments to the first start-of-scan, so that the end marker of an
    // EXIF thumbnail (inside APP1) is not taken for the photo's own. In the scan data
    // that follows, 0xFF is always escaped, so a 0xFF 0xD9 pair can only be the end marker.
    let mut at = 2;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return false;
        }
        let marker = bytes[at + 1];
        if marker == 0xFF {
            at += 1;
            continue;
        }
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        at += 2 + length;
        if marker == 0xDA {
            return bytes
                .get(at.min(bytes.len())..)
                // From the end: the marker is normally the last two bytes, so a complete
                // photo is confirmed at once instead of after reading all its scan data.
                .is_some_and(|scan| scan.windows(2).rev().any(|w| w == [0xFF, 0xD9]));
        }
    }
    false
}

/// Long side of the previews the gallery shows at once, before full-resolution photos.
pub const PREVIEW_LONG_SIDE: u32 = 320;

/// Size of a preview of a `width` × `height` image: the long side shrunk to `long_side`,
/// the aspect ratio kept, never enlarged.
pub fn preview_size(width: u32, height: u32, long_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_side {
        return (width, height);
    }
    let scale = f64::from(long_side) / f64::from(long);
    let fit = |side: u32| ((f64::from(side) * scale).round() as u32).max(1);
    (fit(width), fit(height))
}

/// Write a JPEG preview of an upright image to `path` (in a folder that exists),
/// replacing any earlier one atomically (a crash leaves the old preview or the new one).
/// Returns its size.
pub fn write_preview(image: &RgbImage, long_side: u32, path: &Path) -> Result<(u32, u32), MediaError> {
    let (width, height) = image.dimensions();
    let (preview_width, preview_height) = preview_size(width, height, long_side);
    let mut preview = fr::images::Image::new(preview_width, preview_height, fr::PixelType::U8x3);
    resize(&mut fr::Resizer::new(), image, &mut preview, &bicubic())?;
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .encode(
            preview.buffer(),
            preview_width,
            preview_height,
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|source| MediaError::Encode {
            path: path.to_owned(),
            source,
        })?;
    let write = |source| MediaError::Write {
        path: path.to_owned(),
        source,
    };
    // Two threads may write the same preview at once (the screen's request and the run's
    // worker): each through its own temporary file.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let serial = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary = path.with_extension(format!("{}-{serial}.tmp", std::process::id()));
    std::fs::write(&temporary, &jpeg).map_err(write)?;
    std::fs::rename(&temporary, path).map_err(write)?;
    Ok((preview_width, preview_height))
}

fn bicubic() -> fr::ResizeOptions {
    fr::ResizeOptions::new().resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::CatmullRom))
}

fn resize(
    resizer: &mut fr::Resizer,
    image: &RgbImage,
    destination: &mut fr::images::Image<'static>,
    options: &fr::ResizeOptions,
) -> Result<(), MediaError> {
    let (width, height) = image.dimensions();
    let source = fr::images::ImageRef::new(width, height, image.as_raw(), fr::PixelType::U8x3)
        .expect("an RgbImage buffer always holds width × height RGB pixels");
    resizer
        .resize(&source, destination, options)
        .map_err(|source| MediaError::Resize { width, height, source })
}

/// How a photo is fitted to the model's input size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResizeMode {
    /// The whole photo resized to the input size; the aspect ratio is not kept.
    Squash,
    /// The shorter side resized to the input size, then the centre cropped (CLIP).
    ShortestSideCentreCrop,
}

/// The model input a manifest asks for: size, fit and per-channel normalisation of
/// pixel values scaled to 0..1.
#[derive(Clone, Debug, PartialEq)]
pub struct InputSpec {
    pub width: u32,
    pub height: u32,
    pub resize: ResizeMode,
    pub mean: [f32; 3],
    pub std: [f32; 3],
}

impl InputSpec {
    /// Number of f32 values one image takes in a CHW tensor.
    pub fn len(&self) -> usize {
        3 * self.width as usize * self.height as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shortest side a photo needs when decoded for this input with
    /// [`decode_upright_reduced`]: twice the input's longer side, so that the bicubic
    /// resize that follows still shrinks by 2 or more and its antialiasing decides the
    /// pixels, not the DCT scaling. A 12-megapixel JPEG for a 224-pixel input is then
    /// decoded at 1/4 scale. At the input's side itself (1/8) the result drifted to cosine
    /// 0.956 with a sensitive random-weight ViT-S/16; at twice, 0.9988 (0.999999 with
    /// ViT-B/32), measured by `scripts/check_parity.py --index`.
    pub fn min_decode_side(&self) -> u32 {
        2 * self.width.max(self.height)
    }
}

/// Writes model inputs for one spec.
pub struct Preprocessor {
    spec: InputSpec,
}

impl Preprocessor {
    pub fn new(spec: InputSpec) -> Self {
        Preprocessor { spec }
    }

    pub fn spec(&self) -> &InputSpec {
        &self.spec
    }

    /// Write the normalised CHW tensor of `image` into `out` (`spec().len()` values),
    /// resized with Pillow's bicubic as open_clip's preprocessing does.
    pub fn write_input(&mut self, image: &RgbImage, out: &mut [f32]) -> Result<(), MediaError> {
        let (width, height) = image.dimensions();
        let target = (self.spec.width, self.spec.height);
        let (resized, origin) = match self.spec.resize {
            ResizeMode::Squash => (target, (0, 0)),
            ResizeMode::ShortestSideCentreCrop => centre_crop(width, height, target.0, target.1),
        };
        let pixels = resample::resize_crop(
            image.as_raw(),
            (width as usize, height as usize),
            (resized.0 as usize, resized.1 as usize),
            (origin.0 as usize, origin.1 as usize),
            (target.0 as usize, target.1 as usize),
        );
        normalise(&pixels, &self.spec, out);
        Ok(())
    }
}

/// The size the shorter side's resize gives and where the centre crop starts in it, as
/// torchvision's `Resize(int)` and `CenterCrop` compute them on PIL images (open_clip's
/// preprocessing): the longer side truncated, the offset rounded half to even.
fn centre_crop(width: u32, height: u32, target_width: u32, target_height: u32) -> ((u32, u32), (u32, u32)) {
    let short_target = u64::from(target_width.min(target_height));
    let (w, h) = (u64::from(width), u64::from(height));
    let (resized_w, resized_h) = if width <= height {
        (short_target, short_target * h / w)
    } else {
        (short_target * w / h, short_target)
    };
    // A side shorter than the target (a non-square input) is stretched to it instead of
    // padded: CLIP-family inputs are square.
    let (resized_w, resized_h) = (
        resized_w.max(u64::from(target_width)),
        resized_h.max(u64::from(target_height)),
    );
    let offset = |resized: u64, target: u32| ((resized - u64::from(target)) as f64 / 2.0).round_ties_even() as u32;
    (
        (resized_w as u32, resized_h as u32),
        (offset(resized_w, target_width), offset(resized_h, target_height)),
    )
}

fn normalise(rgb: &[u8], spec: &InputSpec, out: &mut [f32]) {
    let plane = spec.width as usize * spec.height as usize;
    assert_eq!(out.len(), 3 * plane, "output buffer must hold one CHW image");
    for c in 0..3 {
        let scale = 1.0 / (255.0 * spec.std[c]);
        let shift = spec.mean[c] / spec.std[c];
        for (value, pixel) in out[c * plane..(c + 1) * plane].iter_mut().zip(rgb.chunks_exact(3)) {
            *value = f32::from(pixel[c]) * scale - shift;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_crop_of_a_landscape_photo_keeps_the_middle_square() {
        // 400×300 → 298×224 (224 · 400 / 300 = 298.67, truncated); offset (298 − 224) / 2 = 37.
        assert_eq!(centre_crop(400, 300, 224, 224), ((298, 224), (37, 0)));
        // 225 × 300 → 224 × 298; offsets round half to even: (298 − 224) / 2 = 37, and
        // 227 × 224 → (3 / 2 = 1.5) → 2.
        assert_eq!(centre_crop(225, 300, 224, 224), ((224, 298), (0, 37)));
        assert_eq!(centre_crop(227, 224, 224, 224), ((227, 224), (2, 0)));
    }

    #[test]
    fn normalise_maps_channels_to_planes() {
        let spec = InputSpec {
            width: 2,
            height: 1,
            resize: ResizeMode::Squash,
            mean: [0.5, 0.0, 0.0],
            std: [0.5, 1.0, 2.0],
        };
        let mut out = [0.0; 6];
        normalise(&[255, 0, 255, 0, 255, 0], &spec, &mut out);
        assert_eq!(out, [1.0, -1.0, 0.0, 1.0, 0.5, 0.0]);
    }
}
