use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use motis_engine::{CancellationToken, Engine, EngineConfig, IndexEvent, IndexOptions};
use serde::Serialize;

use crate::{Dataset, EvalError, Recalls, recalls, recalls_by_fold};

/// Captions per call of the text tower.
const TEXT_BATCH: usize = 64;

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The model id and the start of its weights' sha256.
    pub model: String,
    pub split: String,
    pub images: usize,
    pub captions: usize,
    /// The indexing run over the split (scan, previews, encoding); near 0 when a
    /// previous evaluation with the same model already encoded it.
    pub index_seconds: f64,
    pub text_seconds: f64,
    /// The whole split: "5K" for COCO's test split.
    pub whole: Recalls,
    /// The 1K protocol: the mean over folds of 1,000 consecutive images.
    #[serde(rename = "1K")]
    pub folds: Option<Recalls>,
}

/// Where the split's images appear to the engine: one link per image, named by its
/// position, so that duplicate file names in different folders stay apart.
fn link_photos(dataset: &Dataset, folder: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let work = |source| EvalError::Work {
        path: folder.to_owned(),
        source,
    };
    let missing: Vec<&PathBuf> = dataset.images.iter().filter(|p| !p.is_file()).collect();
    if let Some(first) = missing.first() {
        return Err(EvalError::Images {
            count: missing.len(),
            path: first.to_path_buf(),
            cause: "no such file".to_owned(),
        });
    }
    if folder.exists() {
        std::fs::remove_dir_all(folder).map_err(work)?;
    }
    std::fs::create_dir_all(folder).map_err(work)?;
    dataset
        .images
        .iter()
        .enumerate()
        .map(|(i, image)| {
            let extension = image.extension().map(|e| e.to_string_lossy()).unwrap_or_default();
            let link = folder.join(format!("{i:06}.{extension}"));
            let target = std::path::absolute(image).map_err(work)?;
            link_file(&target, &link).map_err(work)?;
            Ok(link)
        })
        .collect()
}

#[cfg(unix)]
fn link_file(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn link_file(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::copy(target, link).map(drop)
}

/// Encode `dataset` with the model of `config` through the engine's indexing pipeline
/// (data folder `config.data_dir`, kept so that a second evaluation with the same model
/// encodes nothing again), encode its captions, and measure recall both ways.
pub async fn evaluate(
    config: &EngineConfig,
    dataset: &Dataset,
    split: &str,
    cancel: CancellationToken,
    events: impl Fn(IndexEvent) + Send + Sync + 'static,
) -> Result<Report, EvalError> {
    let links = link_photos(dataset, &config.data_dir.join("photos"))?;
    let engine = Arc::new(Engine::open(config)?);

    let failures = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();
    let summary = {
        let failures = Arc::clone(&failures);
        engine
            .index(
                vec![motis_engine::Source::Folder(config.data_dir.join("photos"))],
                IndexOptions::default(),
                cancel.clone(),
                move |event| {
                    if let IndexEvent::ItemFailed { path, cause, .. } = &event {
                        failures
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((path.clone(), cause.clone()));
                    }
                    events(event);
                },
            )
            .await?
    };
    let index_seconds = started.elapsed().as_secs_f64();
    if cancel.is_cancelled() {
        return Err(EvalError::Cancelled);
    }
    let failures = failures.lock().unwrap_or_else(|p| p.into_inner()).clone();
    if let Some((link, cause)) = failures.first() {
        // Name the dataset's file, not the link the engine saw.
        let path = links
            .iter()
            .position(|l| l == link)
            .map_or_else(|| link.clone(), |i| dataset.images[i].clone());
        return Err(EvalError::Images {
            count: summary.failed.max(failures.len()),
            path,
            cause: cause.clone(),
        });
    }

    let images = links
        .iter()
        .map(|link| engine.embedding(engine.photo_id_by_path(link)?))
        .collect::<Result<Vec<_>, _>>()?;
    let started = Instant::now();
    let mut texts = Vec::with_capacity(dataset.captions.len());
    for batch in dataset.captions.chunks(TEXT_BATCH) {
        let batch: Vec<&str> = batch.iter().map(String::as_str).collect();
        texts.extend(engine.encode_texts(&batch)?);
    }
    let text_seconds = started.elapsed().as_secs_f64();

    Ok(Report {
        model: engine.model_key().to_owned(),
        split: split.to_owned(),
        images: images.len(),
        captions: texts.len(),
        index_seconds,
        text_seconds,
        whole: recalls(&texts, &images, &dataset.owner),
        folds: recalls_by_fold(&texts, &images, &dataset.owner),
    })
}
