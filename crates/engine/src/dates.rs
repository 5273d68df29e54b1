//! When each photo was taken, as the catalog keeps it: the local time of day where it was
//! taken (what its camera's clock showed), the offset from UTC where known, and where
//! the date came from. Filters, the gallery's order and its months all use the local
//! time: a photo taken at 14:00 in Tokyo is a 14:00 photo in Paris too.

use std::io::BufReader;
use std::path::Path;

use chrono::{DateTime, Local, NaiveDateTime, TimeZone};

/// Where a photo's date comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateSource {
    /// The photo's EXIF data (DateTimeOriginal).
    Exif,
    /// The file's modification time, in this device's time zone: a photo without EXIF
    /// data, or catalogued before dates were read (until the next scan reads them).
    File,
    /// The photo library's capture date (MediaStore's DATE_TAKEN, PHAsset's creationDate).
    Library,
}

impl DateSource {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DateSource::Exif => "exif",
            DateSource::File => "file",
            DateSource::Library => "library",
        }
    }

    pub(crate) fn parse(text: Option<&str>) -> DateSource {
        match text {
            Some("exif") => DateSource::Exif,
            Some("library") => DateSource::Library,
            _ => DateSource::File,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhotoDate {
    /// The local time of day where the photo was taken.
    pub local: NaiveDateTime,
    /// Minutes east of UTC, where known.
    pub offset_minutes: Option<i32>,
    pub source: DateSource,
}

impl PhotoDate {
    /// The date of a photo file: its EXIF date, else its modification time.
    pub fn of_file(path: &Path, mtime_ns: i64) -> PhotoDate {
        crate::reading::crash_point(crate::reading::Stage::Scan, path);
        let exif = std::fs::File::open(path)
            .ok()
            .and_then(|file| motis_media::exif_date(&mut BufReader::new(file)));
        match exif {
            Some(taken) => PhotoDate {
                local: taken.local,
                offset_minutes: taken.offset_minutes,
                source: DateSource::Exif,
            },
            None => PhotoDate::at_instant(mtime_ns, DateSource::File),
        }
    }

    /// A moment in nanoseconds since the epoch, as this device's time zone shows it.
    pub fn at_instant(ns: i64, source: DateSource) -> PhotoDate {
        let moment: DateTime<Local> = Local.timestamp_nanos(ns);
        PhotoDate {
            local: moment.naive_local(),
            offset_minutes: Some(moment.offset().local_minus_utc() / 60),
            source,
        }
    }

    /// The local time as the catalog stores and compares it: seconds from 1970-01-01
    /// 00:00 as if the local time were UTC.
    pub fn local_seconds(&self) -> i64 {
        local_seconds(self.local)
    }
}

pub(crate) fn local_seconds(time: NaiveDateTime) -> i64 {
    time.and_utc().timestamp()
}

pub(crate) fn from_local_seconds(seconds: i64) -> NaiveDateTime {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default().naive_utc()
}
