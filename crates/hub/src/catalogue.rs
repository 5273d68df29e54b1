//! The models motis suggests: ONNX exports Immich publishes of open_clip models whose
//! tokenizer is CLIP's BPE, the one motis runs.

use crate::DownloadRequest;

/// A model in the short list, downloadable by its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Available {
    /// What a person types: `motis models download vit-b-32-laion2b`; also its model id.
    pub name: &'static str,
    pub repo: &'static str,
    pub licence: &'static str,
    /// About what the download weighs (both towers, fp32), in MB.
    pub download_mb: u32,
    pub note: &'static str,
    /// The one suggested when a person has only the demo model.
    pub suggested: bool,
}

pub const AVAILABLE: &[Available] = &[
    Available {
        name: "vit-b-32-laion2b",
        repo: "immich-app/ViT-B-32__laion2b-s34b-b79k",
        licence: "MIT",
        download_mb: 605,
        note: "open_clip ViT-B/32 trained on LAION-2B: the size and speed of OpenAI's ViT-B/32, better recall in Immich's table; the suggested model",
        suggested: true,
    },
    Available {
        name: "vit-b-32-openai",
        repo: "immich-app/ViT-B-32__openai",
        licence: "MIT",
        download_mb: 605,
        note: "OpenAI's original CLIP ViT-B/32: the model most tools (rclip, Queryable) start from",
        suggested: false,
    },
];

impl Available {
    /// The download of this model at `revision`, installed as `id` (its name unless given).
    pub fn request(&self, revision: &str, id: Option<String>) -> DownloadRequest {
        DownloadRequest {
            repo: self.repo.to_owned(),
            revision: revision.to_owned(),
            id: id.unwrap_or_else(|| self.name.to_owned()),
            licence: Some(self.licence.to_owned()),
            name: Some(format!("{} ({})", self.name, self.repo)),
            description: Some(self.note.to_owned()),
        }
    }
}

/// The short-list entry called `name`.
pub fn find_available(name: &str) -> Option<&'static Available> {
    AVAILABLE.iter().find(|model| model.name == name)
}
