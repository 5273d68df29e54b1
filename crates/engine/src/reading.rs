//! Crash quarantine: what a process is reading, written down before it reads it, so that
//! a photo whose reading takes the whole process down (a C decoder's bug, a failing disk)
//! cannot do so at every start.
//!
//! Every read of a photo's bytes (its hash, its EXIF date, its embedded thumbnail, a
//! decode) happens inside a [`Reading`]: the photo and the kind of read ([`Stage`]) are
//! listed in the process's journal, a
//! file in the data folder's `reading/` that the process holds locked while it lives, and
//! leaves it when the read ends. A journal whose process is gone and that still lists
//! photos was left by an unclean end. The next process of the data folder to read a photo
//! counts, in the ledger (`interrupted-reads.sqlite`), one interrupted read for each photo
//! listed there. A photo with one is read alone that way (nothing else of the data folder
//! in flight in the process): either the read ends, and that kind of read of the photo is
//! cleared (the end was not its fault: a kill, a power cut, the system closing the app),
//! or the process dies again with it alone in the journal: at two that kind of read is
//! skipped, with a cause, until its file changes or the failed photos are retried. Kinds
//! are counted apart because they run different code: a photo whose decode crashes the
//! process has its hash and embedded thumbnail read without trouble, and those reads,
//! going through, must not clear the decode's count.
//!
//! The journal is written without fsync: a crashed process's writes are in the page cache
//! and survive it. A power cut may lose the last of them, which only costs the photos then
//! in flight their count (that end was not theirs anyway) or leaves a stale line, which
//! the retry alone clears.
//!
//! Not here: what a run does with a skipped photo (the pipeline records it as failed).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{Connection, params};

use crate::{DataDir, EngineError, Origin};

/// Interrupted reads after which a photo is skipped: the first may be anyone's (the photo
/// was one of a batch, or the process was killed); the second happened with the photo
/// read alone.
const SKIPPED_AFTER: i64 = 2;

/// Why a skipped photo is not read.
pub const SKIPPED_CAUSE: &str =
    "motis stopped while reading this photo, twice: skipped until the file changes or failed photos are retried";

/// The journal's size on disk from its creation: it is rewritten in place and never
/// grows past this for the few reads in flight at once, so that recording a read needs
/// no new block of a disk that may be full.
const JOURNAL_BYTES: usize = 4096;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The kinds of read of a photo, each its own code (and its own crash).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The scan's hash and EXIF date.
    Scan,
    /// The camera's embedded thumbnail, for the screen.
    Thumbnail,
    /// The pixels (a preview, a model input, a rendition) or a library's conversion.
    Decode,
}

impl Stage {
    fn name(self) -> &'static str {
        match self {
            Stage::Scan => "scan",
            Stage::Thumbnail => "thumbnail",
            Stage::Decode => "decode",
        }
    }

    fn parse(name: &str) -> Option<Stage> {
        [Stage::Scan, Stage::Thumbnail, Stage::Decode]
            .into_iter()
            .find(|stage| stage.name() == name)
    }
}

/// How a photo is named in journals and the ledger: its kind and where it is, as bytes
/// (a file name need not be UTF-8).
fn photo_key(origin: &Origin) -> Vec<u8> {
    match origin {
        Origin::File(path) => [b"file:".as_slice(), path.as_os_str().as_encoded_bytes()].concat(),
        Origin::Library { library, item, .. } => format!("library:{library}\0{item}").into_bytes(),
    }
}

/// A file's size and modification time, which say whether it changed since it was
/// interrupted; `None` for a library photo (its library's stamp says so at the scan) or a
/// file that cannot be read.
fn file_state(origin: &Origin) -> Option<(i64, i64)> {
    let meta = std::fs::metadata(origin.file()?).ok()?;
    let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?.as_nanos() as i64;
    Some((meta.len() as i64, mtime))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// One read in flight, as a journal line holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    stage: Stage,
    key: Vec<u8>,
    file: Option<(i64, i64)>,
}

