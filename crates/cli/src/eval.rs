//! `motis eval`: Recall@1/5/10 of the chosen model on a Karpathy-format caption file,
//! printed as a table or JSON.

use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::Args;
use motis_engine::{CancellationToken, EngineConfig};
use motis_eval::{Dataset, FOLD, KS, Recalls, Report, evaluate};

use crate::{Cancelled, Global, progress};

#[derive(Args)]
pub struct EvalArgs {
    /// The caption file in Karpathy's JSON format (COCO's dataset_coco.json, Flickr30K's
    /// dataset_flickr30k.json, or motis's rendered test split).
    #[arg(value_name = "CAPTIONS.json")]
    captions: PathBuf,
    /// The folder image paths start from (DIR/filepath/filename) [default: the caption
    /// file's folder].
    #[arg(long, value_name = "DIR")]
    images: Option<PathBuf>,
    /// Which split to evaluate.
    #[arg(long, default_value = "test")]
    split: String,
    #[arg(long)]
    json: bool,
}

/// The split's own data folder under the data folder's `eval/`: a second evaluation with
/// the same model encodes nothing again, and the person's library stays untouched.
fn work_folder(data_dir: &Path, captions: &Path, split: &str) -> PathBuf {
    let absolute = std::fs::canonicalize(captions).unwrap_or_else(|_| captions.to_owned());
    let mut hasher = std::hash::DefaultHasher::new();
    absolute.hash(&mut hasher);
    split.hash(&mut hasher);
    let stem = captions.file_stem().unwrap_or_default().to_string_lossy();
    data_dir
        .join("eval")
        .join(format!("{stem}-{split}-{:016x}", hasher.finish()))
}

pub fn run(global: &Global, args: EvalArgs, out: &mut impl Write) -> Result<()> {
    let images = match &args.images {
        Some(dir) => dir.clone(),
        None => args.captions.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let dataset = Dataset::read(&args.captions, &images, &args.split)?;
    let data_dir = crate::data_dir(global)?;
    let config = EngineConfig {
        data_dir: work_folder(&data_dir, &args.captions, &args.split),
        models: crate::model_folders(global, false)?,
        model: global.model.clone(),
        threads: global.threads,
    };
    eprintln!(
        "{} images and {} captions of split {:?}",
        dataset.images.len(),
        dataset.captions.len(),
        args.split
    );
    let reporter = Arc::new(progress::Reporter::new());
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let cancel = CancellationToken::new();
    let report = runtime.block_on(async {
        let on_interrupt = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_interrupt.cancel();
            }
        });
        let shown = Arc::clone(&reporter);
        evaluate(&config, &dataset, &args.split, cancel.clone(), move |event| {
            shown.show(&event)
        })
        .await
    });
    if cancel.is_cancelled() {
        return Err(Cancelled.into());
    }
    let report = report?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        print_table(&report, out)?;
    }
    Ok(())
}

fn print_table(report: &Report, out: &mut impl Write) -> Result<()> {
    writeln!(
        out,
        "{} on split {:?}: {} images, {} captions (indexing {:.1} s, captions {:.1} s)",
        report.model, report.split, report.images, report.captions, report.index_seconds, report.text_seconds
    )?;
    let ks: Vec<String> = KS.iter().map(|k| format!("R@{k:<3}")).collect();
    writeln!(out, "{:<18}{:<24}image→text", "", "text→image")?;
    writeln!(out, "{:<18}{}   {}", "", ks.join(" "), ks.join(" "))?;
    let whole = if report.images == 5 * FOLD {
        "5K".to_owned()
    } else {
        format!("{} images", report.images)
    };
    let mut row = |label: &str, r: &Recalls| -> std::io::Result<()> {
        let cells = |values: &[f64; 3]| values.iter().map(|v| format!("{v:<6.3}")).collect::<Vec<_>>().join(" ");
        writeln!(
            out,
            "{label:<18}{}   {}",
            cells(&r.text_to_image),
            cells(&r.image_to_text)
        )
    };
    row(&whole, &report.whole)?;
    if let Some(folds) = &report.folds {
        row(&format!("1K ({} folds)", report.images / FOLD), folds)?;
    }
    Ok(())
}
