//! Where a search's results stop: at the photos that stand out for this query, not at a
//! fixed count, and at none when nothing does ("no good match"). A flat score threshold
//! cannot do this: each model scores on its own scale (the demo model's matches score
//! about 0.8, CLIP ViT-B/32's about 0.3), and a query's scores shift with its words. So
//! every rule here is in the query's own terms: how its scores spread over the gallery,
//! the gaps between its ranks, and N, the photos searched.
//!
//! The spread is the mean and standard deviation of the query's scores over the lower
//! four fifths of a sample of the gallery (the photos a query is not about; left out, the
//! top fifth cannot raise the bar when a query matches up to a fifth of the library). A
//! score's standing is how many deviations it lies above that mean; √(2 ln N) is about how
//! far the best of N unrelated photos reaches by chance (3.7 at 1,000 photos, 4.8 at
//! 100,000). A result is shown when either holds:
//! - **It stands out from the gallery**: it stands [`FLOOR`] deviations above chance, and
//!   within [`SPREAD`] of the best (a strong match does not carry weak ones along);
//! - **It stands out from the results after it**: a clear gap, [`GAP`] deviations or more,
//!   follows it or a result after it, above chance. A gap between the best few and the
//!   rest is the strongest evidence a query has: the photo that ranks first at 0.80 when
//!   the second scores 0.64 is shown however wide the gallery's spread.
//!
//! Where a clear gap comes first, the results stop at it: what lies below is a weaker
//! kind of match. A query whose best photos match it only in part (a purple diamond for
//! "a purple hexagon") has neither: its scores fall away smoothly from a best that does
//! not stand out far, and it gets no good match.
//!
//! A query that many photos match ("stars": a fifth of the demo world) spreads its scores
//! so wide that its matches stand out from neither. Where a model's manifest gives the
//! score from which a photo matches a query of words (`match_score`, measured on a world
//! whose every answer is known), the photos above it are shown too, down to
//! [`MATCH_SPREAD`] below the best. That is a calibration of one model, kept with it, not
//! a threshold for all. The constants were chosen on a
//! calibration render of the demo world and measured on the demo gallery and on a render
//! neither the model nor they had seen, by `scripts/eval_cutoff.py` (README: "When results
//! stop").

/// Photos of the gallery scored for a query's mean and spread: enough for both to within
/// a few percent.
pub(crate) const SAMPLE_SIZE: usize = 2048;

/// How many of a search's best scores the cut-off reads, however few results are asked
/// for (the app's 60 results by default).
pub(crate) const DEPTH: usize = 60;

/// The share of the sample, from the lowest score up, that the mean and spread are taken
/// over.
const BULK: f64 = 0.8;

/// Fewer scores than this in the bulk say too little of a query's spread for a cut: a
/// library this small (or one whose first photos are being encoded) shows its best `k`.
const BULK_AT_LEAST: usize = 40;

/// How far above chance (in standard deviations) a photo stands out from the gallery.
const FLOOR: f32 = 2.6;

/// How far below the best (in standard deviations) photos that stand out from the gallery
/// may score.
const SPREAD: f32 = 1.5;

/// A gap between two ranks this wide (in standard deviations) sets the results above it
/// apart from those below. The top ranks of unrelated photos lie about 1/√(2 ln N) apart
/// (0.27 at 1,000 photos): a gap of several times that rarely happens by chance.
const GAP: f32 = 1.5;

/// How far below the best (in standard deviations) photos above the model's match score
/// may score: a query's best matches carry its partial ones no further than this.
const MATCH_SPREAD: f32 = 2.0;

/// A query's scores over the gallery: their mean and standard deviation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Spread {
    mean: f32,
    deviation: f32,
}

