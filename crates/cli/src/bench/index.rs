//! `motis bench index`: the index strategies side by side on the same vectors — build
//! time, bytes per vector on disk and in memory, query latency on this machine's cores and
//! recall@10 against an exact f32 search. The vectors are synthetic and CLIP-like: image
//! vectors share a common direction (CLIP's "cone") and gather around topics, some far
//! more popular than others, then sub-topics and details; text queries share another
//! common direction (the gap between CLIP's two modalities) and only what they describe
//! with the images, so that they come from another distribution than what is indexed, as
//! real text queries do. Image queries (vectors of photos not in the index) are reported
//! apart.
//!
//! With `--library`, the vectors are the data folder's own: every stored image embedding
//! of its model, less a few held out as image queries, and text queries encoded by the
//! model's text tower (from `--texts`, or a fixed list).

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use motis_engine::Engine;
use motis_index::{EXACT_BELOW, SearchMode, Strategy, VectorIndex};
use serde::Serialize;

use super::{QUERIES, percentile};
use crate::Global;

#[derive(clap::Args)]
pub struct IndexBenchArgs {
    /// Synthetic vectors in the index.
    #[arg(long, default_value_t = 100_000)]
    vectors: usize,
    /// Dimensions of each synthetic vector (512: CLIP ViT-B/32's embeddings).
    #[arg(long, default_value_t = 512)]
    dim: usize,
    /// Text queries timed (at most), and as many image queries.
    #[arg(long, default_value_t = 200)]
    queries: usize,
    /// Instead of synthetic vectors: the data folder's stored embeddings, with text
    /// queries encoded by its model.
    #[arg(long, conflicts_with_all = ["vectors", "dim"])]
    library: bool,
    /// With --library: a file of text queries, one a line [default: a fixed dozen].
    #[arg(long, value_name = "FILE", requires = "library")]
    texts: Option<std::path::PathBuf>,
    /// Strategies to measure.
    #[arg(long, value_delimiter = ',', default_value = "flat,ivf,rp-forest,hnsw")]
    strategies: Vec<Strategy>,
    #[arg(long)]
    json: bool,
}

const K: usize = 10;
const TOPICS: usize = 1_000;
const SUBTOPICS: usize = 20;
const DETAILS: u64 = 50;

#[derive(Serialize)]
struct Row {
    name: &'static str,
    /// "auto": as a search runs in the app; "exact": every vector compared.
    search: &'static str,
    recall_at_10: f64,
    p50_ms: f64,
    p95_ms: f64,
    image_recall_at_10: f64,
    image_p50_ms: f64,
    build_s: f64,
    bytes_per_vector: f64,
    memory_bytes_per_vector: f64,
}

#[derive(Serialize)]
struct Report {
    /// "synthetic", or "library": the data folder's own embeddings.
    source: &'static str,
    vectors: usize,
    dim: usize,
    queries: usize,
    threads: usize,
    strategies: Vec<Row>,
}

/// Gaussian numbers from a seeded xorshift (Box-Muller), so that every run measures the
/// same vectors.
struct Gaussian(u64);

