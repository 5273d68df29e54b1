//! The arithmetic every strategy shares: f16 and i8 storage of unit vectors, their dot
//! products (numkong's SIMD kernels, chosen for the CPU at run time), a bounded best-k
//! collector and an exhaustive scan spread over the cores.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::OnceLock;

use numkong::Dot;

/// A scan over fewer rows than this runs on the calling thread: starting threads costs
/// more than it saves.
const PARALLEL_FROM: usize = 32_768;

pub(crate) fn threads() -> usize {
    static THREADS: OnceLock<usize> = OnceLock::new();
    *THREADS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// `vector` scaled to unit length (a zero vector stays zero).
pub(crate) fn unit(vector: &[f32]) -> Vec<f32> {
    let mut vector = vector.to_vec();
    make_unit(&mut vector);
    vector
}

pub(crate) fn make_unit(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
}

pub(crate) fn to_f16(vector: &[f32]) -> Vec<u16> {
    let mut halves = vec![numkong::f16::ZERO; vector.len()];
    numkong::cast(vector, &mut halves).expect("same lengths");
    halves.into_iter().map(|h| h.0).collect()
}

pub(crate) fn f16_to_f32(halves: &[u16], out: &mut [f32]) {
    numkong::cast(as_f16(halves), out).expect("same lengths");
}

fn as_f16(bits: &[u16]) -> &[numkong::f16] {
    // SAFETY: numkong::f16 is a #[repr(transparent)] wrapper of u16.
    unsafe { std::slice::from_raw_parts(bits.as_ptr().cast(), bits.len()) }
}

pub(crate) fn dot_f16(a: &[u16], b: &[u16]) -> f32 {
    numkong::f16::dot(as_f16(a), as_f16(b)).expect("same lengths")
}

pub(crate) fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    f32::dot(a, b).expect("same lengths") as f32
}

/// Centres (k-means centroids) packed for numkong's matrix kernels, which score a batch
/// of vectors against all of them at once many times faster than one dot at a time.
pub(crate) struct Centres {
    packed: numkong::PackedMatrix<numkong::f16>,
    dimensions: usize,
}

/// Vectors scored against the centres per kernel call.
const CENTRES_BATCH: usize = 256;

impl Centres {
    pub fn new(centres: &[f32], dimensions: usize) -> Centres {
        let halves: Vec<numkong::f16> = to_f16(centres).into_iter().map(numkong::f16).collect();
        let matrix = numkong::Tensor::<numkong::f16>::from_slice(&halves, &[centres.len() / dimensions, dimensions]);
        Centres {
            packed: numkong::PackedMatrix::try_pack(&matrix).expect("a 2-D matrix packs"),
            dimensions,
        }
    }

    /// The number of the highest-scoring centre for each of the f16 `vectors`, on every core.
    pub fn nearest(&self, vectors: &[u16]) -> Vec<u32> {
        let d = self.dimensions;
        let rows = vectors.len() / d;
        parallel_parts(rows.div_ceil(CENTRES_BATCH), |batches| {
            let mut nearest = Vec::new();
            for batch in batches {
                let (from, to) = (batch * CENTRES_BATCH, ((batch + 1) * CENTRES_BATCH).min(rows));
                let points =
                    numkong::Tensor::<numkong::f16>::from_slice(as_f16(&vectors[from * d..to * d]), &[to - from, d]);
                let scores = points.dots_packed(&self.packed);
                let width = self.packed.dims().0;
                nearest.extend(scores.as_slice().chunks_exact(width).map(|row| {
                    let mut best = 0;
                    for (c, score) in row.iter().enumerate() {
                        if *score > row[best] {
                            best = c;
                        }
                    }
                    best as u32
                }));
            }
            nearest
        })
        .into_iter()
        .flatten()
        .collect()
    }
}

/// A unit vector as i8 codes and the scale that maps them back (`code as f32 * scale`).
pub(crate) fn to_i8(vector: &[f32]) -> (Vec<i8>, f32) {
    let largest = vector.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    if largest == 0.0 {
        return (vec![0; vector.len()], 0.0);
    }
    let scale = largest / 127.0;
    (vector.iter().map(|x| (x / scale).round() as i8).collect(), scale)
}

pub(crate) fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    i8::dot(a, b).expect("same lengths")
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Scored {
    pub score: f32,
    /// A row, an id: what the caller needs to find the vector again.
    pub key: u64,
}

impl PartialEq for Scored {
    fn eq(&self, other: &Scored) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Scored) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    /// Reversed, so that the standard max-heap keeps the worst of the best on top.
    fn cmp(&self, other: &Scored) -> Ordering {
        other.score.total_cmp(&self.score).then(other.key.cmp(&self.key))
    }
}

/// The `k` best scores offered to it.
pub(crate) struct BestK {
    k: usize,
    heap: BinaryHeap<Scored>,
}

impl BestK {
    pub fn new(k: usize) -> BestK {
        BestK {
            k,
            heap: BinaryHeap::with_capacity(k + 1),
        }
    }

    /// The score an offer must beat to be kept.
    pub fn threshold(&self) -> f32 {
        if self.heap.len() < self.k {
            f32::NEG_INFINITY
        } else {
            self.heap.peek().map_or(f32::NEG_INFINITY, |s| s.score)
        }
    }

