//! `motis bench`: where the time goes, as ratios against baselines measured in the same
//! run. Model-only throughput on prepared tensors is the ceiling the indexing pipeline is
//! held to; query latency is tokenise + encode + search at a realistic index size.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use motis_embed::{ImageEncoder, TextEncoder};
use motis_engine::{CancellationToken, Engine, EngineConfig, IndexEvent, IndexOptions, Phase};
use motis_index::{SearchMode, Strategy, VectorIndex};
use motis_media::{Preprocessor, decode_upright};

use crate::Global;

mod compare;
mod index;
mod library;
mod load;

#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: Option<BenchCommand>,
    /// Photos to index [default: a generated gallery of 12-megapixel JPEGs].
    #[arg(value_name = "DIR")]
    gallery: Option<PathBuf>,
    /// Photos in the generated gallery.
    #[arg(long, default_value_t = 256)]
    photos: usize,
    /// Vectors in the index that queries are timed against.
    #[arg(long, default_value_t = 100_000)]
    vectors: usize,
    /// Queries timed (a fixed list, repeated).
    #[arg(long, default_value_t = 200)]
    queries: usize,
    /// Instead of the pipeline: compare these models' towers (sizes, image encodes per
    /// second, text query time, peak memory) against the first one, and each `ID-int8`
    /// against `ID` (embedding drift).
    #[arg(long, value_name = "ID,ID,...", value_delimiter = ',')]
    compare: Vec<String>,
    /// Instead of the pipeline: time opening the library already in the data folder,
    /// its status, the app's gallery pages, text searches and "more like this".
    #[arg(long, conflicts_with_all = ["gallery", "compare"])]
    library: bool,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Subcommand)]
enum BenchCommand {
    /// Instead of the pipeline: the index strategies on the same vectors, synthetic and
    /// CLIP-like or the data folder's own (build time, bytes per vector, latency,
    /// recall@10 against an exact search).
    Index(index::IndexBenchArgs),
    /// Instead of the pipeline: searches and gallery pages while a run encodes a large
    /// generated gallery, in this process and from other `motis` processes (latency under
    /// load against idle, errors, memory).
    Load(load::LoadArgs),
}

const DISTINCT_PHOTOS: usize = 32;

const QUERIES: &[&str] = &[
    "a dog running on a beach",
    "two red stars on a blue background",
    "a purple hexagon",
    "birthday cake with candles",
    "snow on the mountains at sunset",
    "a small green triangle left of a big yellow circle",
    "my cat sleeping on the sofa",
    "people dancing at a wedding",
    "a receipt",
    "the eiffel tower at night",
    "three orange hearts",
    "a bowl of ramen",
];

/// Peak resident memory of this process since the last reset, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Start a new peak-memory measurement (writing 5 to clear_refs resets VmHWM).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn megabytes(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".to_owned(), |b| format!("{:.0} MB", b as f64 / 1e6))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

/// A 12-megapixel photo-like JPEG: smooth gradients, shapes and noise, so that it
/// compresses like a photo rather than like a flat test card.
fn write_photo(path: &Path, seed: u32) -> Result<()> {
    let (width, height) = (4032, 3024);
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let noise = (state % 24) as i32 - 12;
        let cx = (seed * 331 % width) as i32;
        let cy = (seed * 197 % height) as i32;
        let (dx, dy) = (x as i32 - cx, y as i32 - cy);
        let inside = dx * dx + dy * dy < 600 * 600;
        let base = [
            (x * 255 / width) as i32,
            (y * 255 / height) as i32,
            ((seed * 40) % 256) as i32,
        ];
        image::Rgb(base.map(|v| {
            let v = if inside { 255 - v } else { v };
            (v + noise).clamp(0, 255) as u8
        }))
    });
    image.save_with_format(path, image::ImageFormat::Jpeg)?;
    Ok(())
}

struct Timings {
    phase_started: Vec<(Phase, Instant)>,
    ended: Option<Instant>,
    /// Previews made in the previews phase (the rest come from encoding's decode).
    previews_phase_done: usize,
}

