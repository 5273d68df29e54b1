//! Finding the photos in a folder tree.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use crate::EngineError;

/// File name extensions motis reads (compared without regard to case).
pub const PHOTO_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff", "heic", "heif", "hif", "avif",
];

/// One photo file found by a scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanEntry {
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
}

/// A part of the tree the scan could not read; the rest of the scan goes on.
#[derive(Debug)]
pub struct ScanProblem {
    pub path: PathBuf,
    pub cause: std::io::Error,
}

fn is_photo(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| PHOTO_EXTENSIONS.iter().any(|p| p.eq_ignore_ascii_case(e)))
}

/// Every photo below `root`, sorted by path. Symbolic links are followed, each folder
/// is visited once (so a link loop ends), hidden entries (`.name`) are skipped, and an
/// unreadable or vanishing subfolder or file is a problem reported beside the results.
/// Only an unreadable `root` is an error.
pub fn scan_folder(root: &Path) -> Result<(Vec<ScanEntry>, Vec<ScanProblem>), EngineError> {
    let root_meta = std::fs::metadata(root).map_err(|source| EngineError::Folder {
        path: root.to_owned(),
        source,
    })?;
    if !root_meta.is_dir() {
        let source = std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a folder");
        return Err(EngineError::Folder {
            path: root.to_owned(),
            source,
        });
    }
    let mut visited = HashSet::from([(root_meta.dev(), root_meta.ino())]);
    let mut pending = vec![root.to_owned()];
    let (mut photos, mut problems) = (Vec::new(), Vec::new());
    while let Some(folder) = pending.pop() {
        let listing = match std::fs::read_dir(&folder) {
            Ok(listing) => listing,
            Err(cause) if folder == root => {
                return Err(EngineError::Folder {
                    path: folder,
                    source: cause,
                });
            }
            Err(cause) => {
                problems.push(ScanProblem { path: folder, cause });
                continue;
            }
        };
        for item in listing {
            let item = match item {
                Ok(item) => item,
                Err(cause) => {
                    problems.push(ScanProblem {
                        path: folder.clone(),
                        cause,
                    });
                    continue;
                }
            };
            let path = item.path();
            if item.file_name().as_encoded_bytes().starts_with(b".") {
                continue;
            }
            // Follows links: a link to a photo is a photo, a link to a folder is a folder.
            let meta = match std::fs::metadata(&path) {
                Ok(meta) => meta,
                Err(cause) => {
                    problems.push(ScanProblem { path, cause });
                    continue;
                }
            };
            if meta.is_dir() {
                if visited.insert((meta.dev(), meta.ino())) {
                    pending.push(path);
                }
            } else if meta.is_file() && is_photo(&path) {
                let mtime_ns = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos() as i64);
                photos.push(ScanEntry {
                    path,
                    size: meta.len(),
                    mtime_ns,
                });
            }
        }
    }
    photos.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((photos, problems))
}
