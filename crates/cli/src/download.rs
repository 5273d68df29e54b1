//! `motis models download`: a model from the Hub, with a progress bar (bytes, rate, time
//! left) on a terminal, or with `--json` one JSON line per event and then one with the
//! manifest.

use std::io::{IsTerminal, Write};

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use motis_engine::ModelFolders;
use motis_hub::{DownloadEvent, DownloadRequest, Hub, download_model, find_available, model_id_for_repo};

pub fn run(
    models: &ModelFolders,
    model: &str,
    revision: &str,
    id: Option<String>,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let request = match find_available(model) {
        Some(known) => known.request(revision, id),
        None if model.split('/').count() == 2 && !model.starts_with('/') => DownloadRequest {
            repo: model.to_owned(),
            revision: revision.to_owned(),
            id: id.unwrap_or_else(|| model_id_for_repo(model)),
            licence: None,
            name: None,
            description: None,
        },
        None => anyhow::bail!(
            "{model:?} is neither a name from `motis models available` ({}) nor a repository (OWNER/NAME)",
            motis_hub::AVAILABLE
                .iter()
                .map(|m| m.name)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    models.check_free(&request.id)?;
    let hub = Hub::from_env();
    let runtime = motis_embed::Runtime::load()?;
    let bar = (!json && std::io::stderr().is_terminal()).then(|| {
        ProgressBar::new(0).with_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}, {eta} left")
                .expect("a valid template")
                .progress_chars("=> "),
        )
    });
    let mut written = Ok(());
    let model = download_model(&hub, &runtime, &request, models.installed(), &mut |event| {
        if json {
            // One line per event, as it happens.
            if written.is_ok() {
                written = writeln!(out, "{}", serde_json::to_string(&event).expect("events serialise"))
                    .and_then(|()| out.flush());
            }
            return;
        }
        match (&event, &bar) {
            (
                DownloadEvent::Resolved {
                    repo,
                    commit,
                    bytes,
                    present,
                    ..
                },
                _,
            ) => {
                eprintln!(
                    "{repo} at {}: {:.1} MB to fetch",
                    &commit[..12],
                    (bytes - present) as f64 / 1e6
                );
                if let Some(bar) = &bar {
                    bar.set_length(*bytes);
                    bar.set_position(*present);
                    bar.set_message("downloading");
                }
            }
            (DownloadEvent::Bytes { done, .. }, Some(bar)) => bar.set_position(*done),
            (
                DownloadEvent::Retrying {
                    path,
                    attempt,
                    wait_ms,
                    cause,
                },
                _,
            ) => {
                let line = format!("{path}: {cause}; try {attempt} in {:.1} s", *wait_ms as f64 / 1000.0);
                match &bar {
                    Some(bar) => bar.println(line),
                    None => eprintln!("{line}"),
                }
            }
            (DownloadEvent::Checking, _) => {
                if let Some(bar) = &bar {
                    bar.finish_and_clear();
                }
                eprintln!("checking the towers and the tokenizer");
            }
            _ => {}
        }
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    written?;
    let model = model?;
    if json {
        // One line, as the progress lines before it.
        writeln!(out, "{}", serde_json::to_string(&model.manifest)?)?;
    } else {
        writeln!(
            out,
            "installed {} into {} ({}): search with --model {}",
            request.repo,
            model.folder.display(),
            model.manifest.licence,
            model.manifest.id
        )?;
    }
    Ok(())
}
