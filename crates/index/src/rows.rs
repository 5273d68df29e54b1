//! What the strategies written here store alike: rows of ids and f16 vectors, and where
//! each id is.

use std::collections::HashMap;

use crate::IndexError;
use crate::file::Column;

pub(crate) struct Rows {
    pub dimensions: usize,
    pub ids: Column<u64>,
    pub vectors: Column<u16>,
}

impl Rows {
    pub fn new(dimensions: usize) -> Rows {
        Rows {
            dimensions,
            ids: Column::default(),
            vectors: Column::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn vector(&self, row: usize) -> &[u16] {
        &self.vectors[row * self.dimensions..(row + 1) * self.dimensions]
    }

    pub fn push(&mut self, id: u64, vector: &[u16]) -> Result<usize, IndexError> {
        self.vectors.owned()?.extend_from_slice(vector);
        let ids = self.ids.owned()?;
        ids.push(id);
        Ok(ids.len() - 1)
    }

    pub fn set(&mut self, row: usize, vector: &[u16]) -> Result<(), IndexError> {
        let d = self.dimensions;
        self.vectors.owned()?[row * d..(row + 1) * d].copy_from_slice(vector);
        Ok(())
    }

    /// Remove `row` by moving the last row into its place; returns the id now at `row`,
    /// if a row moved.
    pub fn swap_remove(&mut self, row: usize) -> Result<Option<u64>, IndexError> {
        let d = self.dimensions;
        let vectors = self.vectors.owned()?;
        let last = vectors.len() / d - 1;
        if row != last {
            vectors.copy_within(last * d..(last + 1) * d, row * d);
        }
        vectors.truncate(last * d);
        let ids = self.ids.owned()?;
        ids.swap_remove(row);
        Ok((row != last).then(|| ids[row]))
    }

    /// The memory the rows take when they are loaded.
    pub fn bytes(&self) -> usize {
        self.ids.len() * 8 + self.vectors.len() * 2
    }

    /// Check that the ids and vectors sections agree before anything is read from them.
    pub fn check(&self, corrupt: impl Fn(String) -> IndexError) -> Result<(), IndexError> {
        if self.vectors.len() == self.ids.len() * self.dimensions {
            Ok(())
        } else {
            Err(corrupt(format!(
                "{} ids but {} vector values",
                self.ids.len(),
                self.vectors.len()
            )))
        }
    }
}

/// Where each id is: a map in an index loaded to be changed; in a memory-mapped one, the
/// saved ids in ascending order (what `contains` needs without reading every row).
pub(crate) enum Lookup<L> {
    Owned(HashMap<u64, L>),
    Mapped(Column<u64>),
}

impl<L: Copy> Lookup<L> {
    pub fn contains(&self, id: u64) -> bool {
        match self {
            Lookup::Owned(map) => map.contains_key(&id),
            Lookup::Mapped(sorted) => sorted.binary_search(&id).is_ok(),
        }
    }

    pub fn owned(&mut self) -> Result<&mut HashMap<u64, L>, IndexError> {
        match self {
            Lookup::Owned(map) => Ok(map),
            Lookup::Mapped(_) => Err(IndexError::ReadOnly),
        }
    }

    /// The ids in ascending order, as saved.
    pub fn sorted(&self) -> Vec<u64> {
        match self {
            Lookup::Owned(map) => {
                let mut ids: Vec<u64> = map.keys().copied().collect();
                ids.sort_unstable();
                ids
            }
            Lookup::Mapped(sorted) => sorted.to_vec(),
        }
    }

    pub fn bytes(&self) -> usize {
        match self {
            Lookup::Owned(map) => map.capacity() * (8 + std::mem::size_of::<L>()),
            Lookup::Mapped(_) => 0,
        }
    }
}
