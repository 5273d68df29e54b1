//! A model downloaded into a models folder: the files it needs picked from the snapshot,
//! the small ones first so that a model motis cannot run is refused before its towers are
//! fetched, every file verified in a hidden staging folder that survives an interrupted
//! run (and is resumed by the next), then installed through motis-embed's checks.

use std::path::{Path, PathBuf};
use std::time::Duration;

use motis_embed::{ClipTokenizer, Model, ModelSource, Provenance, Runtime};
use serde::{Deserialize, Serialize};

use crate::fetch::part_path;
use crate::{Hub, HubError, RepoFile, Snapshot};

/// What to download, and as which model id.
#[derive(Clone, Debug)]
pub struct DownloadRequest {
    pub repo: String,
    pub revision: String,
    pub id: String,
    /// The licence to record when the model card states none (the short list's).
    pub licence: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
}

/// How a download goes, for a progress bar or `--json` lines.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum DownloadEvent {
    /// The revision is resolved and the files chosen; `present` bytes are there already
    /// (verified, or a part an earlier run left).
    Resolved {
        repo: String,
        commit: String,
        files: usize,
        bytes: u64,
        present: u64,
    },
    /// Bytes of the whole download on disk so far.
    Bytes { done: u64, total: u64 },
    Retrying {
        path: String,
        attempt: u32,
        wait_ms: u64,
        cause: String,
    },
    /// Every file is verified: the towers and tokenizer are being checked.
    Checking,
}

/// The id a model from `repo` gets unless one is given: its name in lower case,
/// `ViT-B-16__openai` → `vit-b-16-openai`.
pub fn model_id_for_repo(repo: &str) -> String {
    let name = repo.rsplit('/').next().unwrap_or(repo).to_lowercase();
    let mut id = String::with_capacity(name.len());
    for c in name.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '.' { c } else { '-' };
        if !(c == '-' && id.ends_with('-')) {
            id.push(c);
        }
    }
    id.trim_matches('-').to_owned()
}

/// The files a CLIP model in Immich's layout needs: its configuration and what sits
/// directly in `visual/` and `textual/`, without the builds for other accelerators.
fn needed(files: &[RepoFile]) -> Vec<RepoFile> {
    files
        .iter()
        .filter(|file| {
            let parts: Vec<&str> = file.path.split('/').collect();
            match parts.as_slice() {
                ["config.json"] => true,
                // A name that is not a plain file name would land outside the model's folder.
                ["visual" | "textual", name] => {
                    !matches!(*name, "" | "." | "..")
                        && !name.contains('\\')
                        && !name.ends_with(".armnn")
                        && !name.ends_with(".rknn")
                }
                _ => false,
            }
        })
        .cloned()
        .collect()
}

const REQUIRED: &[&str] = &[
    "config.json",
    "visual/model.onnx",
    "visual/preprocess_cfg.json",
    "textual/model.onnx",
    "textual/tokenizer.json",
];

/// What a staging folder was started for: a later run resumes it only for the same.
#[derive(Deserialize, Serialize, PartialEq)]
struct Started {
    endpoint: String,
    repo: String,
    commit: String,
    /// The bytes of the files it fetches, for [`interrupted_downloads`] to tell how far
    /// it got.
    #[serde(default)]
    bytes: u64,
}

/// A download that stopped before its model was installed (the app quit, the network
/// went, a Cancel that kept its files): the next download of the same id resumes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Interrupted {
    pub id: String,
    pub repo: String,
    /// Bytes on disk (verified files and the part being fetched) of `total`.
    pub present: u64,
    pub total: u64,
}

/// The downloads into `models_dir` that stopped before they were installed.
pub fn interrupted_downloads(models_dir: &Path) -> Vec<Interrupted> {
    let Ok(entries) = std::fs::read_dir(models_dir) else {
        return Vec::new();
    };
    let mut found: Vec<Interrupted> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let id = name.strip_prefix('.')?.strip_suffix(".downloading.json")?.to_owned();
            let started: Started = serde_json::from_slice(&std::fs::read(entry.path()).ok()?).ok()?;
            let staging = staging_for(models_dir, &id);
            Some(Interrupted {
                present: bytes_under(&staging).min(started.bytes),
                total: started.bytes,
                repo: started.repo,
                id,
            })
        })
        .collect();
    found.sort_by(|a, b| a.id.cmp(&b.id));
    found
}

/// Delete what an interrupted download of `id` left in `models_dir` (a Cancel that
/// frees the disk). Nothing installed is touched.
pub fn discard_download(models_dir: &Path, id: &str) -> Result<(), HubError> {
    let staging = staging_for(models_dir, id);
    let write = |path: &Path, source| HubError::Write {
        path: path.to_owned(),
        source,
    };
    match std::fs::remove_dir_all(&staging) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(write(&staging, e)),
        _ => {}
    }
    let record = record_for(&staging);
    match std::fs::remove_file(&record) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(write(&record, e)),
        _ => Ok(()),
    }
}

