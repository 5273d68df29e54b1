//! The catalog: one SQLite row per photo, the source of truth the vector index is derived
//! from. Paths are stored as the operating system's bytes, so names that are not valid
//! UTF-8 survive.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use crate::{EngineError, ScanEntry};

pub type PhotoId = i64;

/// Whether a photo's preview exists; a failed one is retried by the next indexing run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreviewState {
    Pending,
    Done,
    Failed,
}

impl PreviewState {
    fn as_str(self) -> &'static str {
        match self {
            PreviewState::Pending => "pending",
            PreviewState::Done => "done",
            PreviewState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> PreviewState {
        match text {
            "done" => PreviewState::Done,
            "failed" => PreviewState::Failed,
            _ => PreviewState::Pending,
        }
    }
}

/// One photo as the catalog knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct PhotoRecord {
    pub id: PhotoId,
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
    /// Upright full-resolution size, known once the preview is made.
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u8>,
    pub preview: PreviewState,
    pub last_error: Option<String>,
}

/// Counts for `motis status` and the app's progress line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CatalogCounts {
    pub folders: usize,
    pub photos: usize,
    pub previews: usize,
    pub failed: usize,
    /// Photos with an embedding, per model key.
    pub encoded: Vec<(String, usize)>,
}

/// A photo that could not be previewed or encoded, with the cause.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub id: PhotoId,
    pub path: PathBuf,
    pub cause: String,
}

const PHOTO_COLUMNS: &str = "id, path, size, mtime_ns, width, height, orientation, preview_state, last_error";

fn photo_record(row: &rusqlite::Row) -> rusqlite::Result<PhotoRecord> {
    Ok(PhotoRecord {
        id: row.get(0)?,
        path: bytes_path(row.get(1)?),
        size: row.get::<_, i64>(2)? as u64,
        mtime_ns: row.get(3)?,
        width: row.get(4)?,
        height: row.get(5)?,
        orientation: row.get(6)?,
        preview: PreviewState::parse(&row.get::<_, String>(7)?),
        last_error: row.get(8)?,
    })
}

fn embedding_row(row: &rusqlite::Row) -> rusqlite::Result<(PhotoId, Vec<f32>)> {
    Ok((row.get(0)?, bytes_vector(&row.get::<_, Vec<u8>>(1)?)))
}

fn vector_bytes(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn bytes_vector(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
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
"#,
    r#"
    -- What the saved vector index file of each model holds: an embedding is in it once
    -- the file that contains it has been saved; a tombstone is an id the saved file may
    -- still hold although its embedding is gone (photo removed or changed).
    ALTER TABLE embeddings ADD COLUMN in_index INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX embeddings_not_in_index ON embeddings(model) WHERE in_index = 0;
    CREATE TABLE index_tombstones (
        photo_id INTEGER NOT NULL,
        model TEXT NOT NULL,
        PRIMARY KEY (photo_id, model)
    );
    CREATE INDEX photos_newest_first ON photos(mtime_ns DESC, id DESC);
"#,
];

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
    motis_embed::sha256_file(path)
        .map(Vec::from)
        .map_err(|source| EngineError::Read {
            path: path.to_owned(),
            source,
        })
}

