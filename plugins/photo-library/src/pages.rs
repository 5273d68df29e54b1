//! A phone library's listing, handed in pages from the platform's thread to the run that
//! asked for it. The pages arrive through a Tauri `Channel` whose callback Tauri keeps for
//! as long as the app lives (its registry never drops one), so the callback holds only a
//! [`PageSender`]: each page moves through it, by value, to the [`Pages`] the listing
//! reads, and once the listing is over the sender drops what still comes. A rescan of
//! 100,000 photos thus leaves nothing behind.
//!
//! Compiled on every platform, so that its tests run where the phones' code cannot.

use std::sync::mpsc;
use std::time::Duration;

use motis_engine::{LibraryError, LibraryItem};
use serde::Deserialize;

/// One photo of a page, as the Kotlin and Swift sides write it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageItem {
    id: String,
    /// Milliseconds since the epoch (MediaStore `DATE_MODIFIED` ×1000, PhotoKit's
    /// content stamp).
    modified_ms: i64,
    name: String,
    #[serde(default)]
    size: u64,
    /// When it was taken, in milliseconds since the epoch (MediaStore `DATE_TAKEN`,
    /// PHAsset `creationDate`), where the library knows.
    #[serde(default)]
    taken_ms: Option<i64>,
    /// Android's bucket (`Camera`, `Screenshots`); PhotoKit has none.
    #[serde(default)]
    folder: Option<String>,
}

/// A page as the platform sends it.
#[derive(Deserialize)]
pub(crate) struct Page {
    items: Vec<PageItem>,
}

impl Page {
    pub(crate) fn into_items(self) -> Vec<LibraryItem> {
        self.items
            .into_iter()
            .map(|item| LibraryItem {
                id: item.id,
                stamp_ns: item.modified_ms.saturating_mul(1_000_000),
                name: item.name,
                size: item.size,
                taken_ns: item.taken_ms.map(|ms| ms.saturating_mul(1_000_000)),
                folder: item.folder,
            })
            .collect()
    }
}

/// The channel callback's end: it passes pages on and keeps none.
pub(crate) struct PageSender(mpsc::Sender<Vec<LibraryItem>>);

impl PageSender {
    /// Pass `items` on; `false` when the listing is over (they are dropped then).
    pub(crate) fn send(&self, items: Vec<LibraryItem>) -> bool {
        self.0.send(items).is_ok()
    }
}

/// The listing's end: the pages in the order they were sent.
pub(crate) struct Pages(mpsc::Receiver<Vec<LibraryItem>>);

pub(crate) fn pages() -> (PageSender, Pages) {
    let (sender, receiver) = mpsc::channel();
    (PageSender(sender), Pages(receiver))
}

impl Pages {
    /// Hand each page to `page` until `count` photos have come (the count the platform
    /// answered the listing with), waiting at most `wait` for each page.
    pub(crate) fn deliver(
        self,
        count: usize,
        wait: Duration,
        page: &mut dyn FnMut(Vec<LibraryItem>),
    ) -> Result<(), LibraryError> {
        let mut arrived = 0;
        while arrived < count {
            match self.0.recv_timeout(wait) {
                Ok(items) => {
                    arrived += items.len();
                    page(items);
                }
                Err(_) => {
                    return Err(LibraryError::List(format!("{arrived} of {count} photos arrived")));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page_of(ids: &[&str]) -> Vec<LibraryItem> {
        let json = serde_json::json!({
            "items": ids.iter().map(|id| serde_json::json!({
                "id": id, "modifiedMs": 1_700_000_000_000i64, "name": format!("IMG_{id}.HEIC"),
                "size": 2048, "takenMs": 1_600_000_000_000i64, "folder": "Camera",
            })).collect::<Vec<_>>(),
        });
        serde_json::from_value::<Page>(json).unwrap().into_items()
    }

    #[test]
    fn pages_move_from_the_platforms_thread_in_order_and_the_sender_keeps_none() {
        let (sender, pages) = pages();
        let platform = std::thread::spawn(move || {
            assert!(sender.send(page_of(&["1", "2"])));
            assert!(sender.send(page_of(&["3"])));
            sender
        });
        let mut got = Vec::new();
        pages
            .deliver(3, Duration::from_secs(10), &mut |items| got.push(items))
            .unwrap();
        let ids: Vec<Vec<String>> = got.iter().map(|p| p.iter().map(|i| i.id.clone()).collect()).collect();
        assert_eq!(ids, [vec!["1", "2"], vec!["3"]]);
        let first = &got[0][0];
        assert_eq!(
            (first.stamp_ns, first.taken_ns, first.size, first.folder.as_deref()),
            (
                1_700_000_000_000_000_000,
                Some(1_600_000_000_000_000_000),
                2048,
                Some("Camera")
            )
        );
        // The listing is over (`deliver` took the receiver): what the callback still gets is
        // dropped, not kept for good with the channel.
        let sender = platform.join().unwrap();
        assert!(!sender.send(page_of(&["4"])));
    }

    #[test]
    fn a_listing_whose_pages_do_not_all_come_says_how_many_did() {
        let (sender, pages) = pages();
        assert!(sender.send(page_of(&["1", "2"])));
        let mut delivered = 0;
        let error = pages
            .deliver(5, Duration::from_millis(50), &mut |items| delivered += items.len())
            .unwrap_err();
        assert_eq!(delivered, 2);
        assert!(error.to_string().contains("2 of 5 photos arrived"), "{error}");
    }
}