fn bytes_under(folder: &Path) -> u64 {
    std::fs::read_dir(folder).map_or(0, |entries| {
        entries
            .flatten()
            .map(|entry| match entry.file_type() {
                Ok(kind) if kind.is_dir() => bytes_under(&entry.path()),
                _ => entry.metadata().map_or(0, |m| m.len()),
            })
            .sum()
    })
}

/// Where a download waits until it is installed: hidden, so never listed as a model, and
/// beside the models, so that it sees their shared tokenizers and moves into place.
fn staging_for(models_dir: &Path, id: &str) -> PathBuf {
    models_dir.join(format!(".{id}.downloading"))
}

/// What the staging folder was started for, beside it (not a file of the model).
fn record_for(staging: &Path) -> PathBuf {
    staging.with_extension("downloading.json")
}

/// Download `request` from `hub` into `models_dir` and install it. An interrupted or
/// failed download leaves its verified files and the part of the file it was fetching
/// for the next run to resume; a damaged file is deleted; a full disk, or a model that
/// fails its checks, leaves nothing.
pub fn download_model(
    hub: &Hub,
    runtime: &Runtime,
    request: &DownloadRequest,
    models_dir: &Path,
    on_event: &mut dyn FnMut(DownloadEvent),
) -> Result<Model, HubError> {
    // An id taken already is refused before anything is asked of the Hub.
    motis_embed::install_target(models_dir, &request.id)?;
    let snapshot = hub.snapshot(&request.repo, &request.revision)?;
    let files = needed(&snapshot.files);
    let unsupported = |reason: String| HubError::Unsupported {
        repo: request.repo.clone(),
        reason,
    };
    if let Some(missing) = REQUIRED.iter().find(|path| !files.iter().any(|f| f.path == **path)) {
        return Err(unsupported(format!(
            "not a CLIP model in Immich's layout: it has no {missing} at commit {}",
            snapshot.commit
        )));
    }
    let staging = staging_for(models_dir, &request.id);
    let result = fetch_all(hub, &snapshot, &files, &staging, on_event).and_then(|()| {
        on_event(DownloadEvent::Checking);
        let source = ModelSource {
            endpoint: hub.endpoint().to_owned(),
            repo: snapshot.repo.clone(),
            revision: snapshot.revision.clone(),
            commit: snapshot.commit.clone(),
        };
        let provenance = Provenance {
            name: request.name.clone().unwrap_or_else(|| snapshot.repo.clone()),
            description: request.description.clone().unwrap_or_else(|| {
                format!(
                    "Downloaded by `motis models download` from {}/{}.",
                    hub.endpoint(),
                    snapshot.repo
                )
            }),
            licence: snapshot
                .licence
                .clone()
                .or_else(|| request.licence.clone())
                .unwrap_or_else(|| "see the model's repository".to_owned()),
            source: Some(source),
        };
        // Each large file was checked against the Hub's sha256 before it got its name.
        let checked = files
            .iter()
            .filter_map(|file| Some((file.path.clone(), file.sha256.clone()?)))
            .collect();
        Ok(motis_embed::install_staged(
            runtime,
            &staging,
            models_dir,
            &request.id,
            provenance,
            &checked,
        )?)
    });
    match &result {
        Ok(_) => {
            let _ = std::fs::remove_file(record_for(&staging));
        }
        // Worth resuming: what is verified stays, and the part being fetched.
        Err(
            HubError::Network { .. }
            | HubError::Status { .. }
            | HubError::Corrupt { .. }
            | HubError::NotFound { .. }
            | HubError::Cancelled,
        ) => {}
        Err(_) => {
            let _ = std::fs::remove_dir_all(&staging);
            let _ = std::fs::remove_file(record_for(&staging));
        }
    }
    result
}

