//! Damaged data in the data folder: repaired where motis can make it again (the index
//! from the stored embeddings, previews and renditions from the photos), named with the
//! way out where it cannot (the catalog, which holds a person's library).

use std::path::Path;

use motis_engine::{Engine, EngineConfig, ModelFolders, PreviewState};

use crate::pipeline::{captions, copy_gallery, file_name, index_sources_with, open, repo, small_batches};

fn indexed(dir: &Path) -> std::sync::Arc<Engine> {
    copy_gallery(&dir.join("photos"));
    let engine = open(&dir.join("data"));
    let (result, _) = index_sources_with(
        &engine,
        vec![motis_engine::Source::Folder(dir.join("photos"))],
        small_batches(),
        motis_engine::CancellationToken::new(),
        |_| {},
    );
    assert_eq!(result.unwrap().searchable, 10);
    engine
}

/// The demo model on the data folder `data`, as `open` uses it.
pub fn config(data: &Path) -> EngineConfig {
    EngineConfig {
        data_dir: data.to_owned(),
        models: ModelFolders::new(repo().join("models"), None),
        model: "motis-demo".into(),
        threads: 1,
    }
}

fn try_open(data: &Path) -> Result<Engine, motis_engine::EngineError> {
    Engine::open(&config(data))
}

#[test]
fn a_damaged_catalog_is_named_with_the_way_out_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    drop(indexed(dir.path()));
    let catalog = dir.path().join("data/catalog.sqlite");
    let whole = std::fs::read(&catalog).unwrap();
    assert!(whole.len() > 8192, "{} bytes", whole.len());
    for (damage, bytes) in [
        ("garbage", vec![0x5a; whole.len()]),
        ("truncated", whole[..whole.len() / 3].to_vec()),
    ] {
        std::fs::write(&catalog, &bytes).unwrap();
        let message = match try_open(&dir.path().join("data")) {
            Err(error) => error.to_string(),
            Ok(engine) => match engine.status() {
                Err(error) => error.to_string(),
                Ok(status) => panic!("{damage}: opened as if whole: {status:?}"),
            },
        };
        assert!(
            message.contains("catalog.sqlite") && message.contains("damaged") && message.contains("Move it aside"),
            "{damage}: {message}"
        );
        assert_eq!(std::fs::read(&catalog).unwrap(), bytes, "{damage}: never reset");
    }
}

#[test]
fn a_damaged_index_file_is_rebuilt_from_the_stored_embeddings_without_encoding() {
    let dir = tempfile::tempdir().unwrap();
    let engine = indexed(dir.path());
    let index_path = engine.status().unwrap().index_path;
    drop(engine);
    let whole = std::fs::read(&index_path).unwrap();
    for (damage, bytes) in [
        ("truncated", whole[..whole.len() / 2].to_vec()),
        ("empty", Vec::new()),
        ("garbage", vec![0xA5; whole.len()]),
    ] {
        std::fs::write(&index_path, &bytes).unwrap();
        let engine = open(&dir.path().join("data"));
        assert_eq!(engine.status().unwrap().searchable, 10, "{damage}");
        let (name, caption) = &captions()[3];
        let found = match crate::pipeline::search(&engine, caption, 1, motis_engine::SearchMode::Auto) {
            motis_engine::SearchResults::Matches { found, .. } => found,
            other => panic!("{other:?}"),
        };
        assert_eq!(&file_name(&found[0].origin.label()), name, "{damage}");
        let (result, _) = index_sources_with(
            &engine,
            vec![motis_engine::Source::Folder(dir.path().join("photos"))],
            small_batches(),
            motis_engine::CancellationToken::new(),
            |_| {},
        );
        let summary = result.unwrap();
        assert_eq!((summary.encoded, summary.searchable), (0, 10), "{damage}");
    }
}

#[test]
fn lost_or_damaged_previews_and_renditions_are_made_again_for_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let engine = indexed(dir.path());
    let photos: Vec<_> = engine
        .gallery(&motis_engine::Filters::default(), None, 10)
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    let previews: Vec<_> = photos
        .iter()
        .map(|&id| engine.preview_path(id).unwrap().unwrap())
        .collect();
    let rendition = engine.rendition(photos[0], 480).unwrap();
    std::fs::remove_file(&previews[0]).unwrap();
    std::fs::write(&previews[1], b"").unwrap();
    let half = std::fs::read(&previews[2]).unwrap();
    std::fs::write(&previews[2], &half[..half.len() / 2]).unwrap();
    std::fs::write(&rendition, b"\xFF\xD8 not the rest").unwrap();

    for (i, &id) in photos.iter().enumerate().take(4) {
        let path = engine.preview_for_screen(id).unwrap();
        assert!(image::open(&path).is_ok(), "preview {i} is whole again");
        assert_eq!(engine.photo(id).unwrap().preview, PreviewState::Done);
    }
    assert!(image::open(engine.rendition(photos[0], 480).unwrap()).is_ok());
}
