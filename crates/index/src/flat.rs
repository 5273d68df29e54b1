//! `flat`: every vector compared with the query, and the answer exact: what an f16
//! comparison with every vector gives. A large library is read as i8 copies of its
//! vectors (half the memory to stream, and streaming memory is what an exhaustive search
//! waits for); each copy's quantisation error is stored with it, so the first pass knows
//! how far every i8 score can be from the f16 one, and only the vectors that could still
//! be among the best are scored again in f16.

use std::collections::HashMap;

use crate::file::{self, Column, Contents, Opened};
use crate::kernels::{BestK, dot_f16, dot_i8, f16_to_f32, parallel_parts, scan, to_f16, to_i8};
use crate::rows::{Lookup, Rows};
use crate::{Filter, Hit, IndexError, Strategy, Structure};

/// From this many vectors on, a search makes its first pass over the i8 copies (below,
/// the f16 vectors fit the caches and one pass over them is as fast).
pub(crate) const I8_FROM: usize = 100_000;
/// What the f32 arithmetic of the two passes may add to the bound.
const ROUNDING: f32 = 1e-4;

pub(crate) struct Flat {
    rows: Rows,
    codes: Column<i8>,
    scales: Column<f32>,
    /// Per row, the length of (f16 vector − dequantised i8 copy).
    errors: Column<f32>,
    lookup: Lookup<u32>,
}

/// A vector's i8 copy, its scale and how far the copy is from the f16 vector.
fn quantise(halves: &[u16]) -> (Vec<i8>, f32, f32) {
    let mut vector = vec![0.0f32; halves.len()];
    f16_to_f32(halves, &mut vector);
    let (codes, scale) = to_i8(&vector);
    let error = vector
        .iter()
        .zip(&codes)
        .map(|(x, &c)| (x - c as f32 * scale).powi(2))
        .sum::<f32>()
        .sqrt();
    (codes, scale, error)
}

impl Flat {
    pub fn new(dimensions: usize) -> Flat {
        Flat {
            rows: Rows::new(dimensions),
            codes: Column::default(),
            scales: Column::default(),
            errors: Column::default(),
            lookup: Lookup::Owned(HashMap::new()),
        }
    }

    pub fn open(mut opened: Opened, mapped: bool) -> Result<Flat, IndexError> {
        let dimensions = opened.dimensions;
        let count = opened.parameters[0] as usize;
        let rows = Rows {
            dimensions,
            ids: opened.column(0, count)?,
            vectors: opened.column(1, count * dimensions)?,
        };
        rows.check(|reason| opened.corrupt(reason))?;
        let codes = opened.column(2, count * dimensions)?;
        let scales = opened.column(3, count)?;
        let errors = opened.column(5, count)?;
        let lookup = if mapped {
            Lookup::Mapped(opened.column(4, count)?)
        } else {
            let map: HashMap<u64, u32> = rows.ids.iter().enumerate().map(|(row, &id)| (id, row as u32)).collect();
            if map.len() != count {
                return Err(opened.corrupt("an id appears twice"));
            }
            Lookup::Owned(map)
        };
        Ok(Flat {
            rows,
            codes,
            scales,
            errors,
            lookup,
        })
    }

    fn add(&mut self, id: u64, vector: &[f32]) -> Result<(), IndexError> {
        let halves = to_f16(vector);
        let (codes, scale, error) = quantise(&halves);
        if let Some(&row) = self.lookup.owned()?.get(&id) {
            let row = row as usize;
            let d = self.rows.dimensions;
            self.rows.set(row, &halves)?;
            self.codes.owned()?[row * d..(row + 1) * d].copy_from_slice(&codes);
            self.scales.owned()?[row] = scale;
            self.errors.owned()?[row] = error;
            return Ok(());
        }
        let row = self.rows.push(id, &halves)?;
        self.codes.owned()?.extend_from_slice(&codes);
        self.scales.owned()?.push(scale);
        self.errors.owned()?.push(error);
        self.lookup.owned()?.insert(id, row as u32);
        Ok(())
    }

