//! `motis bench --library`: what a person does on the library already in the data
//! folder, timed in this process — opening it, its status, the app's gallery pages at
//! the start, the middle and the end, a text search (the first, which draws the cut-off's
//! sample, and then others), searches and a gallery page narrowed to one folder or one
//! year, the list of folders, and "more like this". Run on libraries of different sizes,
//! it shows which of them grow with the library.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use motis_engine::{Engine, Filters, GalleryPosition, Query, SearchOptions, SearchResults, Subject};
use serde::Serialize;

use super::{QUERIES, percentile};
use crate::Global;

/// The page size the app asks for (ui/src/lib/app.svelte.ts).
const GALLERY_PAGE: usize = 2000;
/// Results asked for, as the app's first screen of results does.
const RESULTS: usize = 60;
const ROUNDS: usize = 30;

#[derive(Serialize)]
struct Latency {
    p50_ms: f64,
    p95_ms: f64,
}

#[derive(Serialize)]
struct Report {
    photos: usize,
    encoded: usize,
    open_ms: f64,
    status: Latency,
    gallery_first_page: Latency,
    gallery_middle_page: Latency,
    gallery_last_page: Latency,
    /// Every page, one after the other, as the app loads the gallery.
    whole_gallery_ms: f64,
    /// The first search after opening, which draws the cut-off's sample of the gallery.
    first_search_ms: f64,
    search: Latency,
    /// The folders of the library, as the app's filter control lists them.
    folders: Latency,
    /// The folder and the year the narrowed rows are narrowed to, and their shares of the
    /// library.
    folder: Narrowed,
    year: Narrowed,
    gallery_in_folder_first_page: Latency,
    search_in_folder: Latency,
    search_in_year: Latency,
    similar: Latency,
}

#[derive(Serialize)]
struct Narrowed {
    filter: String,
    photos: usize,
}

fn timed(rounds: usize, mut run: impl FnMut(usize) -> Result<()>) -> Result<Latency> {
    let mut took: Vec<Duration> = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let started = Instant::now();
        run(round)?;
        took.push(started.elapsed());
    }
    took.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Ok(Latency {
        p50_ms: ms(percentile(&took, 0.5)),
        p95_ms: ms(percentile(&took, 0.95)),
    })
}

fn matches(results: SearchResults) -> usize {
    match results {
        SearchResults::Matches { found, .. } => found.len(),
        SearchResults::Gallery(_) => 0,
    }
}

