//! `rp-forest`: random-projection trees as in Annoy. Each tree splits the vectors in two
//! by a hyperplane halfway between two of them, again and again, down to small leaves; a
//! search walks all trees at once, nearest side first (by the query's distance to each
//! hyperplane), gathers the leaves' vectors as candidates and scores them exactly.
//!
//! Vectors added since the trees were built are searched exhaustively beside them, and
//! removed ones are skipped, until enough have changed for the trees to be built again.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::path::Path;

use crate::file::{self, Column, Contents, Opened};
use crate::kernels::{Random, Scored, dot_f16, dot_f32, f16_to_f32, parallel_parts, scan, to_f16, unit};
use crate::rows::{Lookup, Rows};
use crate::{EXACT_BELOW, Filter, Hit, IndexError, Strategy, Structure};

/// Fewer vectors than this are searched exhaustively anyway: no trees for them.
const TREES_FROM: usize = EXACT_BELOW;
const TREES: usize = 40;
/// A node with more vectors than this is split.
const LEAF: usize = 128;
/// The trees are built again once the vectors added or removed since exceed this share.
const REBUILD_SHARE: f64 = 0.1;
/// Candidates gathered from the trees, as a share of the vectors, and at least per result
/// asked for: what `motis bench index` measured to keep recall@10 ≥ 0.95 for text queries.
const SEARCHED_SHARE: f64 = 0.02;
const SEARCHED_PER_RESULT: usize = 1_000;
const IS_LEAF: u32 = u32::MAX;
/// Items that move the two centres of a split (Annoy takes 200).
const TWO_MEANS_STEPS: usize = 64;

/// One tree's part of the forest, built on its own thread.
#[derive(Default)]
struct Tree {
    /// (split, left, right) for a split; (IS_LEAF, first item, item count) for a leaf.
    nodes: Vec<[u32; 3]>,
    normals: Vec<u16>,
    offsets: Vec<f32>,
    items: Vec<u32>,
}

pub(crate) struct RpForest {
    rows: Rows,
    /// 1 for a row that answers, 0 for a removed one.
    live: Column<u8>,
    dead: usize,
    /// Rows `0..built` are in the trees; the rest were added since.
    built: usize,
    nodes: Column<[u32; 3]>,
    normals: Column<u16>,
    offsets: Column<f32>,
    items: Column<u32>,
    roots: Column<u32>,
    lookup: Lookup<u32>,
}

impl RpForest {
    pub fn new(dimensions: usize) -> RpForest {
        RpForest {
            rows: Rows::new(dimensions),
            live: Column::default(),
            dead: 0,
            built: 0,
            nodes: Column::default(),
            normals: Column::default(),
            offsets: Column::default(),
            items: Column::default(),
            roots: Column::default(),
            lookup: Lookup::Owned(HashMap::new()),
        }
    }

    pub fn open(mut opened: Opened, mapped: bool) -> Result<RpForest, IndexError> {
        let d = opened.dimensions;
        let [count, built, trees, nodes, splits, items, dead, _] = opened.parameters.map(|p| p as usize);
        if dead > count || built > count {
            return Err(opened.corrupt("it counts more removed or built rows than it holds"));
        }
        let forest = RpForest {
            rows: Rows {
                dimensions: d,
                ids: opened.column(0, count)?,
                vectors: opened.column(1, count * d)?,
            },
            live: opened.column(2, count)?,
            dead,
            built,
            nodes: opened.column(3, nodes)?,
            normals: opened.column(4, splits * d)?,
            offsets: opened.column(5, splits)?,
            items: opened.column(6, items)?,
            roots: opened.column(7, trees)?,
            lookup: if mapped {
                Lookup::Mapped(opened.column(8, count - dead)?)
            } else {
                Lookup::Owned(HashMap::new())
            },
        };
        forest.rows.check(|reason| opened.corrupt(reason))?;
        // Every reference a search follows, checked once, so that a damaged file is
        // refused here instead of misleading a search.
        let sound_node = |n: &[u32; 3]| {
            if n[0] == IS_LEAF {
                (n[1] as usize)
                    .checked_add(n[2] as usize)
                    .is_some_and(|end| end <= items)
            } else {
                (n[0] as usize) < splits && (n[1] as usize) < nodes && (n[2] as usize) < nodes
            }
        };
        if !forest.nodes.iter().all(sound_node) || !forest.roots.iter().all(|&r| (r as usize) < nodes) {
            return Err(opened.corrupt("its trees point outside the file"));
        }
        if !mapped {
            let mut forest = forest;
            let map: HashMap<u64, u32> = (0..count)
                .filter(|&row| forest.live[row] == 1)
                .map(|row| (forest.rows.ids[row], row as u32))
                .collect();
            if map.len() != count - dead {
                return Err(opened.corrupt("its removed rows do not add up"));
            }
            forest.lookup = Lookup::Owned(map);
            return Ok(forest);
        }
        Ok(forest)
    }

