use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::EvalError;

/// The standard protocol scores five captions per image (some COCO images have six or
/// seven; the extra ones are left out).
const CAPTIONS_PER_IMAGE: usize = 5;

#[derive(Deserialize)]
struct KarpathyFile {
    images: Vec<KarpathyImage>,
}

#[derive(Deserialize)]
struct KarpathyImage {
    filename: String,
    #[serde(default)]
    filepath: String,
    split: String,
    sentences: Vec<KarpathySentence>,
}

#[derive(Deserialize)]
struct KarpathySentence {
    raw: String,
}

/// One split of a captioned dataset: its images in file order, and their captions with
/// the index of the image each describes.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub images: Vec<PathBuf>,
    pub captions: Vec<String>,
    /// `owner[c]` is the image caption `c` describes.
    pub owner: Vec<usize>,
}

impl Dataset {
    /// Read `split` of a Karpathy JSON file (`images[].filename/filepath/split/
    /// sentences[].raw`); image paths are `images_dir/filepath/filename`.
    pub fn read(json: &Path, images_dir: &Path, split: &str) -> Result<Dataset, EvalError> {
        let text = std::fs::read_to_string(json).map_err(|source| EvalError::Read {
            path: json.to_owned(),
            source,
        })?;
        let file: KarpathyFile = serde_json::from_str(&text).map_err(|source| EvalError::Syntax {
            path: json.to_owned(),
            source,
        })?;
        let mut dataset = Dataset {
            images: Vec::new(),
            captions: Vec::new(),
            owner: Vec::new(),
        };
        for image in file.images.iter().filter(|i| i.split == split) {
            let path = images_dir.join(&image.filepath).join(&image.filename);
            if image.sentences.is_empty() {
                return Err(EvalError::NoCaption {
                    path: json.to_owned(),
                    image: path.display().to_string(),
                });
            }
            for sentence in image.sentences.iter().take(CAPTIONS_PER_IMAGE) {
                dataset.captions.push(sentence.raw.clone());
                dataset.owner.push(dataset.images.len());
            }
            dataset.images.push(path);
        }
        if dataset.images.is_empty() {
            let found: BTreeSet<&str> = file.images.iter().map(|i| i.split.as_str()).collect();
            return Err(EvalError::EmptySplit {
                path: json.to_owned(),
                split: split.to_owned(),
                found: if found.is_empty() {
                    "no images".to_owned()
                } else {
                    found.into_iter().collect::<Vec<_>>().join(", ")
                },
            });
        }
        Ok(dataset)
    }
}
