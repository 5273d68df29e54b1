//! `motis`: offline semantic photo search from the command line.

mod bench;
mod download;
mod eval;
mod progress;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use motis_embed::{ImageEncoder, Model, TextEncoder};
use motis_engine::{
    CancellationToken, DataDir, Engine, EngineConfig, EngineError, ErrorCode, IndexChoice, IndexOptions, ModelFolders,
    PhotoDate, Query, SearchMode, SearchOptions, SearchResults, Sort, Source, Subject, find_shipped_models,
};
use motis_media::{Preprocessor, decode_upright};

#[derive(Parser)]
#[command(name = "motis", version, about = "Offline semantic photo search")]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Global {
    /// Model id: a folder under the models directory.
    #[arg(long, global = true, default_value = "motis-demo")]
    model: String,
    /// Where models are installed (downloads, imports) and looked for first [default:
    /// models/ in the data folder]. The models motis ships with are looked for too:
    /// $MOTIS_MODELS, else the nearest models/ folder above the working directory or
    /// the executable.
    #[arg(long, global = true, value_name = "DIR")]
    models_dir: Option<PathBuf>,
    /// Where the catalog, previews and indexes live [default: $XDG_DATA_HOME/motis,
    /// else ~/.local/share/motis].
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Threads each ONNX Runtime session may use.
    #[arg(long, global = true, default_value_t = 2)]
    threads: usize,
}

