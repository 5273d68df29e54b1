//! A photo library for the tests, standing in for MediaStore and PhotoKit: its photos
//! are the files of a folder (id `asset-<file name>`, stamp = the file's modification
//! time, listed in pages of three), so that it survives a restart of the process, plus
//! what a phone's library does that a folder does not: photos the permission no longer
//! covers, photos only in iCloud, albums, capture dates and folders, a listing that fails,
//! a photo whose reading crashes the process, and a record of every read.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use motis_engine::{Album, LibraryError, LibraryItem, PhotoLibrary};

pub const NAME: &str = "Fake photos";

#[derive(Default)]
pub struct Quirks {
    /// Listed, but reading them is refused.
    pub not_permitted: HashSet<String>,
    /// Listed, but only in iCloud.
    pub cloud_only: HashSet<String>,
    /// Not listed: limited access no longer includes them.
    pub hidden: HashSet<String>,
    pub listing_fails: bool,
    /// Album id → (name, file names).
    pub albums: BTreeMap<String, (String, Vec<String>)>,
    /// Every read: (file name, smallest short side asked for).
    pub reads: Vec<(String, Option<u32>)>,
    /// The capture time the library gives a photo (nanoseconds since the epoch) and its
    /// folder; none for the others.
    pub taken_ns: HashMap<String, i64>,
    pub folders: HashMap<String, String>,
    /// Reading it takes the process down, as a platform decoder's crash would.
    pub crashes_on_read: Option<String>,
}

pub struct FakeLibrary {
    dir: PathBuf,
    pub quirks: Mutex<Quirks>,
}

pub fn id_of(file_name: &str) -> String {
    format!("asset-{file_name}")
}

impl FakeLibrary {
    pub fn new(dir: &Path) -> FakeLibrary {
        FakeLibrary {
            dir: dir.to_owned(),
            quirks: Mutex::new(Quirks::default()),
        }
    }

    /// How many times `file_name` was read.
    pub fn reads_of(&self, file_name: &str) -> usize {
        self.quirks
            .lock()
            .unwrap()
            .reads
            .iter()
            .filter(|(f, _)| f == file_name)
            .count()
    }
}

impl PhotoLibrary for FakeLibrary {
    fn name(&self) -> &str {
        NAME
    }

    fn list(&self, albums: Option<&[String]>, page: &mut dyn FnMut(Vec<LibraryItem>)) -> Result<(), LibraryError> {
        let quirks = self.quirks.lock().unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&self.dir)
            .map_err(|e| LibraryError::List(e.to_string()))?
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| !quirks.hidden.contains(name))
            .collect();
        if let Some(albums) = albums {
            let chosen: HashSet<&String> = albums
                .iter()
                .filter_map(|album| quirks.albums.get(album))
                .flat_map(|(_, files)| files)
                .collect();
            names.retain(|name| chosen.contains(name));
        }
        names.sort();
        let items: Vec<LibraryItem> = names
            .iter()
            .map(|name| {
                let meta = std::fs::metadata(self.dir.join(name)).unwrap();
                LibraryItem {
                    id: id_of(name),
                    stamp_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
                    name: name.clone(),
                    size: meta.len(),
                    taken_ns: quirks.taken_ns.get(name).copied(),
                    folder: quirks.folders.get(name).cloned(),
                }
            })
            .collect();
        for (number, chunk) in items.chunks(3).enumerate() {
            if quirks.listing_fails && number == 1 {
                return Err(LibraryError::List("the system stopped answering".into()));
            }
            page(chunk.to_vec());
        }
        Ok(())
    }

    fn albums(&self) -> Result<Vec<Album>, LibraryError> {
        let quirks = self.quirks.lock().unwrap();
        Ok(quirks
            .albums
            .iter()
            .map(|(id, (name, files))| Album {
                id: id.clone(),
                name: name.clone(),
                count: Some(files.len()),
            })
            .collect())
    }

    fn read(&self, item: &str, min_short_side: Option<u32>) -> Result<Vec<u8>, LibraryError> {
        let file_name = item.strip_prefix("asset-").ok_or(LibraryError::Gone)?.to_owned();
        let mut quirks = self.quirks.lock().unwrap();
        quirks.reads.push((file_name.clone(), min_short_side));
        if quirks.not_permitted.contains(&file_name) {
            return Err(LibraryError::NotPermitted);
        }
        if quirks.cloud_only.contains(&file_name) {
            return Err(LibraryError::NotOnDevice);
        }
        if quirks.crashes_on_read.as_ref() == Some(&file_name) {
            std::process::abort();
        }
        drop(quirks);
        std::fs::read(self.dir.join(&file_name)).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => LibraryError::Gone,
            _ => LibraryError::Read(e.to_string()),
        })
    }
}
