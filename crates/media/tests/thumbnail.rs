//! The EXIF thumbnail: found in IFD1, turned upright, and absent (not an error) when the
//! photo has none or its EXIF data points outside itself.

use std::io::Cursor;

use image::{ImageFormat, Rgb, RgbImage};
use motis_media::embedded_thumbnail;

/// Left half red, right half blue: a thumbnail turned the wrong way would show it.
fn halves(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    })
}

fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image.write_to(&mut bytes, ImageFormat::Jpeg).unwrap();
    bytes.into_inner()
}

/// A little-endian TIFF block as cameras write it: IFD0 with the orientation, then IFD1
/// pointing at `thumbnail`, which follows it. `shift` moves the pointer by that much.
fn exif_block(orientation: u16, thumbnail: Option<&[u8]>, shift: u32) -> Vec<u8> {
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, value: u32| {
        tiff.extend(tag.to_le_bytes());
        tiff.extend(kind.to_le_bytes());
        tiff.extend(1u32.to_le_bytes());
        tiff.extend(value.to_le_bytes());
    };
    let mut tiff = b"II*\0".to_vec();
    tiff.extend(8u32.to_le_bytes());
    tiff.extend(1u16.to_le_bytes());
    entry(&mut tiff, 0x0112, 3, u32::from(orientation));
    let ifd1 = 8 + 2 + 12 + 4;
    tiff.extend(if thumbnail.is_some() { ifd1 } else { 0u32 }.to_le_bytes());
    if let Some(thumbnail) = thumbnail {
        tiff.extend(3u16.to_le_bytes());
        let start = ifd1 + 2 + 3 * 12 + 4;
        entry(&mut tiff, 0x0103, 3, 6);
        entry(&mut tiff, 0x0201, 4, start + shift);
        entry(&mut tiff, 0x0202, 4, thumbnail.len() as u32);
        tiff.extend(0u32.to_le_bytes());
        tiff.extend(thumbnail);
    }
    tiff
}

/// `photo` with an APP1 EXIF segment holding `tiff` right after its start-of-image marker.
fn with_exif(photo: &[u8], tiff: &[u8]) -> Vec<u8> {
    let mut bytes = photo[..2].to_vec();
    bytes.extend([0xFF, 0xE1]);
    bytes.extend(u16::try_from(2 + 6 + tiff.len()).unwrap().to_be_bytes());
    bytes.extend(b"Exif\0\0");
    bytes.extend(tiff);
    bytes.extend(&photo[2..]);
    bytes
}

fn thumbnail_of(bytes: &[u8]) -> Option<Vec<u8>> {
    embedded_thumbnail(&mut Cursor::new(bytes))
}

#[test]
fn an_upright_photo_gives_its_thumbnail_as_it_is() {
    let thumbnail = jpeg(&halves(160, 120));
    let photo = with_exif(&jpeg(&halves(800, 600)), &exif_block(1, Some(&thumbnail), 0));
    assert_eq!(thumbnail_of(&photo), Some(thumbnail));
}

#[test]
fn a_photo_held_upright_gives_its_thumbnail_turned_upright() {
    // Orientation 6: the sensor's image is to be turned 90° clockwise, so its left half
    // (red) ends up on top.
    let photo = with_exif(
        &jpeg(&halves(800, 600)),
        &exif_block(6, Some(&jpeg(&halves(160, 120))), 0),
    );
    let upright = image::load_from_memory(&thumbnail_of(&photo).unwrap())
        .unwrap()
        .into_rgb8();
    assert_eq!(upright.dimensions(), (120, 160));
    let (top, bottom) = (upright.get_pixel(60, 20), upright.get_pixel(60, 140));
    assert!(top[0] > 180 && top[2] < 60, "top {top:?}");
    assert!(bottom[2] > 180 && bottom[0] < 60, "bottom {bottom:?}");
}

#[test]
fn only_the_start_of_the_photo_is_needed() {
    let thumbnail = jpeg(&halves(160, 120));
    let photo = with_exif(&jpeg(&halves(800, 600)), &exif_block(1, Some(&thumbnail), 0));
    // Cut just after the EXIF segment: none of the image data is there.
    let cut = 2 + 2 + 2 + 6 + exif_block(1, Some(&thumbnail), 0).len();
    assert_eq!(thumbnail_of(&photo[..cut]), Some(thumbnail));
}

#[test]
fn photos_without_a_usable_thumbnail_give_none() {
    let photo = jpeg(&halves(800, 600));
    let thumbnail = jpeg(&halves(160, 120));
    assert_eq!(thumbnail_of(&photo), None, "no EXIF at all");
    assert_eq!(
        thumbnail_of(&with_exif(&photo, &exif_block(6, None, 0))),
        None,
        "EXIF without IFD1"
    );
    assert_eq!(
        thumbnail_of(&with_exif(&photo, &exif_block(1, Some(&thumbnail), 10_000))),
        None,
        "a pointer past the EXIF data"
    );
    assert_eq!(
        thumbnail_of(&with_exif(&photo, &exif_block(1, Some(&thumbnail), 4))),
        None,
        "a pointer to something that is not a JPEG"
    );
    let mut png = Cursor::new(Vec::new());
    halves(16, 16).write_to(&mut png, ImageFormat::Png).unwrap();
    assert_eq!(thumbnail_of(png.get_ref()), None, "not a JPEG");
    assert_eq!(thumbnail_of(b""), None, "empty");
}