#[derive(Subcommand)]
enum Command {
    /// Add folders (or, with none, rescan the known ones): make previews, then encode
    /// new and changed photos. Ctrl-C stops cleanly; the next run goes on from there.
    Index {
        #[arg(value_name = "DIR")]
        folders: Vec<PathBuf>,
        /// How often the index file is saved while encoding. Nothing encoded is lost
        /// in between (the catalog keeps it); a save makes the next start quicker.
        #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
        save_interval: f64,
        /// The index strategy for this data folder from now on: auto (chosen by the
        /// library's size), flat, ivf, rp-forest or hnsw. A change builds the index again
        /// from the stored embeddings; no photo is encoded again.
        #[arg(long, value_name = "STRATEGY")]
        strategy: Option<IndexChoice>,
        /// Read again the photos skipped because reading them stopped motis twice
        /// (`motis failed` lists them), each alone first. Other failed photos are tried
        /// again by every run.
        #[arg(long)]
        retry_failed: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Photos matching a query, best first: words, `+` and `-` between terms (`dog -
    /// leash`), weights (`2:dog`), photos (`photo:ID`, or a path), and filters
    /// (`after:2024-06`, `before:2024-09`, `on:2024`, `in:FOLDER`). `reset` (or an empty
    /// text) lists the gallery; filters alone list the photos they allow.
    Search {
        /// May start with `-` (`-leash dog`).
        #[arg(allow_hyphen_values = true)]
        text: String,
        #[command(flatten)]
        results: ResultOptions,
    },
    /// Photos like a given one (a catalog id or a path; a photo motis has not indexed is
    /// encoded for the search).
    Similar {
        #[arg(value_name = "PHOTO|ID")]
        photo: String,
        #[command(flatten)]
        results: ResultOptions,
    },
    /// Counts of photos, previews, encoded and failed photos, and the index size.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// The photos that could not be previewed or encoded, with the cause.
    Failed {
        #[arg(long)]
        json: bool,
    },
    /// List the installed models (the default), verify their files, import one, or
    /// download one.
    Models {
        #[command(subcommand)]
        action: Option<ModelsCommand>,
        #[arg(long, global = true)]
        json: bool,
    },
    /// Print the token ids the text tower receives for a text.
    Tokenize {
        text: String,
        #[arg(long)]
        json: bool,
    },
    /// Print the normalised embedding of a text or of a photo.
    Embed {
        #[arg(long, conflicts_with = "image", required_unless_present = "image")]
        text: Option<String>,
        #[arg(long, value_name = "FILE")]
        image: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Recall@1/5/10 text→image and image→text on a caption file in Karpathy's JSON
    /// format (COCO, Flickr30K), for the whole split and the 1K protocol, with photos
    /// encoded by the indexing pipeline.
    Eval(eval::EvalArgs),
    /// Measure indexing throughput against the model alone, preview speed, query latency
    /// and peak memory, on DIR (default: a generated gallery).
    Bench(bench::BenchArgs),
}

#[derive(Args)]
struct ResultOptions {
    /// The most results: fewer are printed where the scores fall away (the cut-off).
    #[arg(short, default_value_t = 20)]
    k: usize,
    /// Print the best K whatever their scores, not only those that stand out.
    #[arg(long)]
    no_cutoff: bool,
    /// The order of the results: score (best first), newest or oldest (by when each
    /// photo was taken).
    #[arg(long, default_value = "score", value_name = "ORDER")]
    sort: Sort,
    /// Compare with every photo instead of walking the index graph.
    #[arg(long)]
    exact: bool,
    #[arg(long)]
    json: bool,
}

impl ResultOptions {
    fn search(&self) -> SearchOptions {
        SearchOptions {
            k: self.k,
            mode: if self.exact {
                SearchMode::Exact
            } else {
                SearchMode::Auto
            },
            sort: self.sort,
        }
    }
}

#[derive(Subcommand)]
enum ModelsCommand {
    /// The installed models.
    List,
    /// Check every model's files against the sizes and sha256 in its manifest.
    Verify,
    /// Copy a model folder laid out as Immich publishes its CLIP exports (config.json,
    /// visual/model.onnx and preprocess_cfg.json, textual/model.onnx and tokenizer.json)
    /// into the models folder, with a manifest written from its configuration.
    Import {
        #[arg(value_name = "DIR")]
        folder: PathBuf,
        /// The new model's id [default: DIR's name, in lower case].
        #[arg(long)]
        id: Option<String>,
    },
    /// The models `motis models download` knows by name, marking the installed ones.
    Available,
    /// Download a CLIP model from the Hugging Face Hub ($HF_ENDPOINT names a mirror),
    /// verify every file against the Hub's checksums and install it. An interrupted
    /// download resumes when run again.
    Download {
        /// A name from `motis models available`, or a repository in Immich's layout
        /// (OWNER/NAME).
        #[arg(value_name = "NAME|REPO")]
        model: String,
        /// Branch, tag or commit.
        #[arg(long, default_value = "main")]
        revision: String,
        /// The new model's id [default: NAME, or the repository's name in lower case].
        #[arg(long)]
        id: Option<String>,
    },
}

#[derive(Clone, Copy)]
enum ModelsAction {
    List,
    Verify,
}

/// Exit codes, documented in the README.
mod exit {
    pub const FAILURE: u8 = 1;
    /// As clap exits for a bad command line.
    pub const USAGE: u8 = 2;
    pub const MISSING_MODEL_OR_RUNTIME: u8 = 3;
    pub const NO_SUCH_PHOTO: u8 = 4;
    pub const BUSY: u8 = 5;
    pub const CANCELLED: u8 = 130;
}

/// A run stopped by Ctrl-C: not a failure, but not a complete run either.
#[derive(Debug, thiserror::Error)]
#[error("cancelled")]
struct Cancelled;

fn main() -> ExitCode {
    motis_engine::use_one_allocator_arena();
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            if error.downcast_ref::<Cancelled>().is_some() {
                return ExitCode::from(exit::CANCELLED);
            }
            eprintln!("motis: {}", describe(&error));
            ExitCode::from(exit_code(&error))
        }
    }
}

