//! Search people can steer, on a demo-world gallery whose every scene is known
//! (tests/fixtures/world, written by scripts/make_world_fixture.py): query terms added,
//! subtracted and weighed, photos as terms, the cut-off, and dates and folders.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use chrono::{NaiveDate, NaiveDateTime};
use motis_engine::{
    CancellationToken, DateSource, Engine, EngineError, ErrorCode, Filters, Found, Query, SearchMode, SearchOptions,
    SearchResults, Sort, Source,
};
use serde::Deserialize;

use super::pipeline::{index_sources_with, open, repo, small_batches};

#[derive(Deserialize)]
struct World {
    photos: Vec<WorldPhoto>,
    queries: Vec<JudgedQuery>,
}

/// A query and the photos whose scene has what it states (judged by the demo world's
/// relevance rules when the fixture was written).
#[derive(Clone, Deserialize)]
struct JudgedQuery {
    text: String,
    /// The attributes it states, as `colour shape`; `absent` for a caption of a scene no
    /// photo has.
    kind: String,
    fits: Vec<String>,
}

#[derive(Clone, Deserialize)]
struct WorldPhoto {
    file: String,
    scene: Scene,
    /// "2024-07-14T18:30:05+02:00", without the offset where the camera wrote none.
    taken: Option<String>,
    caption: String,
}

#[derive(Clone, Deserialize)]
struct Scene {
    things: Vec<Thing>,
}

#[derive(Clone, Deserialize)]
struct Thing {
    shape: String,
    colour: String,
}

impl WorldPhoto {
    fn has(&self, colour: &str, shape: &str) -> bool {
        self.scene.things.iter().any(|t| t.colour == colour && t.shape == shape)
    }

    /// The local time and offset its EXIF data holds.
    fn taken(&self) -> Option<(NaiveDateTime, Option<i32>)> {
        let text = self.taken.as_deref()?;
        let (local, offset) = text.split_at(19);
        let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S").unwrap();
        let offset = (!offset.is_empty()).then(|| {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            sign * (offset[1..3].parse::<i32>().unwrap() * 60 + offset[4..6].parse::<i32>().unwrap())
        });
        Some((local, offset))
    }
}

/// Where the first half of the photos goes, and the second: two folders to filter by.
const FIRST_FOLDER: &str = "Summer 2024";
const SECOND_FOLDER: &str = "Misc/Other";

struct Indexed {
    engine: Arc<Engine>,
    photos: Vec<WorldPhoto>,
    queries: Vec<JudgedQuery>,
    folder: PathBuf,
}

impl Indexed {
    /// The fixture's record of the photo with catalog id `id`.
    fn photo(&self, id: i64) -> &WorldPhoto {
        let path = self.engine.photo(id).unwrap().origin.label();
        let name = path.file_name().unwrap().to_string_lossy();
        self.photos.iter().find(|p| p.file == name).unwrap()
    }

    fn id_of(&self, file: &str) -> i64 {
        let half = self.photos.iter().position(|p| p.file == file).unwrap() < self.photos.len() / 2;
        let folder = if half { FIRST_FOLDER } else { SECOND_FOLDER };
        self.engine
            .photo_id_by_path(&self.folder.join(folder).join(file))
            .unwrap()
    }

    fn search(&self, text: &str, k: usize, sort: Sort) -> (Vec<Found>, usize) {
        let query = Query::parse(text, true).unwrap_or_else(|e| panic!("{text:?}: {e}"));
        let options = SearchOptions {
            k,
            mode: SearchMode::Exact,
            sort,
        };
        match self.engine.search(&query, options).unwrap() {
            SearchResults::Matches { found, shown, .. } => (found, shown),
            SearchResults::Gallery(_) => panic!("{text:?} is a query"),
        }
    }

    /// The `k` best, whatever the cut-off.
    fn top(&self, text: &str, k: usize) -> Vec<i64> {
        self.search(text, k, Sort::Score).0.iter().map(|f| f.id).collect()
    }
}