impl Entry {
    fn line(&self) -> String {
        let (stage, key) = (self.stage.name(), hex(&self.key));
        match self.file {
            Some((size, mtime)) => format!("{stage} {key} {size} {mtime}\n"),
            None => format!("{stage} {key}\n"),
        }
    }

    /// Lines that do not parse are skipped: a power cut may leave a torn one.
    fn parse(line: &str) -> Option<Entry> {
        let mut fields = line.split(' ');
        let stage = Stage::parse(fields.next()?)?;
        let key = unhex(fields.next().filter(|k| !k.is_empty())?)?;
        let file = match (fields.next(), fields.next()) {
            (Some(size), Some(mtime)) => Some((size.parse().ok()?, mtime.parse().ok()?)),
            _ => None,
        };
        Some(Entry { stage, key, file })
    }
}

/// What the ledger says of a photo about to be read.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Clear,
    /// Interrupted once: read it alone.
    Suspect,
    Skipped,
}

/// Interrupted reads per photo and kind of read, shared by every process of the data folder.
struct Ledger {
    connection: Connection,
    path: PathBuf,
}

impl Ledger {
    /// Open the ledger at `path`; a damaged one is made anew (what it held costs at most
    /// one more crash on a photo that had stopped motis once).
    fn open(path: &Path) -> Result<Ledger, EngineError> {
        match Ledger::open_as_is(path) {
            Err(EngineError::Sqlite { source, .. })
                if matches!(
                    source.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
                ) =>
            {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.as_os_str().to_owned();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
                Ledger::open_as_is(path)
            }
            opened => opened,
        }
    }