/// The error and its causes, each cause once: library errors already name their cause
/// in their own message.
fn describe(error: &anyhow::Error) -> String {
    let mut message = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !message.contains(&text) {
            message = format!("{message}: {text}");
        }
    }
    message
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn exit_code(error: &anyhow::Error) -> u8 {
    let code = error.chain().find_map(|cause| {
        cause
            .downcast_ref::<EngineError>()
            .map(EngineError::code)
            .or_else(|| cause.downcast_ref::<motis_embed::EmbedError>().map(ErrorCode::of_embed))
            .or_else(|| cause.downcast_ref::<motis_media::MediaError>().map(ErrorCode::of_media))
    });
    match code {
        Some(ErrorCode::ModelOrRuntime) => exit::MISSING_MODEL_OR_RUNTIME,
        Some(ErrorCode::NoSuchPhoto) => exit::NO_SUCH_PHOTO,
        Some(ErrorCode::Busy) => exit::BUSY,
        Some(ErrorCode::BadQuery) => exit::USAGE,
        Some(ErrorCode::Failed | ErrorCode::PermissionDenied | ErrorCode::DiskFull | ErrorCode::DataFolderGone)
        | None => exit::FAILURE,
    }
}

fn run(cli: Cli) -> Result<()> {
    let global = cli.global;
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Models { action, json } => {
            let action = action.unwrap_or(ModelsCommand::List);
            let installing = matches!(action, ModelsCommand::Import { .. } | ModelsCommand::Download { .. });
            let models = model_folders(&global, installing)?;
            match action {
                ModelsCommand::List => list_models(&models, ModelsAction::List, json, &mut out),
                ModelsCommand::Verify => list_models(&models, ModelsAction::Verify, json, &mut out),
                ModelsCommand::Import { folder, id } => import_model(&models, &folder, id, json, &mut out),
                ModelsCommand::Available => list_available(&models, json, &mut out),
                ModelsCommand::Download { model, revision, id } => {
                    download::run(&models, &model, &revision, id, json, &mut out)
                }
            }
        }
        Command::Tokenize { text, json } => {
            let model = model_folders(&global, false)?.open(&global.model)?;
            let tokenizer =
                motis_embed::ClipTokenizer::from_file(&model.tokenizer_path(), model.manifest.text.context_length)?;
            let ids = tokenizer.ids(&text)?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&ids)?)?;
            } else {
                writeln!(out, "{}", ids.iter().map(i64::to_string).collect::<Vec<_>>().join(" "))?;
            }
            Ok(())
        }
        Command::Embed { text, image, json } => {
            let model = model_folders(&global, false)?.open(&global.model)?;
            let vector = embed(&model, text, image, global.threads)?;
            if json {
                writeln!(out, "{}", serde_json::to_string(&vector)?)?;
            } else {
                writeln!(
                    out,
                    "{}",
                    vector.iter().map(|x| format!("{x:.6}")).collect::<Vec<_>>().join(" ")
                )?;
            }
            Ok(())
        }
        Command::Index {
            folders,
            save_interval,
            strategy,
            retry_failed,
            json,
        } => {
            let options = IndexOptions {
                strategy,
                retry_failed,
                save_interval: std::time::Duration::try_from_secs_f64(save_interval)
                    .context("--save-interval must be a number of seconds, 0 or more")?,
                ..IndexOptions::default()
            };
            index(&global, folders, options, json, &mut out)
        }
        Command::Search { text, results } => {
            let query = Query::parse(&text, true).map_err(EngineError::from)?;
            let engine = open_engine(&global)?;
            let found = engine.search(&query, results.search())?;
            print_results(&engine, found, &results, &mut out)
        }
        Command::Similar { photo, results } => {
            let subject = match photo.parse::<i64>() {
                Ok(id) if !Path::new(&photo).exists() => Subject::Photo(id),
                _ => Subject::File(PathBuf::from(&photo)),
            };
            let query = Query::like(subject);
            let engine = open_engine(&global)?;
            let found = engine.search(&query, results.search())?;
            print_results(&engine, found, &results, &mut out)
        }
        Command::Status { json } => status(&open_engine(&global)?, json, &mut out),
        Command::Failed { json } => {
            let failures = open_engine(&global)?.failures()?;
            if json {
                let rows: Vec<_> = failures
                    .iter()
                    .map(|f| serde_json::json!({ "id": f.id, "path": f.origin.label().to_string_lossy(), "cause": f.cause }))
                    .collect();
                writeln!(out, "{}", serde_json::to_string(&rows)?)?;
            } else {
                for failure in failures {
                    write_path(&mut out, &failure.origin.label())?;
                    writeln!(out, "\t{}", failure.cause)?;
                }
            }
            Ok(())
        }
        Command::Bench(args) => bench::run(&global, args, &mut out),
        Command::Eval(args) => eval::run(&global, args, &mut out),
    }
}

