//! The catalog across rescans: new, unchanged, changed, moved and deleted photos.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use motis_engine::{Catalog, DataDir, Filters, GalleryPosition, Reads, ScanEntry, scan_folder};

/// The crash quarantine scans read through; its data folder is the tests' own.
fn reads() -> Arc<Reads> {
    let data = DataDir::create(&Path::new(env!("CARGO_TARGET_TMPDIR")).join("catalog-reads")).unwrap();
    Reads::of(&data)
}

/// The file of photo `id`, if the catalog has it.
fn file_of(catalog: &Catalog, id: i64) -> Option<PathBuf> {
    catalog
        .origin(id)
        .unwrap()
        .map(|origin| origin.file().unwrap().to_owned())
}

fn scan(folder: &Path) -> Vec<ScanEntry> {
    scan_folder(folder).unwrap().0
}

fn write(path: PathBuf, content: &[u8]) -> PathBuf {
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn rescans_find_new_changed_moved_and_deleted_photos() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let a = write(photos.join("a.jpg"), b"photo a");
    let b = write(photos.join("b.jpg"), b"photo b");
    let c = write(photos.join("c.jpg"), b"photo c");
    let mut catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();

    let first = catalog.reconcile(&photos, &scan(&photos), &[], &reads()).unwrap();
    assert_eq!(first.added.len(), 3);
    let id_of = |catalog: &Catalog, path: &Path| {
        first
            .added
            .iter()
            .copied()
            .find(|&id| file_of(catalog, id).as_deref() == Some(path))
            .unwrap()
    };
    let (id_a, id_b, id_c) = (id_of(&catalog, &a), id_of(&catalog, &b), id_of(&catalog, &c));
    for id in [id_a, id_b, id_c] {
        catalog.store_embedding(id, "motis-demo", &[id as f32, 0.5]).unwrap();
    }

    let again = catalog.reconcile(&photos, &scan(&photos), &[], &reads()).unwrap();
    assert_eq!((again.unchanged, again.added.len(), again.removed.len()), (3, 0, 0));

    // b renamed, c deleted, a rewritten with new content, d new.
    let renamed = photos.join("renamed b.jpg");
    std::fs::rename(&b, &renamed).unwrap();
    std::fs::remove_file(&c).unwrap();
    std::fs::write(&a, b"photo a, edited and longer").unwrap();
    write(photos.join("d.jpg"), b"photo d");
    let report = catalog.reconcile(&photos, &scan(&photos), &[], &reads()).unwrap();
    assert_eq!(report.moved, vec![id_b]);
    assert_eq!(report.removed, vec![id_c]);
    assert_eq!(report.changed, vec![id_a]);
    assert_eq!(report.added.len(), 1);
    assert_eq!(file_of(&catalog, id_b), Some(renamed));
    assert_eq!(
        catalog.embedding(id_b, "motis-demo").unwrap(),
        Some(vec![id_b as f32, 0.5]),
        "a move keeps the embedding"
    );
    assert_eq!(
        catalog.embedding(id_a, "motis-demo").unwrap(),
        None,
        "a change drops the stale embedding"
    );
    assert_eq!(file_of(&catalog, id_c), None);
    let mut expected = [id_a, report.added[0]];
    expected.sort();
    let todo = |catalog: &Catalog| {
        let mut todo: Vec<_> = catalog
            .unencoded("motis-demo")
            .unwrap()
            .into_iter()
            .map(|(id, _, preview_pending)| (id, preview_pending))
            .collect();
        todo.sort();
        todo
    };
    assert_eq!(
        todo(&catalog),
        expected.iter().map(|&id| (id, true)).collect::<Vec<_>>(),
        "to encode, with their previews still to make"
    );
    let previews: Vec<_> = expected.iter().map(|&id| (id, 4, 3, 1)).collect();
    catalog.record_previews(&previews, &[]).unwrap();
    assert_eq!(
        todo(&catalog),
        expected.iter().map(|&id| (id, false)).collect::<Vec<_>>()
    );
    catalog
        .record_previews(&[], &[(expected[0], "truncated".into())])
        .unwrap();
    assert_eq!(
        todo(&catalog),
        vec![(expected[1], false)],
        "a photo that cannot be decoded is not encoded"
    );
    // The saved index may still hold the old vectors of the changed and the deleted photo.
    let mut tombstones = catalog.index_tombstones("motis-demo").unwrap();
    tombstones.sort();
    let mut dropped = vec![id_a, id_c];
    dropped.sort();
    assert_eq!(tombstones, dropped);
}

