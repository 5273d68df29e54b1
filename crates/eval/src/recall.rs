use serde::Serialize;
use serde::ser::SerializeMap;

/// The ranks Recall is reported at.
pub const KS: [usize; 3] = [1, 5, 10];
/// Images per fold of the 1K protocol.
pub const FOLD: usize = 1000;

/// Recall@1/5/10 both ways. A query counts as found at K when fewer than K candidates
/// score strictly higher than its best right answer (ties go to the right answer).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Recalls {
    pub text_to_image: [f64; 3],
    pub image_to_text: [f64; 3],
}

impl Serialize for Recalls {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2 * KS.len()))?;
        for (direction, values) in [("t2i", &self.text_to_image), ("i2t", &self.image_to_text)] {
            for (k, value) in KS.iter().zip(values) {
                map.serialize_entry(&format!("{direction}_R@{k}"), value)?;
            }
        }
        map.end()
    }
}

/// Eight independent sums, so that the compiler can keep them in one vector register.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0f32; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a8.remainder().iter().zip(b8.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a8.zip(b8) {
        for lane in 0..8 {
            sums[lane] += x[lane] * y[lane];
        }
    }
    sums.iter().sum::<f32>() + tail
}

fn recall_at(ranks: &[usize]) -> [f64; 3] {
    KS.map(|k| ranks.iter().filter(|&&rank| rank < k).count() as f64 / ranks.len().max(1) as f64)
}