impl Gaussian {
    fn new(seed: u64) -> Gaussian {
        Gaussian(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn next(&mut self) -> f32 {
        let (u, v) = (self.uniform(), self.uniform());
        ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
    }
    fn direction(&mut self, dim: usize) -> Vec<f32> {
        unit((0..dim).map(|_| self.next()).collect())
    }
}

fn unit(v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

/// `terms` weighted, plus isotropic noise of norm about `noise`, at unit length.
fn mix(terms: &[(f32, &[f32])], noise: f32, random: &mut Gaussian) -> Vec<f32> {
    let dim = terms[0].1.len();
    let scale = noise / (dim as f32).sqrt();
    unit(
        (0..dim)
            .map(|i| terms.iter().map(|(w, t)| w * t[i]).sum::<f32>() + scale * random.next())
            .collect(),
    )
}

struct World {
    image_mean: Vec<f32>,
    text_mean: Vec<f32>,
    topics: Vec<Vec<f32>>,
    subtopics: Vec<Vec<f32>>,
}

impl World {
    fn new(dim: usize) -> World {
        let mut random = Gaussian::new(1);
        World {
            image_mean: random.direction(dim),
            text_mean: random.direction(dim),
            topics: (0..TOPICS).map(|_| random.direction(dim)).collect(),
            subtopics: (0..TOPICS * SUBTOPICS).map(|_| random.direction(dim)).collect(),
        }
    }

    /// Popular topics hold more photos: topic r about in proportion to 1 / (r + 5).
    fn topic(&self, random: &mut Gaussian) -> usize {
        let u = random.uniform();
        let drawn = ((TOPICS + 5) as f64).powf(u) * 5f64.powf(1.0 - u) - 5.0;
        (drawn as usize).min(TOPICS - 1)
    }

    /// What a query or a photo shows: a topic, one of its sub-topics and a detail of
    /// that (whose direction is made from its numbers, not stored).
    fn draw(&self, random: &mut Gaussian) -> (usize, usize, Vec<f32>) {
        let topic = self.topic(random);
        let sub = topic * SUBTOPICS + (random.uniform() * SUBTOPICS as f64) as usize;
        let detail = (random.uniform() * DETAILS as f64) as u64;
        let direction = Gaussian::new(0x5EED ^ ((sub as u64) * DETAILS + detail)).direction(self.image_mean.len());
        (topic, sub, direction)
    }

    fn image(&self, random: &mut Gaussian) -> Vec<f32> {
        let (topic, sub, detail) = self.draw(random);
        mix(
            &[
                (0.9, &self.image_mean),
                (0.6, &self.topics[topic]),
                (0.4, &self.subtopics[sub]),
                (0.3, &detail),
            ],
            0.35,
            random,
        )
    }

    fn text(&self, random: &mut Gaussian) -> Vec<f32> {
        let (topic, sub, detail) = self.draw(random);
        mix(
            &[
                (0.9, &self.text_mean),
                (0.5, &self.topics[topic]),
                (0.25, &self.subtopics[sub]),
                (0.15, &detail),
            ],
            0.4,
            random,
        )
    }

    /// `n` image vectors, made on every core; vector `i` is the same whatever the count.
    fn images(&self, from: u64, n: usize) -> Vec<(u64, Vec<f32>)> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let per = n.div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    scope.spawn(move || {
                        (t * per..((t + 1) * per).min(n))
                            .map(|i| {
                                let id = from + i as u64;
                                (id, self.image(&mut Gaussian::new(id)))
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("generator panicked"))
                .collect()
        })
    }
}

/// An f32 dot product in eight lanes, which the compiler turns into SIMD.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for i in 0..8 {
            lanes[i] += x[i] * y[i];
        }
    }
    let tail: f32 = a
        .chunks_exact(8)
        .remainder()
        .iter()
        .zip(b.chunks_exact(8).remainder())
        .map(|(x, y)| x * y)
        .sum();
    lanes.iter().sum::<f32>() + tail
}

/// The exact 10 nearest ids of each query, in f32.
fn truth(vectors: &[(u64, Vec<f32>)], queries: &[Vec<f32>]) -> Vec<Vec<u64>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = queries.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = queries
            .chunks(per)
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|q| {
                            let mut scored: Vec<(f32, u64)> = vectors.iter().map(|(id, v)| (dot(v, q), *id)).collect();
                            scored.select_nth_unstable_by(K, |a, b| b.0.total_cmp(&a.0));
                            scored[..K].iter().map(|s| s.1).collect()
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("truth panicked"))
            .collect()
    })
}

struct Measured {
    recall: f64,
    p50: Duration,
    p95: Duration,
}

fn measure(index: &VectorIndex, queries: &[Vec<f32>], truth: &[Vec<u64>], mode: SearchMode) -> Result<Measured> {
    // Once untimed: the pages of a mapped file come in from the page cache.
    for q in queries {
        index.search(q, K, mode)?;
    }
    let mut latencies = Vec::with_capacity(queries.len());
    let mut found = 0;
    for (q, exact) in queries.iter().zip(truth) {
        let started = Instant::now();
        let hits = index.search(q, K, mode)?;
        latencies.push(started.elapsed());
        found += hits.iter().filter(|h| exact.contains(&h.id)).count();
    }
    latencies.sort();
    Ok(Measured {
        recall: found as f64 / (K * queries.len()) as f64,
        p50: percentile(&latencies, 0.5),
        p95: percentile(&latencies, 0.95),
    })
}

/// What the strategies are measured on.
struct Workload {
    source: &'static str,
    dim: usize,
    vectors: Vec<(u64, Vec<f32>)>,
    text_queries: Vec<Vec<f32>>,
    image_queries: Vec<Vec<f32>>,
}

fn synthetic(args: &IndexBenchArgs) -> Workload {
    let world = World::new(args.dim);
    let mut random = Gaussian::new(u64::MAX / 3);
    Workload {
        source: "synthetic",
        dim: args.dim,
        vectors: world.images(1, args.vectors),
        text_queries: (0..args.queries).map(|_| world.text(&mut random)).collect(),
        image_queries: world
            .images(args.vectors as u64 + 1, args.queries)
            .into_iter()
            .map(|(_, v)| v)
            .collect(),
    }
}