    fn add(&mut self, id: u64, vector: &[f32]) -> Result<(), IndexError> {
        self.remove_row(id)?;
        let row = self.rows.push(id, &to_f16(vector))?;
        self.live.owned()?.push(1);
        self.lookup.owned()?.insert(id, row as u32);
        Ok(())
    }

    fn remove_row(&mut self, id: u64) -> Result<bool, IndexError> {
        let Some(row) = self.lookup.owned()?.remove(&id) else {
            return Ok(false);
        };
        self.live.owned()?[row as usize] = 0;
        self.dead += 1;
        Ok(true)
    }

    fn rebuild_if_due(&mut self) -> Result<(), IndexError> {
        let changed = self.rows.len() - self.built + self.dead;
        let live = self.rows.len() - self.dead;
        let due = if self.built == 0 {
            live >= TREES_FROM || self.dead > live
        } else {
            changed as f64 > self.built as f64 * REBUILD_SHARE
        };
        if due { self.rebuild() } else { Ok(()) }
    }

    /// Drop the removed rows and build every tree again over the rest.
    fn rebuild(&mut self) -> Result<(), IndexError> {
        let d = self.rows.dimensions;
        let mut rows = Rows::new(d);
        for row in 0..self.rows.len() {
            if self.live[row] == 1 {
                rows.push(self.rows.ids[row], self.rows.vector(row))?;
            }
        }
        self.rows = rows;
        self.live = Column::Owned(vec![1; self.rows.len()]);
        self.dead = 0;
        self.lookup = Lookup::Owned(
            self.rows
                .ids
                .iter()
                .enumerate()
                .map(|(row, &id)| (id, row as u32))
                .collect(),
        );
        let trees: Vec<Tree> = if self.rows.len() < TREES_FROM {
            Vec::new()
        } else {
            let rows = &self.rows;
            parallel_parts(TREES, |range| {
                range.map(|t| build_tree(rows, t as u64)).collect::<Vec<_>>()
            })
            .into_iter()
            .flatten()
            .collect()
        };
        let (mut nodes, mut normals, mut offsets, mut items, mut roots) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for tree in trees {
            let (node_base, split_base, item_base) = (nodes.len() as u32, offsets.len() as u32, items.len() as u32);
            roots.push(node_base);
            nodes.extend(tree.nodes.iter().map(|n| {
                if n[0] == IS_LEAF {
                    [IS_LEAF, n[1] + item_base, n[2]]
                } else {
                    [n[0] + split_base, n[1] + node_base, n[2] + node_base]
                }
            }));
            normals.extend_from_slice(&tree.normals);
            offsets.extend_from_slice(&tree.offsets);
            items.extend_from_slice(&tree.items);
        }
        self.built = if roots.is_empty() { 0 } else { self.rows.len() };
        (self.nodes, self.normals, self.offsets) =
            (Column::Owned(nodes), Column::Owned(normals), Column::Owned(offsets));
        (self.items, self.roots) = (Column::Owned(items), Column::Owned(roots));
        Ok(())
    }

