//! The catalog: one SQLite row per photo, the source of truth the vector index is derived
//! from, and one row per photo source (a folder or a photo library). Paths are stored as
//! the operating system's bytes, so names that are not valid UTF-8 survive.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value, ValueRef};
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use crate::dates::{DateSource, PhotoDate, from_local_seconds, local_seconds};
use crate::reading::{SKIPPED_CAUSE, Stage};
use crate::{EngineError, Filters, LibraryItem, Origin, Reads, ScanEntry, Source};

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
    pub origin: Origin,
    pub size: u64,
    /// The file's modification time, or the library's modification stamp.
    pub mtime_ns: i64,
    /// Upright full-resolution size, known once the preview is made.
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u8>,
    pub preview: PreviewState,
    pub last_error: Option<String>,
    /// When it was taken: what the gallery is ordered and filtered by.
    pub taken: PhotoDate,
}

/// Where a photo stands in the gallery's newest-first order (by when each photo was
/// taken): the page after it starts with the next older photo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GalleryPosition {
    /// The photo's local time, as [`PhotoDate::local_seconds`].
    pub taken: i64,
    pub id: PhotoId,
}

impl PhotoRecord {
    pub fn gallery_position(&self) -> GalleryPosition {
        GalleryPosition {
            taken: self.taken.local_seconds(),
            id: self.id,
        }
    }
}

/// A folder photos are in, for choosing one to search in (`in:NAME`): a folder below a
/// folder source (named from that source's own name down, `Pictures/2024/Summer`), or a
/// library photo's folder (Android's `Camera`, `Screenshots`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhotoFolder {
    pub name: String,
    /// Photos directly in it.
    pub photos: usize,
}

/// Counts for `motis status` and the app's progress line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CatalogCounts {
    pub folders: usize,
    pub libraries: usize,
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
    pub origin: Origin,
    pub cause: String,
}

/// Photos joined with their source, as [`origin`] and [`photo_record`] read them.
const PHOTOS: &str = "photos JOIN sources ON sources.id = photos.source_id";
const ORIGIN_COLUMNS: &str = "sources.kind, sources.location, photos.locator, photos.name";
const PHOTO_COLUMNS: &str = "photos.id, sources.kind, sources.location, photos.locator, photos.name, size, mtime_ns,
    width, height, orientation, preview_state, last_error, taken, taken_offset, taken_from";
/// The gallery's order, newest first (the index `photos_newest_first` serves it).
const NEWEST_FIRST: &str = "ORDER BY taken DESC, photos.id DESC";

/// The origin of a photo from the four [`ORIGIN_COLUMNS`] starting at column `at`.
fn origin(row: &rusqlite::Row, at: usize) -> rusqlite::Result<Origin> {
    let kind: String = row.get(at)?;
    let locator: Vec<u8> = row.get(at + 2)?;
    Ok(match kind.as_str() {
        "library" => Origin::Library {
            library: String::from_utf8_lossy(&row.get::<_, Vec<u8>>(at + 1)?).into_owned(),
            item: String::from_utf8_lossy(&locator).into_owned(),
            name: row.get::<_, Option<String>>(at + 3)?.unwrap_or_default(),
        },
        _ => Origin::File(bytes_path(locator)),
    })
}

