//! Where a search's results stop: at the photos that stand out from the rest of the
//! gallery for this query, not at a fixed count, and at none when nothing does ("no good
//! match"). A flat score threshold cannot do this: each model scores on its own scale
//! (the demo model's matches score about 0.8, CLIP ViT-B/32's about 0.3), and a query's
//! scores shift with its words.
//!
//! The scale is the query's own: the mean and standard deviation of its scores over the
//! lower four fifths of a sample of the gallery (the photos a query is not about; left out,
//! the top fifth cannot raise the bar when a query matches up to a fifth of the library). A
//! photo is shown when its score stands out by at least √(2 ln N) + [`FLOOR_OFFSET`]
//! standard deviations, N being the photos searched (√(2 ln N) is about how far the best of
//! N unrelated photos reaches by chance, so the bar rises with the library: 5.5 at 1,000
//! photos, 6.6 at 100,000), and when it is within [`SPREAD`] standard deviations of the
//! best (a strong match does not carry weak ones along). The constants were chosen on a
//! calibration render of the demo world and measured on the demo gallery by
//! `scripts/eval_cutoff.py` (README: "When results stop").

/// Photos of the gallery scored for a query's mean and spread: enough for both to within
/// a few percent.
pub(crate) const SAMPLE_SIZE: usize = 2048;

/// The share of the sample, from the lowest score up, that the mean and spread are taken
/// over.
const BULK: f64 = 0.8;

/// Fewer scores than this in the bulk say too little of a query's spread for a cut: a
/// library this small (or one whose first photos are being encoded) shows its best `k`.
const BULK_AT_LEAST: usize = 40;

/// Added to √(2 ln N): below that bar a photo is one of the many a query scores at random.
const FLOOR_OFFSET: f32 = 1.8;

/// How far below the best (in standard deviations) shown photos may score. Wider than the
/// demo world's best (1.0: its captions match one to six photos) for libraries where a
/// query matches hundreds.
const SPREAD: f32 = 1.5;

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
/// them without a spread, none when even the best does not stand out.
pub(crate) fn shown(scores: &[f32], spread: Option<Spread>, searched: usize) -> usize {
    let Some(spread) = spread else {
        return scores.len();
    };
    let Some(&best) = scores.first() else {
        return 0;
    };
    let floor = (2.0 * (searched.max(1) as f32).ln()).sqrt() + FLOOR_OFFSET;
    let best = spread.standing(best);
    if best < floor {
        return 0;
    }
    let bar = floor.max(best - SPREAD);
    scores.iter().take_while(|&&s| spread.standing(s) >= bar).count()
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

    #[test]
    fn photos_that_stand_out_are_shown_and_the_rest_are_not() {
        // √(2 ln 1000) + 1.8 = 5.52 standard deviations: 0.552 here.
        assert_eq!(shown(&[0.65, 0.60, 0.56, 0.50, 0.2], Some(gallery()), 1000), 3);
        // Nothing stands out: no good match.
        assert_eq!(shown(&[0.54, 0.5, 0.3], Some(gallery()), 1000), 0);
        assert_eq!(shown(&[], Some(gallery()), 1000), 0);
    }

    #[test]
    fn a_strong_match_does_not_carry_weaker_ones_along() {
        // The best stands 10 deviations out; those more than 1.5 below it are not shown.
        assert_eq!(shown(&[1.0, 0.9, 0.86, 0.84, 0.6], Some(gallery()), 1000), 3);
    }

    #[test]
    fn the_bar_rises_with_the_photos_searched() {
        let scores = [0.60, 0.59];
        assert_eq!(shown(&scores, Some(gallery()), 1000), 2);
        // √(2 ln 100,000) + 1.8 = 6.60: what stood out among 1,000 is chance among 100,000.
        assert_eq!(shown(&scores, Some(gallery()), 100_000), 0);
    }

    #[test]
    fn without_a_spread_everything_is_shown() {
        assert_eq!(shown(&[0.3, 0.2], None, 1000), 2);
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
        assert_eq!(shown(&[0.6; 60], spread, 1000), 60);
        assert_eq!(shown(&[0.1; 60], spread, 1000), 0);
    }
}