    fn margin(&self, split: usize, vector: &[u16]) -> f32 {
        let d = self.rows.dimensions;
        dot_f16(&self.normals[split * d..(split + 1) * d], vector) - self.offsets[split]
    }
}

/// One tree over all `rows`, its root at node 0.
fn build_tree(rows: &Rows, seed: u64) -> Tree {
    let mut tree = Tree::default();
    let mut items: Vec<u32> = (0..rows.len() as u32).collect();
    let mut random = Random::new(seed.wrapping_add(1) * 0x1000_0000_01B3);
    split(rows, &mut items, &mut random, &mut tree);
    tree
}

/// Add the node for `items` (and, below it, their subtree) and return its number.
fn split(rows: &Rows, items: &mut [u32], random: &mut Random, tree: &mut Tree) -> u32 {
    let node = tree.nodes.len() as u32;
    let leaf = |tree: &mut Tree, items: &[u32]| {
        tree.nodes.push([IS_LEAF, tree.items.len() as u32, items.len() as u32]);
        tree.items.extend_from_slice(items);
        node
    };
    if items.len() <= LEAF {
        return leaf(tree, items);
    }
    // A few tries: two picks of the same vector split nothing.
    let Some((halves, offset, boundary)) = (0..3).find_map(|_| {
        let (p, q) = two_means(rows, items, random);
        let normal = unit(&p.iter().zip(&q).map(|(a, b)| a - b).collect::<Vec<_>>());
        let halves = to_f16(&normal);
        let midpoint: Vec<f32> = p.iter().zip(&q).map(|(a, b)| (a + b) / 2.0).collect();
        let offset = dot_f16(&halves, &to_f16(&midpoint));
        // Items on the positive side first.
        let mut boundary = 0;
        for i in 0..items.len() {
            if dot_f16(&halves, rows.vector(items[i] as usize)) - offset > 0.0 {
                items.swap(i, boundary);
                boundary += 1;
            }
        }
        (boundary > 0 && boundary < items.len()).then_some((halves, offset, boundary))
    }) else {
        // Identical vectors: nothing to split by.
        return leaf(tree, items);
    };
    let split_index = tree.offsets.len() as u32;
    tree.normals.extend_from_slice(&halves);
    tree.offsets.push(offset);
    tree.nodes.push([split_index, 0, 0]);
    let (left, right) = items.split_at_mut(boundary);
    let left = split(rows, left, random, tree);
    let right = split(rows, right, random, tree);
    tree.nodes[node as usize][1] = left;
    tree.nodes[node as usize][2] = right;
    node
}

/// Two centres of `items`, found as Annoy does: from two random items, each of a few
/// more random items pulls the nearer centre towards itself. A hyperplane halfway
/// between them splits the items along a direction they actually spread in.
fn two_means(rows: &Rows, items: &[u32], random: &mut Random) -> (Vec<f32>, Vec<f32>) {
    let d = rows.dimensions;
    let pick = |random: &mut Random| {
        let mut v = vec![0.0f32; d];
        f16_to_f32(rows.vector(items[random.below(items.len())] as usize), &mut v);
        v
    };
    let (mut p, mut q) = (pick(random), pick(random));
    let (mut p_count, mut q_count) = (1.0f32, 1.0f32);
    for _ in 0..TWO_MEANS_STEPS.min(items.len()) {
        let item = pick(random);
        let (centre, count) = if dot_f32(&p, &item) >= dot_f32(&q, &item) {
            (&mut p, &mut p_count)
        } else {
            (&mut q, &mut q_count)
        };
        for (c, x) in centre.iter_mut().zip(&item) {
            *c = (*c * *count + x) / (*count + 1.0);
        }
        *count += 1.0;
    }
    (p, q)
}

impl Structure for RpForest {
    fn strategy(&self) -> Strategy {
        Strategy::RpForest
    }

    fn len(&self) -> usize {
        self.rows.len() - self.dead
    }

    fn contains(&self, id: u64) -> bool {
        self.lookup.contains(id)
    }

