//! The catalog: one SQLite row per photo, the source of truth the vector index is derived
//! from. Paths are stored as the operating system's bytes, so names that are not valid
//! UTF-8 survive.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};

use crate::{EngineError, ScanEntry};

pub type PhotoId = i64;

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[r#"
    CREATE TABLE folders (
        id INTEGER PRIMARY KEY,
        path BLOB NOT NULL UNIQUE
    );
    CREATE TABLE photos (
        id INTEGER PRIMARY KEY,
        folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        path BLOB NOT NULL UNIQUE,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        hash BLOB NOT NULL,
        width INTEGER,
        height INTEGER,
        orientation INTEGER,
        preview_state TEXT NOT NULL DEFAULT 'pending',
        last_error TEXT
    );
    CREATE INDEX photos_by_hash ON photos(hash);
    CREATE TABLE embeddings (
        photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        model TEXT NOT NULL,
        vector BLOB NOT NULL,
        PRIMARY KEY (photo_id, model)
    );
"#];

/// What a scan changed. `removed` ids must leave the vector index too; `moved` photos
/// keep their id and embeddings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanReport {
    pub added: Vec<PhotoId>,
    pub changed: Vec<PhotoId>,
    pub moved: Vec<PhotoId>,
    pub removed: Vec<PhotoId>,
    pub unchanged: usize,
    /// Files that vanished or could not be read while being hashed, with the cause.
    pub unreadable: Vec<(PathBuf, String)>,
}

pub struct Catalog {
    connection: Connection,
    path: PathBuf,
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes()
}

#[cfg(unix)]
fn bytes_path(bytes: Vec<u8>) -> PathBuf {
    use std::os::unix::ffi::OsStringExt;
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

/// sha256 of a file's content: how a moved or renamed photo is recognised.
pub fn content_hash(path: &Path) -> Result<Vec<u8>, EngineError> {
    let read = |source| EngineError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0; 1 << 16];
    loop {
        let n = file.read(&mut buffer).map_err(read)?;
        if n == 0 {
            return Ok(hasher.finalize().to_vec());
        }
        hasher.update(&buffer[..n]);
    }
}