fn photo_record(row: &rusqlite::Row) -> rusqlite::Result<PhotoRecord> {
    Ok(PhotoRecord {
        id: row.get(0)?,
        origin: origin(row, 1)?,
        size: row.get::<_, i64>(5)? as u64,
        mtime_ns: row.get(6)?,
        width: row.get(7)?,
        height: row.get(8)?,
        orientation: row.get(9)?,
        preview: PreviewState::parse(&row.get::<_, String>(10)?),
        last_error: row.get(11)?,
        taken: PhotoDate {
            local: from_local_seconds(row.get(12)?),
            offset_minutes: row.get(13)?,
            source: DateSource::parse(row.get::<_, Option<String>>(14)?.as_deref()),
        },
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
    r#"
    -- Photo sources: a folder (location: its canonical path) or a photo library
    -- (location: the library's name, never an absolute path; albums: the chosen album
    -- ids, one per line, or NULL for all of it). Photos are named by their source and a
    -- locator: a folder photo's path, or a library photo's stable id.
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('folder', 'library')),
        location BLOB NOT NULL,
        albums TEXT,
        UNIQUE (kind, location)
    );
    INSERT INTO sources (id, kind, location) SELECT id, 'folder', path FROM folders;
    CREATE TABLE photos_new (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        locator BLOB NOT NULL,
        -- What a library shows as the file name; NULL for folder photos (their path says).
        name TEXT,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        -- sha256 of a folder photo, for recognising moves; NULL for library photos.
        hash BLOB,
        width INTEGER,
        height INTEGER,
        orientation INTEGER,
        preview_state TEXT NOT NULL DEFAULT 'pending',
        last_error TEXT,
        UNIQUE (source_id, locator)
    );
    INSERT INTO photos_new (id, source_id, locator, size, mtime_ns, hash, width, height, orientation,
                            preview_state, last_error)
        SELECT id, folder_id, path, size, mtime_ns, hash, width, height, orientation, preview_state, last_error
        FROM photos;
    DROP TABLE photos;
    DROP TABLE folders;
    ALTER TABLE photos_new RENAME TO photos;
    CREATE INDEX photos_by_hash ON photos(hash) WHERE hash IS NOT NULL;
    -- A file is one photo, whichever of the folders added holds it.
    CREATE UNIQUE INDEX photo_files ON photos(locator) WHERE name IS NULL;
    CREATE INDEX photos_newest_first ON photos(mtime_ns DESC, id DESC);
"#,
    r#"
    -- Status counts what is not done (no preview yet, a failure), which these partial
    -- indexes hold: few entries in an indexed library, whatever its size. Scanning the
    -- table for them took 20 ms at 100,000 photos.
    CREATE INDEX photos_without_preview ON photos(preview_state) WHERE preview_state != 'done';
    CREATE INDEX photos_failed ON photos(id) WHERE last_error IS NOT NULL;
    CREATE INDEX embeddings_by_model ON embeddings(model);
"#,
    r#"
    -- When each photo was taken, in its own local time (seconds from 1970 as if that time
    -- were UTC: see dates.rs), the offset from UTC where known, and where the date came
    -- from ('exif', 'file', 'library'); NULL until a scan reads it: the rows here are given
    -- their file's time in this device's zone meanwhile, and the next scan reads their
    -- EXIF dates (partial index photos_without_date).
    ALTER TABLE photos ADD COLUMN taken INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE photos ADD COLUMN taken_offset INTEGER;
    ALTER TABLE photos ADD COLUMN taken_from TEXT;
    -- A library photo's folder (Android's bucket: Camera, Screenshots); NULL for a file,
    -- whose path says.
    ALTER TABLE photos ADD COLUMN folder TEXT;
    UPDATE photos SET taken = CAST(strftime('%s', mtime_ns / 1000000000, 'unixepoch', 'localtime') AS INTEGER);
    DROP INDEX photos_newest_first;
    CREATE INDEX photos_newest_first ON photos(taken DESC, id DESC);
    CREATE INDEX photos_without_date ON photos(source_id) WHERE taken_from IS NULL;
"#,
];

/// `in_folder(locator, folder, wanted)`, the SQL side of `in:` filters: whether a photo
/// is in a folder named `wanted` (one name, or several as `2024/Summer`), matched
/// without regard to case, anywhere in a file's path or as a library photo's folder.
/// It runs once for each photo a filtered query looks at, so it borrows what SQLite holds
/// rather than copying paths or lowercasing them.
fn register_in_folder(connection: &Connection) -> rusqlite::Result<()> {
    connection.create_scalar_function(
        "in_folder",
        3,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |context| {
            let wanted: Vec<&str> = context
                .get_raw(2)
                .as_str()
                .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))?
                .split('/')
                .filter(|part| !part.is_empty())
                .collect();
            if wanted.is_empty() {
                return Ok(false);
            }
            let found = match context.get_raw(1) {
                ValueRef::Text(folder) => {
                    let folders: Vec<&[u8]> = folder.split(|&b| b == b'/').collect();
                    holds_run(&folders, &wanted)
                }
                _ => {
                    let locator = context
                        .get_raw(0)
                        .as_blob()
                        .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))?;
                    let folders: Vec<&[u8]> = locator_folders(locator).collect();
                    holds_run(&folders, &wanted)
                }
            };
            Ok(found)
        },
    )
}

/// The folder names of a file's path, from the root down (the file's own name left out).
fn locator_folders(locator: &[u8]) -> impl Iterator<Item = &[u8]> {
    let parent = match locator.iter().rposition(|&b| b == b'/') {
        Some(at) => &locator[..at],
        None => &[][..],
    };
    parent
        .split(|&b| b == b'/')
        .filter(|part| !part.is_empty() && *part != b".")
}

/// Whether `folders` holds the names `wanted` one after the other, without regard to case.
fn holds_run(folders: &[&[u8]], wanted: &[&str]) -> bool {
    folders
        .windows(wanted.len())
        .any(|run| run.iter().zip(wanted).all(|(folder, name)| same_name(folder, name)))
}