fn data_dir(global: &Global) -> Result<PathBuf> {
    Ok(match &global.data_dir {
        Some(dir) => dir.clone(),
        None => DataDir::default_location()?,
    })
}

/// `--models-dir` (which must exist unless a model is being installed into it), else
/// `models/` in the data folder; and the models folder motis ships with.
fn model_folders(global: &Global, installing: bool) -> Result<ModelFolders> {
    let installed = match &global.models_dir {
        Some(dir) if !installing && !dir.is_dir() => return Err(EngineError::ModelsDirMissing(dir.clone()).into()),
        Some(dir) => dir.clone(),
        None => data_dir(global)?.join("models"),
    };
    Ok(ModelFolders::new(installed, find_shipped_models()?))
}

fn engine_config(global: &Global) -> Result<EngineConfig> {
    Ok(EngineConfig {
        data_dir: data_dir(global)?,
        models: model_folders(global, false)?,
        model: global.model.clone(),
        threads: global.threads,
    })
}

fn open_engine(global: &Global) -> Result<Engine> {
    Ok(Engine::open(&engine_config(global)?)?)
}

fn index(
    global: &Global,
    folders: Vec<PathBuf>,
    options: IndexOptions,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let engine = Arc::new(open_engine(global)?);
    if folders.is_empty() && engine.folders()?.is_empty() {
        anyhow::bail!("no folders to index yet: name one, as in `motis index ~/Pictures`");
    }
    let reporter = Arc::new(progress::Reporter::new());
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    let summary = runtime.block_on(async {
        let cancel = CancellationToken::new();
        let on_interrupt = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                on_interrupt.cancel();
            }
        });
        let shown = Arc::clone(&reporter);
        let summary = engine
            .index(
                folders.into_iter().map(Source::Folder).collect(),
                options,
                cancel.clone(),
                move |event| shown.show(&event),
            )
            .await;
        summary.map(|summary| (summary, cancel.is_cancelled()))
    })?;
    let (summary, cancelled) = summary;
    if json {
        writeln!(out, "{}", serde_json::to_string(&summary)?)?;
    } else {
        writeln!(
            out,
            "{} photos: {} new, {} changed, {} moved, {} removed; {} previews made, {} photos encoded, {} failed; {} searchable",
            summary.photos,
            summary.added,
            summary.changed,
            summary.moved,
            summary.removed,
            summary.previews,
            summary.encoded,
            summary.failed,
            summary.searchable
        )?;
        if summary.failed > 0 {
            writeln!(out, "see the failed photos and their causes with: motis failed")?;
        }
    }
    if cancelled {
        return Err(Cancelled.into());
    }
    Ok(())
}

/// One line of a search's output.
struct Row {
    id: i64,
    path: PathBuf,
    score: Option<f32>,
    taken: PhotoDate,
    /// Above the cut-off (the gallery's rows are all shown).
    shown: bool,
}

