//! Towers as ONNX Runtime optimises them, saved once into a folder the caller names (the
//! engine's data folder) with their weights in a file of their own, which ONNX Runtime
//! memory-maps: loading such a copy skips parsing and copying hundreds of megabytes of
//! weights and most of the graph optimisations (ViT-B/32's 255 MB text tower: about
//! 300 ms to 90 ms on this machine, scripts/bench-startup).
//!
//! A copy is saved at the "extended" level, which ONNX Runtime keeps independent of the
//! CPU (the layout changes that depend on it run at each load), and named by the model,
//! the tower, the original file's sha256 and the ONNX Runtime build, so that a changed
//! model or runtime makes a new one (and the tower's old ones are deleted). Each copy is
//! made in a staging folder renamed into place and checked at load against the sha256s
//! written beside it, through a [`VerifiedFiles`] record: a copy that is damaged,
//! half-made or will not load is made again, and one that cannot be made (a read-only or
//! full disk) leaves the tower running from its own file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use sha2::{Digest, Sha256};

use crate::{EmbedError, Model, Runtime, VerifiedFiles};

const GRAPH: &str = "model.onnx";
const WEIGHTS: &str = "model.onnx.data";
const SUMS: &str = "sha256.json";

/// Open `tower_file` of `model` from its optimised copy in `folder`, making the copy
/// first when there is none that checks out.
pub(crate) fn open_session(
    runtime: &Runtime,
    folder: &Path,
    model: &Model,
    tower_file: &Path,
    threads: usize,
) -> Result<Session, EmbedError> {
    let Some(sha256) = model
        .manifest
        .files
        .iter()
        .find(|file| model.folder.join(&file.path) == tower_file)
        .map(|file| file.sha256.as_str())
    else {
        return crate::encoder::open_session(runtime, tower_file, threads);
    };
    let prefix = format!(
        "{}.{}.",
        model.manifest.id,
        tower_file.file_stem().unwrap_or_default().to_string_lossy()
    );
    let build: String = Sha256::digest(ort::info())
        .iter()
        .take(4)
        .map(|b| format!("{b:02x}"))
        .collect();
    let copy = folder.join(format!("{prefix}{}.{build}", &sha256[..sha256.len().min(16)]));
    let mut record = VerifiedFiles::load(&folder.join("verified.json"));
    if checks_out(&copy, &mut record)
        && let Ok(session) = crate::encoder::open_session(runtime, &copy.join(GRAPH), threads)
    {
        let _ = record.save();
        return Ok(session);
    }
    let _ = std::fs::remove_dir_all(&copy);
    if make(runtime, tower_file, &copy, &mut record).is_ok() {
        remove_older_copies(folder, &prefix, &copy);
        let _ = record.save();
        if let Ok(session) = crate::encoder::open_session(runtime, &copy.join(GRAPH), threads) {
            return Ok(session);
        }
    }
    crate::encoder::open_session(runtime, tower_file, threads)
}

/// Whether `copy` holds both files with the sha256s saved beside them.
fn checks_out(copy: &Path, record: &mut VerifiedFiles) -> bool {
    let Some(sums) = std::fs::read(copy.join(SUMS))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<BTreeMap<String, String>>(&bytes).ok())
    else {
        return false;
    };
    [GRAPH, WEIGHTS].iter().all(|name| {
        sums.get(*name)
            .is_some_and(|expected| record.sha256(&copy.join(name)).is_ok_and(|actual| &actual == expected))
    })
}

/// Let ONNX Runtime optimise `tower_file` and save the result into `copy`, through a
/// staging folder of this process's own; `record` learns the new files' sha256s.
fn make(
    runtime: &Runtime,
    tower_file: &Path,
    copy: &Path,
    record: &mut VerifiedFiles,
) -> Result<(), Box<dyn std::error::Error>> {
    let staging = PathBuf::from(format!("{}.partial-{}", copy.display(), std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging)?;
    let made = (|| -> Result<(), Box<dyn std::error::Error>> {
        Session::builder(&runtime.environment)?
            .with_optimization_level(GraphOptimizationLevel::Level2)?
            // This session only writes the copy and never runs: weights packed for the
            // CPU's kernels would be a second copy of them held for nothing (ViT-B/32's
            // image tower: peak 732 MB with packing, 406 MB without).
            .with_config_entry("session.disable_prepacking", "1")?
            .with_optimized_model_path(staging.join(GRAPH))?
            .with_config_entry("session.optimized_model_external_initializers_file_name", WEIGHTS)?
            .with_config_entry(
                "session.optimized_model_external_initializers_min_size_in_bytes",
                "1024",
            )?
            .commit_from_file(tower_file)?;
        let mut sums = BTreeMap::new();
        for name in [GRAPH, WEIGHTS] {
            sums.insert(name, crate::manifest::sha256_hex(&staging.join(name))?);
        }
        std::fs::write(staging.join(SUMS), serde_json::to_vec(&sums)?)?;
        std::fs::rename(&staging, copy)?;
        for (name, sha256) in &sums {
            record.remember(&copy.join(name), sha256);
        }
        Ok(())
    })();
    if made.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    made
}

/// The tower's copies for other files or runtimes, and staging folders left by a crash.
fn remove_older_copies(folder: &Path, prefix: &str, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path != keep && entry.file_name().to_string_lossy().starts_with(prefix) {
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}