fn fetch_all(
    hub: &Hub,
    snapshot: &Snapshot,
    files: &[RepoFile],
    staging: &Path,
    on_event: &mut dyn FnMut(DownloadEvent),
) -> Result<(), HubError> {
    let started = Started {
        endpoint: hub.endpoint().to_owned(),
        repo: snapshot.repo.clone(),
        commit: snapshot.commit.clone(),
        bytes: files.iter().map(|f| f.size).sum(),
    };
    let record = record_for(staging);
    let same = std::fs::read(&record)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Started>(&bytes).ok())
        .is_some_and(|earlier| earlier == started);
    let write = |path: &Path, source| HubError::Write {
        path: path.to_owned(),
        source,
    };
    if !same {
        // Another commit (or nothing): what is there is not part of this download.
        if staging.exists() {
            std::fs::remove_dir_all(staging).map_err(|e| write(staging, e))?;
        }
        std::fs::create_dir_all(staging).map_err(|e| write(staging, e))?;
        std::fs::write(&record, serde_json::to_vec(&started).expect("serialises")).map_err(|e| write(&record, e))?;
    }
    let on_disk = |file: &RepoFile| {
        let target = staging.join(&file.path);
        std::fs::metadata(&target)
            .or_else(|_| std::fs::metadata(part_path(&target)))
            .map_or(0, |m| m.len().min(file.size))
    };
    let total: u64 = files.iter().map(|f| f.size).sum();
    let mut done: u64 = files.iter().map(on_disk).sum();
    on_event(DownloadEvent::Resolved {
        repo: snapshot.repo.clone(),
        commit: snapshot.commit.clone(),
        files: files.len(),
        bytes: total,
        present: done,
    });
    // Small files first: the tokenizer and configuration decide whether the towers are
    // worth fetching.
    let mut order: Vec<&RepoFile> = files.iter().collect();
    order.sort_by_key(|f| (f.size, f.path.clone()));
    // Both callbacks tell the caller; one at a time.
    let on_event = std::cell::RefCell::new(on_event);
    for file in order {
        let target = staging.join(&file.path);
        if target.is_file() {
            continue;
        }
        let others = done - on_disk(file);
        hub.fetch_file(
            snapshot,
            file,
            &target,
            &mut |position| {
                (on_event.borrow_mut())(DownloadEvent::Bytes {
                    done: others + position,
                    total,
                })
            },
            &mut |attempt, wait: Duration, cause| {
                (on_event.borrow_mut())(DownloadEvent::Retrying {
                    path: file.path.clone(),
                    attempt,
                    wait_ms: wait.as_millis() as u64,
                    cause: cause.to_owned(),
                })
            },
        )?;
        done = others + file.size;
        if file.path == "textual/tokenizer.json" || file.path == "config.json" {
            runnable(snapshot, staging)?;
        }
    }
    Ok(())
}

/// Refuse, before the towers are fetched, a model whose tokenizer motis cannot run.
fn runnable(snapshot: &Snapshot, folder: &Path) -> Result<(), HubError> {
    let refuse = |reason: String| HubError::Unsupported {
        repo: snapshot.repo.clone(),
        reason,
    };
    let config = folder.join("config.json");
    if let Ok(text) = std::fs::read_to_string(&config) {
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| HubError::Protocol {
            url: config.display().to_string(),
            reason: e.to_string(),
        })?;
        let text_cfg = value.get("text_cfg").or_else(|| value.pointer("/model_cfg/text_cfg"));
        if let Some(name) = text_cfg
            .and_then(|t| t.get("hf_tokenizer_name"))
            .and_then(|n| n.as_str())
        {
            return Err(refuse(format!(
                "its text tower uses the {name} tokenizer (SigLIP's or a multilingual one); motis runs CLIP's BPE tokenizer only, so nothing more was downloaded"
            )));
        }
    }
    let tokenizer = folder.join("textual").join("tokenizer.json");
    if tokenizer.is_file() {
        let clip = ClipTokenizer::from_file(&tokenizer, 77).map(|t| t.has_clip_special_tokens());
        if !matches!(clip, Ok(true)) {
            return Err(refuse(
                "its tokenizer is not CLIP's BPE tokenizer (no <|startoftext|> and <|endoftext|>); motis runs CLIP's only, so nothing more was downloaded".to_owned(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str) -> RepoFile {
        RepoFile {
            path: path.to_owned(),
            size: 1,
            blob_sha1: String::new(),
            sha256: None,
        }
    }

    #[test]
    fn only_what_the_model_needs_is_fetched_and_nothing_named_outside_its_folder() {
        let files = [
            ".gitattributes",
            "README.md",
            "config.json",
            "visual/model.onnx",
            "visual/preprocess_cfg.json",
            "visual/fp16/model.armnn",
            "visual/rk3566/model.rknn",
            "visual/model.armnn",
            "textual/model.onnx",
            "textual/tokenizer.json",
            "textual/model.rknn",
            "visual/..",
            "textual/.",
            "visual/",
            "textual/..\\config.json",
        ]
        .map(file);
        let paths: Vec<String> = needed(&files).into_iter().map(|f| f.path).collect();
        assert_eq!(
            paths,
            [
                "config.json",
                "visual/model.onnx",
                "visual/preprocess_cfg.json",
                "textual/model.onnx",
                "textual/tokenizer.json"
            ]
        );
    }

    #[test]
    fn ids_come_from_the_repository_name() {
        assert_eq!(model_id_for_repo("immich-app/ViT-B-16__openai"), "vit-b-16-openai");
        assert_eq!(
            model_id_for_repo("immich-app/ViT-B-32__laion2b-s34b-b79k"),
            "vit-b-32-laion2b-s34b-b79k"
        );
    }
}