    pub fn offer(&mut self, score: f32, key: u64) {
        if self.k == 0 {
            return;
        }
        if self.heap.len() < self.k {
            self.heap.push(Scored { score, key });
        } else if score > self.threshold() {
            self.heap.pop();
            self.heap.push(Scored { score, key });
        }
    }

    pub fn merge(&mut self, other: BestK) {
        for s in other.heap {
            self.offer(s.score, s.key);
        }
    }

    /// Best first.
    pub fn into_sorted(self) -> Vec<Scored> {
        // The heap's order is reversed: ascending in it is best first.
        self.heap.into_sorted_vec()
    }
}

/// Score rows `0..rows` with `score(row)` and keep the best `k`, on every core when there
/// are enough rows. `score` returns `None` for a row that must not be answered.
pub(crate) fn scan(rows: usize, k: usize, score: impl Fn(usize) -> Option<f32> + Sync) -> Vec<Scored> {
    scan_parts(rows, rows, k, |range, best| {
        for row in range {
            if let Some(s) = score(row) {
                best.offer(s, row as u64);
            }
        }
    })
}

/// [`scan`] where the caller offers what it finds in each range of `0..parts` itself,
/// with keys of its choosing (the lists of an IVF, say); `work`, the rows all the parts
/// hold, tells how many threads are worth starting.
pub(crate) fn scan_parts(
    parts: usize,
    work: usize,
    k: usize,
    offer: impl Fn(std::ops::Range<usize>, &mut BestK) + Sync,
) -> Vec<Scored> {
    let chunk = |range: std::ops::Range<usize>| {
        let mut best = BestK::new(k);
        offer(range, &mut best);
        best
    };
    let workers = threads().min(work / PARALLEL_FROM).min(parts).max(1);
    if workers == 1 {
        return chunk(0..parts).into_sorted();
    }
    let per = parts.div_ceil(workers);
    let mut best = BestK::new(k);
    std::thread::scope(|scope| {
        let chunk = &chunk;
        let handles: Vec<_> = (0..workers)
            .map(|w| scope.spawn(move || chunk((w * per).min(parts)..((w + 1) * per).min(parts))))
            .collect();
        for handle in handles {
            best.merge(handle.join().expect("a scan thread panicked"));
        }
    });
    best.into_sorted()
}

/// Run `work` over `0..items` in contiguous parts, one per core, and collect the parts'
/// results in order.
pub(crate) fn parallel_parts<T: Send>(items: usize, work: impl Fn(std::ops::Range<usize>) -> T + Sync) -> Vec<T> {
    let workers = threads().min(items.max(1));
    let per = items.div_ceil(workers).max(1);
    std::thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = (0..workers)
            .map(|w| scope.spawn(move || work((w * per).min(items)..((w + 1) * per).min(items))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a worker thread panicked"))
            .collect()
    })
}

/// A small deterministic generator (xorshift64*), so that what an index builds from the
/// same vectors is the same on every run.
pub(crate) struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Random {
        Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_k_keeps_the_highest_scores_best_first() {
        let mut best = BestK::new(3);
        for (row, score) in [0.1, 0.9, 0.5, 0.7, 0.2, 0.8].into_iter().enumerate() {
            best.offer(score, row as u64);
        }
        let rows: Vec<u64> = best.into_sorted().iter().map(|s| s.key).collect();
        assert_eq!(rows, [1, 5, 3]);
    }

    #[test]
    fn a_parallel_scan_finds_what_a_sequential_one_does() {
        let scores: Vec<f32> = (0..100_000).map(|i| ((i * 7919) % 100_003) as f32).collect();
        let best = scan(scores.len(), 5, |row| (row % 3 != 0).then_some(scores[row]));
        let mut expected: Vec<(f32, usize)> = scores
            .iter()
            .enumerate()
            .filter(|(row, _)| row % 3 != 0)
            .map(|(row, &s)| (s, row))
            .collect();
        expected.sort_by(|a, b| b.0.total_cmp(&a.0));
        let rows: Vec<usize> = best.iter().map(|s| s.key as usize).collect();
        let want: Vec<usize> = expected[..5].iter().map(|e| e.1).collect();
        assert_eq!(rows, want);
    }

    #[test]
    fn f16_and_i8_dots_approximate_the_f32_dot() {
        let a = unit(
            &(0..512)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) / 50.0)
                .collect::<Vec<_>>(),
        );
        let b = unit(
            &(0..512)
                .map(|i| ((i * 53 % 97) as f32 - 48.0) / 48.0)
                .collect::<Vec<_>>(),
        );
        let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot_f16(&to_f16(&a), &to_f16(&b)) - exact).abs() < 1e-3);
        assert!((dot_f32(&a, &b) - exact).abs() < 1e-5);
        let ((qa, sa), (qb, sb)) = (to_i8(&a), to_i8(&b));
        assert!((dot_i8(&qa, &qb) as f32 * sa * sb - exact).abs() < 2e-2);
        let mut back = vec![0.0; 512];
        f16_to_f32(&to_f16(&a), &mut back);
        assert!(back.iter().zip(&a).all(|(x, y)| (x - y).abs() < 1e-3));
    }
}