    fn extend(&mut self, items: &[(u64, Vec<f32>)]) -> Result<(), IndexError> {
        for (id, vector) in items {
            self.add(*id, vector)?;
        }
        self.rebuild_if_due()
    }

    fn remove(&mut self, id: u64) -> Result<bool, IndexError> {
        let removed = self.remove_row(id)?;
        self.rebuild_if_due()?;
        Ok(removed)
    }

    fn search(&self, query: &[f32], k: usize, exact: bool, filter: Option<Filter>) -> Result<Vec<Hit>, IndexError> {
        let halves = to_f16(query);
        let rows = self.rows.len();
        let mut candidates: Vec<u32> = Vec::new();
        if exact || self.roots.is_empty() {
            candidates.extend(0..rows as u32);
        } else {
            let wanted = ((self.built as f64 * SEARCHED_SHARE) as usize).max(k * SEARCHED_PER_RESULT);
            let mut seen = vec![0u64; self.built.div_ceil(64)];
            // Nodes to visit, the one of largest least margin on the way to it (the most
            // surely on the query's side) first: `Scored` orders worst first, reversed.
            let visit = |priority: f32, node: u32| {
                Reverse(Scored {
                    score: priority,
                    key: node as u64,
                })
            };
            let mut queue: BinaryHeap<Reverse<Scored>> =
                self.roots.iter().map(|&node| visit(f32::INFINITY, node)).collect();
            while let Some(Reverse(Scored { score: priority, key })) = queue.pop() {
                let node = key as usize;
                if candidates.len() >= wanted {
                    break;
                }
                let [a, b, c] = self.nodes[node];
                if a == IS_LEAF {
                    for &row in &self.items[b as usize..(b + c) as usize] {
                        let (word, bit) = (row as usize / 64, 1u64 << (row % 64));
                        if seen.get(word).is_some_and(|w| w & bit == 0) {
                            seen[word] |= bit;
                            candidates.push(row);
                        }
                    }
                } else {
                    let margin = self.margin(a as usize, &halves);
                    queue.push(visit(priority.min(margin), b));
                    queue.push(visit(priority.min(-margin), c));
                }
            }
            candidates.extend(self.built as u32..rows as u32);
        }
        let best = scan(candidates.len(), k, |i| {
            let row = candidates[i] as usize;
            let allowed = filter.is_none_or(|allowed| allowed(self.rows.ids[row]));
            (self.live[row] == 1 && allowed).then(|| dot_f16(&halves, self.rows.vector(row)))
        });
        Ok(best
            .into_iter()
            .map(|s| Hit {
                id: self.rows.ids[candidates[s.key as usize] as usize],
                score: s.score,
            })
            .collect())
    }

    fn save(&self, path: &Path) -> Result<(), IndexError> {
        let sorted = self.lookup.sorted();
        file::write(
            path,
            &Contents {
                strategy: Strategy::RpForest,
                dimensions: self.rows.dimensions,
                parameters: [
                    self.rows.len(),
                    self.built,
                    self.roots.len(),
                    self.nodes.len(),
                    self.offsets.len(),
                    self.items.len(),
                    self.dead,
                    0,
                ]
                .map(|p| p as u64),
                sections: vec![
                    vec![file::bytes(&self.rows.ids)],
                    vec![file::bytes(&self.rows.vectors)],
                    vec![file::bytes(&self.live)],
                    vec![file::bytes(&self.nodes)],
                    vec![file::bytes(&self.normals)],
                    vec![file::bytes(&self.offsets)],
                    vec![file::bytes(&self.items)],
                    vec![file::bytes(&self.roots)],
                    vec![file::bytes(&sorted)],
                ],
            },
        )
    }

    fn memory_bytes(&self) -> usize {
        self.rows.bytes()
            + self.live.len()
            + self.nodes.len() * 12
            + self.normals.len() * 2
            + self.offsets.len() * 4
            + self.items.len() * 4
            + self.roots.len() * 4
            + self.lookup.bytes()
    }
}
