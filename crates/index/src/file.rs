//! The file format of the strategies written here (flat, ivf, rp-forest): a header that
//! names the strategy, its dimensions and parameters, then typed sections, each aligned
//! so that a memory-mapped file can be read in place. usearch's HNSW keeps its own format.
//!
//! ```text
//! 0   magic "MOTISVX1"          16  section count u32       24  parameters [u64; 8]
//! 8   strategy u32              20  reserved u32            88  sections: (offset, bytes) u64 pairs
//! 12  dimensions u32
//! ```
//! Integers and floats are little-endian, as on every platform motis runs on.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::Path;
use std::sync::Arc;

use bytemuck::Pod;
use memmap2::Mmap;

use crate::{IndexError, Strategy};

#[cfg(target_endian = "big")]
compile_error!("motis index files are little-endian");

pub(crate) const MAGIC: &[u8; 8] = b"MOTISVX1";
const HEADER: usize = 88;
const ALIGN: u64 = 64;
pub(crate) const PARAMETERS: usize = 8;

/// A column of a saved index: in memory, or a slice of the mapped file.
pub(crate) enum Column<T> {
    Owned(Vec<T>),
    Mapped {
        map: Arc<Mmap>,
        start: usize,
        len: usize,
        kind: PhantomData<T>,
    },
}

impl<T: Pod> Column<T> {
    pub fn as_slice(&self) -> &[T] {
        match self {
            Column::Owned(values) => values,
            Column::Mapped { map, start, len, .. } => {
                bytemuck::cast_slice(&map[*start..*start + len * std::mem::size_of::<T>()])
            }
        }
    }

    /// The values to change; only a loaded index has them.
    pub fn owned(&mut self) -> Result<&mut Vec<T>, IndexError> {
        match self {
            Column::Owned(values) => Ok(values),
            Column::Mapped { .. } => Err(IndexError::ReadOnly),
        }
    }
}

impl<T> Default for Column<T> {
    fn default() -> Column<T> {
        Column::Owned(Vec::new())
    }
}

impl<T: Pod> std::ops::Deref for Column<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

/// What a strategy hands over to be saved.
pub(crate) struct Contents<'a> {
    pub strategy: Strategy,
    pub dimensions: usize,
    pub parameters: [u64; PARAMETERS],
    /// Each section as the pieces it is written from, one after another (an IVF's lists).
    pub sections: Vec<Vec<&'a [u8]>>,
}

pub(crate) fn bytes<T: Pod>(values: &[T]) -> &[u8] {
    bytemuck::cast_slice(values)
}

/// Write `contents` to `path` (a new file: the caller renames it into place).
pub(crate) fn write(path: &Path, contents: &Contents) -> Result<(), IndexError> {
    let write_error = |source| IndexError::Write {
        path: path.to_owned(),
        source,
    };
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path).map_err(write_error)?);
    let mut header = Vec::with_capacity(HEADER + 16 * contents.sections.len());
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&(contents.strategy as u32).to_le_bytes());
    header.extend_from_slice(&(contents.dimensions as u32).to_le_bytes());
    header.extend_from_slice(&(contents.sections.len() as u32).to_le_bytes());
    header.extend_from_slice(&0u32.to_le_bytes());
    for p in contents.parameters {
        header.extend_from_slice(&p.to_le_bytes());
    }
    let mut offset = (HEADER + 16 * contents.sections.len()) as u64;
    let mut offsets = Vec::new();
    let lengths: Vec<u64> = contents
        .sections
        .iter()
        .map(|pieces| pieces.iter().map(|p| p.len() as u64).sum())
        .collect();
    for &length in &lengths {
        offset = offset.div_ceil(ALIGN) * ALIGN;
        offsets.push(offset);
        header.extend_from_slice(&offset.to_le_bytes());
        header.extend_from_slice(&length.to_le_bytes());
        offset += length;
    }
    out.write_all(&header).map_err(write_error)?;
    let mut position = header.len() as u64;
    for ((pieces, &start), &length) in contents.sections.iter().zip(&offsets).zip(&lengths) {
        let padding = (start - position) as usize;
        out.write_all(&[0u8; ALIGN as usize][..padding]).map_err(write_error)?;
        for piece in pieces {
            out.write_all(piece).map_err(write_error)?;
        }
        position = start + length;
    }
    out.into_inner()
        .map_err(|e| write_error(e.into_error()))?
        .sync_all()
        .map_err(write_error)
}