pub fn run(global: &Global, args: BenchArgs, out: &mut impl Write) -> Result<()> {
    match args.what {
        Some(BenchCommand::Index(index)) => return index::run(global, index, out),
        Some(BenchCommand::Load(load)) => return load::run(global, load, out),
        None => {}
    }
    if !args.compare.is_empty() {
        return compare::run(global, &args.compare, args.json, out);
    }
    if args.library {
        return library::run(global, args.json, out);
    }
    let scratch = tempfile::tempdir().context("cannot make a scratch folder")?;
    let gallery = match &args.gallery {
        Some(dir) => dir.clone(),
        None => {
            let dir = scratch.path().join("gallery");
            std::fs::create_dir(&dir)?;
            eprintln!("writing {} 12-megapixel JPEGs to {}", args.photos, dir.display());
            // Encoding a JPEG this size takes longer than decoding it: a few distinct
            // photos, copied, make a gallery of any size (each copy is its own photo).
            for i in 0..args.photos {
                let path = dir.join(format!("photo-{i:04}.jpg"));
                if i < DISTINCT_PHOTOS {
                    write_photo(&path, i as u32 + 1)?;
                } else {
                    std::fs::copy(dir.join(format!("photo-{:04}.jpg", i % DISTINCT_PHOTOS)), &path)?;
                }
            }
            dir
        }
    };
    let config = EngineConfig {
        data_dir: scratch.path().join("data"),
        models: crate::model_folders(global, false)?,
        model: global.model.clone(),
        threads: global.threads,
    };
    let engine = Arc::new(Engine::open(&config)?);
    let runtime = engine.prepare_model()?;
    let model = engine.model().clone();
    let options = IndexOptions::default();

    // Baseline: the image encoder alone, on tensors prepared beforehand.
    let first_photo = std::fs::read_dir(&gallery)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.is_file())
        .context("the gallery has no files")?;
    let mut pixels = vec![0.0; model.input.len()];
    Preprocessor::new(model.input.clone()).write_input(&decode_upright(&first_photo)?, &mut pixels)?;
    let batch: Vec<f32> = pixels.repeat(options.batch_size);
    let mut encoder = ImageEncoder::new(&runtime, &model, global.threads)?;
    encoder.encode(&batch)?;
    let batches = (args.photos.max(options.batch_size) / options.batch_size).max(2);
    let started = Instant::now();
    for _ in 0..batches {
        encoder.encode(&batch)?;
    }
    let model_only = (batches * options.batch_size) as f64 / started.elapsed().as_secs_f64();
    drop(encoder);

    // End to end: the indexing pipeline from files to a saved index.
    reset_peak_rss();
    let timings = Arc::new(Mutex::new(Timings {
        phase_started: Vec::new(),
        ended: None,
        previews_phase_done: 0,
    }));
    let recorded = Arc::clone(&timings);
    let tokio = tokio::runtime::Runtime::new()?;
    let run_started = Instant::now();
    let summary = tokio.block_on(engine.index(
        vec![motis_engine::Source::Folder(gallery.clone())],
        options,
        CancellationToken::new(),
        move |event| {
            let mut timings = recorded.lock().unwrap_or_else(|p| p.into_inner());
            if let IndexEvent::Progress {
                phase: Phase::Previews,
                done,
                ..
            } = &event
            {
                timings.previews_phase_done = *done;
            }
            match event {
                IndexEvent::Progress { phase, .. } if timings.phase_started.last().map(|(p, _)| *p) != Some(phase) => {
                    timings.phase_started.push((phase, Instant::now()))
                }
                IndexEvent::Finished(_) | IndexEvent::Cancelled(_) => timings.ended = Some(Instant::now()),
                _ => {}
            }
        },
    ))?;
    let run_seconds = run_started.elapsed().as_secs_f64();
    let indexing_peak = peak_rss();
    let timings = timings.lock().unwrap_or_else(|p| p.into_inner());
    let phase_seconds = |phase: Phase| -> f64 {
        let position = timings.phase_started.iter().position(|(p, _)| *p == phase);
        position.map_or(0.0, |i| {
            let end = timings
                .phase_started
                .get(i + 1)
                .map(|(_, t)| *t)
                .or(timings.ended)
                .unwrap_or_else(Instant::now);
            (end - timings.phase_started[i].1).as_secs_f64()
        })
    };
    let previews_per_second = timings.previews_phase_done as f64 / phase_seconds(Phase::Previews);

    // The crash quarantine: each photo read is recorded in the journal before and after
    // (a run reads a photo two or three times: its hash and date, a decode or two).
    let files: Vec<PathBuf> = std::fs::read_dir(&gallery)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    let started = Instant::now();
    for path in &files {
        drop(
            engine
                .reads()
                .begin(&motis_engine::Origin::File(path.clone()), motis_engine::Stage::Decode)?,
        );
    }
    let quarantine_per_read = started.elapsed().as_secs_f64() / files.len().max(1) as f64;
    let quarantine_share = 3.0 * quarantine_per_read * summary.encoded as f64 / run_seconds;
    let encoding_per_second = summary.encoded as f64 / phase_seconds(Phase::Encoding);
    let whole_per_second = summary.encoded as f64 / run_seconds;

    // Queries: tokenise + encode + search, against an index of `vectors` vectors.
    eprintln!("building an index of {} vectors", args.vectors);
    let dimensions = model.manifest.embedding_dim;
    // The strategy a library of this size gets.
    let mut index = VectorIndex::new(Strategy::for_library(args.vectors), dimensions)?;
    let mut state = 0x9E37_79B9_u32;
    let vectors = (0..args.vectors)
        .map(|id| {
            let mut vector: Vec<f32> = (0..dimensions)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 17;
                    state ^= state << 5;
                    (state as f32 / u32::MAX as f32) - 0.5
                })
                .collect();
            motis_embed::normalise(&mut vector);
            (id as u64, vector)
        })
        .collect();
    index.extend(vectors)?;
    reset_peak_rss();
    let mut text = TextEncoder::new(&runtime, &model, global.threads)?;
    text.encode(&[QUERIES[0]])?;
    let mut latencies = Vec::with_capacity(args.queries);
    for i in 0..args.queries.max(1) {
        let query = QUERIES[i % QUERIES.len()];
        let started = Instant::now();
        let vector = text.encode(&[query])?.remove(0);
        let hits = index.search(&vector, 60, SearchMode::Auto)?;
        latencies.push(started.elapsed());
        assert!(!hits.is_empty());
    }
    let query_peak = peak_rss();
    latencies.sort();
    let (p50, p95) = (percentile(&latencies, 0.5), percentile(&latencies, 0.95));

    let ratio = encoding_per_second / model_only;
    if args.json {
        let report = serde_json::json!({
            "model": engine.model_key(),
            "photos": summary.encoded,
            "model_only_photos_per_second": model_only,
            "encoding_photos_per_second": encoding_per_second,
            "encoding_to_model_only": ratio,
            "whole_run_photos_per_second": whole_per_second,
            "previews_per_second": previews_per_second,
            "quarantine_us_per_read": quarantine_per_read * 1e6,
            "quarantine_share_of_run": quarantine_share,
            "index_vectors": args.vectors,
            "query_ms_p50": p50.as_secs_f64() * 1e3,
            "query_ms_p95": p95.as_secs_f64() * 1e3,
            "indexing_peak_rss_bytes": indexing_peak,
            "query_peak_rss_bytes": query_peak,
        });
        writeln!(out, "{report}")?;
        return Ok(());
    }
    writeln!(out, "model                 {}", engine.model_key())?;
    writeln!(
        out,
        "photos                {} from {}",
        summary.encoded,
        gallery.display()
    )?;
    writeln!(
        out,
        "model only            {model_only:.1} photos/s (prepared tensors, batches of {})",
        IndexOptions::default().batch_size
    )?;
    writeln!(
        out,
        "encoding phase        {encoding_per_second:.1} photos/s = {:.0} % of model only (decode, preview, preprocess, encode, store)",
        ratio * 100.0
    )?;
    writeln!(
        out,
        "previews phase        {previews_per_second:.1} photos/s ({} of the {} previews; the rest from encoding's decode)",
        timings.previews_phase_done, summary.previews
    )?;
    writeln!(
        out,
        "whole run             {whole_per_second:.1} photos/s (scan + previews + encoding, {run_seconds:.1} s)"
    )?;
    writeln!(
        out,
        "crash quarantine      {:.0} µs per photo read = {:.2} % of the whole run at three reads a photo",
        quarantine_per_read * 1e6,
        quarantine_share * 100.0
    )?;
    writeln!(
        out,
        "query                 p50 {:.1} ms, p95 {:.1} ms (tokenise + encode + search, {} vectors, k = 60)",
        p50.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3,
        args.vectors
    )?;
    writeln!(
        out,
        "peak memory           {} while indexing, {} while querying",
        megabytes(indexing_peak),
        megabytes(query_peak)
    )?;
    Ok(())
}