fn same_name(folder: &[u8], name: &str) -> bool {
    if folder.is_ascii() && name.is_ascii() {
        return folder.eq_ignore_ascii_case(name.as_bytes());
    }
    String::from_utf8_lossy(folder)
        .chars()
        .flat_map(char::to_lowercase)
        .eq(name.chars().flat_map(char::to_lowercase))
}

/// The SQL condition (on [`PHOTOS`]) for the photos `filters` allow, with its arguments
/// numbered from `?{first}`.
fn filter_condition(filters: &Filters, first: usize) -> (String, Vec<Value>) {
    let mut conditions = vec!["1".to_owned()];
    let mut values: Vec<Value> = Vec::new();
    let mut argument = |value: Value| {
        values.push(value);
        format!("?{}", first + values.len() - 1)
    };
    if let Some(after) = filters.after {
        conditions.push(format!("taken >= {}", argument(Value::Integer(local_seconds(after)))));
    }
    if let Some(before) = filters.before {
        conditions.push(format!("taken < {}", argument(Value::Integer(local_seconds(before)))));
    }
    if !filters.folders.is_empty() {
        let any: Vec<String> = filters
            .folders
            .iter()
            .map(|folder| {
                format!(
                    "in_folder(photos.locator, photos.folder, {})",
                    argument(Value::Text(folder.clone()))
                )
            })
            .collect();
        conditions.push(format!("({})", any.join(" OR ")));
    }
    (conditions.join(" AND "), values)
}

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
    crate::reading::crash_point(Stage::Scan, path);
    motis_embed::sha256_file(path)
        .map(Vec::from)
        .map_err(|source| EngineError::Read {
            path: path.to_owned(),
            source,
        })
}

/// A new or changed file's hash and date, read as one through `reads`. A file it skips
/// has no hash and its file's time for a date.
fn hash_and_date(entry: &ScanEntry, reads: &Reads) -> Result<(Option<Vec<u8>>, PhotoDate), EngineError> {
    match reads.begin(&Origin::File(entry.path.clone()), Stage::Scan) {
        Ok(_reading) => {
            let hash = content_hash(&entry.path)?;
            Ok((Some(hash), PhotoDate::of_file(&entry.path, entry.mtime_ns)))
        }
        Err(EngineError::Skipped { .. }) => Ok((None, PhotoDate::at_instant(entry.mtime_ns, DateSource::File))),
        Err(other) => Err(other),
    }
}

/// A photo skipped by the quarantine has failed; any other starts pending.
fn preview_state(hash: &Option<Vec<u8>>) -> &'static str {
    match hash {
        Some(_) => PreviewState::Pending.as_str(),
        None => PreviewState::Failed.as_str(),
    }
}