/// A saved index opened, its sections not read yet.
pub(crate) struct Opened {
    pub strategy: Strategy,
    pub dimensions: usize,
    pub parameters: [u64; PARAMETERS],
    sections: Vec<(u64, u64)>,
    source: Source,
    path: std::path::PathBuf,
}

enum Source {
    Mapped(Arc<Mmap>),
    File(File),
}

/// Whether `header` starts a file of this format (as opposed to usearch's).
pub(crate) fn is_ours(path: &Path) -> Result<bool, IndexError> {
    let mut magic = [0u8; 8];
    let mut file = File::open(path).map_err(|source| IndexError::Read {
        path: path.to_owned(),
        source,
    })?;
    Ok(file.read_exact(&mut magic).is_ok() && &magic == MAGIC)
}

impl Opened {
    pub fn open(path: &Path, mapped: bool) -> Result<Opened, IndexError> {
        let read_error = |source| IndexError::Read {
            path: path.to_owned(),
            source,
        };
        let corrupt = |reason: &str| IndexError::Corrupt {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        let mut file = File::open(path).map_err(read_error)?;
        let length = file.metadata().map_err(read_error)?.len();
        let mut header = [0u8; HEADER];
        file.read_exact(&mut header)
            .map_err(|_| corrupt("shorter than its header"))?;
        if &header[..8] != MAGIC {
            return Err(corrupt("not a motis index file"));
        }
        let word = |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().unwrap());
        let strategy = Strategy::from_code(word(8)).ok_or_else(|| corrupt("unknown strategy"))?;
        let count = word(16) as usize;
        if count > 64 {
            return Err(corrupt("too many sections"));
        }
        let mut parameters = [0u64; PARAMETERS];
        for (i, p) in parameters.iter_mut().enumerate() {
            *p = u64::from_le_bytes(header[24 + 8 * i..32 + 8 * i].try_into().unwrap());
        }
        let mut table = vec![0u8; 16 * count];
        file.read_exact(&mut table)
            .map_err(|_| corrupt("its section table is cut short"))?;
        let mut sections = Vec::with_capacity(count);
        for entry in table.chunks_exact(16) {
            let start = u64::from_le_bytes(entry[..8].try_into().unwrap());
            let bytes = u64::from_le_bytes(entry[8..].try_into().unwrap());
            if !start.is_multiple_of(ALIGN) || start.checked_add(bytes).is_none_or(|end| end > length) {
                return Err(corrupt("a section lies outside the file (truncated?)"));
            }
            sections.push((start, bytes));
        }
        let source = if mapped {
            // SAFETY: the file is only ever replaced by renaming a new one over it, never
            // written in place, so the mapped bytes do not change under us.
            Source::Mapped(Arc::new(unsafe { Mmap::map(&file) }.map_err(read_error)?))
        } else {
            Source::File(file)
        };
        Ok(Opened {
            strategy,
            dimensions: word(12) as usize,
            parameters,
            sections,
            source,
            path: path.to_owned(),
        })
    }

    pub fn corrupt(&self, reason: impl Into<String>) -> IndexError {
        IndexError::Corrupt {
            path: self.path.clone(),
            reason: reason.into(),
        }
    }

    /// Section `index` as a column of `T`, expected to hold `len` values.
    pub fn column<T: Pod>(&mut self, index: usize, len: usize) -> Result<Column<T>, IndexError> {
        self.range(index, 0, len)
    }

    /// Values `from..from + len` of section `index`.
    pub fn range<T: Pod>(&mut self, index: usize, from: usize, len: usize) -> Result<Column<T>, IndexError> {
        let size = std::mem::size_of::<T>();
        let &(start, bytes) = self
            .sections
            .get(index)
            .ok_or_else(|| self.corrupt(format!("section {index} is missing")))?;
        if (from + len) * size > bytes as usize || !(bytes as usize).is_multiple_of(size) {
            return Err(self.corrupt(format!("section {index} holds {bytes} bytes, not the expected count")));
        }
        let start = start as usize + from * size;
        match &mut self.source {
            Source::Mapped(map) => Ok(Column::Mapped {
                map: Arc::clone(map),
                start,
                len,
                kind: PhantomData,
            }),
            Source::File(file) => {
                let mut values = vec![T::zeroed(); len];
                file.seek(SeekFrom::Start(start as u64))
                    .and_then(|_| file.read_exact(bytemuck::cast_slice_mut(&mut values)))
                    .map_err(|source| IndexError::Read {
                        path: self.path.clone(),
                        source,
                    })?;
                Ok(Column::Owned(values))
            }
        }
    }
}
