//! Scanning folder trees: what counts as a photo, links, loops and unreadable parts.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::Path;

use motis_engine::{EngineError, scan_folder};

fn touch(path: &Path) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, b"not really a photo, the scan does not decode").unwrap();
}

fn names(root: &Path) -> Vec<String> {
    let (photos, _) = scan_folder(root).unwrap();
    photos
        .iter()
        .map(|p| p.path.strip_prefix(root).unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn finds_photos_by_extension_in_nested_folders_skipping_hidden_ones() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for name in [
        "a.jpg",
        "B.JPEG",
        "x/c.png",
        "x/y/d.WebP",
        "e.gif",
        "f.bmp",
        "g.tif",
        "h.tiff",
        "notes.txt",
        "raw.cr2",
    ] {
        touch(&root.join(name));
    }
    touch(&root.join(".thumbnails/t.jpg"));
    touch(&root.join(".hidden.jpg"));
    assert_eq!(
        names(root),
        [
            "B.JPEG",
            "a.jpg",
            "e.gif",
            "f.bmp",
            "g.tif",
            "h.tiff",
            "x/c.png",
            "x/y/d.WebP"
        ]
    );
}

#[test]
fn a_symlink_loop_ends_and_linked_photos_count_once_per_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    touch(&root.join("album/p.jpg"));
    symlink(root.join("album"), root.join("album/again")).unwrap();
    symlink(root, root.join("album/up")).unwrap();
    symlink(root.join("album/p.jpg"), root.join("link.jpg")).unwrap();
    assert_eq!(names(root), ["album/p.jpg", "link.jpg"]);
}

#[test]
fn a_dangling_link_is_a_problem_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    touch(&root.join("ok.jpg"));
    symlink(root.join("deleted.jpg"), root.join("dangling.jpg")).unwrap();
    let (photos, problems) = scan_folder(root).unwrap();
    assert_eq!(photos.len(), 1);
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].path, root.join("dangling.jpg"));
}

#[test]
fn names_that_are_not_utf8_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"\xff\xfe photo.jpg");
    touch(&dir.path().join(name));
    let (photos, _) = scan_folder(dir.path()).unwrap();
    assert_eq!(photos[0].path.file_name(), Some(name));
}

#[test]
fn a_missing_or_non_folder_root_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone");
    let error = scan_folder(&missing).unwrap_err();
    assert!(matches!(error, EngineError::Folder { .. }));
    assert!(error.to_string().contains(&missing.display().to_string()), "{error}");
    touch(&dir.path().join("file.jpg"));
    assert!(matches!(
        scan_folder(&dir.path().join("file.jpg")),
        Err(EngineError::Folder { .. })
    ));
}
