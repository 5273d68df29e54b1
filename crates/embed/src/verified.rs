//! Model files whose sha256 was checked, remembered by what the file system says about
//! them, so that a later start does not hash hundreds of megabytes again.
//!
//! A file counts as checked while its size, modification and status-change times, inode
//! and device are the ones it had when it was hashed: replacing or rewriting it changes
//! at least one of them (the status-change time cannot be set back by a program). This
//! is a cache, not a guarantee against someone who rewrites the file system's metadata:
//! `motis models verify` hashes everything.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::manifest::sha256_hex;

/// What identifies one version of a file without reading it.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
struct Stamp {
    bytes: u64,
    modified_ns: i128,
    changed_ns: i128,
    inode: u64,
    device: u64,
}

impl Stamp {
    fn of(path: &Path) -> std::io::Result<Stamp> {
        let metadata = std::fs::metadata(path)?;
        let modified_ns = metadata
            .modified()?
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        #[cfg(unix)]
        let (changed_ns, inode, device) = {
            use std::os::unix::fs::MetadataExt;
            (
                i128::from(metadata.ctime()) * 1_000_000_000 + i128::from(metadata.ctime_nsec()),
                metadata.ino(),
                metadata.dev(),
            )
        };
        // Without status-change times and inodes, size and modification time alone.
        #[cfg(not(unix))]
        let (changed_ns, inode, device) = (0, 0, 0);
        Ok(Stamp {
            bytes: metadata.len(),
            modified_ns,
            changed_ns,
            inode,
            device,
        })
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
struct Checked {
    sha256: String,
    stamp: Stamp,
}

/// The record, kept in one JSON file (the caller's data folder); a record that is
/// missing, unreadable or from another version is an empty one.
#[derive(Debug, Default)]
pub struct VerifiedFiles {
    path: Option<PathBuf>,
    files: BTreeMap<PathBuf, Checked>,
    changed: bool,
}

impl VerifiedFiles {
    /// The record kept at `path`.
    pub fn load(path: &Path) -> VerifiedFiles {
        let files = std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        VerifiedFiles {
            path: Some(path.to_owned()),
            files,
            changed: false,
        }
    }

    /// A record kept nowhere: every file is hashed.
    pub fn none() -> VerifiedFiles {
        VerifiedFiles::default()
    }

    /// The sha256 of `path` in hex: the remembered one while the file has not changed
    /// since it was hashed, else hashed now and remembered (unless the file changed
    /// while it was read).
    pub(crate) fn sha256(&mut self, path: &Path) -> std::io::Result<String> {
        let key = path.canonicalize()?;
        let before = Stamp::of(&key)?;
        if let Some(checked) = self.files.get(&key).filter(|checked| checked.stamp == before) {
            return Ok(checked.sha256.clone());
        }
        let sha256 = sha256_hex(&key)?;
        if Stamp::of(&key)? == before {
            self.insert(key, &sha256, before);
        }
        Ok(sha256)
    }

    /// `path` was just written by the caller, who hashed what it wrote.
    pub(crate) fn remember(&mut self, path: &Path, sha256: &str) {
        if let Ok(key) = path.canonicalize()
            && let Ok(stamp) = Stamp::of(&key)
        {
            self.insert(key, sha256, stamp);
        }
    }

    fn insert(&mut self, key: PathBuf, sha256: &str, stamp: Stamp) {
        // A record kept nowhere remembers nothing.
        if self.path.is_some() {
            let sha256 = sha256.to_owned();
            self.files.insert(key, Checked { sha256, stamp });
            self.changed = true;
        }
    }

    /// Write the record if it changed, through a temporary file renamed into place so
    /// that a reader never sees half of it.
    pub fn save(&mut self) -> std::io::Result<()> {
        let Some(path) = self.path.as_ref().filter(|_| self.changed) else {
            return Ok(());
        };
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let staging = path.with_extension("json.partial");
        std::fs::write(&staging, serde_json::to_vec(&self.files)?)?;
        std::fs::rename(&staging, path)?;
        self.changed = false;
        Ok(())
    }
}
