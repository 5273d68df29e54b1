//! Where photos come from: folders (the desktop's way) and a device's photo library
//! (the phone's way: MediaStore on Android, PhotoKit on iOS).
//!
//! A folder photo is named by its path and recognised across moves by its content hash.
//! A library photo is named by its library and the stable id the library gives it, and
//! changes when the library's modification stamp does. The engine defines the library
//! interface; the app's photo-library plugin implements it on phones.

use std::path::PathBuf;

/// What an indexing run is asked to look at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Folder(PathBuf),
    /// A photo library attached to the engine (see [`crate::Engine::attach_library`]),
    /// by its name; `albums` limits it to the chosen albums, `None` means all of it.
    Library {
        name: String,
        albums: Option<Vec<String>>,
    },
}

/// Where one photo of the catalog is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Library {
        library: String,
        /// The library's stable id of the photo (MediaStore `_ID`, PHAsset `localIdentifier`).
        item: String,
        /// The file name the library shows (`IMG_0001.HEIC`).
        name: String,
    },
}

impl Origin {
    /// How messages and front ends name the photo: its path, or `library/name`.
    pub fn label(&self) -> PathBuf {
        match self {
            Origin::File(path) => path.clone(),
            Origin::Library { library, name, .. } => PathBuf::from(library).join(name),
        }
    }

    pub fn file(&self) -> Option<&std::path::Path> {
        match self {
            Origin::File(path) => Some(path),
            Origin::Library { .. } => None,
        }
    }

    /// The name of the photo alone, without its folder or library.
    pub fn name(&self) -> String {
        match self {
            Origin::File(path) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Origin::Library { name, .. } => name.clone(),
        }
    }
}

/// One photo as a library lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryItem {
    /// Stable across app launches and edits (MediaStore `_ID`, PHAsset `localIdentifier`).
    pub id: String,
    /// The library's modification time of the photo, in nanoseconds since the epoch: a
    /// new stamp means the photo was edited and is encoded again.
    pub stamp_ns: i64,
    /// The file name the library shows, for display and messages.
    pub name: String,
    /// Size in bytes of the original, where the library says (0 when it does not).
    pub size: u64,
    /// When the photo was taken, in nanoseconds since the epoch (MediaStore's
    /// DATE_TAKEN, PHAsset's creationDate), where the library knows.
    pub taken_ns: Option<i64>,
    /// The folder the library keeps it in (Android's bucket: `Camera`, `Screenshots`);
    /// `None` where a library has no folders (iOS).
    pub folder: Option<String>,
}

/// An album of a library, for choosing what motis indexes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Album {
    pub id: String,
    pub name: String,
    /// Photos in it, where the library can count them cheaply.
    pub count: Option<usize>,
}

/// Why a library could not list or hand over a photo. Messages do not name the photo:
/// the engine prefixes its label.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("motis may not read the photo library ({0}); allow it in the system settings")]
    Denied(String),
    #[error("motis is no longer allowed to read this photo")]
    NotPermitted,
    #[error("only in iCloud, not on this device: open it in Photos to download it, then index again")]
    NotOnDevice,
    #[error("no longer in the photo library")]
    Gone,
    #[error("cannot list the photo library: {0}")]
    List(String),
    #[error("cannot read: {0}")]
    Read(String),
}

/// A device's photo library, as the platform shows it to motis.
///
/// Calls block (they may wait on the platform), and the pipeline makes them from
/// several worker threads at once.
pub trait PhotoLibrary: Send + Sync {
    /// The library's name in the catalog: stable, and never an absolute path.
    fn name(&self) -> &str;

    /// Every photo motis may see, limited to `albums` when given, in pages handed to
    /// `page` as they arrive. On an error the pages already handed over are discarded:
    /// a scan only acts on a complete listing.
    fn list(&self, albums: Option<&[String]>, page: &mut dyn FnMut(Vec<LibraryItem>)) -> Result<(), LibraryError>;

    /// The albums a person may choose from.
    fn albums(&self) -> Result<Vec<Album>, LibraryError>;

    /// The photo's bytes in a format motis decodes (the platform converts HEIC to JPEG).
    /// With `min_short_side`, the platform may hand over a smaller rendition whose
    /// shorter side is at least that; `None` asks for the original.
    fn read(&self, item: &str, min_short_side: Option<u32>) -> Result<Vec<u8>, LibraryError>;
}