/// The fixture indexed once for every test of this file, in the test binary's own
/// temporary folder.
fn world() -> &'static Indexed {
    static WORLD: OnceLock<Indexed> = OnceLock::new();
    WORLD.get_or_init(|| {
        let fixture = repo().join("tests/fixtures/world");
        let world: World = serde_json::from_str(&std::fs::read_to_string(fixture.join("world.json")).unwrap()).unwrap();
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("world-search");
        let _ = std::fs::remove_dir_all(&root);
        let folder = root.join("photos");
        for (i, photo) in world.photos.iter().enumerate() {
            let into = folder.join(if i < world.photos.len() / 2 {
                FIRST_FOLDER
            } else {
                SECOND_FOLDER
            });
            std::fs::create_dir_all(&into).unwrap();
            std::fs::copy(fixture.join("images").join(&photo.file), into.join(&photo.file)).unwrap();
        }
        let engine = open(&root.join("data"));
        let (summary, _) = index_sources_with(
            &engine,
            vec![Source::Folder(folder.clone())],
            small_batches(),
            CancellationToken::new(),
            |_| {},
        );
        assert_eq!(summary.unwrap().searchable, world.photos.len());
        Indexed {
            engine,
            photos: world.photos,
            queries: world.queries,
            folder: folder.canonicalize().unwrap(),
        }
    })
}

#[test]
fn subtracting_a_colour_from_a_shape_leaves_that_colour_out_and_keeps_the_shape_for_every_shape() {
    let world = world();
    let has_shape = |id: i64, shape: &str| world.photo(id).scene.things.iter().any(|t| t.shape == shape);
    for shape in [
        "circle", "square", "triangle", "star", "heart", "cross", "hexagon", "diamond",
    ] {
        let plural = if shape == "cross" {
            "crosses".to_owned()
        } else {
            format!("{shape}s")
        };
        // The colour that most photos of this shape have, so that there is something to leave out.
        let mut colours: Vec<&str> = world
            .photos
            .iter()
            .flat_map(|p| &p.scene.things)
            .filter(|t| t.shape == shape)
            .map(|t| t.colour.as_str())
            .collect();
        colours.sort();
        let colour = colours
            .chunk_by(|a, b| a == b)
            .max_by_key(|run| run.len())
            .map(|run| run[0])
            .unwrap();
        let of_that_colour = |ids: &[i64]| ids.iter().filter(|&&id| world.photo(id).has(colour, shape)).count();
        let plain = world.top(&plural, 10);
        assert!(
            of_that_colour(&plain) > 0,
            "the ten best for `{plural}` hold a {colour} {shape}"
        );
        for text in [format!("{plural} - {colour}"), format!("{plural} -{colour}")] {
            let without = world.top(&text, 10);
            assert_eq!(of_that_colour(&without), 0, "`{text}`");
            let kept = without.iter().filter(|&&id| has_shape(id, shape)).count();
            assert!(kept >= 8, "`{text}`: {kept} of the ten best have a {shape}");
        }
    }
}

#[test]
fn terms_added_together_behave_like_the_phrase() {
    let world = world();
    let phrase: HashSet<i64> = world.top("red circle", 10).into_iter().collect();
    let sum = world.top("red + circle", 10);
    let other: HashSet<i64> = world.top("blue square", 10).into_iter().collect();
    let shared = sum.iter().filter(|id| phrase.contains(id)).count();
    let unrelated = sum.iter().filter(|id| other.contains(id)).count();
    assert!(
        shared >= 6 && unrelated <= 2,
        "shared {shared} of 10 with `red circle`, {unrelated} with `blue square`"
    );
}

/// Cosine similarity of unit vectors.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn unit(v: Vec<f32>) -> Vec<f32> {
    let norm = dot(&v, &v).sqrt();
    v.into_iter().map(|x| x / norm).collect()
}

/// The ids of the `k` stored embeddings nearest to `query`, best first, leaving out `except`.
fn nearest(engine: &Engine, query: &[f32], k: usize, except: &[i64]) -> Vec<i64> {
    let mut scored: Vec<(f32, i64)> = engine
        .embeddings()
        .unwrap()
        .into_iter()
        .filter(|(id, _)| !except.contains(id))
        .map(|(id, vector)| (dot(query, &unit(vector)), id))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(k).map(|(_, id)| id).collect()
}

