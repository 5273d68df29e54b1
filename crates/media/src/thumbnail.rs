//! The thumbnail a camera embeds in a JPEG's EXIF data (IFD1: about 160×120, written by
//! phones and most cameras), shown while the real preview is made: reading it takes a
//! few kilobytes and no decoding of the photo.

use std::io::{BufRead, Cursor, Seek};

use image::metadata::Orientation;
use image::{DynamicImage, ImageFormat};

/// The upright embedded thumbnail of the JPEG `reader` starts, as JPEG bytes; `None` when
/// it has none or it cannot be used (not a JPEG, broken EXIF data, offsets outside it).
/// Only the start of the photo is read: EXIF data precedes the image data.
///
/// A photo without a usable thumbnail is not an error here: its preview, made from the
/// photo itself, follows and reports what is wrong with the photo.
pub fn embedded_thumbnail(reader: &mut (impl BufRead + Seek)) -> Option<Vec<u8>> {
    let exif = exif::Reader::new().read_from_container(reader).ok()?;
    let uint = |tag, ifd| exif.get_field(tag, ifd).and_then(|field| field.value.get_uint(0));
    let start = usize::try_from(uint(exif::Tag::JPEGInterchangeFormat, exif::In::THUMBNAIL)?).ok()?;
    let length = usize::try_from(uint(exif::Tag::JPEGInterchangeFormatLength, exif::In::THUMBNAIL)?).ok()?;
    let thumbnail = exif.buf().get(start..start.checked_add(length)?)?;
    if !thumbnail.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    // The thumbnail is stored as the sensor saw it, like the photo; it carries no EXIF
    // orientation of its own, so a webview would show it on its side.
    let orientation = uint(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|value| u8::try_from(value).ok())
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms);
    if orientation == Orientation::NoTransforms {
        return Some(thumbnail.to_vec());
    }
    let mut image = image::load_from_memory_with_format(thumbnail, ImageFormat::Jpeg).ok()?;
    image.apply_orientation(orientation);
    let mut jpeg = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(image.into_rgb8())
        .write_to(&mut jpeg, ImageFormat::Jpeg)
        .ok()?;
    Some(jpeg.into_inner())
}
