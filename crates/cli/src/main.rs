//! `motis`: offline semantic photo search from the command line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};
use motis_embed::{EmbedError, ImageEncoder, Model, Runtime, TextEncoder};
use motis_media::{MediaError, Preprocessor, decode_upright};

const DEFAULT_MODEL: &str = "motis-demo";

#[derive(Debug, thiserror::Error)]
enum ModelLookup {
    #[error("{0}: no such models folder")]
    Missing(PathBuf),
    #[error("no model {id:?} in {} (installed: {installed})", dir.display())]
    UnknownModel {
        id: String,
        dir: PathBuf,
        installed: String,
    },
    #[error(
        "no models folder found above the working directory or the executable: pass --models-dir DIR or set MOTIS_MODELS"
    )]
    NotFound,
}

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
    #[arg(long, global = true, default_value = DEFAULT_MODEL)]
    model: String,
    /// Where model folders live [default: $MOTIS_MODELS, else the nearest models/
    /// folder above the working directory or the executable].
    #[arg(long, global = true, value_name = "DIR")]
    models_dir: Option<PathBuf>,
    /// Threads each ONNX Runtime session may use.
    #[arg(long, global = true, default_value_t = 2)]
    threads: usize,
}

#[derive(Subcommand)]
enum Command {
    /// List the installed models, or verify their files against their manifests.
    Models {
        #[arg(value_enum, default_value_t = ModelsAction::List)]
        action: ModelsAction,
        #[arg(long)]
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
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ModelsAction {
    List,
    Verify,
}

/// Exit codes, documented in the README.
mod exit {
    pub const FAILURE: u8 = 1;
    pub const MISSING_MODEL_OR_RUNTIME: u8 = 3;
    pub const NO_SUCH_PHOTO: u8 = 4;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
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
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<EmbedError>() {
            return match e {
                EmbedError::RuntimeMissing { .. }
                | EmbedError::RuntimeLoad { .. }
                | EmbedError::Read { .. }
                | EmbedError::Checksum { .. }
                | EmbedError::ManifestSyntax { .. }
                | EmbedError::Manifest { .. } => exit::MISSING_MODEL_OR_RUNTIME,
                _ => exit::FAILURE,
            };
        }
        if cause.downcast_ref::<ModelLookup>().is_some() {
            return exit::MISSING_MODEL_OR_RUNTIME;
        }
        if let Some(MediaError::Read { .. }) = cause.downcast_ref::<MediaError>() {
            return exit::NO_SUCH_PHOTO;
        }
    }
    exit::FAILURE
}

fn run(cli: Cli) -> Result<()> {
    let models = models_dir(cli.global.models_dir.as_deref())?;
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Models { action, json } => list_models(&models, action, json, &mut out),
        Command::Tokenize { text, json } => {
            let model = open_model(&models, &cli.global.model)?;
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
            let model = open_model(&models, &cli.global.model)?;
            model.verify()?;
            let runtime = Runtime::load()?;
            let vector = match (text, image) {
                (Some(text), _) => TextEncoder::new(&runtime, &model, cli.global.threads)?
                    .encode(&[&text])?
                    .remove(0),
                (None, Some(path)) => {
                    let mut preprocessor = Preprocessor::new(model.input.clone());
                    let mut pixels = vec![0.0; model.input.len()];
                    preprocessor.write_input(&decode_upright(&path)?, &mut pixels)?;
                    ImageEncoder::new(&runtime, &model, cli.global.threads)?
                        .encode(&pixels)?
                        .remove(0)
                }
                (None, None) => unreachable!("clap requires --text or --image"),
            };
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
    }
}

fn list_models(models: &Path, action: ModelsAction, json: bool, out: &mut impl Write) -> Result<()> {
    let mut rows = Vec::new();
    let mut failures = 0;
    let mut entries: Vec<_> = std::fs::read_dir(models)
        .with_context(|| format!("{}: cannot list models", models.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    entries.sort();
    for folder in entries {
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
        rows.push(serde_json::json!({ "id": id, "status": status }));
        if !json {
            writeln!(out, "{id}\t{status}")?;
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

fn open_model(models: &Path, id: &str) -> Result<Model> {
    let folder = models.join(id);
    if !folder.join("manifest.json").is_file() {
        let mut installed: Vec<String> = std::fs::read_dir(models)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("manifest.json").is_file())
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        installed.sort();
        let installed = if installed.is_empty() {
            "none".to_owned()
        } else {
            installed.join(", ")
        };
        return Err(ModelLookup::UnknownModel {
            id: id.to_owned(),
            dir: models.to_owned(),
            installed,
        }
        .into());
    }
    Ok(Model::open(&folder)?)
}

/// `--models-dir`, `$MOTIS_MODELS`, or the nearest `models/` folder holding the demo
/// model above the working directory or the executable.
fn models_dir(flag: Option<&Path>) -> Result<PathBuf> {
    if let Some(dir) = flag
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("MOTIS_MODELS").map(PathBuf::from))
    {
        return if dir.is_dir() {
            Ok(dir)
        } else {
            Err(ModelLookup::Missing(dir).into())
        };
    }
    let mut starts: Vec<PathBuf> = std::env::current_dir().into_iter().collect();
    starts.extend(
        std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(Path::to_path_buf)),
    );
    starts
        .iter()
        .flat_map(|s| s.ancestors().map(|d| d.join("models")))
        .find(|d| d.join(DEFAULT_MODEL).join("manifest.json").is_file())
        .ok_or_else(|| ModelLookup::NotFound.into())
}