#[test]
fn weights_scale_each_terms_unit_embedding_in_the_sum() {
    let world = world();
    let texts = world.engine.encode_texts(&["red", "circle", "blue"]).unwrap();
    let sum: Vec<f32> = (0..texts[0].len())
        .map(|i| 2.0 * texts[0][i] + texts[1][i] - 0.5 * texts[2][i])
        .collect();
    let expected = nearest(&world.engine, &unit(sum), 10, &[]);
    assert_eq!(world.top("2:red + circle - 0.5:blue", 10), expected);
    assert_ne!(world.top("red + 2:circle", 10), expected);
}

#[test]
fn a_photo_term_finds_that_photos_nearest_neighbours_and_not_the_photo() {
    let world = world();
    let id = world.id_of(&world.photos[7].file);
    let own = world.engine.embedding(id).unwrap();
    let expected = nearest(&world.engine, &unit(own.clone()), 10, &[id]);
    assert_eq!(world.top(&format!("photo:{id}"), 10), expected);
    // A path names the same photo in the CLI.
    let path = world.engine.photo(id).unwrap().origin.label();
    assert_eq!(world.top(&format!("\"{}\"", path.display()), 10), expected);
    // Photo and words together: the photo's neighbours, with less red.
    let texts = world.engine.encode_texts(&["red"]).unwrap();
    let own = unit(own);
    let mixed: Vec<f32> = own.iter().zip(&texts[0]).map(|(p, r)| p - r).collect();
    assert_eq!(
        world.top(&format!("photo:{id} - red"), 10),
        nearest(&world.engine, &unit(mixed), 10, &[id])
    );
}

#[test]
fn terms_that_cannot_be_searched_say_why() {
    let world = world();
    let fails = |text: &str| {
        let query = Query::parse(text, true).unwrap();
        world.engine.search(&query, SearchOptions::best(10)).unwrap_err()
    };
    assert!(matches!(fails("photo:99999"), EngineError::NoSuchPhoto(99999)));
    let cancels = fails("red - red");
    assert_eq!(cancels.code(), ErrorCode::BadQuery, "{cancels}");
    assert!(cancels.to_string().contains("cancel"), "{cancels}");
    let missing = fails("/nonexistent/photo.jpg + red");
    assert_eq!(missing.code(), ErrorCode::NoSuchPhoto, "{missing}");
}

impl JudgedQuery {
    /// Whether it is one of the fixture's short queries (of one or two attributes).
    fn is_short(&self) -> bool {
        self.kind != "absent" && self.kind != "example"
    }
}

#[test]
fn the_demo_models_example_searches_show_photos_that_fit_them() {
    let world = world();
    let examples: Vec<&JudgedQuery> = world.queries.iter().filter(|q| q.kind == "example").collect();
    let texts: Vec<&str> = examples.iter().map(|q| q.text.as_str()).collect();
    assert_eq!(
        texts,
        motis_engine::example_searches(world.engine.model()),
        "the manifest offers the fixture's examples"
    );
    // An example no photo of these 240 fits is a caption of an absent scene, which
    // `results_stop_where_the_scores_fall_away` measures over forty of them.
    let answerable: Vec<&&JudgedQuery> = examples.iter().filter(|q| !q.fits.is_empty()).collect();
    assert!(
        answerable.len() >= 4,
        "{} of the examples fit a photo of the fixture",
        answerable.len()
    );
    for query in answerable {
        let fits: HashSet<i64> = query.fits.iter().map(|file| world.id_of(file)).collect();
        let (found, shown) = world.search(&query.text, 60, Sort::Score);
        let right = found[..shown].iter().filter(|f| fits.contains(&f.id)).count();
        assert!(
            right > 0 && right * 2 > shown,
            "{:?}: {right} of {shown} shown fit",
            query.text
        );
    }
}

