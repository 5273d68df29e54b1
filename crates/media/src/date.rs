//! When a photo was taken, as its camera wrote it into the photo's EXIF data: the local
//! time its clock showed (DateTimeOriginal) and, where the camera knew it, that time's
//! offset from UTC (OffsetTimeOriginal, written by phones since EXIF 2.31).

use std::io::{BufRead, Seek};

use chrono::{NaiveDate, NaiveDateTime};

/// A moment as a photo's camera recorded it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TakenAt {
    /// The local time of day where the photo was taken.
    pub local: NaiveDateTime,
    /// Minutes east of UTC of that local time, where known.
    pub offset_minutes: Option<i32>,
}

/// The date in the EXIF data at the start of `reader` (JPEG, HEIF, PNG, WebP or TIFF):
/// DateTimeOriginal, else DateTimeDigitized, else the IFD0 DateTime, with its offset.
/// `None` without EXIF data or a readable date (a blank or zeroed date, as cameras
/// without a set clock write): the caller falls back on the file's time.
pub fn exif_date(reader: &mut (impl BufRead + Seek)) -> Option<TakenAt> {
    let exif = exif::Reader::new().read_from_container(reader).ok()?;
    let ascii = |tag| match exif.get_field(tag, exif::In::PRIMARY).map(|f| &f.value) {
        Some(exif::Value::Ascii(parts)) => parts.first().cloned(),
        _ => None,
    };
    let pairs = [
        (exif::Tag::DateTimeOriginal, exif::Tag::OffsetTimeOriginal),
        (exif::Tag::DateTimeDigitized, exif::Tag::OffsetTimeDigitized),
        (exif::Tag::DateTime, exif::Tag::OffsetTime),
    ];
    pairs.into_iter().find_map(|(date_tag, offset_tag)| {
        let mut date = exif::DateTime::from_ascii(&ascii(date_tag)?).ok()?;
        let offset_minutes = ascii(offset_tag)
            .and_then(|text| date.parse_offset(&text).ok())
            .and(date.offset)
            .map(i32::from);
        let local = NaiveDate::from_ymd_opt(i32::from(date.year), u32::from(date.month), u32::from(date.day))?
            .and_hms_opt(u32::from(date.hour), u32::from(date.minute), u32::from(date.second))?;
        Some(TakenAt { local, offset_minutes })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A minimal little-endian TIFF: IFD0 with `primary`'s ASCII fields and a pointer to
    /// an Exif IFD with `exif`'s, where cameras put DateTimeOriginal.
    fn tiff_with(primary: &[(u16, &str)], exif: &[(u16, &str)]) -> Vec<u8> {
        let ifd0 = 8;
        let exif_ifd = ifd0 + 2 + 12 * (primary.len() + 1) + 4;
        let mut data_at = exif_ifd + 2 + 12 * exif.len() + 4;
        let mut data = Vec::new();
        let mut ifd = |fields: &[(u16, &str)], extra: Option<[u8; 12]>| {
            let mut bytes = ((fields.len() + usize::from(extra.is_some())) as u16)
                .to_le_bytes()
                .to_vec();
            for (tag, text) in fields {
                let mut value = text.as_bytes().to_vec();
                value.push(0);
                bytes.extend(tag.to_le_bytes());
                bytes.extend(2u16.to_le_bytes());
                bytes.extend((value.len() as u32).to_le_bytes());
                bytes.extend((data_at as u32).to_le_bytes());
                data_at += value.len();
                data.extend(value);
            }
            bytes.extend(extra.into_iter().flatten());
            bytes.extend(0u32.to_le_bytes());
            bytes
        };
        let mut pointer = [0u8; 12];
        pointer[..2].copy_from_slice(&0x8769u16.to_le_bytes());
        pointer[2..4].copy_from_slice(&4u16.to_le_bytes());
        pointer[4..8].copy_from_slice(&1u32.to_le_bytes());
        pointer[8..].copy_from_slice(&(exif_ifd as u32).to_le_bytes());
        let first = ifd(primary, Some(pointer));
        let second = ifd(exif, None);
        let mut tiff = b"II*\0".to_vec();
        tiff.extend((ifd0 as u32).to_le_bytes());
        tiff.extend(first);
        tiff.extend(second);
        tiff.extend(data);
        tiff
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, s)
            .unwrap()
    }

    #[test]
    fn the_original_date_wins_with_its_offset() {
        let tiff = tiff_with(
            &[(0x0132, "2020:01:01 00:00:00")],
            &[(0x9003, "2024:07:14 18:30:05"), (0x9011, "+02:00")],
        );
        assert_eq!(
            exif_date(&mut Cursor::new(tiff)),
            Some(TakenAt {
                local: at(2024, 7, 14, 18, 30, 5),
                offset_minutes: Some(120)
            })
        );
    }

    #[test]
    fn older_tags_stand_in_and_offsets_may_be_unknown() {
        let tiff = tiff_with(&[(0x0132, "2019:12:31 23:59:59")], &[(0x9011, "-05:30")]);
        assert_eq!(
            exif_date(&mut Cursor::new(tiff)),
            Some(TakenAt {
                local: at(2019, 12, 31, 23, 59, 59),
                offset_minutes: None
            })
        );
    }

    #[test]
    fn blank_zeroed_or_missing_dates_are_none() {
        for value in [
            "    :  :     :  :  ",
            "0000:00:00 00:00:00",
            "2024:13:01 00:00:00",
            "yesterday",
        ] {
            assert_eq!(
                exif_date(&mut Cursor::new(tiff_with(&[], &[(0x9003, value)]))),
                None,
                "{value}"
            );
        }
        assert_eq!(exif_date(&mut Cursor::new(b"not a photo".to_vec())), None);
    }
}
