//! `motis bench load`: searches and gallery pages while an indexing run encodes a large
//! gallery, in this process (the app's case: one engine, the run and the screen side by
//! side) and from other `motis` processes (the CLI's: each a process of its own on the
//! same data folder). It reports latency p50 / p95 under load against the same work on
//! the idle library just after, every error, and this process's memory at its peak
//! against before the run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use motis_engine::{
    CancellationToken, Engine, Filters, GalleryPosition, IndexEvent, IndexOptions, Phase, Query, SearchOptions, Source,
};
use serde::Serialize;

use super::{QUERIES, percentile};
use crate::Global;

#[derive(clap::Args)]
pub struct LoadArgs {
    /// Photos in the generated gallery the run encodes.
    #[arg(long, default_value_t = 10_000)]
    photos: usize,
    /// The long side of the generated photos, in pixels (a 4:3 photo).
    #[arg(long, default_value_t = 1600)]
    side: u32,
    /// Searches and gallery pages, each, that this process makes while the run encodes.
    #[arg(long, default_value_t = 1000)]
    requests: usize,
    #[arg(long)]
    json: bool,
}

/// The page size the app asks for (ui/src/lib/app.svelte.ts).
const GALLERY_PAGE: usize = 2000;
/// Distinct photos written; the rest are copies (each copy is a photo of its own).
const DISTINCT: usize = 24;
/// `motis` processes started side by side, as scripts would run them.
const CLI_WORKERS: usize = 2;

#[derive(Default)]
struct Timings {
    took: Vec<Duration>,
    errors: Vec<String>,
}

impl Timings {
    fn record(&mut self, started: Instant, outcome: Result<()>) {
        match outcome {
            Ok(()) => self.took.push(started.elapsed()),
            Err(error) => self.errors.push(format!("{error:#}")),
        }
    }
}

#[derive(Serialize)]
struct Latency {
    count: usize,
    errors: usize,
    p50_ms: f64,
    p95_ms: f64,
}

impl Latency {
    fn of(mut timings: Timings) -> Latency {
        timings.took.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (p50_ms, p95_ms) = if timings.took.is_empty() {
            (f64::NAN, f64::NAN)
        } else {
            (ms(percentile(&timings.took, 0.5)), ms(percentile(&timings.took, 0.95)))
        };
        Latency {
            count: timings.took.len(),
            errors: timings.errors.len(),
            p50_ms,
            p95_ms,
        }
    }
}

#[derive(Serialize)]
struct Report {
    photos: usize,
    run_seconds: f64,
    encoded: usize,
    searches_during_run: Latency,
    gallery_pages_during_run: Latency,
    searches_idle: Latency,
    gallery_pages_idle: Latency,
    cli_searches_during_run: Latency,
    cli_searches_idle: Latency,
    rss_before_run_bytes: Option<u64>,
    rss_peak_bytes: Option<u64>,
    errors: Vec<String>,
}

fn resident() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn write_gallery(folder: &Path, photos: usize, side: u32) -> Result<()> {
    std::fs::create_dir_all(folder)?;
    let (width, height) = (side, side * 3 / 4);
    for i in 0..photos {
        let path = folder.join(format!("photo-{i:05}.jpg"));
        if i < DISTINCT {
            let seed = i as u32 + 1;
            let image = image::RgbImage::from_fn(width, height, |x, y| {
                let wave = ((x * seed + y * 7) % 255) as u8;
                image::Rgb([wave, (y * 255 / height) as u8, (seed * 40 % 256) as u8])
            });
            image.save_with_format(&path, image::ImageFormat::Jpeg)?;
        } else {
            std::fs::copy(folder.join(format!("photo-{:05}.jpg", i % DISTINCT)), &path)?;
        }
    }
    Ok(())
}

/// One search and one gallery page (the next, from the start again at the end), as the
/// screen asks for them.
struct Screen<'a> {
    engine: &'a Engine,
    queries: Vec<Query>,
    after: Option<GalleryPosition>,
    round: usize,
}