/// Precision@10 of a query: the photos that fit it among the ten best, out of at most as
/// many as fit.
fn precision_at_10(world: &Indexed, query: &JudgedQuery) -> f64 {
    let fits: HashSet<i64> = query.fits.iter().map(|file| world.id_of(file)).collect();
    let hits = world.top(&query.text, 10).iter().filter(|id| fits.contains(id)).count();
    hits as f64 / fits.len().min(10) as f64
}

#[test]
fn short_queries_find_the_photos_that_have_what_they_state() {
    let world = world();
    let mut by_kind: Vec<(&str, Vec<f64>)> = Vec::new();
    for query in world.queries.iter().filter(|q| q.is_short()) {
        let precision = precision_at_10(world, query);
        match by_kind.iter_mut().find(|(kind, _)| *kind == query.kind) {
            Some((_, values)) => values.push(precision),
            None => by_kind.push((&query.kind, vec![precision])),
        }
    }
    assert!(by_kind.len() >= 20, "{} kinds of query", by_kind.len());
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
    let overall = mean(&by_kind.iter().flat_map(|(_, v)| v.clone()).collect::<Vec<_>>());
    let report: Vec<String> = by_kind
        .iter()
        .map(|(kind, v)| format!("{kind}: {:.2}", mean(v)))
        .collect();
    println!("precision@10 by kind: {}", report.join(", "));
    assert!(
        overall >= SHORT_PRECISION,
        "precision@10 {overall:.3} over all short queries"
    );
    for (kind, values) in &by_kind {
        let least = if kind.contains("colour") {
            COLOUR_KIND_PRECISION
        } else {
            KIND_PRECISION
        };
        assert!(mean(values) >= least, "{kind}: precision@10 {:.2}", mean(values));
    }
}

/// What the demo model reaches on the fixture's short queries (0.94 over all, 2026-12-07),
/// with room for the noise of 8 queries a kind on 240 photos; the evaluation on 5,000
/// photos is in models/README.md. Colours are what it reads worst: on these 240 photos
/// a colour with a position or a size is right for about six of the best ten.
const SHORT_PRECISION: f64 = 0.9;
const KIND_PRECISION: f64 = 0.75;
const COLOUR_KIND_PRECISION: f64 = 0.5;

#[test]
fn results_stop_where_the_scores_fall_away() {
    let world = world();
    // Each photo's own caption: what is shown is a beginning of the best `k`, and a
    // photo that comes first is shown.
    let (mut first, mut first_shown) = (0, 0);
    let captions = &world.photos[..60];
    for photo in captions {
        let (found, shown) = world.search(&photo.caption, 20, Sort::Score);
        assert!(shown <= found.len());
        if found[0].id == world.id_of(&photo.file) {
            first += 1;
            first_shown += usize::from(shown > 0);
        }
        // Far fewer than 20 stand out: the scene is one of 240.
        assert!(shown < 10, "{:?}: {shown} shown", photo.caption);
    }
    assert!(
        first >= 50,
        "{first} of {} captions find their own photo first",
        captions.len()
    );
    assert!(
        first_shown * 20 >= first * 19,
        "{first_shown} of the {first} captions whose photo comes first show it"
    );
    // Short queries: something right is shown, and what is shown is mostly right.
    let (mut right, mut shown_total, mut something) = (0, 0, 0);
    let short: Vec<&JudgedQuery> = world.queries.iter().filter(|q| q.is_short()).collect();
    for query in &short {
        let fits: HashSet<i64> = query.fits.iter().map(|file| world.id_of(file)).collect();
        let (found, shown) = world.search(&query.text, 60, Sort::Score);
        let hits = found[..shown].iter().filter(|f| fits.contains(&f.id)).count();
        right += hits;
        shown_total += shown;
        something += usize::from(hits > 0);
    }
    let precision = right as f64 / shown_total.max(1) as f64;
    let found = something as f64 / short.len() as f64;
    // The goals README: "When results stop" measures on 1,000-photo galleries, here on 240.
    assert!(
        found >= 0.85 && precision >= 0.8,
        "short queries: something right shown for {found:.2}, precision {precision:.2}"
    );
    // Scenes the gallery does not have: no good match.
    let absent: Vec<&JudgedQuery> = world.queries.iter().filter(|q| q.kind == "absent").collect();
    assert!(absent.len() >= 30 && absent.iter().all(|q| q.fits.is_empty()));
    let silent = absent
        .iter()
        .filter(|q| world.search(&q.text, 20, Sort::Score).1 == 0)
        .count();
    assert!(
        silent * 10 >= absent.len() * 7,
        "{silent} of {} captions of absent scenes find no good match",
        absent.len()
    );
}