impl Catalog {
    /// Open (or create) the catalog at `path`, in WAL mode, migrated to the current schema.
    pub fn open(path: &Path) -> Result<Catalog, EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let mut connection = Connection::open(path).map_err(sqlite)?;
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(sqlite)?;
        let version: i64 = connection
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sqlite)?;
        let known = MIGRATIONS.len() as i64;
        if version > known {
            return Err(EngineError::TooNew {
                path: path.to_owned(),
                found: version,
                known,
            });
        }
        for (i, migration) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let transaction = connection.transaction().map_err(sqlite)?;
            transaction.execute_batch(migration).map_err(sqlite)?;
            transaction
                .pragma_update(None, "user_version", i as i64 + 1)
                .map_err(sqlite)?;
            transaction.commit().map_err(sqlite)?;
        }
        Ok(Catalog {
            connection,
            path: path.to_owned(),
        })
    }

    fn sqlite(&self) -> impl Fn(rusqlite::Error) -> EngineError + '_ {
        |source| EngineError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Bring the catalog's view of `folder` in line with a fresh scan of it, in one
    /// transaction. New and changed files are hashed; a new file whose hash equals that
    /// of a photo no longer found is that photo moved or renamed, and keeps its id and
    /// embeddings. Photos of the folder not found anywhere are removed.
    pub fn reconcile(&mut self, folder: &Path, entries: &[ScanEntry]) -> Result<ScanReport, EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(sqlite)?;
        transaction
            .execute("INSERT OR IGNORE INTO folders (path) VALUES (?1)", [path_bytes(folder)])
            .map_err(sqlite)?;
        let folder_id: i64 = transaction
            .query_row("SELECT id FROM folders WHERE path = ?1", [path_bytes(folder)], |r| {
                r.get(0)
            })
            .map_err(sqlite)?;
        let mut known: HashMap<Vec<u8>, (PhotoId, i64, i64, Vec<u8>)> = HashMap::new();
        {
            let mut statement = transaction
                .prepare("SELECT path, id, size, mtime_ns, hash FROM photos WHERE folder_id = ?1")
                .map_err(sqlite)?;
            let rows = statement
                .query_map([folder_id], |r| {
                    Ok((r.get::<_, Vec<u8>>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)))
                })
                .map_err(sqlite)?;
            for row in rows {
                let (path, value) = row.map_err(sqlite)?;
                known.insert(path, value);
            }
        }
        let mut report = ScanReport::default();
        let mut fresh = Vec::new();
        for entry in entries {
            match known.remove(path_bytes(&entry.path)) {
                Some((_, size, mtime, _)) if size == entry.size as i64 && mtime == entry.mtime_ns => {
                    report.unchanged += 1
                }
                Some((id, ..)) => match content_hash(&entry.path) {
                    Ok(hash) => {
                        transaction
                            .execute(
                                "UPDATE photos SET size = ?2, mtime_ns = ?3, hash = ?4, width = NULL, height = NULL,
                                 orientation = NULL, preview_state = 'pending', last_error = NULL WHERE id = ?1",
                                params![id, entry.size as i64, entry.mtime_ns, hash],
                            )
                            .map_err(sqlite)?;
                        transaction
                            .execute("DELETE FROM embeddings WHERE photo_id = ?1", [id])
                            .map_err(sqlite)?;
                        report.changed.push(id);
                    }
                    Err(e) => report.unreadable.push((entry.path.clone(), e.to_string())),
                },
                None => fresh.push(entry),
            }
        }
        // What is left in `known` was not found: candidates for moves, else removed.
        let mut missing_by_hash: HashMap<Vec<u8>, Vec<PhotoId>> = HashMap::new();
        for (_, (id, _, _, hash)) in known {
            missing_by_hash.entry(hash).or_default().push(id);
        }
        for entry in fresh {
            let hash = match content_hash(&entry.path) {
                Ok(hash) => hash,
                Err(e) => {
                    report.unreadable.push((entry.path.clone(), e.to_string()));
                    continue;
                }
            };
            let moved_from = missing_by_hash.get_mut(&hash).and_then(Vec::pop);
            let moved_from = match moved_from {
                Some(id) => Some(id),
                // A move from another folder of the catalog whose file is gone.
                None => transaction
                    .query_row(
                        "SELECT id, path FROM photos WHERE hash = ?1 AND folder_id != ?2",
                        params![hash, folder_id],
                        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)),
                    )
                    .optional()
                    .map_err(sqlite)?
                    .filter(|(_, old)| !bytes_path(old.clone()).exists())
                    .map(|(id, _)| id),
            };
            if let Some(id) = moved_from {
                transaction
                    .execute(
                        "UPDATE photos SET path = ?2, folder_id = ?3, size = ?4, mtime_ns = ?5 WHERE id = ?1",
                        params![
                            id,
                            path_bytes(&entry.path),
                            folder_id,
                            entry.size as i64,
                            entry.mtime_ns
                        ],
                    )
                    .map_err(sqlite)?;
                report.moved.push(id);
            } else {
                transaction
                    .execute(
                        "INSERT INTO photos (folder_id, path, size, mtime_ns, hash) VALUES (?1, ?2, ?3, ?4, ?5)",
                        params![
                            folder_id,
                            path_bytes(&entry.path),
                            entry.size as i64,
                            entry.mtime_ns,
                            hash
                        ],
                    )
                    .map_err(sqlite)?;
                report.added.push(transaction.last_insert_rowid());
            }
        }
        for id in missing_by_hash.into_values().flatten() {
            transaction
                .execute("DELETE FROM photos WHERE id = ?1", [id])
                .map_err(sqlite)?;
            report.removed.push(id);
        }
        transaction.commit().map_err(sqlite)?;
        Ok(report)
    }

    pub fn photo_path(&self, id: PhotoId) -> Result<Option<PathBuf>, EngineError> {
        let path: Option<Vec<u8>> = self
            .connection
            .query_row("SELECT path FROM photos WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(self.sqlite())?;
        Ok(path.map(bytes_path))
    }

    pub fn photo_count(&self) -> Result<usize, EngineError> {
        let count: i64 = self
            .connection
            .query_row("SELECT COUNT(*) FROM photos", [], |r| r.get(0))
            .map_err(self.sqlite())?;
        Ok(count as usize)
    }

    /// Store a photo's embedding for a model, replacing any earlier one.
    pub fn store_embedding(&self, id: PhotoId, model: &str, vector: &[f32]) -> Result<(), EngineError> {
        let bytes: Vec<u8> = vector.iter().flat_map(|x| x.to_le_bytes()).collect();
        self.connection
            .execute(
                "INSERT OR REPLACE INTO embeddings (photo_id, model, vector) VALUES (?1, ?2, ?3)",
                params![id, model, bytes],
            )
            .map_err(self.sqlite())?;
        Ok(())
    }

    pub fn embedding(&self, id: PhotoId, model: &str) -> Result<Option<Vec<f32>>, EngineError> {
        let bytes: Option<Vec<u8>> = self
            .connection
            .query_row(
                "SELECT vector FROM embeddings WHERE photo_id = ?1 AND model = ?2",
                params![id, model],
                |r| r.get(0),
            )
            .optional()
            .map_err(self.sqlite())?;
        Ok(bytes.map(|b| {
            b.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        }))
    }

    /// Photos without an embedding for `model`: what an indexing run still has to encode.
    pub fn unencoded(&self, model: &str) -> Result<Vec<PhotoId>, EngineError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT id FROM photos WHERE last_error IS NULL AND id NOT IN
                 (SELECT photo_id FROM embeddings WHERE model = ?1) ORDER BY id",
            )
            .map_err(self.sqlite())?;
        let ids = statement.query_map([model], |r| r.get(0)).map_err(self.sqlite())?;
        ids.collect::<Result<_, _>>().map_err(self.sqlite())
    }
}