fn library(global: &Global, args: &IndexBenchArgs) -> Result<Workload> {
    let engine = Engine::open(&crate::engine_config(global)?)?;
    let mut vectors: Vec<(u64, Vec<f32>)> = engine
        .embeddings()?
        .into_iter()
        .map(|(id, vector)| (id as u64, vector))
        .collect();
    ensure!(
        vectors.len() >= EXACT_BELOW + args.queries,
        "{} photos in {} are encoded with {}; the strategies differ only from {EXACT_BELOW} on \
         (below, every search is exhaustive), and {} more are held out as image queries",
        vectors.len(),
        engine.data_dir().display(),
        engine.model_key(),
        args.queries
    );
    // Image queries are photos taken out of the library, drawn the same way each run.
    let mut random = Gaussian::new(7);
    let mut image_queries = Vec::with_capacity(args.queries);
    for _ in 0..args.queries {
        let at = (random.uniform() * vectors.len() as f64) as usize;
        image_queries.push(vectors.swap_remove(at.min(vectors.len() - 1)).1);
    }
    let texts: Vec<String> = match &args.texts {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read text queries from {}", path.display()))?
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .take(args.queries)
            .map(str::to_owned)
            .collect(),
        None => QUERIES.iter().map(|q| q.to_string()).collect(),
    };
    ensure!(!texts.is_empty(), "no text query to measure with");
    let mut text_queries = Vec::with_capacity(texts.len());
    for batch in texts.chunks(64) {
        let batch: Vec<&str> = batch.iter().map(String::as_str).collect();
        text_queries.extend(engine.encode_texts(&batch)?);
    }
    Ok(Workload {
        source: "library",
        dim: text_queries[0].len(),
        vectors,
        text_queries,
        image_queries,
    })
}

pub fn run(global: &Global, args: IndexBenchArgs, out: &mut impl Write) -> Result<()> {
    let started = Instant::now();
    let Workload {
        source,
        dim,
        vectors,
        text_queries,
        image_queries,
    } = if args.library {
        library(global, &args)?
    } else {
        synthetic(&args)
    };
    let count = vectors.len();
    let text_truth = truth(&vectors, &text_queries);
    let image_truth = truth(&vectors, &image_queries);
    eprintln!(
        "{count} {source} vectors of {dim} dimensions and the exact answers to {} queries in {:.1} s",
        text_queries.len() + image_queries.len(),
        started.elapsed().as_secs_f64()
    );
    let scratch = tempfile::tempdir().context("cannot make a scratch folder")?;
    let mut rows = Vec::new();
    for strategy in args.strategies {
        eprintln!("{strategy}: building");
        let path = scratch.path().join(strategy.name());
        let built = Instant::now();
        let mut index = VectorIndex::new(strategy, dim)?;
        index.extend(vectors.clone())?;
        let build_s = built.elapsed().as_secs_f64();
        let memory = index.memory_bytes() as f64 / count as f64;
        index.save(&path)?;
        drop(index);
        let bytes = std::fs::metadata(&path)?.len() as f64 / count as f64;
        // Searched as the app and the CLI search: the saved file, memory-mapped.
        let index = VectorIndex::map(&path, dim)?;
        let modes: &[(SearchMode, &str)] = if strategy == Strategy::Flat {
            &[(SearchMode::Exact, "exact"), (SearchMode::Auto, "auto")]
        } else {
            &[(SearchMode::Auto, "auto")]
        };
        for &(mode, search) in modes {
            eprintln!("{strategy}: {search} search");
            let text = measure(&index, &text_queries, &text_truth, mode)?;
            let image = measure(&index, &image_queries, &image_truth, mode)?;
            rows.push(Row {
                name: strategy.name(),
                search,
                recall_at_10: text.recall,
                p50_ms: text.p50.as_secs_f64() * 1e3,
                p95_ms: text.p95.as_secs_f64() * 1e3,
                image_recall_at_10: image.recall,
                image_p50_ms: image.p50.as_secs_f64() * 1e3,
                build_s,
                bytes_per_vector: bytes,
                memory_bytes_per_vector: memory,
            });
        }
        std::fs::remove_file(&path)?;
    }
    let report = Report {
        source,
        vectors: count,
        dim,
        queries: text_queries.len(),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        strategies: rows,
    };
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} {} vectors × {} dimensions, {} text and {} image queries, k = {K}, {} threads",
        report.vectors,
        report.source,
        report.dim,
        report.queries,
        image_queries.len(),
        report.threads
    )?;
    writeln!(
        out,
        "{:<10} {:<6} {:>10} {:>8} {:>8} {:>11} {:>9} {:>8} {:>10} {:>10}",
        "strategy",
        "search",
        "recall@10",
        "p50 ms",
        "p95 ms",
        "img recall",
        "img p50",
        "build s",
        "disk B/v",
        "memory B/v"
    )?;
    for r in &report.strategies {
        writeln!(
            out,
            "{:<10} {:<6} {:>10.3} {:>8.2} {:>8.2} {:>11.3} {:>9.2} {:>8.1} {:>10.0} {:>10.0}",
            r.name,
            r.search,
            r.recall_at_10,
            r.p50_ms,
            r.p95_ms,
            r.image_recall_at_10,
            r.image_p50_ms,
            r.build_s,
            r.bytes_per_vector,
            r.memory_bytes_per_vector
        )?;
    }
    Ok(())
}