#[test]
fn photos_keep_the_date_their_camera_wrote_or_their_files() {
    let world = world();
    for photo in &world.photos {
        let record = world.engine.photo(world.id_of(&photo.file)).unwrap();
        match photo.taken() {
            Some((local, offset)) => {
                assert_eq!(record.taken.local, local, "{}", photo.file);
                assert_eq!(record.taken.offset_minutes, offset, "{}", photo.file);
                assert_eq!(record.taken.source, DateSource::Exif);
            }
            None => {
                assert_eq!(record.taken.source, DateSource::File, "{}", photo.file);
                // Copied for the test: the file's time is this run's.
                assert!(record.taken.local.and_utc().timestamp() > 1_700_000_000);
            }
        }
    }
}

/// The photos a query of filters alone lists: the gallery, narrowed.
fn gallery(world: &Indexed, text: &str) -> Vec<i64> {
    let query = Query::parse(text, true).unwrap();
    assert!(query.is_gallery());
    let filters = query.filters;
    let page = world.engine.gallery(&filters, None, 1000).unwrap();
    assert_eq!(world.engine.photo_count(&filters).unwrap(), page.len());
    page.into_iter().map(|p| p.id).collect()
}

#[test]
fn date_filters_keep_the_photos_taken_in_the_period_newest_first() {
    let world = world();
    let from = NaiveDate::from_ymd_opt(2024, 6, 1)
        .unwrap()
        .and_time(Default::default());
    let until = NaiveDate::from_ymd_opt(2024, 9, 1)
        .unwrap()
        .and_time(Default::default());
    let in_summer = |photo: &WorldPhoto| photo.taken().is_some_and(|(local, _)| from <= local && local < until);
    let expected: HashSet<i64> = world
        .photos
        .iter()
        .filter(|p| in_summer(p))
        .map(|p| world.id_of(&p.file))
        .collect();
    assert!(expected.len() > 5, "{} photos in the summer of 2024", expected.len());
    let listed = gallery(world, "after:2024-06 before:2024-09");
    assert_eq!(listed.iter().copied().collect::<HashSet<_>>(), expected);
    let taken: Vec<NaiveDateTime> = listed
        .iter()
        .map(|&id| world.engine.photo(id).unwrap().taken.local)
        .collect();
    assert!(taken.windows(2).all(|w| w[0] >= w[1]), "newest first");
    let july = world
        .photos
        .iter()
        .filter(|p| p.taken.as_deref().is_some_and(|t| t.starts_with("2024-07")));
    assert_eq!(gallery(world, "on:2024-07").len(), july.count());

    // With words: only photos of the period answer, in the order asked for.
    let (found, shown) = world.search("stars after:2024-06 before:2024-09", 10, Sort::Newest);
    assert!(!found.is_empty() && found.iter().all(|f| expected.contains(&f.id)));
    for part in [&found[..shown], &found[shown..]] {
        assert!(
            part.windows(2).all(|w| w[0].taken.local >= w[1].taken.local),
            "newest first"
        );
    }
    let (oldest, _) = world.search("stars after:2024-06 before:2024-09", 10, Sort::Oldest);
    assert_eq!(
        oldest.iter().map(|f| f.id).collect::<HashSet<_>>(),
        found.iter().map(|f| f.id).collect::<HashSet<_>>()
    );
}