impl Spread {
    /// The spread of `query`'s scores over the lower [`BULK`] of `sample` (unit vectors);
    /// `None` for fewer than [`BULK_AT_LEAST`] photos there, or scores that do not spread
    /// at all: no cut then.
    pub fn of(query: &[f32], sample: &[Vec<f32>]) -> Option<Spread> {
        let mut scores: Vec<f64> = sample
            .iter()
            .map(|v| v.iter().zip(query).map(|(a, b)| f64::from(a * b)).sum())
            .collect();
        scores.sort_by(f64::total_cmp);
        scores.truncate((scores.len() as f64 * BULK) as usize);
        if scores.len() < BULK_AT_LEAST {
            return None;
        }
        let n = scores.len() as f64;
        let mean = scores.iter().sum::<f64>() / n;
        let deviation = (scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
        (deviation > 1e-6).then_some(Spread {
            mean: mean as f32,
            deviation: deviation as f32,
        })
    }

    fn standing(&self, score: f32) -> f32 {
        (score - self.mean) / self.deviation
    }
}

/// How many of `scores` (best first, of a search over `searched` photos) to show: all of
/// them without a spread, none when nothing stands out. `match_score` is the model's own
/// calibration, where its manifest has one and the query is one of words.
pub(crate) fn shown(scores: &[f32], spread: Option<Spread>, searched: usize, match_score: Option<f32>) -> usize {
    let Some(spread) = spread else {
        return scores.len();
    };
    let standings: Vec<f32> = scores.iter().map(|&s| spread.standing(s)).collect();
    let calibrated = match_score.map_or(0, |match_score| above_match_score(scores, &standings, match_score));
    standing_out(&standings, searched).max(calibrated)
}

/// How many of the best stand out from the results after them or from the gallery.
fn standing_out(standings: &[f32], searched: usize) -> usize {
    let chance = (2.0 * (searched.max(1) as f32).ln()).sqrt();
    let before_gap = standings
        .windows(2)
        .position(|pair| pair[0] - pair[1] >= GAP && pair[0] >= chance)
        .map(|rank| rank + 1);
    if let Some(count) = before_gap {
        return count;
    }
    let Some(&best) = standings.first() else {
        return 0;
    };
    let floor = chance + FLOOR;
    if best < floor {
        return 0;
    }
    let bar = floor.max(best - SPREAD);
    standings.iter().take_while(|&&s| s >= bar).count()
}

/// How many of the best score at least the model's match score, and within
/// [`MATCH_SPREAD`] of the best.
fn above_match_score(scores: &[f32], standings: &[f32], match_score: f32) -> usize {
    let Some(&best) = standings.first() else {
        return 0;
    };
    scores
        .iter()
        .zip(standings)
        .take_while(|&(&score, &standing)| score >= match_score && standing >= best - MATCH_SPREAD)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1,000 photos scoring 0 ± 0.1 for a query: the spread a search finds.
    fn gallery() -> Spread {
        Spread {
            mean: 0.0,
            deviation: 0.1,
        }
    }

    /// Scores falling away smoothly from `best` in steps of `step`: no gap anywhere.
    fn smooth(best: f32, step: f32, count: usize) -> Vec<f32> {
        (0..count).map(|i| best - step * i as f32).collect()
    }

    #[test]
    fn photos_that_stand_out_from_the_gallery_are_shown_and_the_rest_are_not() {
        // Chance at 1,000 photos: √(2 ln 1000) = 3.72 deviations; the floor 6.32 (0.632 here).
        let scores = smooth(0.74, 0.03, 20);
        assert_eq!(shown(&scores, Some(gallery()), 1000, None), 4, "0.74 to 0.65");
        // Nothing stands out, and no gap: no good match.
        assert_eq!(shown(&smooth(0.62, 0.02, 20), Some(gallery()), 1000, None), 0);
        assert_eq!(shown(&[], Some(gallery()), 1000, None), 0);
    }

    #[test]
    fn a_strong_match_does_not_carry_weaker_ones_along() {
        // The best stands 10 deviations out; those more than 1.5 below it are not shown.
        let mut scores = smooth(1.0, 0.04, 10);
        scores.extend(smooth(0.6, 0.01, 10));
        assert_eq!(shown(&scores, Some(gallery()), 1000, None), 4);
    }

    #[test]
    fn a_photo_followed_by_a_clear_gap_is_shown_though_the_gallery_spreads_wide() {
        // The demo gallery's case: 0.80 first, 0.64 second, a wide spread (mean 0.2, 0.1):
        // 6.0 deviations is below the floor, but a gap of 1.6 follows it.
        let spread = Spread {
            mean: 0.2,
            deviation: 0.1,
        };
        let mut scores = vec![0.80];
        scores.extend(smooth(0.64, 0.005, 30));
        assert_eq!(shown(&scores, Some(spread), 1000, None), 1);
        // Without the gap, the same best is not shown.
        assert_eq!(shown(&smooth(0.80, 0.005, 31), Some(spread), 1000, None), 0);
    }

    #[test]
    fn a_clear_gap_stops_the_results_even_above_the_floor() {
        // Three photos far out, a gap, then partial matches still above the floor.
        let mut scores = smooth(1.2, 0.01, 3);
        scores.extend(smooth(0.9, 0.01, 20));
        assert_eq!(shown(&scores, Some(gallery()), 1000, None), 3);
    }

    #[test]
    fn a_gap_among_photos_that_score_as_chance_does_is_no_evidence() {
        // A gap at 3 deviations: the best of 1,000 unrelated photos reaches 3.7.
        let mut scores = vec![0.3];
        scores.extend(smooth(0.15, 0.01, 20));
        assert_eq!(shown(&scores, Some(gallery()), 1000, None), 0);
    }

    #[test]
    fn the_bar_rises_with_the_photos_searched() {
        let scores = smooth(0.66, 0.01, 2);
        assert_eq!(shown(&scores, Some(gallery()), 1000, None), 2);
        // √(2 ln 100,000) + 2.6 = 7.40: what stood out among 1,000 is chance among 100,000.
        assert_eq!(shown(&scores, Some(gallery()), 100_000, None), 0);
    }

    #[test]
    fn without_a_spread_everything_is_shown() {
        assert_eq!(shown(&[0.3, 0.2], None, 1000, None), 2);
        // Scores that do not spread, and a library too small to tell.
        assert_eq!(Spread::of(&[1.0, 0.0], &vec![vec![1.0, 0.0]; 100]), None);
        let small: Vec<Vec<f32>> = (0..49).map(|x| vec![x as f32]).collect();
        assert_eq!(Spread::of(&[1.0], &small), None);
        assert!(Spread::of(&[1.0], &[small, vec![vec![49.0]]].concat()).is_some());
    }

    #[test]
    fn the_spread_is_taken_over_the_lower_four_fifths_of_the_sample() {
        // Scores 0 to 39, and ten far above: only the forty count.
        let sample: Vec<Vec<f32>> = (0..40).chain([100; 10]).map(|x| vec![x as f32]).collect();
        let spread = Spread::of(&[1.0], &sample).unwrap();
        assert!((spread.mean - 19.5).abs() < 1e-5, "{spread:?}");
        assert!((spread.deviation - 133.25f32.sqrt()).abs() < 1e-4, "{spread:?}");
    }

    /// Regression: with the mean and deviation of the whole sample, a query matching a
    /// fifth of the library raised its own bar out of reach (its matches stood 1.9
    /// deviations out, the bar at 1,000 photos was 3.4) and found "no good match".
    #[test]
    fn a_query_that_matches_a_fifth_of_the_library_still_finds_it() {
        let rest = (0..800).map(|i| vec![-0.15 + 0.3 * i as f32 / 800.0]);
        let matches = (0..200).map(|_| vec![0.6]);
        let sample: Vec<Vec<f32>> = rest.chain(matches).collect();
        let spread = Spread::of(&[1.0], &sample);
        assert_eq!(shown(&[0.6; 60], spread, 1000, None), 60);
        assert_eq!(shown(&[0.1; 60], spread, 1000, None), 0);
    }

    #[test]
    fn photos_above_the_models_match_score_are_shown_though_none_stands_out() {
        // A query many photos match: a wide spread (mean 0.2, 0.12), its best at 2.5
        // deviations, far below the floor.
        let spread = Spread {
            mean: 0.2,
            deviation: 0.12,
        };
        let scores = smooth(0.5, 0.005, 30);
        assert_eq!(shown(&scores, Some(spread), 1000, None), 0);
        assert_eq!(shown(&scores, Some(spread), 1000, Some(0.4475)), 11, "0.50 to 0.45");
        // Nothing reaches it: no good match.
        assert_eq!(shown(&scores, Some(spread), 1000, Some(0.55)), 0);
    }

    #[test]
    fn the_match_score_carries_no_photo_far_below_the_best() {
        // All above a low match score; those more than 2 deviations (0.2) below the best
        // are not shown, though more than the 8 that stand out from the gallery are.
        let scores = smooth(0.9, 0.019, 30);
        assert_eq!(shown(&scores, Some(gallery()), 1000, None), 8);
        assert_eq!(shown(&scores, Some(gallery()), 1000, Some(0.3)), 11);
    }
}