impl Catalog {
    /// Open (or create) the catalog at `path`, in WAL mode, migrated to the current schema.
    pub fn open(path: &Path) -> Result<Catalog, EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let mut connection = Connection::open(path).map_err(sqlite)?;
        // Searches read while an indexing run writes; WAL lets them, and the timeout
        // covers the moments when two connections write (a run and a migration).
        connection
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sqlite)?;
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
    /// embeddings. Photos of the folder not found anywhere are removed, except those at
    /// or below an `unreachable` path (a part of the tree the scan could not read): a
    /// folder that cannot be listed for a moment must not cost its photos' embeddings.
    pub fn reconcile(
        &mut self,
        folder: &Path,
        entries: &[ScanEntry],
        unreachable: &[PathBuf],
    ) -> Result<ScanReport, EngineError> {
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
        known.retain(|path, _| {
            let path = bytes_path(path.clone());
            !unreachable.iter().any(|part| path.starts_with(part))
        });
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
                        forget_embeddings(&transaction, id).map_err(sqlite)?;
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
            forget_embeddings(&transaction, id).map_err(sqlite)?;
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

    /// The id of the photo stored at `path`, if the catalog has it.
    pub fn photo_id(&self, path: &Path) -> Result<Option<PhotoId>, EngineError> {
        self.connection
            .query_row("SELECT id FROM photos WHERE path = ?1", [path_bytes(path)], |r| {
                r.get(0)
            })
            .optional()
            .map_err(self.sqlite())
    }

    pub fn photo_count(&self) -> Result<usize, EngineError> {
        let count: i64 = self
            .connection
            .query_row("SELECT COUNT(*) FROM photos", [], |r| r.get(0))
            .map_err(self.sqlite())?;
        Ok(count as usize)
    }

    /// Store a photo's embedding for a model, replacing any earlier one.
    pub fn store_embedding(&mut self, id: PhotoId, model: &str, vector: &[f32]) -> Result<(), EngineError> {
        self.store_embeddings(model, &[(id, vector.to_vec())])
    }

    /// Store a batch of embeddings in one transaction, not yet in the saved index. A
    /// photo that left the catalog meanwhile is skipped.
    pub fn store_embeddings(&mut self, model: &str, batch: &[(PhotoId, Vec<f32>)]) -> Result<(), EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(sqlite)?;
        {
            let mut insert = transaction
                .prepare(
                    "INSERT OR REPLACE INTO embeddings (photo_id, model, vector, in_index)
                     SELECT id, ?2, ?3, 0 FROM photos WHERE id = ?1",
                )
                .map_err(sqlite)?;
            let mut clear = transaction
                .prepare("UPDATE photos SET last_error = NULL WHERE id = ?1")
                .map_err(sqlite)?;
            for (id, vector) in batch {
                insert
                    .execute(params![id, model, vector_bytes(vector)])
                    .map_err(sqlite)?;
                clear.execute([id]).map_err(sqlite)?;
            }
        }
        transaction.commit().map_err(sqlite)
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
        Ok(bytes.as_deref().map(bytes_vector))
    }

    /// Photos with a preview but no embedding for `model`, newest first: what an
    /// indexing run still has to encode. Photos that failed before are tried again.
    pub fn unencoded(&self, model: &str) -> Result<Vec<(PhotoId, PathBuf)>, EngineError> {
        self.query_paths(
            "SELECT id, path FROM photos WHERE preview_state = 'done' AND id NOT IN
             (SELECT photo_id FROM embeddings WHERE model = ?1) ORDER BY mtime_ns DESC, id DESC",
            [model],
        )
    }

    /// Photos whose preview is missing or failed before, newest first.
    pub fn without_preview(&self) -> Result<Vec<(PhotoId, PathBuf)>, EngineError> {
        self.query_paths(
            "SELECT id, path FROM photos WHERE preview_state != 'done' ORDER BY mtime_ns DESC, id DESC",
            [],
        )
    }

    fn query_paths(&self, sql: &str, arguments: impl rusqlite::Params) -> Result<Vec<(PhotoId, PathBuf)>, EngineError> {
        self.rows(sql, arguments, |r| Ok((r.get(0)?, bytes_path(r.get(1)?))))
    }

    /// Every row of a query, each turned into a value by `row`.
    fn rows<T>(
        &self,
        sql: &str,
        arguments: impl rusqlite::Params,
        row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, EngineError> {
        let mut statement = self.connection.prepare_cached(sql).map_err(self.sqlite())?;
        let rows = statement.query_map(arguments, row).map_err(self.sqlite())?;
        rows.collect::<Result<_, _>>().map_err(self.sqlite())
    }

    /// Record made previews (with the photo's upright size and orientation) and
    /// failures, in one transaction.
    pub fn record_previews(
        &mut self,
        done: &[(PhotoId, u32, u32, u8)],
        failed: &[(PhotoId, String)],
    ) -> Result<(), EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(sqlite)?;
        for (id, width, height, orientation) in done {
            transaction
                .execute(
                    "UPDATE photos SET width = ?2, height = ?3, orientation = ?4, preview_state = 'done',
                     last_error = NULL WHERE id = ?1",
                    params![id, width, height, orientation],
                )
                .map_err(sqlite)?;
        }
        for (id, cause) in failed {
            transaction
                .execute(
                    "UPDATE photos SET preview_state = ?2, last_error = ?3 WHERE id = ?1",
                    params![id, PreviewState::Failed.as_str(), cause],
                )
                .map_err(sqlite)?;
        }
        transaction.commit().map_err(sqlite)
    }

    /// Record why a photo could not be encoded.
    pub fn record_failure(&self, id: PhotoId, cause: &str) -> Result<(), EngineError> {
        self.connection
            .execute("UPDATE photos SET last_error = ?2 WHERE id = ?1", params![id, cause])
            .map_err(self.sqlite())?;
        Ok(())
    }

    pub fn photo(&self, id: PhotoId) -> Result<Option<PhotoRecord>, EngineError> {
        self.connection
            .query_row(
                &format!("SELECT {PHOTO_COLUMNS} FROM photos WHERE id = ?1"),
                [id],
                photo_record,
            )
            .optional()
            .map_err(self.sqlite())
    }

    /// A page of the gallery: all photos, newest first.
    pub fn gallery(&self, offset: usize, limit: usize) -> Result<Vec<PhotoRecord>, EngineError> {
        self.rows(
            &format!("SELECT {PHOTO_COLUMNS} FROM photos ORDER BY mtime_ns DESC, id DESC LIMIT ?1 OFFSET ?2"),
            params![i64::try_from(limit).unwrap_or(i64::MAX), offset as i64],
            photo_record,
        )
    }

    /// The photos whose last preview or encoding attempt failed, with the cause.
    pub fn failures(&self) -> Result<Vec<Failure>, EngineError> {
        self.rows(
            "SELECT id, path, last_error FROM photos WHERE last_error IS NOT NULL ORDER BY path",
            [],
            |r| {
                Ok(Failure {
                    id: r.get(0)?,
                    path: bytes_path(r.get(1)?),
                    cause: r.get(2)?,
                })
            },
        )
    }

    pub fn counts(&self) -> Result<CatalogCounts, EngineError> {
        let count = |sql: &str| -> Result<usize, EngineError> {
            let n: i64 = self
                .connection
                .query_row(sql, [], |r| r.get(0))
                .map_err(self.sqlite())?;
            Ok(n as usize)
        };
        let encoded = self.rows(
            "SELECT model, COUNT(*) FROM embeddings GROUP BY model ORDER BY model",
            [],
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)),
        )?;
        Ok(CatalogCounts {
            folders: count("SELECT COUNT(*) FROM folders")?,
            photos: count("SELECT COUNT(*) FROM photos")?,
            previews: count("SELECT COUNT(*) FROM photos WHERE preview_state = 'done'")?,
            failed: count("SELECT COUNT(*) FROM photos WHERE last_error IS NOT NULL")?,
            encoded,
        })
    }

    pub fn folders(&self) -> Result<Vec<PathBuf>, EngineError> {
        self.rows("SELECT path FROM folders ORDER BY path", [], |r| {
            Ok(bytes_path(r.get(0)?))
        })
    }

    /// Forget a folder and its photos (their embeddings leave tombstones for the saved
    /// indexes). Returns the removed photo ids; nothing when the folder is unknown.
    pub fn remove_folder(&mut self, folder: &Path) -> Result<Vec<PhotoId>, EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(sqlite)?;
        let ids: Vec<PhotoId> = {
            let mut statement = transaction
                .prepare("SELECT photos.id FROM photos JOIN folders ON folders.id = photos.folder_id WHERE folders.path = ?1")
                .map_err(sqlite)?;
            let rows = statement
                .query_map([path_bytes(folder)], |r| r.get(0))
                .map_err(sqlite)?;
            rows.collect::<Result<_, _>>().map_err(sqlite)?
        };
        for &id in &ids {
            forget_embeddings(&transaction, id).map_err(sqlite)?;
        }
        transaction
            .execute("DELETE FROM folders WHERE path = ?1", [path_bytes(folder)])
            .map_err(sqlite)?;
        transaction.commit().map_err(sqlite)?;
        Ok(ids)
    }

    /// Embeddings of `model` that the saved index file does not hold yet.
    pub fn embeddings_not_in_index(&self, model: &str) -> Result<Vec<(PhotoId, Vec<f32>)>, EngineError> {
        self.rows(
            "SELECT photo_id, vector FROM embeddings WHERE model = ?1 AND in_index = 0",
            [model],
            embedding_row,
        )
    }

    /// Every embedding of `model`: for rebuilding a lost index file.
    pub fn embeddings(&self, model: &str) -> Result<Vec<(PhotoId, Vec<f32>)>, EngineError> {
        self.rows(
            "SELECT photo_id, vector FROM embeddings WHERE model = ?1",
            [model],
            embedding_row,
        )
    }

    /// Ids the saved index of `model` may hold but must not answer with.
    pub fn index_tombstones(&self, model: &str) -> Result<Vec<PhotoId>, EngineError> {
        self.rows("SELECT photo_id FROM index_tombstones WHERE model = ?1", [model], |r| {
            r.get(0)
        })
    }

    /// After the index file of `model` was saved holding `inserted` and no longer
    /// holding `removed`: record that, in one transaction.
    pub fn record_index_saved(
        &mut self,
        model: &str,
        inserted: &[PhotoId],
        removed: &[PhotoId],
    ) -> Result<(), EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(sqlite)?;
        {
            let mut mark = transaction
                .prepare("UPDATE embeddings SET in_index = 1 WHERE photo_id = ?1 AND model = ?2")
                .map_err(sqlite)?;
            for id in inserted {
                mark.execute(params![id, model]).map_err(sqlite)?;
            }
            let mut forget = transaction
                .prepare("DELETE FROM index_tombstones WHERE photo_id = ?1 AND model = ?2")
                .map_err(sqlite)?;
            for id in removed {
                forget.execute(params![id, model]).map_err(sqlite)?;
            }
        }
        transaction.commit().map_err(sqlite)
    }

    /// The index file of `model` is gone or unusable: nothing is in it any more.
    pub fn record_index_lost(&mut self, model: &str) -> Result<(), EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(sqlite)?;
        transaction
            .execute("UPDATE embeddings SET in_index = 0 WHERE model = ?1", [model])
            .map_err(sqlite)?;
        transaction
            .execute("DELETE FROM index_tombstones WHERE model = ?1", [model])
            .map_err(sqlite)?;
        transaction.commit().map_err(sqlite)
    }
}

/// Drop a photo's embeddings, leaving a tombstone for each model whose saved index
/// file may hold it. Even an embedding not marked `in_index` may be in the file: a crash
/// can fall between saving the file and marking what it holds.
fn forget_embeddings(transaction: &rusqlite::Transaction, id: PhotoId) -> rusqlite::Result<()> {
    transaction.execute(
        "INSERT OR IGNORE INTO index_tombstones (photo_id, model)
         SELECT photo_id, model FROM embeddings WHERE photo_id = ?1",
        [id],
    )?;
    transaction.execute("DELETE FROM embeddings WHERE photo_id = ?1", [id])?;
    Ok(())
}