fn skipped(path: &Path) -> String {
    EngineError::Skipped { label: path.to_owned() }.to_string()
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
        // Foreign keys are enforced once migrated: a migration that rebuilds a table
        // must not cascade its drop to the rows that reference it.
        connection
            .execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = OFF;")
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
            let dangling: Option<String> = transaction
                .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                .optional()
                .map_err(sqlite)?;
            if let Some(table) = dangling {
                return Err(EngineError::Migration {
                    path: path.to_owned(),
                    step: i + 1,
                    cause: format!("rows of {table} lost what they refer to"),
                });
            }
            transaction
                .pragma_update(None, "user_version", i as i64 + 1)
                .map_err(sqlite)?;
            transaction.commit().map_err(sqlite)?;
        }
        connection.execute_batch("PRAGMA foreign_keys = ON;").map_err(sqlite)?;
        register_in_folder(&connection).map_err(sqlite)?;
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
    ///
    /// Each file read goes through `reads`; one it skips (see `reading.rs`) is catalogued
    /// as failed, with no hash and its file's time for a date, and reported unreadable.
    pub fn reconcile(
        &mut self,
        folder: &Path,
        entries: &[ScanEntry],
        unreachable: &[PathBuf],
        reads: &Reads,
    ) -> Result<ScanReport, EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(sqlite)?;
        let folder_id = source_id(&transaction, "folder", path_bytes(folder), None).map_err(sqlite)?;
        // Path → (id, size, mtime, hash: none for a photo skipped by the quarantine).
        type Known = (PhotoId, i64, i64, Option<Vec<u8>>);
        let mut known: HashMap<Vec<u8>, Known> = HashMap::new();
        {
            let mut statement = transaction
                .prepare("SELECT locator, id, size, mtime_ns, hash FROM photos WHERE source_id = ?1")
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
                Some((_, size, mtime, Some(_))) if size == entry.size as i64 && mtime == entry.mtime_ns => {
                    report.unchanged += 1
                }
                // Without a hash, it was skipped: read again, in case it was retried.
                Some((id, _, _, known_hash)) => match hash_and_date(entry, reads) {
                    Ok((None, _)) if known_hash.is_none() => report.unchanged += 1,
                    Ok((hash, taken)) => {
                        let error = hash.is_none().then_some(SKIPPED_CAUSE);
                        transaction
                            .execute(
                                "UPDATE photos SET size = ?2, mtime_ns = ?3, hash = ?4, width = NULL, height = NULL,
                                 orientation = NULL, preview_state = ?5, last_error = ?6 WHERE id = ?1",
                                params![id, entry.size as i64, entry.mtime_ns, hash, preview_state(&hash), error],
                            )
                            .map_err(sqlite)?;
                        record_date(&transaction, id, &taken).map_err(sqlite)?;
                        forget_embeddings(&transaction, id).map_err(sqlite)?;
                        report.changed.push(id);
                        if error.is_some() {
                            report.unreadable.push((entry.path.clone(), skipped(&entry.path)));
                        }
                    }
                    Err(e) => report.unreadable.push((entry.path.clone(), e.to_string())),
                },
                None => fresh.push(entry),
            }
        }
        // What is left in `known` was not found: candidates for moves, else removed.
        let mut missing_by_hash: HashMap<Option<Vec<u8>>, Vec<PhotoId>> = HashMap::new();
        for (_, (id, _, _, hash)) in known {
            missing_by_hash.entry(hash).or_default().push(id);
        }
        // Photos catalogued without a hash (skipped) are not recognised when moved.
        let unhashed = missing_by_hash.remove(&None).unwrap_or_default();
        for entry in fresh {
            let (hash, taken) = match hash_and_date(entry, reads) {
                Ok(read) => read,
                Err(e) => {
                    report.unreadable.push((entry.path.clone(), e.to_string()));
                    continue;
                }
            };
            let moved_from = match &hash {
                Some(_) => missing_by_hash.get_mut(&hash).and_then(Vec::pop),
                None => None,
            };
            let moved_from = match moved_from {
                Some(id) => Some(id),
                None if hash.is_none() => None,
                // A move from another folder of the catalog whose file is gone.
                None => transaction
                    .query_row(
                        "SELECT id, locator FROM photos WHERE hash = ?1 AND source_id != ?2",
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
                        "UPDATE photos SET locator = ?2, source_id = ?3, size = ?4, mtime_ns = ?5 WHERE id = ?1",
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
                let error = hash.is_none().then_some(SKIPPED_CAUSE);
                transaction
                    .execute(
                        "INSERT INTO photos (source_id, locator, size, mtime_ns, hash, preview_state, last_error)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            folder_id,
                            path_bytes(&entry.path),
                            entry.size as i64,
                            entry.mtime_ns,
                            hash,
                            preview_state(&hash),
                            error
                        ],
                    )
                    .map_err(sqlite)?;
                let id = transaction.last_insert_rowid();
                record_date(&transaction, id, &taken).map_err(sqlite)?;
                report.added.push(id);
                if error.is_some() {
                    report.unreadable.push((entry.path.clone(), skipped(&entry.path)));
                }
            }
        }
        let missing = missing_by_hash.into_values().flatten().chain(unhashed);
        remove_photos(&transaction, missing, &mut report).map_err(sqlite)?;
        transaction.commit().map_err(sqlite)?;
        Ok(report)
    }

    /// Bring the catalog's view of the photo library `library` in line with a complete
    /// listing of it (limited to `albums`, which the catalog remembers for the next
    /// runs), in one transaction. A listed id the catalog lacks is a new photo; a known
    /// id with a new stamp is an edited one (its embeddings go); a known id no longer
    /// listed was deleted or is no longer covered by the person's permission, and leaves.
    pub fn reconcile_library(
        &mut self,
        library: &str,
        albums: Option<&[String]>,
        items: &[LibraryItem],
    ) -> Result<ScanReport, EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(sqlite)?;
        let albums = albums.map(|albums| albums.join("\n"));
        let library_id = source_id(&transaction, "library", library.as_bytes(), Some(albums)).map_err(sqlite)?;
        let mut known: HashMap<Vec<u8>, (PhotoId, i64)> = HashMap::new();
        {
            let mut statement = transaction
                .prepare("SELECT locator, id, mtime_ns FROM photos WHERE source_id = ?1")
                .map_err(sqlite)?;
            let rows = statement
                .query_map([library_id], |r| Ok((r.get::<_, Vec<u8>>(0)?, (r.get(1)?, r.get(2)?))))
                .map_err(sqlite)?;
            for row in rows {
                let (locator, value) = row.map_err(sqlite)?;
                known.insert(locator, value);
            }
        }
        // Photos catalogued before dates were kept take theirs from this listing.
        let undated: std::collections::HashSet<PhotoId> = {
            let mut statement = transaction
                .prepare("SELECT id FROM photos WHERE source_id = ?1 AND taken_from IS NULL")
                .map_err(sqlite)?;
            let rows = statement.query_map([library_id], |r| r.get(0)).map_err(sqlite)?;
            rows.collect::<Result<_, _>>().map_err(sqlite)?
        };
        let mut report = ScanReport::default();
        for item in items {
            match known.remove(item.id.as_bytes()) {
                Some((id, stamp)) if stamp == item.stamp_ns => {
                    if undated.contains(&id) {
                        record_library_date(&transaction, id, item).map_err(sqlite)?;
                    }
                    report.unchanged += 1
                }
                Some((id, _)) => {
                    transaction
                        .execute(
                            "UPDATE photos SET name = ?2, size = ?3, mtime_ns = ?4, width = NULL, height = NULL,
                             orientation = NULL, preview_state = 'pending', last_error = NULL WHERE id = ?1",
                            params![id, item.name, item.size as i64, item.stamp_ns],
                        )
                        .map_err(sqlite)?;
                    record_library_date(&transaction, id, item).map_err(sqlite)?;
                    forget_embeddings(&transaction, id).map_err(sqlite)?;
                    report.changed.push(id);
                }
                None => {
                    transaction
                        .execute(
                            "INSERT INTO photos (source_id, locator, name, size, mtime_ns) VALUES (?1, ?2, ?3, ?4, ?5)
                             ON CONFLICT (source_id, locator) DO NOTHING",
                            params![
                                library_id,
                                item.id.as_bytes(),
                                item.name,
                                item.size as i64,
                                item.stamp_ns
                            ],
                        )
                        .map_err(sqlite)?;
                    // A library that lists an id twice gets one photo.
                    if transaction.changes() == 1 {
                        let id = transaction.last_insert_rowid();
                        record_library_date(&transaction, id, item).map_err(sqlite)?;
                        report.added.push(id);
                    }
                }
            }
        }
        remove_photos(&transaction, known.into_values().map(|(id, _)| id), &mut report).map_err(sqlite)?;
        transaction.commit().map_err(sqlite)?;
        Ok(report)
    }

    /// Where photo `id` is, if the catalog has it.
    pub fn origin(&self, id: PhotoId) -> Result<Option<Origin>, EngineError> {
        self.connection
            .query_row(
                &format!("SELECT {ORIGIN_COLUMNS} FROM {PHOTOS} WHERE photos.id = ?1"),
                [id],
                |r| origin(r, 0),
            )
            .optional()
            .map_err(self.sqlite())
    }

    /// The id of the photo file at `path`, if the catalog has it.
    pub fn photo_id(&self, path: &Path) -> Result<Option<PhotoId>, EngineError> {
        self.connection
            .query_row(
                "SELECT id FROM photos WHERE locator = ?1 AND name IS NULL",
                [path_bytes(path)],
                |r| r.get(0),
            )
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

    /// Photos without an embedding for `model`, newest first, each with whether its
    /// preview is still to be made (the run makes it from the same decode as the model
    /// input): what an indexing run still has to encode. Photos whose preview failed
    /// cannot be decoded and are left out; photos whose encoding failed are tried again.
    pub fn unencoded(&self, model: &str) -> Result<Vec<(PhotoId, Origin, bool)>, EngineError> {
        self.rows(
            &format!(
                "SELECT photos.id, {ORIGIN_COLUMNS}, preview_state FROM {PHOTOS} WHERE preview_state != 'failed'
                 AND photos.id NOT IN (SELECT photo_id FROM embeddings WHERE model = ?1)
                 {NEWEST_FIRST}"
            ),
            [model],
            |r| {
                Ok((
                    r.get(0)?,
                    origin(r, 1)?,
                    r.get::<_, String>(5)? != PreviewState::Done.as_str(),
                ))
            },
        )
    }

    /// Photos whose preview is missing or failed before, newest first.
    pub fn without_preview(&self) -> Result<Vec<(PhotoId, Origin)>, EngineError> {
        self.query_origins(
            &format!(
                "SELECT photos.id, {ORIGIN_COLUMNS} FROM {PHOTOS} WHERE preview_state != 'done'
                 {NEWEST_FIRST}"
            ),
            [],
        )
    }

    fn query_origins(
        &self,
        sql: &str,
        arguments: impl rusqlite::Params,
    ) -> Result<Vec<(PhotoId, Origin)>, EngineError> {
        self.rows(sql, arguments, |r| Ok((r.get(0)?, origin(r, 1)?)))
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
                &format!("SELECT {PHOTO_COLUMNS} FROM {PHOTOS} WHERE photos.id = ?1"),
                [id],
                photo_record,
            )
            .optional()
            .map_err(self.sqlite())
    }

    /// A page of the gallery, the photos `filters` allow newest first (by when they were
    /// taken): the first page, or the page after the photo at `after`. A page costs the
    /// same wherever it is in the gallery (an offset would have SQLite step over every
    /// photo before it), and one removed meanwhile does not shift the pages after it.
    pub fn gallery(
        &self,
        filters: &Filters,
        after: Option<GalleryPosition>,
        limit: usize,
    ) -> Result<Vec<PhotoRecord>, EngineError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let (mut condition, mut values) = filter_condition(filters, 2);
        values.insert(0, Value::Integer(limit));
        if let Some(GalleryPosition { taken, id }) = after {
            condition.push_str(&format!(
                " AND (taken, photos.id) < (?{}, ?{})",
                values.len() + 1,
                values.len() + 2
            ));
            values.extend([Value::Integer(taken), Value::Integer(id)]);
        }
        self.rows(
            &format!("SELECT {PHOTO_COLUMNS} FROM {PHOTOS} WHERE {condition} {NEWEST_FIRST} LIMIT ?1"),
            params_from_iter(values),
            photo_record,
        )
    }

    /// The ids of the photos `filters` allow.
    pub fn photo_ids(&self, filters: &Filters) -> Result<Vec<PhotoId>, EngineError> {
        let (condition, values) = filter_condition(filters, 1);
        self.rows(
            &format!("SELECT photos.id FROM {PHOTOS} WHERE {condition}"),
            params_from_iter(values),
            |r| r.get(0),
        )
    }

    /// How many photos `filters` allow (all of them when empty).
    pub fn count(&self, filters: &Filters) -> Result<usize, EngineError> {
        if filters.is_empty() {
            return self.photo_count();
        }
        let (condition, values) = filter_condition(filters, 1);
        let count: i64 = self
            .connection
            .query_row(
                &format!("SELECT COUNT(*) FROM {PHOTOS} WHERE {condition}"),
                params_from_iter(values),
                |r| r.get(0),
            )
            .map_err(self.sqlite())?;
        Ok(count as usize)
    }

    /// The folders that hold photos, by name, with how many each holds directly.
    pub fn photo_folders(&self) -> Result<Vec<PhotoFolder>, EngineError> {
        let sqlite = self.sqlite();
        let sources: HashMap<i64, PathBuf> = self
            .rows("SELECT id, location FROM sources WHERE kind = 'folder'", [], |r| {
                Ok((r.get(0)?, bytes_path(r.get(1)?)))
            })?
            .into_iter()
            .collect();
        // Counted by the bytes SQLite holds, so that only each folder, not each photo,
        // gets a name made for it.
        let mut files: HashMap<i64, HashMap<Vec<u8>, usize>> = HashMap::new();
        let mut albums: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut statement = self
            .connection
            .prepare_cached("SELECT source_id, locator, folder FROM photos")
            .map_err(&sqlite)?;
        let mut rows = statement.query([]).map_err(&sqlite)?;
        let count = |counts: &mut HashMap<Vec<u8>, usize>, key: &[u8]| match counts.get_mut(key) {
            Some(photos) => *photos += 1,
            None => {
                counts.insert(key.to_vec(), 1);
            }
        };
        while let Some(row) = rows.next().map_err(&sqlite)? {
            let source: i64 = row.get(0).map_err(&sqlite)?;
            if sources.contains_key(&source) {
                let locator = row.get_ref(1).and_then(|v| Ok(v.as_blob()?)).map_err(&sqlite)?;
                let parent = &locator[..locator.iter().rposition(|&b| b == b'/').unwrap_or(0)];
                count(files.entry(source).or_default(), parent);
            } else if let ValueRef::Text(folder) = row.get_ref(2).map_err(&sqlite)? {
                count(&mut albums, folder);
            }
        }
        let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for (source, parents) in files {
            // From the source's own name down: what `in:` matches and a person knows.
            let source = &sources[&source];
            let base = source.parent().unwrap_or(source);
            for (parent, photos) in parents {
                let parent = bytes_path(parent);
                let name = parent
                    .strip_prefix(base)
                    .unwrap_or(&parent)
                    .to_string_lossy()
                    .into_owned();
                *counts.entry(name).or_default() += photos;
            }
        }
        for (folder, photos) in albums {
            *counts.entry(String::from_utf8_lossy(&folder).into_owned()).or_default() += photos;
        }
        Ok(counts
            .into_iter()
            .map(|(name, photos)| PhotoFolder { name, photos })
            .collect())
    }

    /// Photo files of `folder` whose date has not been read yet (catalogued before dates
    /// were kept), with their modification time.
    pub fn without_date(&self, folder: &Path) -> Result<Vec<(PhotoId, PathBuf, i64)>, EngineError> {
        self.rows(
            "SELECT photos.id, photos.locator, photos.mtime_ns FROM photos JOIN sources ON sources.id = photos.source_id
             WHERE taken_from IS NULL AND sources.kind = 'folder' AND sources.location = ?1",
            [path_bytes(folder)],
            |r| Ok((r.get(0)?, bytes_path(r.get(1)?), r.get(2)?)),
        )
    }

    /// Record when photos were taken, in one transaction.
    pub fn record_dates(&mut self, dates: &[(PhotoId, PhotoDate)]) -> Result<(), EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let transaction = self.connection.transaction().map_err(sqlite)?;
        for (id, date) in dates {
            record_date(&transaction, *id, date).map_err(sqlite)?;
        }
        transaction.commit().map_err(sqlite)
    }

    /// Up to `count` embeddings of `model`, spread evenly over the photos (by id): a
    /// sample of the gallery for the score statistics of the search's cut-off.
    pub fn embedding_sample(&self, model: &str, count: usize) -> Result<Vec<Vec<f32>>, EngineError> {
        let ids: Vec<PhotoId> = self.rows(
            "SELECT photo_id FROM embeddings WHERE model = ?1 ORDER BY photo_id",
            [model],
            |r| r.get(0),
        )?;
        let step = ids.len().div_ceil(count.max(1)).max(1);
        let mut statement = self
            .connection
            .prepare_cached("SELECT vector FROM embeddings WHERE photo_id = ?1 AND model = ?2")
            .map_err(self.sqlite())?;
        let mut sample = Vec::with_capacity(ids.len() / step + 1);
        for &id in ids.iter().step_by(step) {
            let bytes: Option<Vec<u8>> = statement
                .query_row(params![id, model], |r| r.get(0))
                .optional()
                .map_err(self.sqlite())?;
            sample.extend(bytes.as_deref().map(bytes_vector));
        }
        Ok(sample)
    }

    /// The photos whose last preview or encoding attempt failed, with the cause.
    pub fn failures(&self) -> Result<Vec<Failure>, EngineError> {
        self.rows(
            &format!(
                "SELECT photos.id, {ORIGIN_COLUMNS}, last_error FROM {PHOTOS} WHERE last_error IS NOT NULL
                 ORDER BY sources.location, photos.locator"
            ),
            [],
            |r| {
                Ok(Failure {
                    id: r.get(0)?,
                    origin: origin(r, 1)?,
                    cause: r.get(5)?,
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
            folders: count("SELECT COUNT(*) FROM sources WHERE kind = 'folder'")?,
            libraries: count("SELECT COUNT(*) FROM sources WHERE kind = 'library'")?,
            photos: count("SELECT COUNT(*) FROM photos")?,
            previews: count(
                "SELECT (SELECT COUNT(*) FROM photos) - (SELECT COUNT(*) FROM photos WHERE preview_state != 'done')",
            )?,
            failed: count("SELECT COUNT(*) FROM photos WHERE last_error IS NOT NULL")?,
            encoded,
        })
    }

    /// The folder sources, by path.
    pub fn folders(&self) -> Result<Vec<PathBuf>, EngineError> {
        self.rows(
            "SELECT location FROM sources WHERE kind = 'folder' ORDER BY location",
            [],
            |r| Ok(bytes_path(r.get(0)?)),
        )
    }

    /// Every source: folders by path, then libraries by name (with their chosen albums).
    pub fn sources(&self) -> Result<Vec<Source>, EngineError> {
        self.rows(
            "SELECT kind, location, albums FROM sources ORDER BY kind, location",
            [],
            |r| {
                let location: Vec<u8> = r.get(1)?;
                Ok(match r.get::<_, String>(0)?.as_str() {
                    "library" => Source::Library {
                        name: String::from_utf8_lossy(&location).into_owned(),
                        albums: r
                            .get::<_, Option<String>>(2)?
                            .map(|albums| albums.split('\n').filter(|a| !a.is_empty()).map(String::from).collect()),
                    },
                    _ => Source::Folder(bytes_path(location)),
                })
            },
        )
    }

    /// Forget a source and its photos (their embeddings leave tombstones for the saved
    /// indexes). Returns the removed photo ids; nothing when the source is unknown.
    pub fn remove_source(&mut self, source: &Source) -> Result<Vec<PhotoId>, EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: self.path.clone(),
            source,
        };
        let (kind, location) = match source {
            Source::Folder(path) => ("folder", path_bytes(path)),
            Source::Library { name, .. } => ("library", name.as_bytes()),
        };
        let transaction = self.connection.transaction().map_err(sqlite)?;
        let ids: Vec<PhotoId> = {
            let mut statement = transaction
                .prepare(&format!(
                    "SELECT photos.id FROM {PHOTOS} WHERE sources.kind = ?1 AND sources.location = ?2"
                ))
                .map_err(sqlite)?;
            let rows = statement
                .query_map(params![kind, location], |r| r.get(0))
                .map_err(sqlite)?;
            rows.collect::<Result<_, _>>().map_err(sqlite)?
        };
        for &id in &ids {
            forget_embeddings(&transaction, id).map_err(sqlite)?;
        }
        transaction
            .execute(
                "DELETE FROM sources WHERE kind = ?1 AND location = ?2",
                params![kind, location],
            )
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

/// Record when photo `id` was taken.
fn record_date(connection: &Connection, id: PhotoId, date: &PhotoDate) -> rusqlite::Result<()> {
    connection.execute(
        "UPDATE photos SET taken = ?2, taken_offset = ?3, taken_from = ?4 WHERE id = ?1",
        params![id, date.local_seconds(), date.offset_minutes, date.source.as_str()],
    )?;
    Ok(())
}

/// Record a library photo's date (the library's capture date, else its modification
/// stamp) and folder.
fn record_library_date(connection: &Connection, id: PhotoId, item: &LibraryItem) -> rusqlite::Result<()> {
    let date = match item.taken_ns {
        Some(ns) => PhotoDate::at_instant(ns, DateSource::Library),
        None => PhotoDate::at_instant(item.stamp_ns, DateSource::File),
    };
    record_date(connection, id, &date)?;
    connection.execute("UPDATE photos SET folder = ?2 WHERE id = ?1", params![id, item.folder])?;
    Ok(())
}

/// The id of a source, created if new; `albums`, when given, replaces the chosen albums.
fn source_id(
    transaction: &rusqlite::Transaction,
    kind: &str,
    location: &[u8],
    albums: Option<Option<String>>,
) -> rusqlite::Result<i64> {
    transaction.execute(
        "INSERT OR IGNORE INTO sources (kind, location) VALUES (?1, ?2)",
        params![kind, location],
    )?;
    if let Some(albums) = albums {
        transaction.execute(
            "UPDATE sources SET albums = ?3 WHERE kind = ?1 AND location = ?2",
            params![kind, location, albums],
        )?;
    }
    transaction.query_row(
        "SELECT id FROM sources WHERE kind = ?1 AND location = ?2",
        params![kind, location],
        |r| r.get(0),
    )
}

/// Remove photos a scan no longer found, and their embeddings (see `forget_embeddings`).
fn remove_photos(
    transaction: &rusqlite::Transaction,
    ids: impl IntoIterator<Item = PhotoId>,
    report: &mut ScanReport,
) -> rusqlite::Result<()> {
    for id in ids {
        forget_embeddings(transaction, id)?;
        transaction.execute("DELETE FROM photos WHERE id = ?1", [id])?;
        report.removed.push(id);
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn in_folder(locator: &str, wanted: &[&str]) -> bool {
        holds_run(&locator_folders(locator.as_bytes()).collect::<Vec<_>>(), wanted)
    }

    #[test]
    fn folders_match_by_name_anywhere_in_the_path_without_regard_to_case() {
        let photo = "/home/ana/Photos/Été 2024/ΟΔΟΣ/./img.jpg";
        assert!(in_folder(photo, &["photos"]));
        assert!(in_folder(photo, &["été 2024"]));
        assert!(in_folder(photo, &["ÉTÉ 2024", "οδοσ"]));
        assert!(in_folder(photo, &["home", "ana"]));
        // A run of names in order, whole names only, and never the file's own name.
        assert!(!in_folder(photo, &["ana", "home"]));
        assert!(!in_folder(photo, &["Phot"]));
        assert!(!in_folder(photo, &["img.jpg"]));
        assert!(!in_folder("img.jpg", &["img.jpg"]));
    }
}