#[test]
fn gallery_pages_follow_each_other_newest_first_and_a_removal_shifts_none() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    // Two pairs share a modification time (the photos' date, as they have no EXIF
    // data): ties go to the higher id first.
    let times = [5, 9, 9, 1, 7, 7, 3];
    let entries: Vec<ScanEntry> = times
        .iter()
        .enumerate()
        .map(|(i, &mtime_ns)| {
            let path = write(photos.join(format!("{i}.jpg")), format!("photo {i}").as_bytes());
            ScanEntry {
                size: std::fs::metadata(&path).unwrap().len(),
                path,
                mtime_ns: mtime_ns * 1_000_000_000,
            }
        })
        .collect();
    let mut catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    catalog.reconcile(&photos, &entries, &[], &reads()).unwrap();

    let whole = catalog.gallery(&Filters::default(), None, 100).unwrap();
    let order: Vec<(i64, i64)> = whole.iter().map(|p| (p.gallery_position().taken, p.id)).collect();
    let mut expected = order.clone();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(order, expected);
    assert_eq!(order.len(), times.len());

    let mut paged = Vec::new();
    let mut after: Option<GalleryPosition> = None;
    loop {
        let page = catalog.gallery(&Filters::default(), after, 3).unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 3);
        after = Some(page.last().unwrap().gallery_position());
        paged.extend(page.into_iter().map(|p| p.id));
    }
    assert_eq!(paged, whole.iter().map(|p| p.id).collect::<Vec<_>>());

    // The first page shown, then its first photo deleted: the next page still starts
    // right after the last one shown.
    let first = catalog.gallery(&Filters::default(), None, 3).unwrap();
    let deleted = first[0].origin.file().unwrap().to_owned();
    std::fs::remove_file(&deleted).unwrap();
    let remaining: Vec<ScanEntry> = entries.into_iter().filter(|e| e.path != deleted).collect();
    assert_eq!(
        catalog.reconcile(&photos, &remaining, &[], &reads()).unwrap().removed,
        vec![first[0].id]
    );
    let next = catalog
        .gallery(&Filters::default(), Some(first[2].gallery_position()), 3)
        .unwrap();
    assert_eq!(next[0].id, whole[3].id);
}

#[test]
fn a_photo_moved_to_another_folder_keeps_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    std::fs::create_dir(&one).unwrap();
    std::fs::create_dir(&two).unwrap();
    let photo = write(one.join("x.jpg"), b"a photo that moves");
    let mut catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    let id = catalog.reconcile(&one, &scan(&one), &[], &reads()).unwrap().added[0];
    std::fs::rename(&photo, two.join("x.jpg")).unwrap();
    let report = catalog.reconcile(&two, &scan(&two), &[], &reads()).unwrap();
    assert_eq!(report.moved, vec![id]);
    assert_eq!(
        catalog.reconcile(&one, &scan(&one), &[], &reads()).unwrap().removed,
        Vec::<i64>::new()
    );
    assert_eq!(catalog.count(&Filters::default()).unwrap(), 1);
}

#[test]
fn a_file_that_vanishes_before_hashing_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let kept = write(photos.join("kept.jpg"), b"kept");
    let gone = write(photos.join("gone.jpg"), b"gone");
    let entries = scan(&photos);
    std::fs::remove_file(&gone).unwrap();
    let mut catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    let report = catalog.reconcile(&photos, &entries, &[], &reads()).unwrap();
    assert_eq!(report.added.len(), 1);
    assert_eq!(file_of(&catalog, report.added[0]), Some(kept));
    assert_eq!(report.unreadable.len(), 1);
    assert_eq!(report.unreadable[0].0, gone);
}

#[cfg(unix)]
#[test]
fn names_that_are_not_utf8_survive_a_reopen() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9 latin-1.jpg");
    let path = write(photos.join(name), b"photo");
    let database = dir.path().join("catalog.sqlite");
    let id = Catalog::open(&database)
        .unwrap()
        .reconcile(&photos, &scan(&photos), &[], &reads())
        .unwrap()
        .added[0];
    let reopened = Catalog::open(&database).unwrap();
    assert_eq!(file_of(&reopened, id), Some(path));
}

#[test]
fn a_catalog_from_a_newer_motis_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("catalog.sqlite");
    drop(Catalog::open(&database).unwrap());
    rusqlite::Connection::open(&database)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let error = Catalog::open(&database).err().unwrap();
    assert!(error.to_string().contains("newer motis"), "{error}");
}