    fn open_as_is(path: &Path) -> Result<Ledger, EngineError> {
        let sqlite = |source| EngineError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let connection = Connection::open(path).map_err(sqlite)?;
        connection
            .busy_timeout(std::time::Duration::from_secs(10))
            .map_err(sqlite)?;
        connection
            .execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                 -- The first layout counted a photo's reads of every kind together.
                 DROP TABLE IF EXISTS interrupted;
                 -- ends: unclean ends of a process while it read the photo that way
                 -- (stage); size and mtime_ns: its file then (NULL for a library photo).
                 CREATE TABLE IF NOT EXISTS interrupted_reads (
                     photo BLOB NOT NULL,
                     stage TEXT NOT NULL,
                     ends INTEGER NOT NULL,
                     size INTEGER,
                     mtime_ns INTEGER,
                     PRIMARY KEY (photo, stage)
                 );",
            )
            .map_err(sqlite)?;
        Ok(Ledger {
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

    /// Count one unclean end for each read a dead process's journal lists. A file that
    /// changed since its last count starts again from one.
    fn count_interrupted(&mut self, entries: &[Entry]) -> Result<(), EngineError> {
        let sqlite = self.sqlite();
        let transaction = self.connection.unchecked_transaction().map_err(&sqlite)?;
        for entry in entries {
            let (size, mtime) = entry.file.unzip();
            transaction
                .execute(
                    "INSERT INTO interrupted_reads (photo, stage, ends, size, mtime_ns) VALUES (?1, ?2, 1, ?3, ?4)
                     ON CONFLICT (photo, stage) DO UPDATE SET
                         ends = CASE WHEN size IS excluded.size AND mtime_ns IS excluded.mtime_ns
                                THEN ends + 1 ELSE 1 END,
                         size = excluded.size, mtime_ns = excluded.mtime_ns",
                    params![entry.key, entry.stage.name(), size, mtime],
                )
                .map_err(&sqlite)?;
        }
        transaction.commit().map_err(&sqlite)
    }

    /// A photo is skipped, for every kind of read, once one kind has stopped motis twice
    /// (a failure is the photo's); a kind of read that stopped it once is read alone.
    fn verdict(&self, entry: &Entry) -> Result<Verdict, EngineError> {
        let mut query = self
            .connection
            .prepare_cached("SELECT stage, ends, size, mtime_ns FROM interrupted_reads WHERE photo = ?1")
            .map_err(self.sqlite())?;
        // Per kind of read: its name, its unclean ends, and the file's size and time then.
        type Count = (String, i64, Option<(i64, i64)>);
        let counts: Vec<Count> = query
            .query_map([&entry.key], |r| {
                let (size, mtime): (Option<i64>, Option<i64>) = (r.get(2)?, r.get(3)?);
                Ok((r.get(0)?, r.get(1)?, size.zip(mtime)))
            })
            .and_then(|rows| rows.collect())
            .map_err(self.sqlite())?;
        if counts
            .iter()
            .any(|(_, _, recorded)| entry.file.is_some() && recorded.is_some() && entry.file != *recorded)
        {
            // The file changed: what made motis stop may be gone with its old content.
            self.forget(&entry.key, None)?;
            return Ok(Verdict::Clear);
        }
        Ok(if counts.iter().any(|(_, ends, _)| *ends >= SKIPPED_AFTER) {
            Verdict::Skipped
        } else if counts.iter().any(|(stage, _, _)| stage == entry.stage.name()) {
            Verdict::Suspect
        } else {
            Verdict::Clear
        })
    }

    /// Clear the photo `key`'s count for `stage`, or for every kind of read.
    fn forget(&self, key: &[u8], stage: Option<Stage>) -> Result<(), EngineError> {
        self.connection
            .execute(
                "DELETE FROM interrupted_reads WHERE photo = ?1 AND (?2 IS NULL OR stage = ?2)",
                params![key, stage.map(Stage::name)],
            )
            .map_err(self.sqlite())?;
        Ok(())
    }
}

/// This process's list of the photos it is reading.
struct Journal {
    file: File,
    path: PathBuf,
    open: Vec<Entry>,
}

impl Journal {
    fn create(folder: &Path) -> Result<Journal, EngineError> {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let path = folder.join(format!("{}-{nanos}.journal", std::process::id()));
        let failed = |source| EngineError::DataDir {
            path: path.clone(),
            source,
        };
        let mut file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(failed)?;
        file.try_lock().map_err(|error| match error {
            std::fs::TryLockError::Error(source) => failed(source),
            std::fs::TryLockError::WouldBlock => failed(std::io::Error::other("locked by another process")),
        })?;
        file.write_all(&[0; JOURNAL_BYTES]).map_err(failed)?;
        Ok(Journal {
            file,
            path,
            open: Vec::new(),
        })
    }

    /// Rewrite the journal in place: the open entries, then zeros over what was there.
    fn write(&mut self) -> Result<(), EngineError> {
        let mut text: Vec<u8> = self.open.iter().flat_map(|e| e.line().into_bytes()).collect();
        let padded = text.len().max(JOURNAL_BYTES);
        text.resize(padded, 0);
        self.file
            .seek(SeekFrom::Start(0))
            .and_then(|_| self.file.write_all(&text))
            .map_err(|source| EngineError::DataDir {
                path: self.path.clone(),
                source,
            })
    }
}

impl Drop for Journal {
    /// A clean end: nothing in flight is left behind.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The entries of a journal's text; zeros pad it.
fn journal_entries(text: &[u8]) -> Vec<Entry> {
    String::from_utf8_lossy(text)
        .split(['\n', '\0'])
        .filter_map(Entry::parse)
        .collect()
}

/// Count the photos in flight in the journals of dead processes, then delete those
/// journals. A live process holds its journal locked; of two processes adopting the same
/// journal, the one that locks it second finds it emptied.
fn adopt_leftovers(folder: &Path, ledger: &mut Ledger) -> Result<(), EngineError> {
    let listing = std::fs::read_dir(folder).map_err(|source| EngineError::DataDir {
        path: folder.to_owned(),
        source,
    })?;
    for item in listing.flatten() {
        let path = item.path();
        if path.extension().is_none_or(|e| e != "journal") {
            continue;
        }
        let Ok(mut file) = File::options().read(true).write(true).open(&path) else {
            continue;
        };
        if file.try_lock().is_err() {
            continue;
        }
        let mut text = Vec::new();
        let failed = |source| EngineError::DataDir {
            path: path.clone(),
            source,
        };
        file.read_to_end(&mut text).map_err(failed)?;
        ledger.count_interrupted(&journal_entries(&text))?;
        file.set_len(0).map_err(failed)?;
        std::fs::remove_file(&path).map_err(failed)?;
    }
    Ok(())
}

/// Set up at a process's first read of the data folder: leftovers counted, then its own
/// journal created.
struct Records {
    journal: Mutex<Journal>,
    ledger: Mutex<Ledger>,
}

/// The crash quarantine of one data folder in this process: every read of a photo's
/// bytes goes through it (see `reading.rs`).
pub struct Reads {
    root: PathBuf,
    records: Mutex<Option<Arc<Records>>>,
    /// Read shared by ordinary reads, written by a suspect's: a suspect is read alone.
    gate: RwLock<()>,
}

/// Held for as long as a photo is read.
enum Gate<'a> {
    Shared { _guard: RwLockReadGuard<'a, ()> },
    Alone { _guard: RwLockWriteGuard<'a, ()> },
}

/// A photo being read: in the journal until dropped.
pub struct Reading<'a> {
    records: Arc<Records>,
    entry: Entry,
    gate: Gate<'a>,
}

impl Reads {
    /// The quarantine of the data folder `data`, one per data folder in a process (two
    /// engines of one data folder, as during a model switch, share it: a photo read alone
    /// must be alone in the process).
    pub fn of(data: &DataDir) -> Arc<Reads> {
        static ALL: Mutex<Vec<(PathBuf, Weak<Reads>)>> = Mutex::new(Vec::new());
        let root = std::fs::canonicalize(data.root()).unwrap_or_else(|_| data.root().to_owned());
        let mut all = lock(&ALL);
        all.retain(|(_, reads)| reads.strong_count() > 0);
        if let Some(reads) = all.iter().find(|(r, _)| *r == root).and_then(|(_, w)| w.upgrade()) {
            return reads;
        }
        let reads = Arc::new(Reads {
            root: root.clone(),
            records: Mutex::new(None),
            gate: RwLock::new(()),
        });
        all.push((root, Arc::downgrade(&reads)));
        reads
    }

    fn records(&self) -> Result<Arc<Records>, EngineError> {
        let mut records = lock(&self.records);
        if let Some(records) = &*records {
            return Ok(Arc::clone(records));
        }
        let folder = self.root.join("reading");
        // Not the data folder itself: gone (its disk removed), it is not made elsewhere.
        match std::fs::create_dir(&folder) {
            Err(source) if source.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(EngineError::DataDir { path: folder, source });
            }
            _ => {}
        }
        let mut ledger = Ledger::open(&self.root.join("interrupted-reads.sqlite"))?;
        adopt_leftovers(&folder, &mut ledger)?;
        let made = Arc::new(Records {
            journal: Mutex::new(Journal::create(&folder)?),
            ledger: Mutex::new(ledger),
        });
        *records = Some(Arc::clone(&made));
        Ok(made)
    }

    /// Count what dead processes were reading now rather than at the first read: an
    /// indexing run does so before its scan.
    pub(crate) fn adopt_leftovers(&self) -> Result<(), EngineError> {
        self.records().map(drop)
    }

    /// Record that `origin` is about to be read at `stage`, until the returned [`Reading`]
    /// is dropped; a suspect waits until it can be read alone. `Err` when that read is
    /// skipped (see [`SKIPPED_CAUSE`]) or the journal cannot be written.
    pub fn begin(&self, origin: &Origin, stage: Stage) -> Result<Reading<'_>, EngineError> {
        let records = self.records()?;
        let entry = Entry {
            stage,
            key: photo_key(origin),
            file: file_state(origin),
        };
        let verdict = lock(&records.ledger).verdict(&entry)?;
        let gate = match verdict {
            Verdict::Skipped => return Err(EngineError::Skipped { label: origin.label() }),
            Verdict::Suspect => Gate::Alone {
                _guard: self.gate.write().unwrap_or_else(|p| p.into_inner()),
            },
            Verdict::Clear => Gate::Shared {
                _guard: self.gate.read().unwrap_or_else(|p| p.into_inner()),
            },
        };
        {
            let mut journal = lock(&records.journal);
            journal.open.push(entry.clone());
            if let Err(error) = journal.write() {
                journal.open.pop();
                return Err(error);
            }
        }
        Ok(Reading { records, entry, gate })
    }

    /// Let every skipped photo be read again, alone first.
    pub(crate) fn retry_skipped(&self) -> Result<usize, EngineError> {
        let records = self.records()?;
        let ledger = lock(&records.ledger);
        ledger
            .connection
            .execute(
                "UPDATE interrupted_reads SET ends = ?1 WHERE ends >= ?2",
                [SKIPPED_AFTER - 1, SKIPPED_AFTER],
            )
            .map_err(ledger.sqlite())
    }

    /// A library photo was edited (its library's stamp changed): whatever stopped motis
    /// may be gone with its old content.
    pub(crate) fn forget(&self, origin: &Origin) -> Result<(), EngineError> {
        let records = self.records()?;
        let ledger = lock(&records.ledger);
        ledger.forget(&photo_key(origin), None)
    }
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        let mut journal = lock(&self.records.journal);
        if let Some(at) = journal.open.iter().position(|e| *e == self.entry) {
            journal.open.swap_remove(at);
        }
        // A line left behind costs at most a retry alone after an unclean end.
        let _ = journal.write();
        drop(journal);
        // Read alone to its end: whatever stopped motis, it was not this photo. (If the
        // ledger cannot say so now, the photo is read alone once more next time.)
        if matches!(self.gate, Gate::Alone { .. }) && !std::thread::panicking() {
            let _ = lock(&self.records.ledger).forget(&self.entry.key, Some(self.entry.stage));
        }
    }
}

