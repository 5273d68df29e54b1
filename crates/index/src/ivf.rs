//! `ivf`: the vectors clustered by k-means (on the sphere: centroids are unit vectors and
//! a vector joins the centroid of highest cosine), each cluster's vectors stored together;
//! a search compares the query with the centroids, then with the vectors of the nearest
//! clusters. The number of clusters follows the library's size and is saved with the
//! index; the clusters are learnt again each time the library has doubled since.

use std::collections::HashMap;
use std::path::Path;

use crate::file::{self, Column, Contents, Opened};
use crate::kernels::{BestK, Centres, Random, dot_f16, dot_f32, f16_to_f32, scan_parts, to_f16, unit};
use crate::rows::{Lookup, Rows};
use crate::{EXACT_BELOW, Filter, Hit, IndexError, Strategy, Structure};

/// Fewer vectors than this are searched exhaustively anyway: no clusters for them.
const CLUSTER_FROM: usize = EXACT_BELOW;
/// Clusters per square root of the library's size: 4,000 clusters of 250 at a million.
const CLUSTERS_PER_ROOT: f64 = 4.0;
/// k-means learns from this many vectors per cluster, drawn at random.
const SAMPLE_PER_CLUSTER: usize = 16;
const ITERATIONS: usize = 8;
/// Clusters searched, as a share of all, and at least: what `motis bench index` measured
/// to keep recall@10 ≥ 0.95 for text queries.
const PROBED_SHARE: f64 = 0.035;
const PROBED_AT_LEAST: usize = 128;

pub(crate) fn clusters_for(vectors: usize) -> usize {
    ((vectors as f64).sqrt() * CLUSTERS_PER_ROOT)
        .round()
        .clamp(1.0, 65_536.0) as usize
}

fn probes_for(clusters: usize) -> usize {
    ((clusters as f64 * PROBED_SHARE).ceil() as usize)
        .max(PROBED_AT_LEAST)
        .min(clusters)
}

enum Lists {
    /// As saved: the lists one after another (a memory-mapped index).
    Packed {
        offsets: Column<u64>,
        ids: Column<u64>,
        vectors: Column<u16>,
    },
    /// One growable list per cluster (a loaded index).
    Growing(Vec<Rows>),
}

pub(crate) struct Ivf {
    dimensions: usize,
    /// One unit vector per cluster; none before there are enough vectors to cluster.
    centroids: Column<f32>,
    lists: Lists,
    lookup: Lookup<(u32, u32)>,
    /// The library's size when the clusters were learnt.
    clustered_at: usize,
}

impl Ivf {
    pub fn new(dimensions: usize) -> Ivf {
        Ivf {
            dimensions,
            centroids: Column::default(),
            lists: Lists::Growing(vec![Rows::new(dimensions)]),
            lookup: Lookup::Owned(HashMap::new()),
            clustered_at: 0,
        }
    }

    pub fn open(mut opened: Opened, mapped: bool) -> Result<Ivf, IndexError> {
        let d = opened.dimensions;
        let [count, clusters, clustered_at, ..] = opened.parameters.map(|p| p as usize);
        let centroids = opened.column(0, if clustered_at == 0 { 0 } else { clusters * d })?;
        let offsets: Column<u64> = opened.column(1, clusters + 1)?;
        let monotonic = offsets.windows(2).all(|w| w[0] <= w[1]);
        if !monotonic || offsets.first() != Some(&0) || offsets.last() != Some(&(count as u64)) {
            return Err(opened.corrupt("its cluster offsets do not add up"));
        }
        if mapped {
            let ids = opened.column(2, count)?;
            let vectors = opened.column(3, count * d)?;
            let lookup = Lookup::Mapped(opened.column(4, count)?);
            return Ok(Ivf {
                dimensions: d,
                centroids,
                lists: Lists::Packed { offsets, ids, vectors },
                lookup,
                clustered_at,
            });
        }
        let mut lists = Vec::with_capacity(clusters);
        let mut lookup = HashMap::with_capacity(count);
        for (l, w) in offsets.windows(2).enumerate() {
            let (from, len) = (w[0] as usize, (w[1] - w[0]) as usize);
            let rows = Rows {
                dimensions: d,
                ids: opened.range(2, from, len)?,
                vectors: opened.range(3, from * d, len * d)?,
            };
            for (pos, &id) in rows.ids.iter().enumerate() {
                lookup.insert(id, (l as u32, pos as u32));
            }
            lists.push(rows);
        }
        if lookup.len() != count {
            return Err(opened.corrupt("an id appears twice"));
        }
        Ok(Ivf {
            dimensions: d,
            centroids,
            lists: Lists::Growing(lists),
            lookup: Lookup::Owned(lookup),
            clustered_at,
        })
    }