pub fn run(global: &Global, json: bool, out: &mut impl Write) -> Result<()> {
    let config = crate::engine_config(global)?;
    let started = Instant::now();
    let engine = Engine::open(&config)?;
    let open_ms = started.elapsed().as_secs_f64() * 1e3;
    let status = engine.status()?;
    let photos = status.counts.photos;
    ensure!(
        status.searchable > 0,
        "no photo in {} is encoded with {}: index a library first",
        status.data_dir.display(),
        status.model_key
    );
    let status_latency = timed(ROUNDS, |_| {
        engine.status()?;
        Ok(())
    })?;
    // The whole gallery first, as the app loads it (each page with the photo count, as
    // the app's command answers), keeping where each page starts.
    let started = Instant::now();
    let mut ids = Vec::with_capacity(photos);
    let mut page_starts: Vec<Option<GalleryPosition>> = Vec::new();
    let mut after = None;
    let everything = Filters::default();
    loop {
        let page = engine.gallery(&everything, after, GALLERY_PAGE)?;
        engine.photo_count(&everything)?;
        let Some(last) = page.last() else { break };
        page_starts.push(after);
        after = Some(last.gallery_position());
        ids.extend(page.into_iter().map(|photo| photo.id));
    }
    let whole_gallery_ms = started.elapsed().as_secs_f64() * 1e3;
    ensure!(
        ids.len() == photos,
        "the gallery's pages held {} of {photos} photos",
        ids.len()
    );
    let page_at = |after: Option<GalleryPosition>| {
        timed(ROUNDS, |_| {
            ensure!(
                !engine.gallery(&everything, after, GALLERY_PAGE)?.is_empty(),
                "a gallery page was empty"
            );
            engine.photo_count(&everything)?;
            Ok(())
        })
    };
    let gallery_first_page = page_at(None)?;
    let gallery_middle_page = page_at(page_starts[page_starts.len() / 2])?;
    let gallery_last_page = page_at(page_starts[page_starts.len() - 1])?;

    engine.encode_texts(&[QUERIES[0]])?;
    let queries: Vec<Query> = QUERIES
        .iter()
        .map(|text| Query::parse(text, false))
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    matches(engine.search(&queries[0], SearchOptions::best(RESULTS))?);
    let first_search_ms = started.elapsed().as_secs_f64() * 1e3;
    let search_with = |queries: &[Query]| {
        timed(ROUNDS, |round| {
            let query = &queries[round % queries.len()];
            let found = matches(engine.search(query, SearchOptions::best(RESULTS))?);
            ensure!(found > 0, "a search found nothing: {query:?}");
            Ok(())
        })
    };
    let search = search_with(&queries)?;

    let folders = timed(ROUNDS, |_| {
        engine.photo_folders()?;
        Ok(())
    })?;
    // The folder in the middle of the list, and the year of the photo in the middle of the
    // gallery: a narrow filter and a wider one.
    let listed = engine.photo_folders()?;
    let middle = &listed[listed.len() / 2];
    let year = engine.photo(ids[ids.len() / 2])?.taken.local.format("%Y").to_string();
    let narrowed = |filter: String| -> Result<(Narrowed, Vec<Query>)> {
        let only = Query::parse(&filter, false)?;
        let photos = engine.photo_count(&only.filters)?;
        let queries = QUERIES
            .iter()
            .map(|text| Query::parse(&format!("{text} {filter}"), false))
            .collect::<Result<_, _>>()?;
        Ok((Narrowed { filter, photos }, queries))
    };
    let (folder, in_folder) = narrowed(format!("in:{}", middle.name))?;
    let (year, in_year) = narrowed(format!("on:{year}"))?;
    let folder_filters = in_folder[0].filters.clone();
    let gallery_in_folder_first_page = timed(ROUNDS, |_| {
        ensure!(
            !engine.gallery(&folder_filters, None, GALLERY_PAGE)?.is_empty(),
            "the gallery of {} was empty",
            folder.filter
        );
        engine.photo_count(&folder_filters)?;
        Ok(())
    })?;
    let search_in_folder = search_with(&in_folder)?;
    let search_in_year = search_with(&in_year)?;

    // Encoded photos spread over the library, each asked for once.
    let spread: Vec<_> = (0..ids.len())
        .map(|i| ids[i * 7919 % ids.len()])
        .filter(|&id| engine.embedding(id).is_ok())
        .take(ROUNDS)
        .collect();
    ensure!(
        !spread.is_empty(),
        "no photo in the gallery has an embedding to search with"
    );
    let similar = timed(spread.len(), |round| {
        let id = spread[round];
        matches(
            engine
                .search(&Query::like(Subject::Photo(id)), SearchOptions::best(RESULTS))
                .with_context(|| format!("similar to photo {id}"))?,
        );
        Ok(())
    })?;

    let encoded = status.encoded();
    let report = Report {
        photos,
        encoded,
        open_ms,
        status: status_latency,
        gallery_first_page,
        gallery_middle_page,
        gallery_last_page,
        whole_gallery_ms,
        first_search_ms,
        search,
        folders,
        folder,
        year,
        gallery_in_folder_first_page,
        search_in_folder,
        search_in_year,
        similar,
    };
    if json {
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
        return Ok(());
    }
    let line = |out: &mut dyn Write, what: &str, latency: &Latency| {
        writeln!(
            out,
            "{what:<22}p50 {:.2} ms, p95 {:.2} ms",
            latency.p50_ms, latency.p95_ms
        )
    };
    writeln!(
        out,
        "library               {photos} photos, {encoded} encoded with {}",
        status.model_key
    )?;
    writeln!(out, "open                  {open_ms:.1} ms (catalog and index)")?;
    line(out, "status", &report.status)?;
    line(out, "gallery, first page", &report.gallery_first_page)?;
    line(out, "gallery, middle page", &report.gallery_middle_page)?;
    line(out, "gallery, last page", &report.gallery_last_page)?;
    writeln!(
        out,
        "whole gallery         {whole_gallery_ms:.1} ms (pages of {GALLERY_PAGE}, as the app loads it)"
    )?;
    writeln!(
        out,
        "first search          {first_search_ms:.1} ms (draws the cut-off's sample)"
    )?;
    line(out, "search", &report.search)?;
    line(out, "folders", &report.folders)?;
    let share = |narrowed: &Narrowed| {
        format!(
            "{} ({} photos, {:.1} %)",
            narrowed.filter,
            narrowed.photos,
            100.0 * narrowed.photos as f64 / photos as f64
        )
    };
    writeln!(
        out,
        "narrowed to           {}, {}",
        share(&report.folder),
        share(&report.year)
    )?;
    line(out, "gallery, folder page", &report.gallery_in_folder_first_page)?;
    line(out, "search in the folder", &report.search_in_folder)?;
    line(out, "search in the year", &report.search_in_year)?;
    line(out, "similar", &report.similar)?;
    Ok(())
}
