//! `motis bench --compare`: several models' towers side by side on this machine, in one
//! process, each measured against the first model of the list, and each `ID-int8`
//! against `ID` for how far quantisation moves its embeddings.

use std::collections::HashMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use motis_embed::{ImageEncoder, Manifest, Runtime, TextEncoder};
use motis_media::{Preprocessor, decode_upright};
use serde::Serialize;

use super::{QUERIES, peak_rss, percentile, reset_peak_rss, write_photo};
use crate::Global;

/// A six-word query, as people type them.
const SHORT_QUERY: &str = "a dog running on a beach";
/// Long enough to fill CLIP's 77 tokens: the cost of a tower that always runs them all.
const FULL_QUERY: &str = "a very long description of a photo with many small details such as a red car, a blue \
    bicycle, three tall trees, two people walking their dogs, a bakery with fresh bread in the window, clouds over \
    the hills, a river under a stone bridge, children playing football and an old man reading a newspaper";
const PHOTOS: usize = 4;
const IMAGE_BATCH: usize = 16;
const IMAGE_ROUNDS: usize = 4;
const TEXT_ROUNDS: usize = 30;

#[derive(Serialize)]
struct Row {
    model: String,
    image_bytes: u64,
    text_bytes: u64,
    image_encodes_per_second: f64,
    image_speed_vs_first: f64,
    text_ms_six_words: f64,
    text_ms_77_tokens: f64,
    /// How many times faster than the first model's text tower, at 77 tokens.
    text_speed_vs_first: f64,
    peak_rss_bytes: Option<u64>,
    drift: Option<Drift>,
}

/// Cosine similarity of an int8 copy's embeddings to its fp32 model's.
#[derive(Serialize)]
struct Drift {
    against: String,
    image_mean: f64,
    image_worst: f64,
    text_mean: f64,
    text_worst: f64,
}

/// Bytes of the files of the tower whose graph is `file`: the graph, its external data
/// (`image.onnx.data`, `model.onnx_data`), and the rest of its own folder (`visual/…`).
fn tower_bytes(manifest: &Manifest, file: &str) -> u64 {
    let folder = std::path::Path::new(file)
        .parent()
        .filter(|p| !p.as_os_str().is_empty());
    manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with(file) || folder.is_some_and(|d| std::path::Path::new(&f.path).starts_with(d)))
        .map(|f| f.bytes)
        .sum()
}

fn median_ms(mut times: Vec<Duration>) -> f64 {
    times.sort();
    percentile(&times, 0.5).as_secs_f64() * 1e3
}

fn cosines(a: &[Vec<f32>], b: &[Vec<f32>]) -> (f64, f64) {
    let all: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| x.iter().zip(y).map(|(p, q)| f64::from(*p) * f64::from(*q)).sum())
        .collect();
    let mean = all.iter().sum::<f64>() / all.len().max(1) as f64;
    (mean, all.iter().copied().fold(f64::INFINITY, f64::min))
}

struct Measured {
    row: Row,
    images: Vec<Vec<f32>>,
    texts: Vec<Vec<f32>>,
}

fn measure(runtime: &Runtime, global: &Global, id: &str, photos: &[std::path::PathBuf]) -> Result<Measured> {
    let model = crate::model_folders(global, false)?.open(id)?;
    model.verify()?;
    eprintln!("measuring {id}");
    reset_peak_rss();
    let mut preprocessor = Preprocessor::new(model.input.clone());
    let mut pixels = Vec::new();
    for photo in photos {
        let mut one = vec![0.0; model.input.len()];
        preprocessor.write_input(&decode_upright(photo)?, &mut one)?;
        pixels.extend(one);
    }
    let mut image = ImageEncoder::new(runtime, &model, global.threads)?;
    let images = image.encode(&pixels)?;
    let batch = pixels.repeat(IMAGE_BATCH / photos.len());
    let started = Instant::now();
    for _ in 0..IMAGE_ROUNDS {
        image.encode(&batch)?;
    }
    let image_encodes_per_second = (IMAGE_ROUNDS * IMAGE_BATCH) as f64 / started.elapsed().as_secs_f64();
    drop(image);

    let mut text = TextEncoder::new(runtime, &model, global.threads)?;
    let texts = text.encode(QUERIES)?;
    let mut time = |query: &str| -> Result<f64> {
        text.encode(&[query])?;
        let mut times = Vec::with_capacity(TEXT_ROUNDS);
        for _ in 0..TEXT_ROUNDS {
            let started = Instant::now();
            text.encode(&[query])?;
            times.push(started.elapsed());
        }
        Ok(median_ms(times))
    };
    let (text_ms_six_words, text_ms_77_tokens) = (time(SHORT_QUERY)?, time(FULL_QUERY)?);
    Ok(Measured {
        row: Row {
            model: id.to_owned(),
            image_bytes: tower_bytes(&model.manifest, &model.manifest.image.file),
            text_bytes: tower_bytes(&model.manifest, &model.manifest.text.file),
            image_encodes_per_second,
            image_speed_vs_first: 1.0,
            text_ms_six_words,
            text_ms_77_tokens,
            text_speed_vs_first: 1.0,
            peak_rss_bytes: peak_rss(),
            drift: None,
        },
        images,
        texts,
    })
}