    fn clusters(&self) -> usize {
        match &self.lists {
            Lists::Packed { offsets, .. } => offsets.len() - 1,
            Lists::Growing(lists) => lists.len(),
        }
    }

    fn list(&self, l: usize) -> (&[u64], &[u16]) {
        match &self.lists {
            Lists::Packed { offsets, ids, vectors } => {
                let (from, to) = (offsets[l] as usize, offsets[l + 1] as usize);
                (&ids[from..to], &vectors[from * self.dimensions..to * self.dimensions])
            }
            Lists::Growing(lists) => (&lists[l].ids, &lists[l].vectors),
        }
    }

    fn growing(&mut self) -> Result<&mut Vec<Rows>, IndexError> {
        match &mut self.lists {
            Lists::Growing(lists) => Ok(lists),
            Lists::Packed { .. } => Err(IndexError::ReadOnly),
        }
    }

    fn nearest(&self, vector: &[f32]) -> usize {
        let d = self.dimensions;
        let mut best = BestK::new(1);
        for (c, centroid) in self.centroids.chunks_exact(d).enumerate() {
            best.offer(dot_f32(vector, centroid), c as u64);
        }
        best.into_sorted().first().map_or(0, |s| s.key as usize)
    }

    fn push(&mut self, list: usize, id: u64, vector: &[u16]) -> Result<(), IndexError> {
        let pos = self.growing()?[list].push(id, vector)?;
        self.lookup.owned()?.insert(id, (list as u32, pos as u32));
        Ok(())
    }

    /// Learn clusters for every vector held and `added`, and sort all into them.
    fn cluster(&mut self, added: &[(u64, Vec<f32>)]) -> Result<(), IndexError> {
        let d = self.dimensions;
        let mut all = Rows::new(d);
        for list in std::mem::take(self.growing()?) {
            for pos in 0..list.len() {
                all.push(list.ids[pos], list.vector(pos))?;
            }
        }
        for (id, vector) in added {
            all.push(*id, &to_f16(vector))?;
        }
        let clusters = clusters_for(all.len());
        self.centroids = Column::Owned(learn_centroids(&all, clusters));
        self.clustered_at = all.len();
        let assigned = Centres::new(&self.centroids, d).nearest(&all.vectors);
        *self.growing()? = (0..clusters).map(|_| Rows::new(d)).collect();
        self.lookup.owned()?.clear();
        for (row, &list) in assigned.iter().enumerate() {
            self.push(list as usize, all.ids[row], all.vector(row))?;
        }
        Ok(())
    }
}

/// Spherical k-means over a random sample of `rows`.
fn learn_centroids(rows: &Rows, clusters: usize) -> Vec<f32> {
    let d = rows.dimensions;
    let mut random = Random::new(rows.len() as u64);
    let mut order: Vec<u32> = (0..rows.len() as u32).collect();
    let sampled = (clusters * SAMPLE_PER_CLUSTER).min(rows.len());
    for i in 0..sampled {
        let j = i + random.below(rows.len() - i);
        order.swap(i, j);
    }
    let mut sample = Vec::with_capacity(sampled * d);
    for &row in &order[..sampled] {
        sample.extend_from_slice(rows.vector(row as usize));
    }
    let mut centroids = vec![0.0f32; clusters * d];
    for c in 0..clusters {
        f16_to_f32(&sample[c * d..(c + 1) * d], &mut centroids[c * d..(c + 1) * d]);
    }
    let mut point = vec![0.0f32; d];
    for _ in 0..ITERATIONS {
        let nearest = Centres::new(&centroids, d).nearest(&sample);
        let mut sums = vec![0.0f32; clusters * d];
        let mut counts = vec![0usize; clusters];
        for (i, &c) in nearest.iter().enumerate() {
            let c = c as usize;
            f16_to_f32(&sample[i * d..(i + 1) * d], &mut point);
            counts[c] += 1;
            sums[c * d..(c + 1) * d]
                .iter_mut()
                .zip(&point)
                .for_each(|(s, x)| *s += x);
        }
        for c in 0..clusters {
            let centroid = if counts[c] == 0 {
                // An empty cluster starts again from a random point of the sample.
                let i = random.below(sampled);
                f16_to_f32(&sample[i * d..(i + 1) * d], &mut point);
                point.clone()
            } else {
                unit(&sums[c * d..(c + 1) * d])
            };
            centroids[c * d..(c + 1) * d].copy_from_slice(&centroid);
        }
    }
    centroids
}