/// A catalog written before photo libraries (schema 2: photos belong to folders) keeps
/// its photos, ids, embeddings and index records when opened, and goes on rescanning.
#[test]
fn a_catalog_of_schema_2_is_migrated_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    let a = write(photos.join("a.jpg"), b"photo a");
    let b = write(photos.join("b.jpg"), b"photo b");
    let database = dir.path().join("catalog.sqlite");
    {
        // Schema 2 as motis 0.1 created it, with two indexed photos.
        let old = rusqlite::Connection::open(&database).unwrap();
        old.execute_batch(
            "CREATE TABLE folders (id INTEGER PRIMARY KEY, path BLOB NOT NULL UNIQUE);
             CREATE TABLE photos (id INTEGER PRIMARY KEY,
                 folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
                 path BLOB NOT NULL UNIQUE, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                 hash BLOB NOT NULL, width INTEGER, height INTEGER, orientation INTEGER,
                 preview_state TEXT NOT NULL DEFAULT 'pending', last_error TEXT);
             CREATE INDEX photos_by_hash ON photos(hash);
             CREATE TABLE embeddings (photo_id INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
                 model TEXT NOT NULL, vector BLOB NOT NULL, in_index INTEGER NOT NULL DEFAULT 0,
                 PRIMARY KEY (photo_id, model));
             CREATE INDEX embeddings_not_in_index ON embeddings(model) WHERE in_index = 0;
             CREATE TABLE index_tombstones (photo_id INTEGER NOT NULL, model TEXT NOT NULL,
                 PRIMARY KEY (photo_id, model));
             CREATE INDEX photos_newest_first ON photos(mtime_ns DESC, id DESC);
             PRAGMA user_version = 2;",
        )
        .unwrap();
        old.execute(
            "INSERT INTO folders (id, path) VALUES (3, ?1)",
            [photos.to_str().unwrap().as_bytes()],
        )
        .unwrap();
        for (id, path) in [(7, &a), (9, &b)] {
            let meta = std::fs::metadata(path).unwrap();
            let mtime = meta
                .modified()
                .unwrap()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as i64;
            old.execute(
                "INSERT INTO photos (id, folder_id, path, size, mtime_ns, hash, width, height, preview_state)
                 VALUES (?1, 3, ?2, ?3, ?4, ?5, 40, 30, 'done')",
                rusqlite::params![
                    id,
                    path.to_str().unwrap().as_bytes(),
                    meta.len() as i64,
                    mtime,
                    motis_engine::catalog::content_hash(path).unwrap()
                ],
            )
            .unwrap();
        }
        old.execute(
            "INSERT INTO embeddings (photo_id, model, vector, in_index) VALUES (7, 'm', ?1, 1)",
            [[0u8; 8].as_slice()],
        )
        .unwrap();
        old.execute("INSERT INTO index_tombstones VALUES (5, 'm')", []).unwrap();
    }
    let mut catalog = Catalog::open(&database).unwrap();
    assert_eq!(catalog.folders().unwrap(), vec![photos.clone()]);
    assert_eq!((file_of(&catalog, 7), file_of(&catalog, 9)), (Some(a.clone()), Some(b)));
    assert_eq!(catalog.embedding(7, "m").unwrap(), Some(vec![0.0, 0.0]));
    assert_eq!(catalog.embeddings_not_in_index("m").unwrap(), vec![]);
    assert_eq!(catalog.index_tombstones("m").unwrap(), vec![5]);
    let photo = catalog.photo(7).unwrap().unwrap();
    assert_eq!(
        (photo.width, photo.height, photo.preview),
        (Some(40), Some(30), motis_engine::PreviewState::Done)
    );
    // Dated by the file's time in this device's zone until a scan reads the photo's own.
    let file_time = motis_engine::PhotoDate::at_instant(photo.mtime_ns, motis_engine::DateSource::File);
    assert_eq!(photo.taken.local_seconds(), file_time.local_seconds());
    assert_eq!(photo.taken.source, motis_engine::DateSource::File);
    let undated: Vec<i64> = catalog
        .without_date(&photos)
        .unwrap()
        .into_iter()
        .map(|(id, ..)| id)
        .collect();
    assert_eq!(undated.len(), 2);
    catalog
        .record_dates(&undated.iter().map(|&id| (id, file_time)).collect::<Vec<_>>())
        .unwrap();
    assert!(catalog.without_date(&photos).unwrap().is_empty());
    let report = catalog.reconcile(&photos, &scan(&photos), &[], &reads()).unwrap();
    assert_eq!((report.unchanged, report.added.len(), report.removed.len()), (2, 0, 0));
    // Foreign keys hold again after the migration: removing the folder takes its photos.
    assert_eq!(
        catalog
            .remove_source(&motis_engine::Source::Folder(photos))
            .unwrap()
            .len(),
        2
    );
    assert_eq!(catalog.count(&Filters::default()).unwrap(), 0);
    assert_eq!(catalog.index_tombstones("m").unwrap().len(), 2);
}
