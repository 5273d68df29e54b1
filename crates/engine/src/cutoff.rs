//! Where a search's results stop: at the photos that stand out from the rest of the
//! gallery for this query, not at a fixed count, and at none when nothing does ("no good
//! match"). A flat score threshold cannot do this: each model scores on its own scale
//! (the demo model's matches score about 0.8, CLIP ViT-B/32's about 0.3), and a query's
//! scores shift with its words.
//!
//! The scale is the query's own: the mean and standard deviation of its scores over a
//! sample of the gallery. A photo is shown when its score stands out by at least
//! √(2 ln N) + [`FLOOR_OFFSET`] standard deviations, N being the photos searched (√(2 ln N)
//! is about how far the best of N unrelated photos reaches by chance, so the bar rises
//! with the library: 3.4 at 1,000 photos, 4.5 at 100,000), and when it is within
//! [`SPREAD`] standard deviations of the best (a strong match does not carry weak ones
//! along). The two constants were chosen on a calibration render of the demo world and
//! measured on the demo gallery by `scripts/eval_cutoff.py` (README: "When results stop").

/// Photos of the gallery scored for a query's mean and spread: enough for both to within
/// a few percent.
pub(crate) const SAMPLE_SIZE: usize = 2048;

/// Added to √(2 ln N): below that bar a photo is one of the many a query scores at random.
const FLOOR_OFFSET: f32 = -0.3;

/// How far below the best (in standard deviations) shown photos may score. Wider than the
/// demo world's best (0.5: its captions match one to six photos) for libraries where a
/// query matches hundreds.
const SPREAD: f32 = 1.0;

/// A query's scores over the gallery: their mean and standard deviation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Spread {
    mean: f32,
    deviation: f32,
}

impl Spread {
    /// The spread of `query`'s scores over `sample` (unit vectors); `None` for fewer than
    /// two photos or scores that do not spread at all: nothing can stand out then.
    pub fn of(query: &[f32], sample: &[Vec<f32>]) -> Option<Spread> {
        if sample.len() < 2 {
            return None;
        }
        let scores: Vec<f64> = sample
            .iter()
            .map(|v| v.iter().zip(query).map(|(a, b)| f64::from(a * b)).sum())
            .collect();
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
        // √(2 ln 1000) − 0.3 = 3.42 standard deviations: 0.342 here.
        assert_eq!(shown(&[0.45, 0.40, 0.36, 0.33, 0.2], Some(gallery()), 1000), 3);
        // Nothing stands out: no good match.
        assert_eq!(shown(&[0.33, 0.32, 0.3], Some(gallery()), 1000), 0);
        assert_eq!(shown(&[], Some(gallery()), 1000), 0);
    }

    #[test]
    fn a_strong_match_does_not_carry_weaker_ones_along() {
        // The best stands 8 deviations out; those more than one below it are not shown.
        assert_eq!(shown(&[0.8, 0.75, 0.71, 0.69, 0.5], Some(gallery()), 1000), 3);
    }

    #[test]
    fn the_bar_rises_with_the_photos_searched() {
        let scores = [0.40, 0.39];
        assert_eq!(shown(&scores, Some(gallery()), 1000), 2);
        // √(2 ln 100,000) − 0.3 = 4.50: what stood out among 1,000 is chance among 100,000.
        assert_eq!(shown(&scores, Some(gallery()), 100_000), 0);
    }

    #[test]
    fn without_a_spread_everything_is_shown() {
        assert_eq!(shown(&[0.3, 0.2], None, 1000), 2);
        let same = vec![vec![1.0, 0.0]; 5];
        assert_eq!(Spread::of(&[1.0, 0.0], &same), None);
        assert_eq!(Spread::of(&[1.0, 0.0], &same[..1]), None);
    }

    #[test]
    fn the_spread_is_the_mean_and_deviation_of_the_sample_scores() {
        let sample = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.6, 0.8], vec![-1.0, 0.0]];
        let spread = Spread::of(&[1.0, 0.0], &sample).unwrap();
        // Scores 1, 0, 0.6, -1: mean 0.15, deviation √0.5675.
        assert!((spread.mean - 0.15).abs() < 1e-6, "{spread:?}");
        assert!((spread.deviation - 0.5675f32.sqrt()).abs() < 1e-5, "{spread:?}");
    }
}