impl Structure for Ivf {
    fn strategy(&self) -> Strategy {
        Strategy::Ivf
    }

    fn len(&self) -> usize {
        match &self.lists {
            Lists::Packed { ids, .. } => ids.len(),
            Lists::Growing(lists) => lists.iter().map(Rows::len).sum(),
        }
    }

    fn contains(&self, id: u64) -> bool {
        self.lookup.contains(id)
    }

    fn extend(&mut self, items: &[(u64, Vec<f32>)]) -> Result<(), IndexError> {
        for (id, _) in items {
            self.remove(*id)?;
        }
        let total = self.len() + items.len();
        let due = if self.clustered_at == 0 {
            total >= CLUSTER_FROM
        } else {
            total >= 2 * self.clustered_at
        };
        if due {
            return self.cluster(items);
        }
        for (id, vector) in items {
            let list = self.nearest(vector);
            self.push(list, *id, &to_f16(vector))?;
        }
        Ok(())
    }

    fn remove(&mut self, id: u64) -> Result<bool, IndexError> {
        let Some((list, pos)) = self.lookup.owned()?.remove(&id) else {
            return Ok(false);
        };
        if let Some(moved) = self.growing()?[list as usize].swap_remove(pos as usize)? {
            self.lookup.owned()?.insert(moved, (list, pos));
        }
        Ok(true)
    }

    fn search(&self, query: &[f32], k: usize, exact: bool, filter: Option<Filter>) -> Result<Vec<Hit>, IndexError> {
        let d = self.dimensions;
        let chosen: Vec<usize> = if exact || self.centroids.is_empty() {
            (0..self.clusters()).collect()
        } else {
            let mut best = BestK::new(probes_for(self.clusters()));
            for (c, centroid) in self.centroids.chunks_exact(d).enumerate() {
                best.offer(dot_f32(query, centroid), c as u64);
            }
            best.into_sorted().into_iter().map(|s| s.key as usize).collect()
        };
        let halves = to_f16(query);
        let work = chosen.iter().map(|&l| self.list(l).0.len()).sum();
        let best = scan_parts(chosen.len(), work, k, |range, best| {
            for &l in &chosen[range] {
                let (ids, vectors) = self.list(l);
                for (id, vector) in ids.iter().zip(vectors.chunks_exact(d)) {
                    if filter.is_none_or(|allowed| allowed(*id)) {
                        best.offer(dot_f16(&halves, vector), *id);
                    }
                }
            }
        });
        Ok(best
            .into_iter()
            .map(|s| Hit {
                id: s.key,
                score: s.score,
            })
            .collect())
    }

    fn save(&self, path: &Path) -> Result<(), IndexError> {
        let clusters = self.clusters();
        let lists: Vec<(&[u64], &[u16])> = (0..clusters).map(|l| self.list(l)).collect();
        let mut offsets = vec![0u64];
        for (ids, _) in &lists {
            offsets.push(offsets.last().unwrap() + ids.len() as u64);
        }
        let sorted = self.lookup.sorted();
        file::write(
            path,
            &Contents {
                strategy: Strategy::Ivf,
                dimensions: self.dimensions,
                parameters: [
                    self.len() as u64,
                    clusters as u64,
                    self.clustered_at as u64,
                    0,
                    0,
                    0,
                    0,
                    0,
                ],
                sections: vec![
                    vec![file::bytes(&self.centroids)],
                    vec![file::bytes(&offsets)],
                    lists.iter().map(|(ids, _)| file::bytes(ids)).collect(),
                    lists.iter().map(|(_, vectors)| file::bytes(vectors)).collect(),
                    vec![file::bytes(&sorted)],
                ],
            },
        )
    }

    fn memory_bytes(&self) -> usize {
        let lists = match &self.lists {
            Lists::Packed { .. } => 0,
            Lists::Growing(lists) => lists.iter().map(Rows::bytes).sum(),
        };
        self.centroids.len() * 4 + lists + self.lookup.bytes()
    }
}