/// Recalls of `texts` against `images`, where caption `c` describes image `owner[c]`.
/// Embeddings are expected at unit length (cosine = dot product). Each image's row of
/// similarities is computed once and serves both directions; rows are spread over the
/// cores.
pub fn recalls(texts: &[Vec<f32>], images: &[Vec<f32>], owner: &[usize]) -> Recalls {
    assert_eq!(texts.len(), owner.len(), "one owner per caption");
    let own: Vec<f32> = texts.iter().zip(owner).map(|(t, &i)| dot(t, &images[i])).collect();
    let mut captions_of = vec![Vec::new(); images.len()];
    for (c, &i) in owner.iter().enumerate() {
        captions_of[i].push(c);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = images.len().div_ceil(threads).max(1);
    // Per thread: how many images beat each caption's own image, and each image's rank.
    let parts: Vec<(Vec<usize>, Vec<usize>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..images.len())
            .step_by(chunk)
            .map(|start| {
                let (own, captions_of) = (&own, &captions_of);
                scope.spawn(move || {
                    let mut beaten = vec![0usize; texts.len()];
                    let mut image_rank = Vec::new();
                    let mut row = vec![0f32; texts.len()];
                    for (i, image) in images.iter().enumerate().skip(start).take(chunk) {
                        for ((score, text), (beaten, own)) in row.iter_mut().zip(texts).zip(beaten.iter_mut().zip(own))
                        {
                            *score = dot(image, text);
                            *beaten += usize::from(*score > *own);
                        }
                        let best = captions_of[i]
                            .iter()
                            .map(|&c| row.iter().filter(|&&s| s > row[c]).count())
                            .min()
                            .unwrap_or(usize::MAX);
                        image_rank.push(best);
                    }
                    (beaten, image_rank)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a recall worker panicked"))
            .collect()
    });
    let mut text_rank = vec![0usize; texts.len()];
    let mut image_rank = Vec::with_capacity(images.len());
    for (beaten, ranks) in parts {
        for (total, part) in text_rank.iter_mut().zip(beaten) {
            *total += part;
        }
        image_rank.extend(ranks);
    }
    Recalls {
        text_to_image: recall_at(&text_rank),
        image_to_text: recall_at(&image_rank),
    }
}

/// The 1K protocol: [`recalls`] on each fold of [`FOLD`] consecutive images and their
/// captions, averaged. `None` when there are fewer than [`FOLD`] images.
pub fn recalls_by_fold(texts: &[Vec<f32>], images: &[Vec<f32>], owner: &[usize]) -> Option<Recalls> {
    let folds: Vec<Recalls> = (0..=images.len().checked_sub(FOLD)?)
        .step_by(FOLD)
        .map(|start| {
            let range = start..start + FOLD;
            let (fold_texts, fold_owner): (Vec<Vec<f32>>, Vec<usize>) = texts
                .iter()
                .zip(owner)
                .filter(|(_, i)| range.contains(i))
                .map(|(t, &i)| (t.clone(), i - start))
                .unzip();
            recalls(&fold_texts, &images[range], &fold_owner)
        })
        .collect();
    let mean = |pick: fn(&Recalls) -> &[f64; 3]| {
        std::array::from_fn(|k| folds.iter().map(|f| pick(f)[k]).sum::<f64>() / folds.len() as f64)
    };
    Some(Recalls {
        text_to_image: mean(|r| &r.text_to_image),
        image_to_text: mean(|r| &r.image_to_text),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(angle: f32) -> Vec<f32> {
        vec![angle.cos(), angle.sin()]
    }

    #[test]
    fn ranks_count_strictly_better_candidates() {
        // Images on the unit circle at 0, 1, 2 radians. Caption 0 sits on image 0; caption 1
        // describes image 1 but sits nearer image 2 (rank 1); caption 2 describes image 0
        // but sits on image 2 (rank 2: image 2 and image 1 are nearer).
        let images = [unit(0.0), unit(1.0), unit(2.0)];
        let texts = [unit(0.0), unit(1.8), unit(2.0)];
        let r = recalls(&texts, &images, &[0, 1, 0]);
        let third = 1.0 / 3.0;
        assert_eq!(r.text_to_image, [third, 1.0, 1.0]);
        // Image 0's best caption is caption 0 (rank 0). Image 1: caption 1 is at 0.8 rad,
        // caption 0 at 1.0 and caption 2 at 1.0 are farther: rank 0. Image 2 has no caption.
        assert_eq!(r.image_to_text[0], 2.0 / 3.0);
    }

    #[test]
    fn a_tie_counts_as_found() {
        let images = [unit(0.0), unit(0.0)];
        let r = recalls(&[unit(0.0)], &images, &[1]);
        assert_eq!(r.text_to_image, [1.0; 3]);
    }

    #[test]
    fn every_row_is_the_same_on_any_number_of_threads() {
        // Many images, so that several workers each take a part; captions hit their own
        // image except every third one, which points at the next image.
        let images: Vec<Vec<f32>> = (0..97).map(|i| unit(i as f32 * 0.06)).collect();
        let owner: Vec<usize> = (0..97).collect();
        let texts: Vec<Vec<f32>> = owner
            .iter()
            .map(|&i| {
                if i % 3 == 0 && i + 1 < 97 {
                    images[i + 1].clone()
                } else {
                    images[i].clone()
                }
            })
            .collect();
        let r = recalls(&texts, &images, &owner);
        let missed = (0..97).filter(|i| i % 3 == 0 && i + 1 < 97).count() as f64;
        assert!((r.text_to_image[0] - (97.0 - missed) / 97.0).abs() < 1e-12);
        // The displaced captions are one step away: found at 5.
        assert_eq!(r.text_to_image[1], 1.0);
    }

    #[test]
    fn the_1k_protocol_averages_whole_folds() {
        // 2,500 images: two folds of 1,000; the last 500 are in no fold. Fold 0 finds every
        // caption, fold 1 finds none at R@1 (each caption points at another image).
        let images: Vec<Vec<f32>> = (0..2500).map(|i| unit(i as f32 * 0.0025)).collect();
        let owner: Vec<usize> = (0..2500).collect();
        let texts: Vec<Vec<f32>> = owner
            .iter()
            .map(|&i| {
                if (1000..2000).contains(&i) {
                    images[i ^ 1].clone()
                } else {
                    images[i].clone()
                }
            })
            .collect();
        let folds = recalls_by_fold(&texts, &images, &owner).expect("two folds");
        assert!((folds.text_to_image[0] - 0.5).abs() < 1e-12, "{folds:?}");
        assert!(recalls_by_fold(&texts[..999], &images[..999], &owner[..999]).is_none());
    }

    #[test]
    fn serialises_with_the_papers_names() {
        let r = Recalls {
            text_to_image: [0.25, 0.5, 0.75],
            image_to_text: [0.1, 0.2, 0.3],
        };
        let json = serde_json::to_value(r).unwrap();
        assert_eq!(json["t2i_R@5"], 0.5);
        assert_eq!(json["i2t_R@10"], 0.3);
    }
}