    /// The exact f16 answer, from a pass over the i8 copies. Each i8 score `s` of a row
    /// is within `b` of its f16 score, `b` from the row's and the query's quantisation
    /// errors; the k-th best lower bound `s − b` seen so far is a floor for the f16 score
    /// of the k-th best row, so only rows whose upper bound `s + b` reaches it are kept,
    /// and those are scored again in f16.
    fn search_bounded(&self, halves: &[u16], k: usize, filter: Option<Filter>) -> Vec<Hit> {
        let (q_codes, q_scale, q_error) = quantise(halves);
        let q_length = q_codes
            .iter()
            .map(|&c| (c as f32 * q_scale).powi(2))
            .sum::<f32>()
            .sqrt();
        let rows = self.rows.len();
        let d = self.rows.dimensions;
        // Slices taken once: a mapped column checks its bounds on each access.
        let (codes, scales, errors) = (self.codes.as_slice(), self.scales.as_slice(), self.errors.as_slice());
        let ids = self.rows.ids.as_slice();
        let parts = parallel_parts(rows.div_ceil(1 << 14), |blocks| {
            let mut floors = BestK::new(k);
            let mut kept: Vec<(u32, f32)> = Vec::new();
            for row in blocks.start << 14..(blocks.end << 14).min(rows) {
                if filter.is_some_and(|allowed| !allowed(ids[row])) {
                    continue;
                }
                let score = dot_i8(&q_codes, &codes[row * d..(row + 1) * d]) as f32 * scales[row] * q_scale;
                let error = errors[row];
                let bound = q_length * error + q_error * (1.0 + error) + q_error * error + ROUNDING;
                if score + bound >= floors.threshold() {
                    kept.push((row as u32, score + bound));
                    floors.offer(score - bound, row as u64);
                }
            }
            (floors, kept)
        });
        let mut floors = BestK::new(k);
        let mut kept = Vec::new();
        for (part_floors, part_kept) in parts {
            floors.merge(part_floors);
            kept.extend(part_kept);
        }
        let floor = floors.threshold();
        let mut best = BestK::new(k);
        for (row, upper) in kept {
            if upper >= floor {
                best.offer(dot_f16(halves, self.rows.vector(row as usize)), row as u64);
            }
        }
        best.into_sorted()
            .into_iter()
            .map(|s| Hit {
                id: self.rows.ids[s.key as usize],
                score: s.score,
            })
            .collect()
    }
}

impl Structure for Flat {
    fn strategy(&self) -> Strategy {
        Strategy::Flat
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    fn contains(&self, id: u64) -> bool {
        self.lookup.contains(id)
    }

    fn extend(&mut self, items: &[(u64, Vec<f32>)]) -> Result<(), IndexError> {
        items.iter().try_for_each(|(id, vector)| self.add(*id, vector))
    }

    fn remove(&mut self, id: u64) -> Result<bool, IndexError> {
        let Some(row) = self.lookup.owned()?.remove(&id) else {
            return Ok(false);
        };
        let row = row as usize;
        let d = self.rows.dimensions;
        if let Some(moved) = self.rows.swap_remove(row)? {
            self.lookup.owned()?.insert(moved, row as u32);
        }
        let codes = self.codes.owned()?;
        let last = codes.len() / d - 1;
        codes.copy_within(last * d..(last + 1) * d, row * d);
        codes.truncate(last * d);
        self.scales.owned()?.swap_remove(row);
        self.errors.owned()?.swap_remove(row);
        Ok(true)
    }

    fn search(&self, query: &[f32], k: usize, _exact: bool, filter: Option<Filter>) -> Result<Vec<Hit>, IndexError> {
        // Exact either way.
        let halves = to_f16(query);
        let rows = &self.rows;
        if rows.len() >= I8_FROM {
            return Ok(self.search_bounded(&halves, k, filter));
        }
        let (d, vectors, ids) = (rows.dimensions, rows.vectors.as_slice(), rows.ids.as_slice());
        let best = scan(rows.len(), k, |row| {
            let allowed = filter.is_none_or(|allowed| allowed(ids[row]));
            allowed.then(|| dot_f16(&halves, &vectors[row * d..(row + 1) * d]))
        });
        Ok(best
            .into_iter()
            .map(|s| Hit {
                id: rows.ids[s.key as usize],
                score: s.score,
            })
            .collect())
    }

    fn save(&self, path: &std::path::Path) -> Result<(), IndexError> {
        let sorted = self.lookup.sorted();
        file::write(
            path,
            &Contents {
                strategy: Strategy::Flat,
                dimensions: self.rows.dimensions,
                parameters: [self.rows.len() as u64, 0, 0, 0, 0, 0, 0, 0],
                sections: vec![
                    vec![file::bytes(&self.rows.ids)],
                    vec![file::bytes(&self.rows.vectors)],
                    vec![file::bytes(&self.codes)],
                    vec![file::bytes(&self.scales)],
                    vec![file::bytes(&sorted)],
                    vec![file::bytes(&self.errors)],
                ],
            },
        )
    }

    fn memory_bytes(&self) -> usize {
        self.rows.bytes() + self.codes.len() + (self.scales.len() + self.errors.len()) * 4 + self.lookup.bytes()
    }
}
