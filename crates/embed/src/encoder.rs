use std::fmt::Debug;
use std::path::{Path, PathBuf};

use ort::session::Session;
use ort::session::builder::GraphOptimizationLevel;
use ort::value::{PrimitiveTensorElementType, TensorElementType, TensorRef, ValueType};

use crate::tokenizer::ClipTokenizer;
use crate::{EmbedError, Model, Runtime, normalise};

pub(crate) fn open_session(runtime: &Runtime, path: &Path, threads: usize) -> Result<Session, EmbedError> {
    let session_error = |source: ort::Error| EmbedError::Session {
        path: path.to_owned(),
        source,
    };
    if !path.is_file() {
        return Err(EmbedError::Read {
            path: path.to_owned(),
            source: std::io::ErrorKind::NotFound.into(),
        });
    }
    Session::builder(&runtime.environment)
        .map_err(session_error)?
        .with_optimization_level(GraphOptimizationLevel::All)
        .map_err(|e| session_error(e.into()))?
        .with_intra_threads(threads)
        .map_err(|e| session_error(e.into()))?
        .with_intra_op_spinning(false)
        .map_err(|e| session_error(e.into()))?
        .commit_from_file(path)
        .map_err(session_error)
}

/// What a checked input takes: its element type, and a batch size the graph fixes.
struct InputKind {
    ty: TensorElementType,
    fixed_batch: Option<usize>,
}

/// Check that the session has the named input (one of the element types, rank, fixed
/// dims) and a named 2-D output whose width is the embedding size, so that a wrong model
/// is an error naming the file instead of a crash in the middle of indexing.
fn check_interface(
    session: &Session,
    path: &Path,
    input: &str,
    types: &[TensorElementType],
    fixed: &[Option<i64>],
    output: &str,
    dim: usize,
) -> Result<InputKind, EmbedError> {
    let wrong = |reason: String| EmbedError::ModelInterface {
        path: path.to_owned(),
        reason,
    };
    let names = |outlets: &[ort::value::Outlet]| {
        outlets
            .iter()
            .map(|o| o.name().to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let found = session.inputs().iter().find(|o| o.name() == input).ok_or_else(|| {
        wrong(format!(
            "no input named {input:?} (the model has: {})",
            names(session.inputs())
        ))
    })?;
    let kind = match found.dtype() {
        ValueType::Tensor { ty: actual, shape, .. } => {
            if !types.contains(actual) {
                return Err(wrong(format!(
                    "input {input:?} is {actual:?}, expected one of {types:?}"
                )));
            }
            if shape.len() != fixed.len() {
                return Err(wrong(format!(
                    "input {input:?} has {} dimensions, expected {}",
                    shape.len(),
                    fixed.len()
                )));
            }
            for (i, (&actual, want)) in shape.iter().zip(fixed).enumerate() {
                if let Some(want) = want
                    && actual != *want
                    && actual != -1
                {
                    return Err(wrong(format!(
                        "input {input:?} dimension {i} is {actual}, the manifest says {want}"
                    )));
                }
            }
            InputKind {
                ty: *actual,
                fixed_batch: shape.first().and_then(|&b| usize::try_from(b).ok()).filter(|&b| b > 0),
            }
        }
        other => return Err(wrong(format!("input {input:?} is {other:?}, not a tensor"))),
    };
    let found = session.outputs().iter().find(|o| o.name() == output).ok_or_else(|| {
        wrong(format!(
            "no output named {output:?} (the model has: {})",
            names(session.outputs())
        ))
    })?;
    match found.dtype() {
        ValueType::Tensor {
            ty: TensorElementType::Float32,
            shape,
            ..
        } if shape.len() == 2 => {
            if shape[1] != -1 && shape[1] as usize != dim {
                return Err(wrong(format!(
                    "output {output:?} has width {}, the manifest says embedding_dim {dim}",
                    shape[1]
                )));
            }
            Ok(kind)
        }
        other => Err(wrong(format!(
            "output {output:?} is {other:?}, expected float32 [batch, {dim}]"
        ))),
    }
}

fn rows(path: &Path, data: &[f32], dim: usize, normalize: bool) -> Result<Vec<Vec<f32>>, EmbedError> {
    if !data.len().is_multiple_of(dim) {
        return Err(EmbedError::ModelInterface {
            path: path.to_owned(),
            reason: format!("returned {} values, not a multiple of embedding_dim {dim}", data.len()),
        });
    }
    Ok(data
        .chunks_exact(dim)
        .map(|row| {
            let mut row = row.to_vec();
            if normalize {
                normalise(&mut row);
            }
            row
        })
        .collect())
}

/// One tower's session with its checked input and output: a tensor in, embeddings out.
struct Tower {
    session: Session,
    path: PathBuf,
    input: String,
    kind: InputKind,
    output: String,
    dim: usize,
    normalize: bool,
}

impl Tower {
    fn open(
        runtime: &Runtime,
        model: &Model,
        path: PathBuf,
        (input, types, fixed): (&str, &[TensorElementType], &[Option<i64>]),
        output: &str,
        threads: usize,
    ) -> Result<Tower, EmbedError> {
        let large = |min_bytes: u64| std::fs::metadata(&path).is_ok_and(|m| m.len() >= min_bytes);
        let session = match &runtime.optimized {
            Some((folder, min_bytes)) if large(*min_bytes) => {
                crate::optimized::open_session(runtime, folder, model, &path, threads)?
            }
            _ => open_session(runtime, &path, threads)?,
        };
        let dim = model.manifest.embedding_dim;
        let kind = check_interface(&session, &path, input, types, fixed, output, dim)?;
        Ok(Tower {
            session,
            path,
            input: input.to_owned(),
            kind,
            output: output.to_owned(),
            dim,
            normalize: !model.manifest.normalized,
        })
    }

    /// Embeddings of a batch laid out row after row (`shape[0]` rows), in calls of the
    /// batch size the graph fixes, if it fixes one (some exports take one row at a time).
    fn run<T: PrimitiveTensorElementType + Clone + Debug + 'static>(
        &mut self,
        shape: Vec<usize>,
        data: &[T],
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let row: usize = shape[1..].iter().product();
        let per_call = self.kind.fixed_batch.unwrap_or(shape[0]).max(1);
        let mut embeddings = Vec::with_capacity(shape[0]);
        for chunk in data.chunks(per_call * row.max(1)) {
            let mut chunk_shape = shape.clone();
            chunk_shape[0] = chunk.len() / row.max(1);
            embeddings.extend(self.run_once(chunk_shape, chunk)?);
        }
        Ok(embeddings)
    }

    fn run_once<T: PrimitiveTensorElementType + Clone + Debug + 'static>(
        &mut self,
        shape: Vec<usize>,
        data: &[T],
    ) -> Result<Vec<Vec<f32>>, EmbedError> {
        let inference = |source| EmbedError::Inference {
            path: self.path.clone(),
            source,
        };
        let tensor = TensorRef::from_array_view((shape, data)).map_err(inference)?;
        let outputs = self
            .session
            .run(ort::inputs![self.input.as_str() => tensor])
            .map_err(inference)?;
        let (_, embeddings) = outputs[self.output.as_str()]
            .try_extract_tensor::<f32>()
            .map_err(inference)?;
        rows(&self.path, embeddings, self.dim, self.normalize)
    }
}