pub fn run(global: &Global, ids: &[String], json: bool, out: &mut impl Write) -> Result<()> {
    let scratch = tempfile::tempdir().context("cannot make a scratch folder")?;
    let photos: Vec<_> = (0..PHOTOS)
        .map(|i| {
            let path = scratch.path().join(format!("photo-{i}.jpg"));
            write_photo(&path, i as u32 + 1).map(|()| path)
        })
        .collect::<Result<_>>()?;
    let runtime = Runtime::load()?;
    let mut measured: Vec<Measured> = Vec::new();
    for id in ids {
        measured.push(measure(&runtime, global, id, &photos)?);
    }
    let (first_image, first_text) = (
        measured[0].row.image_encodes_per_second,
        measured[0].row.text_ms_77_tokens,
    );
    let by_id: HashMap<String, usize> = measured
        .iter()
        .enumerate()
        .map(|(i, m)| (m.row.model.clone(), i))
        .collect();
    let drifts: Vec<Option<Drift>> = measured
        .iter()
        .map(|m| {
            let base = &measured[*by_id.get(m.row.model.strip_suffix("-int8")?)?];
            let (image_mean, image_worst) = cosines(&m.images, &base.images);
            let (text_mean, text_worst) = cosines(&m.texts, &base.texts);
            Some(Drift {
                against: base.row.model.clone(),
                image_mean,
                image_worst,
                text_mean,
                text_worst,
            })
        })
        .collect();
    let rows: Vec<Row> = measured
        .into_iter()
        .zip(drifts)
        .map(|(m, drift)| Row {
            image_speed_vs_first: m.row.image_encodes_per_second / first_image,
            text_speed_vs_first: first_text / m.row.text_ms_77_tokens,
            drift,
            ..m.row
        })
        .collect();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        return Ok(());
    }
    let mb = |bytes: u64| format!("{:.1}", bytes as f64 / 1e6);
    writeln!(
        out,
        "| model | image MB | text MB | image encodes/s | vs {first} | text ms, 6 words | text ms, 77 tokens | vs {first} | peak MB | int8 drift (cosine to fp32, mean / worst) |",
        first = rows[0].model
    )?;
    writeln!(out, "|---|---|---|---|---|---|---|---|---|---|")?;
    for row in &rows {
        let drift = row.drift.as_ref().map_or(String::new(), |d| {
            format!(
                "images {:.4} / {:.4}, texts {:.4} / {:.4}",
                d.image_mean, d.image_worst, d.text_mean, d.text_worst
            )
        });
        writeln!(
            out,
            "| {} | {} | {} | {:.1} | {:.2}× | {:.1} | {:.1} | {:.2}× | {} | {} |",
            row.model,
            mb(row.image_bytes),
            mb(row.text_bytes),
            row.image_encodes_per_second,
            row.image_speed_vs_first,
            row.text_ms_six_words,
            row.text_ms_77_tokens,
            row.text_speed_vs_first,
            row.peak_rss_bytes
                .map_or("n/a".to_owned(), |b| format!("{:.0}", b as f64 / 1e6)),
            drift
        )?;
    }
    Ok(())
}