fn print_results(engine: &Engine, results: SearchResults, options: &ResultOptions, out: &mut impl Write) -> Result<()> {
    let rows: Vec<Row> = match results {
        SearchResults::Gallery(filters) => {
            let mut rows: Vec<Row> = engine
                .gallery(&filters, None, usize::MAX)?
                .into_iter()
                .map(|photo| Row {
                    id: photo.id,
                    path: photo.origin.label(),
                    score: None,
                    taken: photo.taken,
                    shown: true,
                })
                .collect();
            if options.sort == Sort::Oldest {
                rows.reverse();
            }
            rows
        }
        SearchResults::Matches {
            found,
            shown,
            searched,
            total,
        } => {
            if searched < total {
                eprintln!("searched {searched} of {total} photos (the rest are not encoded yet)");
            }
            let past_cutoff = found.len() - shown;
            if !options.no_cutoff && shown == 0 && past_cutoff > 0 {
                eprintln!(
                    "no good match: no photo stands out from the rest for this query; --no-cutoff lists the closest {past_cutoff}"
                );
            } else if !options.no_cutoff && past_cutoff > 0 {
                eprintln!("{past_cutoff} more below the cut-off, where the scores fall away: --no-cutoff lists them");
            }
            let printed = if options.no_cutoff { found.len() } else { shown };
            found
                .into_iter()
                .enumerate()
                .take(printed)
                .map(|(rank, found)| Row {
                    id: found.id,
                    path: found.origin.label(),
                    score: Some(found.score),
                    taken: found.taken,
                    shown: rank < shown,
                })
                .collect()
        }
    };
    if options.json {
        let rows: Vec<_> = rows
            .iter()
            .map(|row| {
                serde_json::json!({
                    "id": row.id,
                    "path": row.path.to_string_lossy(),
                    "score": row.score,
                    "taken": row.taken.local.format("%Y-%m-%dT%H:%M:%S").to_string(),
                    "shown": row.shown,
                })
            })
            .collect();
        writeln!(out, "{}", serde_json::to_string(&rows)?)?;
        return Ok(());
    }
    for row in rows {
        match row.score {
            Some(score) => write!(out, "{score:.4}\t")?,
            None => write!(out, "-\t")?,
        }
        write!(out, "{}\t{}\t", row.id, row.taken.local.format("%Y-%m-%d %H:%M"))?;
        write_path(out, &row.path)?;
        writeln!(out)?;
    }
    Ok(())
}

/// Paths are printed as the file system's bytes, so a script can open any of them.
fn write_path(out: &mut impl Write, path: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    out.write_all(path.as_os_str().as_bytes())
}

fn status(engine: &Engine, json: bool, out: &mut impl Write) -> Result<()> {
    let status = engine.status()?;
    let counts = &status.counts;
    let encoded = status.encoded();
    if json {
        let models: serde_json::Map<String, serde_json::Value> = counts
            .encoded
            .iter()
            .map(|(key, n)| (key.clone(), (*n).into()))
            .collect();
        let object = serde_json::json!({
            "data_dir": status.data_dir.to_string_lossy(),
            "model": status.model_key,
            "folders": counts.folders,
            "photos": counts.photos,
            "previews": counts.previews,
            "encoded": encoded,
            "failed": counts.failed,
            "searchable": status.searchable,
            "index_bytes": status.index_bytes,
            "index_strategy": status.strategy.name(),
            "index_choice": status.choice.to_string(),
            "encoded_per_model": models,
        });
        writeln!(out, "{object}")?;
        return Ok(());
    }
    writeln!(out, "data folder  {}", status.data_dir.display())?;
    writeln!(out, "folders      {}", counts.folders)?;
    writeln!(out, "photos       {}", counts.photos)?;
    writeln!(out, "previews     {}", counts.previews)?;
    writeln!(out, "failed       {}", counts.failed)?;
    writeln!(out, "model        {}", status.model_key)?;
    writeln!(out, "encoded      {encoded}")?;
    writeln!(out, "searchable   {}", status.searchable)?;
    writeln!(
        out,
        "index        {} ({:.1} MB)",
        status.index_path.display(),
        status.index_bytes as f64 / 1e6
    )?;
    let choice = match status.choice {
        IndexChoice::Auto => "auto: chosen by the library's size".to_owned(),
        IndexChoice::Fixed(_) => "chosen with motis index --strategy".to_owned(),
    };
    writeln!(out, "strategy     {} ({choice})", status.strategy)?;
    if status.choice.resolve(encoded) != status.strategy {
        writeln!(
            out,
            "             the next motis index builds it again as {} (from the stored embeddings)",
            status.choice.resolve(encoded)
        )?;
    }
    for (key, n) in counts.encoded.iter().filter(|(key, _)| key != &status.model_key) {
        writeln!(out, "also encoded {n} with {key}")?;
    }
    Ok(())
}