/// The image tower of a model: normalised CHW tensors in, unit-length embeddings out.
pub struct ImageEncoder {
    tower: Tower,
    image_shape: [usize; 3],
}

impl ImageEncoder {
    pub fn new(runtime: &Runtime, model: &Model, threads: usize) -> Result<ImageEncoder, EmbedError> {
        let image = &model.manifest.image;
        let [height, width] = image.size;
        let fixed = [None, Some(3), Some(i64::from(height)), Some(i64::from(width))];
        let input = (image.input.as_str(), &[TensorElementType::Float32][..], &fixed[..]);
        let tower = Tower::open(runtime, model, model.image_path(), input, &image.output, threads)?;
        Ok(ImageEncoder {
            tower,
            image_shape: [3, height as usize, width as usize],
        })
    }

    /// Embeddings of a batch of images laid out one after another (`n × 3 × H × W`).
    pub fn encode(&mut self, pixels: &[f32]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let [c, h, w] = self.image_shape;
        self.tower.run(vec![pixels.len() / (c * h * w), c, h, w], pixels)
    }
}

/// The text tower of a model with its tokenizer: strings in, unit-length embeddings out.
pub struct TextEncoder {
    tower: Tower,
    tokenizer: ClipTokenizer,
    dynamic_length: bool,
}

impl TextEncoder {
    pub fn new(runtime: &Runtime, model: &Model, threads: usize) -> Result<TextEncoder, EmbedError> {
        let text = &model.manifest.text;
        let tokenizer = ClipTokenizer::from_file(&model.tokenizer_path(), text.context_length)?;
        let fixed = [
            None,
            if text.dynamic_length {
                None
            } else {
                Some(text.context_length as i64)
            },
        ];
        // open_clip and Hugging Face exports take int64 ids; Immich's take int32.
        let types = [TensorElementType::Int64, TensorElementType::Int32];
        let input = (text.input.as_str(), &types[..], &fixed[..]);
        let tower = Tower::open(runtime, model, model.text_path(), input, &text.output, threads)?;
        Ok(TextEncoder {
            tower,
            tokenizer,
            dynamic_length: text.dynamic_length,
        })
    }

    pub fn tokenizer(&self) -> &ClipTokenizer {
        &self.tokenizer
    }

    /// Embeddings of a batch of texts. The batch is cut to its longest token sequence
    /// when the model allows it, and zero-padded to the context length otherwise.
    pub fn encode(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let ids = texts
            .iter()
            .map(|t| self.tokenizer.ids(t))
            .collect::<Result<Vec<_>, _>>()?;
        let width = if self.dynamic_length {
            ids.iter().map(Vec::len).max().unwrap_or(2)
        } else {
            self.tokenizer.context_length()
        };
        let mut flat = vec![0i64; ids.len() * width];
        for (row, sequence) in flat.chunks_exact_mut(width).zip(&ids) {
            row[..sequence.len()].copy_from_slice(sequence);
        }
        if self.tower.kind.ty == TensorElementType::Int32 {
            // CLIP vocabularies (49,408 ids) fit in an i32.
            let narrow: Vec<i32> = flat.iter().map(|&id| id as i32).collect();
            return self.tower.run(vec![ids.len(), width], &narrow);
        }
        self.tower.run(vec![ids.len(), width], &flat)
    }
}
