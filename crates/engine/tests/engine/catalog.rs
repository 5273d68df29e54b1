//! The catalog across rescans: new, unchanged, changed, moved and deleted photos.

use std::path::{Path, PathBuf};

use motis_engine::{Catalog, ScanEntry, scan_folder};

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

    let first = catalog.reconcile(&photos, &scan(&photos), &[]).unwrap();
    assert_eq!(first.added.len(), 3);
    let id_of = |catalog: &Catalog, path: &Path| {
        first
            .added
            .iter()
            .copied()
            .find(|&id| catalog.photo_path(id).unwrap().as_deref() == Some(path))
            .unwrap()
    };
    let (id_a, id_b, id_c) = (id_of(&catalog, &a), id_of(&catalog, &b), id_of(&catalog, &c));
    for id in [id_a, id_b, id_c] {
        catalog.store_embedding(id, "motis-demo", &[id as f32, 0.5]).unwrap();
    }

    let again = catalog.reconcile(&photos, &scan(&photos), &[]).unwrap();
    assert_eq!((again.unchanged, again.added.len(), again.removed.len()), (3, 0, 0));

    // b renamed, c deleted, a rewritten with new content, d new.
    let renamed = photos.join("renamed b.jpg");
    std::fs::rename(&b, &renamed).unwrap();
    std::fs::remove_file(&c).unwrap();
    std::fs::write(&a, b"photo a, edited and longer").unwrap();
    write(photos.join("d.jpg"), b"photo d");
    let report = catalog.reconcile(&photos, &scan(&photos), &[]).unwrap();
    assert_eq!(report.moved, vec![id_b]);
    assert_eq!(report.removed, vec![id_c]);
    assert_eq!(report.changed, vec![id_a]);
    assert_eq!(report.added.len(), 1);
    assert_eq!(catalog.photo_path(id_b).unwrap(), Some(renamed));
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
    assert_eq!(catalog.photo_path(id_c).unwrap(), None);
    let mut expected = vec![id_a, report.added[0]];
    expected.sort();
    assert_eq!(
        catalog.unencoded("motis-demo").unwrap(),
        vec![],
        "nothing is encoded before its preview"
    );
    let previews: Vec<_> = expected.iter().map(|&id| (id, 4, 3, 1)).collect();
    catalog.record_previews(&previews, &[]).unwrap();
    let mut todo: Vec<_> = catalog
        .unencoded("motis-demo")
        .unwrap()
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    todo.sort();
    assert_eq!(todo, expected);
    // The saved index may still hold the old vectors of the changed and the deleted photo.
    let mut tombstones = catalog.index_tombstones("motis-demo").unwrap();
    tombstones.sort();
    let mut dropped = vec![id_a, id_c];
    dropped.sort();
    assert_eq!(tombstones, dropped);
}

#[test]
fn a_photo_moved_to_another_folder_keeps_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    std::fs::create_dir(&one).unwrap();
    std::fs::create_dir(&two).unwrap();
    let photo = write(one.join("x.jpg"), b"a photo that moves");
    let mut catalog = Catalog::open(&dir.path().join("catalog.sqlite")).unwrap();
    let id = catalog.reconcile(&one, &scan(&one), &[]).unwrap().added[0];
    std::fs::rename(&photo, two.join("x.jpg")).unwrap();
    let report = catalog.reconcile(&two, &scan(&two), &[]).unwrap();
    assert_eq!(report.moved, vec![id]);
    assert_eq!(
        catalog.reconcile(&one, &scan(&one), &[]).unwrap().removed,
        Vec::<i64>::new()
    );
    assert_eq!(catalog.photo_count().unwrap(), 1);
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
    let report = catalog.reconcile(&photos, &entries, &[]).unwrap();
    assert_eq!(report.added.len(), 1);
    assert_eq!(catalog.photo_path(report.added[0]).unwrap(), Some(kept));
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
        .reconcile(&photos, &scan(&photos), &[])
        .unwrap()
        .added[0];
    let reopened = Catalog::open(&database).unwrap();
    assert_eq!(reopened.photo_path(id).unwrap(), Some(path));
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