/// The tests' stand-in for a decoder that takes the process down: in builds with debug
/// assertions (the tests', never a release), a read at `stage` (scan, decode, thumbnail)
/// of a file whose name `MOTIS_CRASH_READING` gives as `STAGE:NAME` aborts the process.
/// (A cargo feature would not reach the `motis` binary the CLI's tests run.)
#[cfg(debug_assertions)]
pub(crate) fn crash_point(stage: Stage, path: &Path) {
    let Ok(wanted) = std::env::var("MOTIS_CRASH_READING") else {
        return;
    };
    let name = path.file_name().map(|n| n.to_string_lossy());
    if wanted.split_once(':') == Some((stage.name(), name.as_deref().unwrap_or(""))) {
        std::process::abort();
    }
}

#[cfg(not(debug_assertions))]
#[inline(always)]
pub(crate) fn crash_point(_stage: Stage, _path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(dir: &Path, name: &str) -> Origin {
        let path = dir.join(name);
        if !path.exists() {
            std::fs::write(&path, name).unwrap();
        }
        Origin::File(path)
    }

    /// A journal as a process that died while reading `photos` leaves it.
    fn leave_journal(data: &Path, tag: &str, photos: &[&Origin]) {
        let folder = data.join("reading");
        std::fs::create_dir_all(&folder).unwrap();
        let mut text: Vec<u8> = photos
            .iter()
            .flat_map(|o| {
                Entry {
                    stage: Stage::Decode,
                    key: photo_key(o),
                    file: file_state(o),
                }
                .line()
                .into_bytes()
            })
            .collect();
        text.resize(JOURNAL_BYTES, 0);
        std::fs::write(folder.join(format!("dead-{tag}.journal")), text).unwrap();
    }

    fn fresh(data: &Path) -> Arc<Reads> {
        // Not through `of`: each call stands for a new process.
        Arc::new(Reads {
            root: data.to_owned(),
            records: Mutex::new(None),
            gate: RwLock::new(()),
        })
    }

    fn in_flight(reads: &Reads) -> Vec<Vec<u8>> {
        let records = reads.records().unwrap();
        let path = lock(&records.journal).path.clone();
        journal_entries(&std::fs::read(path).unwrap())
            .into_iter()
            .map(|e| e.key)
            .collect()
    }

    #[test]
    fn a_photo_is_in_the_journal_while_it_is_read_and_a_clean_end_leaves_no_journal() {
        let dir = tempfile::tempdir().unwrap();
        let reads = fresh(dir.path());
        let (a, b) = (photo(dir.path(), "a.jpg"), photo(dir.path(), "b.jpg"));
        let reading_a = reads.begin(&a, Stage::Decode).unwrap();
        let reading_b = reads.begin(&b, Stage::Decode).unwrap();
        assert_eq!(in_flight(&reads), vec![photo_key(&a), photo_key(&b)]);
        drop(reading_a);
        assert_eq!(in_flight(&reads), vec![photo_key(&b)]);
        drop(reading_b);
        assert_eq!(in_flight(&reads), Vec::<Vec<u8>>::new());
        drop(reads);
        assert_eq!(std::fs::read_dir(dir.path().join("reading")).unwrap().count(), 0);
    }

    #[test]
    fn photos_in_flight_at_an_unclean_end_are_read_alone_and_cleared_when_the_read_ends() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            photo(dir.path(), "a.jpg"),
            photo(dir.path(), "b.jpg"),
            photo(dir.path(), "c.jpg"),
        );
        leave_journal(dir.path(), "1", &[&a, &b]);
        let reads = fresh(dir.path());
        reads.adopt_leftovers().unwrap();
        assert_eq!(
            std::fs::read_dir(dir.path().join("reading")).unwrap().count(),
            1,
            "only its own journal"
        );

        // A suspect waits for the reads in flight and is then the only one listed, while
        // other reads wait for it.
        let other = reads.begin(&c, Stage::Decode).unwrap();
        let (seen_send, seen) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            let suspect = scope.spawn(|| {
                let reading = reads.begin(&a, Stage::Decode).unwrap();
                seen_send.send(in_flight(&reads)).unwrap();
                let more = scope.spawn(|| drop(reads.begin(&c, Stage::Decode).unwrap()));
                assert!(!more.is_finished());
                drop(reading);
                more.join().unwrap();
            });
            drop(other);
            suspect.join().unwrap();
        });
        assert_eq!(seen.recv().unwrap(), vec![photo_key(&a)]);

        // Cleared: an unclean end with `a` in a batch again counts one, not two.
        drop(reads);
        leave_journal(dir.path(), "2", &[&a, &c]);
        let reads = fresh(dir.path());
        let reading = reads.begin(&a, Stage::Decode).unwrap();
        assert!(
            matches!(reading.gate, Gate::Alone { .. }),
            "a suspect again, not skipped"
        );
        drop(reading);
        assert!(
            matches!(reads.begin(&b, Stage::Decode).unwrap().gate, Gate::Alone { .. }),
            "b still a suspect"
        );
    }

    #[test]
    fn a_photo_interrupted_twice_is_skipped_until_its_file_changes_or_it_is_retried() {
        let dir = tempfile::tempdir().unwrap();
        let (bad, good) = (photo(dir.path(), "bad.jpg"), photo(dir.path(), "good.jpg"));
        leave_journal(dir.path(), "1", &[&bad, &good]);
        leave_journal(dir.path(), "2", &[&bad]);
        let reads = fresh(dir.path());
        match reads.begin(&bad, Stage::Decode) {
            Err(error @ EngineError::Skipped { .. }) => {
                let message = error.to_string();
                assert!(
                    message.contains("bad.jpg") && message.contains(SKIPPED_CAUSE),
                    "{message}"
                );
            }
            other => panic!("not skipped: {:?}", other.map(|_| ())),
        }
        assert!(matches!(
            reads.begin(&good, Stage::Decode).unwrap().gate,
            Gate::Alone { .. }
        ));

        assert_eq!(reads.retry_skipped().unwrap(), 1);
        let retried = reads.begin(&bad, Stage::Decode).unwrap();
        assert!(
            matches!(retried.gate, Gate::Alone { .. }),
            "a retried photo is read alone first"
        );
        // ... and when that read dies too, it is skipped at once.
        std::mem::forget(retried);
        drop(reads);
        leave_journal(dir.path(), "3", &[&bad]);
        let reads = fresh(dir.path());
        assert!(matches!(
            reads.begin(&bad, Stage::Decode),
            Err(EngineError::Skipped { .. })
        ));

        // A new content (size and time differ) is read again, as any photo.
        let Origin::File(path) = &bad else { unreachable!() };
        std::fs::write(path, "edited, and longer than before").unwrap();
        assert!(matches!(
            reads.begin(&bad, Stage::Decode).unwrap().gate,
            Gate::Shared { .. }
        ));
    }

    #[test]
    fn a_live_processs_journal_is_not_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let a = photo(dir.path(), "a.jpg");
        let living = fresh(dir.path());
        let reading = living.begin(&a, Stage::Decode).unwrap();
        let other = fresh(dir.path());
        other.adopt_leftovers().unwrap();
        assert!(matches!(
            other.begin(&a, Stage::Decode).unwrap().gate,
            Gate::Shared { .. }
        ));
        drop(reading);
    }

    #[test]
    fn library_photos_are_named_by_library_and_id_and_forgotten_when_edited() {
        let dir = tempfile::tempdir().unwrap();
        let item = |id: &str| Origin::Library {
            library: "Photos".into(),
            item: id.into(),
            name: "IMG_0001.HEIC".into(),
        };
        leave_journal(dir.path(), "1", &[&item("1")]);
        leave_journal(dir.path(), "2", &[&item("1")]);
        let reads = fresh(dir.path());
        assert!(matches!(
            reads.begin(&item("1"), Stage::Decode),
            Err(EngineError::Skipped { .. })
        ));
        assert!(matches!(
            reads.begin(&item("2"), Stage::Decode).unwrap().gate,
            Gate::Shared { .. }
        ));
        reads.forget(&item("1")).unwrap();
        assert!(matches!(
            reads.begin(&item("1"), Stage::Decode).unwrap().gate,
            Gate::Shared { .. }
        ));
    }

    #[test]
    fn a_damaged_ledger_is_made_anew() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("interrupted-reads.sqlite"), [7u8; 4096]).unwrap();
        let a = photo(dir.path(), "a.jpg");
        leave_journal(dir.path(), "1", &[&a]);
        let reads = fresh(dir.path());
        assert!(matches!(
            reads.begin(&a, Stage::Decode).unwrap().gate,
            Gate::Alone { .. }
        ));
    }

    #[test]
    fn torn_or_foreign_journal_lines_are_skipped() {
        let lines = format!(
            "decode zz 1 2\ndecode {}\nscan 6162 12 3\n6162 1 2\nresize 6162\ndecode 616",
            hex(b"ab")
        );
        let entries = journal_entries(lines.as_bytes());
        assert_eq!(
            entries,
            vec![
                Entry {
                    stage: Stage::Decode,
                    key: b"ab".to_vec(),
                    file: None
                },
                Entry {
                    stage: Stage::Scan,
                    key: b"ab".to_vec(),
                    file: Some((12, 3))
                },
            ]
        );
    }

    #[test]
    fn a_crashing_decode_is_not_cleared_by_the_photos_other_reads_going_through() {
        let dir = tempfile::tempdir().unwrap();
        let bad = photo(dir.path(), "bad.jpg");
        leave_journal(dir.path(), "1", &[&bad]);
        let reads = fresh(dir.path());
        // Its hash and its camera thumbnail are other code: read as any photo's, and
        // their ends clear nothing.
        assert!(matches!(
            reads.begin(&bad, Stage::Scan).unwrap().gate,
            Gate::Shared { .. }
        ));
        assert!(matches!(
            reads.begin(&bad, Stage::Thumbnail).unwrap().gate,
            Gate::Shared { .. }
        ));
        let decode = reads.begin(&bad, Stage::Decode).unwrap();
        assert!(matches!(decode.gate, Gate::Alone { .. }), "the decode is the suspect");
        // It dies again there: the photo is skipped, every kind of read of it.
        std::mem::forget(decode);
        drop(reads);
        leave_journal(dir.path(), "2", &[&bad]);
        let reads = fresh(dir.path());
        for stage in [Stage::Decode, Stage::Scan, Stage::Thumbnail] {
            assert!(
                matches!(reads.begin(&bad, stage), Err(EngineError::Skipped { .. })),
                "{stage:?}"
            );
        }
    }
}