#[test]
fn folder_filters_match_folder_names_anywhere_in_the_path_without_regard_to_case() {
    let world = world();
    let half = world.photos.len() / 2;
    let first: HashSet<i64> = world.photos[..half].iter().map(|p| world.id_of(&p.file)).collect();
    let second: HashSet<i64> = world.photos[half..].iter().map(|p| world.id_of(&p.file)).collect();
    let set = |ids: Vec<i64>| ids.into_iter().collect::<HashSet<_>>();
    assert_eq!(set(gallery(world, "in:\"summer 2024\"")), first);
    assert_eq!(set(gallery(world, "in:OTHER")), second);
    assert_eq!(set(gallery(world, "in:Misc/Other")), second);
    assert_eq!(set(gallery(world, "in:photos")).len(), world.photos.len());
    assert!(gallery(world, "in:Misc/Summer").is_empty());
    assert!(
        gallery(world, "in:Summer").is_empty(),
        "a folder's whole name, not a part of it"
    );
    assert_eq!(
        set(gallery(world, "in:other in:\"Summer 2024\"")).len(),
        world.photos.len()
    );
    let (found, _) = world.search("red in:other", 20, Sort::Score);
    assert!(found.iter().all(|f| second.contains(&f.id)));
    // What was searched and out of how many: the folder's photos, not the library's.
    let options = SearchOptions::best(20);
    match world
        .engine
        .search(&Query::parse("red in:other", true).unwrap(), options)
        .unwrap()
    {
        SearchResults::Matches { searched, total, .. } => assert_eq!((searched, total), (half, half)),
        SearchResults::Gallery(_) => panic!("a query"),
    }
    // The folders a person can choose from, named as `in:` takes them.
    let folders = world.engine.photo_folders().unwrap();
    let names: Vec<(&str, usize)> = folders.iter().map(|f| (f.name.as_str(), f.photos)).collect();
    assert_eq!(names, vec![("photos/Misc/Other", half), ("photos/Summer 2024", half)]);
    // And no photo at all: an empty page, not an error.
    assert!(gallery(world, "in:nowhere after:2030").is_empty());
    let (none, _) = world.search("red in:nowhere", 20, Sort::Score);
    assert!(none.is_empty());
    assert_eq!(Filters::default(), Query::parse("reset", true).unwrap().filters);
}

#[test]
fn photos_catalogued_before_dates_were_kept_get_their_exif_dates_at_the_next_scan() {
    let fixture = repo().join("tests/fixtures/world");
    let world: World = serde_json::from_str(&std::fs::read_to_string(fixture.join("world.json")).unwrap()).unwrap();
    let dated: Vec<&WorldPhoto> = world.photos.iter().filter(|p| p.taken.is_some()).take(4).collect();
    let dir = tempfile::tempdir().unwrap();
    let photos = dir.path().join("photos");
    std::fs::create_dir(&photos).unwrap();
    for photo in &dated {
        std::fs::copy(fixture.join("images").join(&photo.file), photos.join(&photo.file)).unwrap();
    }
    let data = dir.path().join("data");
    let engine = open(&data);
    let run = |engine: &Arc<Engine>| {
        let sources = vec![Source::Folder(photos.clone())];
        index_sources_with(engine, sources, small_batches(), CancellationToken::new(), |_| {})
            .0
            .unwrap()
    };
    run(&engine);
    // As the schema 5 migration leaves rows: the file's time, and no date read yet.
    let catalog = rusqlite::Connection::open(data.join("catalog.sqlite")).unwrap();
    catalog
        .execute(
            "UPDATE photos SET taken = mtime_ns / 1000000000, taken_offset = NULL, taken_from = NULL",
            [],
        )
        .unwrap();
    let engine = open(&data);
    let id = engine.photo_id_by_path(&photos.join(&dated[0].file)).unwrap();
    assert_eq!(engine.photo(id).unwrap().taken.source, DateSource::File);
    let summary = run(&engine);
    assert_eq!((summary.encoded, summary.changed), (0, 0), "dates need no encoding");
    for photo in dated {
        let id = engine.photo_id_by_path(&photos.join(&photo.file)).unwrap();
        let record = engine.photo(id).unwrap();
        let (local, offset) = photo.taken().unwrap();
        assert_eq!(
            (record.taken.local, record.taken.offset_minutes, record.taken.source),
            (local, offset, DateSource::Exif)
        );
    }
}