impl Screen<'_> {
    fn search(&mut self) -> Result<()> {
        let query = &self.queries[self.round % self.queries.len()];
        self.round += 1;
        self.engine.search(query, SearchOptions::best(60))?;
        Ok(())
    }

    fn page(&mut self) -> Result<()> {
        let everything = Filters::default();
        let page = self.engine.gallery(&everything, self.after, GALLERY_PAGE)?;
        self.engine.photo_count(&everything)?;
        self.after = page.last().map(|p| p.gallery_position());
        Ok(())
    }
}

/// A `motis search` in a process of its own, as a script would run it.
fn cli_search(data: &Path, global: &Global, text: &str) -> Result<()> {
    let mut command = Command::new(std::env::current_exe()?);
    command.arg("--data-dir").arg(data).arg("--model").arg(&global.model);
    if let Some(models) = &global.models_dir {
        command.arg("--models-dir").arg(models);
    }
    let output = command.args(["search", text, "-k", "20", "--json"]).output()?;
    ensure!(
        output.status.success(),
        "motis search {text:?}: {}",
        String::from_utf8_lossy(&output.stderr).trim()
    );
    Ok(())
}

pub fn run(global: &Global, args: LoadArgs, out: &mut impl Write) -> Result<()> {
    let scratch = tempfile::tempdir().context("cannot make a scratch folder")?;
    let gallery = scratch.path().join("gallery");
    eprintln!(
        "writing {} photos of {} px to {}",
        args.photos,
        args.side,
        gallery.display()
    );
    write_gallery(&gallery, args.photos, args.side)?;
    let data: PathBuf = scratch.path().join("data");
    let mut config = crate::engine_config(global)?;
    config.data_dir = data.clone();
    let engine = Arc::new(Engine::open(&config)?);
    engine.prepare_model()?;
    let queries: Vec<Query> = QUERIES
        .iter()
        .map(|text| Query::parse(text, false))
        .collect::<Result<_, _>>()?;
    let rss_before_run = resident();

    let encoding = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let encoded = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(Mutex::new(rss_before_run));
    let tokio = tokio::runtime::Runtime::new()?;
    let started = Instant::now();
    let run = {
        let (engine, encoding, encoded) = (Arc::clone(&engine), Arc::clone(&encoding), Arc::clone(&encoded));
        let gallery = gallery.clone();
        tokio.spawn(async move {
            engine
                .index(
                    vec![Source::Folder(gallery)],
                    IndexOptions::default(),
                    CancellationToken::new(),
                    move |event| {
                        if let IndexEvent::Progress {
                            phase: Phase::Encoding,
                            done,
                            ..
                        } = event
                        {
                            encoding.store(true, Ordering::SeqCst);
                            encoded.store(done, Ordering::SeqCst);
                        }
                    },
                )
                .await
        })
    };
    while !encoding.load(Ordering::SeqCst) && !run.is_finished() {
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("encoding: searches and gallery pages here and from other processes");

    let (in_process, cli) = std::thread::scope(|scope| {
        let sampler = scope.spawn(|| {
            while !finished.load(Ordering::SeqCst) {
                let now = resident();
                let mut peak = peak.lock().unwrap_or_else(|p| p.into_inner());
                *peak = (*peak).max(now);
                drop(peak);
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        // Two scripts at once, each a search, then the gallery's first page (`search ""`).
        let cli: Vec<_> = (0..CLI_WORKERS)
            .map(|worker| {
                let (data, run) = (&data, &run);
                scope.spawn(move || {
                    let mut timings = Timings::default();
                    let mut round = worker;
                    while !run.is_finished() {
                        let text = if round % 2 == 0 {
                            QUERIES[round / 2 % QUERIES.len()]
                        } else {
                            ""
                        };
                        let started = Instant::now();
                        timings.record(started, cli_search(data, global, text));
                        round += 1;
                    }
                    timings
                })
            })
            .collect();
        let mut screen = Screen {
            engine: &engine,
            queries: queries.clone(),
            after: None,
            round: 0,
        };
        let (mut searches, mut pages) = (Timings::default(), Timings::default());
        while searches.took.len() + searches.errors.len() < args.requests && !run.is_finished() {
            let started = Instant::now();
            searches.record(started, screen.search());
            let started = Instant::now();
            pages.record(started, screen.page());
        }
        let during = (searches, pages);
        let mut cli_timings = Timings::default();
        for worker in cli {
            let timings = worker.join().expect("a CLI thread");
            cli_timings.took.extend(timings.took);
            cli_timings.errors.extend(timings.errors);
        }
        let cli = cli_timings;
        finished.store(true, Ordering::SeqCst);
        sampler.join().expect("the memory sampler");
        (during, cli)
    });
    let summary = tokio.block_on(run)??;
    let run_seconds = started.elapsed().as_secs_f64();
    let ((searches, pages), cli) = (in_process, cli);
    if searches.took.len() < args.requests {
        eprintln!(
            "the run ended after {} searches of {}: a larger gallery (--photos) keeps it busy longer",
            searches.took.len(),
            args.requests
        );
    }

    // The same work on the idle library, for the ratio.
    let mut screen = Screen {
        engine: &engine,
        queries,
        after: None,
        round: 0,
    };
    let (mut searches_idle, mut pages_idle, mut cli_idle) =
        (Timings::default(), Timings::default(), Timings::default());
    for round in 0..200 {
        let started = Instant::now();
        searches_idle.record(started, screen.search());
        let started = Instant::now();
        pages_idle.record(started, screen.page());
        if round < 30 {
            let text = if round % 2 == 0 {
                QUERIES[round / 2 % QUERIES.len()]
            } else {
                ""
            };
            let started = Instant::now();
            cli_idle.record(started, cli_search(&data, global, text));
        }
    }
    let mut errors: Vec<String> = [&searches, &pages, &cli, &searches_idle, &pages_idle, &cli_idle]
        .iter()
        .flat_map(|t| t.errors.iter().cloned())
        .collect();
    errors.truncate(20);
    let report = Report {
        photos: summary.photos,
        run_seconds,
        encoded: summary.encoded.max(encoded.load(Ordering::SeqCst)),
        searches_during_run: Latency::of(searches),
        gallery_pages_during_run: Latency::of(pages),
        searches_idle: Latency::of(searches_idle),
        gallery_pages_idle: Latency::of(pages_idle),
        cli_searches_during_run: Latency::of(cli),
        cli_searches_idle: Latency::of(cli_idle),
        rss_before_run_bytes: rss_before_run,
        rss_peak_bytes: *peak.lock().unwrap_or_else(|p| p.into_inner()),
        errors,
    };
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "run                   {} photos, {} encoded in {:.0} s",
        report.photos, report.encoded, report.run_seconds
    )?;
    let row = |name: &str, loaded: &Latency, idle: &Latency| {
        format!(
            "{name:<22}{} during the run ({} errors): p50 {:.1} ms, p95 {:.1} ms; idle: p50 {:.1} ms, p95 {:.1} ms ({:.1}× at p50)",
            loaded.count,
            loaded.errors,
            loaded.p50_ms,
            loaded.p95_ms,
            idle.p50_ms,
            idle.p95_ms,
            loaded.p50_ms / idle.p50_ms
        )
    };
    writeln!(
        out,
        "{}",
        row("search", &report.searches_during_run, &report.searches_idle)
    )?;
    writeln!(
        out,
        "{}",
        row(
            "gallery page",
            &report.gallery_pages_during_run,
            &report.gallery_pages_idle
        )
    )?;
    writeln!(
        out,
        "{}",
        row(
            "motis processes",
            &report.cli_searches_during_run,
            &report.cli_searches_idle
        )
    )?;
    writeln!(
        out,
        "memory                {} before the run, {} at the peak (this process)",
        super::megabytes(report.rss_before_run_bytes),
        super::megabytes(report.rss_peak_bytes)
    )?;
    for error in &report.errors {
        writeln!(out, "error                 {error}")?;
    }
    Ok(())
}