fn embed(model: &Model, text: Option<String>, image: Option<PathBuf>, threads: usize) -> Result<Vec<f32>> {
    model.verify()?;
    let runtime = motis_embed::Runtime::load()?;
    Ok(match (text, image) {
        (Some(text), _) => TextEncoder::new(&runtime, model, threads)?.encode(&[&text])?.remove(0),
        (None, Some(path)) => {
            let mut preprocessor = Preprocessor::new(model.input.clone());
            let mut pixels = vec![0.0; model.input.len()];
            preprocessor.write_input(&decode_upright(&path)?, &mut pixels)?;
            ImageEncoder::new(&runtime, model, threads)?.encode(&pixels)?.remove(0)
        }
        (None, None) => unreachable!("clap requires --text or --image"),
    })
}

fn import_model(
    models: &ModelFolders,
    folder: &Path,
    id: Option<String>,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let id = match id {
        Some(id) => id,
        None => folder
            .canonicalize()
            .with_context(|| format!("{}: cannot read", folder.display()))?
            .file_name()
            .map(|n| n.to_string_lossy().to_lowercase())
            .context("name the model with --id")?,
    };
    models.check_free(&id)?;
    let runtime = motis_embed::Runtime::load()?;
    let model = motis_embed::import_folder(&runtime, folder, models.installed(), &id)?;
    let bytes: u64 = model.manifest.files.iter().map(|f| f.bytes).sum();
    if json {
        let manifest = std::fs::read_to_string(model.folder.join("manifest.json"))?;
        writeln!(out, "{}", manifest.trim_end())?;
    } else {
        writeln!(
            out,
            "imported {} into {} ({:.1} MB, tokenizer {}): search with --model {}",
            folder.display(),
            model.folder.display(),
            bytes as f64 / 1e6,
            model.manifest.text.tokenizer,
            model.manifest.id
        )?;
    }
    Ok(())
}

fn list_available(models: &ModelFolders, json: bool, out: &mut impl Write) -> Result<()> {
    let installed = models.ids();
    let rows: Vec<serde_json::Value> = motis_hub::AVAILABLE
        .iter()
        .map(|model| {
            serde_json::json!({
                "name": model.name,
                "repo": model.repo,
                "licence": model.licence,
                "download_mb": model.download_mb,
                "note": model.note,
                "suggested": model.suggested,
                "installed": installed.iter().any(|id| id == model.name),
            })
        })
        .collect();
    if json {
        writeln!(out, "{}", serde_json::to_string(&rows)?)?;
        return Ok(());
    }
    for model in motis_hub::AVAILABLE {
        let mark = if installed.iter().any(|id| id == model.name) {
            "installed"
        } else {
            "-"
        };
        writeln!(
            out,
            "{}\t{mark}\t{}\t{}\t~{} MB\t{}",
            model.name, model.repo, model.licence, model.download_mb, model.note
        )?;
    }
    Ok(())
}

fn list_models(models: &ModelFolders, action: ModelsAction, json: bool, out: &mut impl Write) -> Result<()> {
    let mut rows = Vec::new();
    let mut failures = 0;
    for folder in models.models()? {
        let (id, status) = match Model::open(&folder) {
            Ok(model) => {
                let status = match action {
                    ModelsAction::List => "installed".to_owned(),
                    ModelsAction::Verify => match model.verify() {
                        Ok(()) => "ok".to_owned(),
                        Err(e) => {
                            failures += 1;
                            e.to_string()
                        }
                    },
                };
                (model.manifest.id, status)
            }
            Err(e) => {
                failures += 1;
                (
                    folder.file_name().unwrap_or_default().to_string_lossy().into_owned(),
                    e.to_string(),
                )
            }
        };
        rows.push(serde_json::json!({ "id": id, "status": status, "folder": folder.to_string_lossy() }));
        if !json {
            writeln!(out, "{id}\t{status}\t{}", folder.display())?;
        }
    }
    if json {
        writeln!(out, "{}", serde_json::to_string(&rows)?)?;
    }
    if failures > 0 {
        anyhow::bail!("{failures} model(s) failed");
    }
    Ok(())
}
