//! Who makes which preview, and in what order: the previews the screen asks for go
//! ahead of the indexing run's background work, and no preview is made twice at once.
//! Among screen requests, the newest burst goes first (after a fast scroll, the photos
//! now on screen matter, not those scrolled past), and within a burst the first asked
//! (a grid asks in reading order, so a screenful fills from its top). One screenful's
//! requests reach the engine over tens of milliseconds, more when the webview is busy.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::PhotoId;

/// A preview made: the photo's upright size and EXIF orientation, or why it failed.
pub(crate) type Made = Result<(u32, u32, u8), String>;

/// Where a screen request stands in line (see [`PreviewDesk::arrive`]).
pub(crate) struct Arrival {
    ticket: u64,
    at: Instant,
}

/// A burst is a run of requests each at most `GAP` after the one before: a pause longer
/// than that is a new screen. Long enough for a webview busy elsewhere for a moment (its
/// main thread passes the requests on) not to split one screenful in two.
const GAP: Duration = Duration::from_millis(120);
/// ... and none more than `SPAN` older than the newest: while a person keeps scrolling,
/// requests never pause, and those from a moment ago are for photos scrolled past.
const SPAN: Duration = Duration::from_millis(300);

pub(crate) struct PreviewDesk {
    state: Mutex<Desk>,
    changed: Condvar,
    /// Previews made at the same time, for the screen and in the background together: a
    /// core each, so that the screen's get whole cores once the background's in flight end.
    workers: usize,
}

#[derive(Default)]
struct Desk {
    in_progress: HashSet<PhotoId>,
    /// Screen requests waiting for a worker: ticket (arrival order) → arrival time.
    waiting: BTreeMap<u64, Instant>,
    next_ticket: u64,
    screen_busy: usize,
    background_busy: usize,
    /// An indexing run is making previews: it records what the screen's requests made
    /// when its workers reach those photos, so the screen's requests need not write to
    /// the catalog (and wait there for the run's writer).
    run_active: bool,
    /// Made, but perhaps not yet in the catalog: for the screen (kept until the run's
    /// worker that would make it takes it instead, so bounded by what a person scrolls
    /// through), or by the run (kept until its recorder has written it, a moment later).
    made: HashMap<PhotoId, Made>,
    /// Requests waiting for a preview being made, and background work waiting for the
    /// screen: what the tests wait for instead of sleeping.
    #[cfg(test)]
    waiting_for_one_in_progress: usize,
    #[cfg(test)]
    background_waiting: usize,
}

fn lock(mutex: &Mutex<Desk>) -> MutexGuard<'_, Desk> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Desk {
    /// The waiting request to serve next: the first of the newest burst.
    fn next_up(&self) -> Option<u64> {
        // Tickets are taken in arrival order, so this walks back in time from the newest.
        let mut older = self.waiting.iter().rev();
        let (&newest_ticket, &newest) = older.next()?;
        let (mut first, mut after) = (newest_ticket, newest);
        for (&ticket, &arrived) in older {
            if after.duration_since(arrived) > GAP || newest.duration_since(arrived) > SPAN {
                break;
            }
            (first, after) = (ticket, arrived);
        }
        Some(first)
    }
}

impl PreviewDesk {
    pub fn new(workers: usize) -> PreviewDesk {
        PreviewDesk {
            state: Mutex::new(Desk::default()),
            changed: Condvar::new(),
            workers: workers.max(1),
        }
    }

    fn wait<'a>(&self, guard: MutexGuard<'a, Desk>) -> MutexGuard<'a, Desk> {
        self.changed
            .wait(guard)
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A screen request's place in line, taken as it arrives (before it looks the photo
    /// up: requests wait for the catalog in no particular order).
    pub fn arrive(&self) -> Arrival {
        let mut desk = lock(&self.state);
        desk.next_ticket += 1;
        Arrival {
            ticket: desk.next_ticket,
            at: Instant::now(),
        }
    }

    /// Make the preview of `id` for the screen with `make`, ahead of background work.
    /// When it is being made already, waits for that instead and returns `None`: the
    /// catalog then knows the outcome.
    pub fn for_screen(&self, arrival: Arrival, id: PhotoId, make: impl FnOnce() -> Made) -> Option<Made> {
        let mut desk = lock(&self.state);
        if let Some(made) = desk.made.get(&id) {
            return Some(made.clone());
        }
        // Being made already (by the run, most often: it works through the gallery in the
        // order the screen shows it). Queued instead, this request would get its turn
        // after the run had recorded and forgotten the preview, and make it again.
        if desk.in_progress.contains(&id) {
            return self.outcome_of_the_one_in_progress(desk, id);
        }
        let ticket = arrival.ticket;
        desk.waiting.insert(ticket, arrival.at);
        while desk.screen_busy + desk.background_busy >= self.workers || desk.next_up() != Some(ticket) {
            desk = self.wait(desk);
        }
        desk.waiting.remove(&ticket);
        if desk.in_progress.contains(&id) {
            // Another screen request for the same photo took it meanwhile. This one's
            // turn passes to the next in line.
            self.changed.notify_all();
            return self.outcome_of_the_one_in_progress(desk, id);
        }
        desk.screen_busy += 1;
        desk.in_progress.insert(id);
        drop(desk);
        let made = make();
        let mut desk = lock(&self.state);
        desk.screen_busy -= 1;
        desk.in_progress.remove(&id);
        desk.made.insert(id, made.clone());
        self.changed.notify_all();
        Some(made)
    }

    /// Wait for the preview of `id` being made to be made; its outcome, or `None` when the
    /// catalog has it already.
    fn outcome_of_the_one_in_progress(&self, mut desk: MutexGuard<'_, Desk>, id: PhotoId) -> Option<Made> {
        #[cfg(test)]
        {
            desk.waiting_for_one_in_progress += 1;
        }
        while desk.in_progress.contains(&id) {
            desk = self.wait(desk);
        }
        #[cfg(test)]
        {
            desk.waiting_for_one_in_progress -= 1;
        }
        desk.made.get(&id).cloned()
    }

    /// Make the preview of `id` in the background with `make`, once no screen request
    /// is waiting or being served. A preview the screen asked for meanwhile is not made
    /// again: its outcome is returned. What is made here is kept for the screen until
    /// [`PreviewDesk::forget`] says the catalog has it.
    pub fn in_background(&self, id: PhotoId, make: impl FnOnce() -> Made) -> Made {
        let mut desk = lock(&self.state);
        if let Some(made) = desk.made.remove(&id) {
            return made;
        }
        #[cfg(test)]
        {
            desk.background_waiting += 1;
        }
        while desk.screen_busy > 0 || !desk.waiting.is_empty() || desk.in_progress.contains(&id) {
            desk = self.wait(desk);
        }
        #[cfg(test)]
        {
            desk.background_waiting -= 1;
        }
        if let Some(made) = desk.made.remove(&id) {
            return made;
        }
        desk.in_progress.insert(id);
        desk.background_busy += 1;
        drop(desk);
        let made = make();
        let mut desk = lock(&self.state);
        desk.in_progress.remove(&id);
        desk.background_busy -= 1;
        desk.made.insert(id, made.clone());
        drop(desk);
        self.changed.notify_all();
        made
    }

    /// An indexing run starts (or stops) making previews.
    pub fn set_run_active(&self, active: bool) {
        lock(&self.state).run_active = active;
    }

    /// Whether an indexing run will record what the screen's requests make.
    pub fn run_active(&self) -> bool {
        lock(&self.state).run_active
    }

    /// Drop what was made of these photos: the run's recorder has written it to the
    /// catalog (the screen reads it there), or a rescan found them edited or removed (their
    /// preview is to be made again).
    pub fn forget(&self, ids: impl IntoIterator<Item = PhotoId>) {
        let mut desk = lock(&self.state);
        for id in ids {
            desk.made.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// Return once the desk is in the state `reached` says: the threads of a test have
    /// got where it needs them (no sleep guesses how long that takes).
    fn until(desk: &PreviewDesk, reached: impl Fn(&Desk) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !reached(&lock(&desk.state)) {
            assert!(Instant::now() < deadline, "the desk never got there");
            std::thread::yield_now();
        }
    }

    /// A `make` that goes on once the returned sender says so (or is dropped).
    fn held(made: Made) -> (std::sync::mpsc::Sender<()>, impl FnOnce() -> Made) {
        let (go, wait) = std::sync::mpsc::channel::<()>();
        (go, move || {
            let _ = wait.recv();
            made
        })
    }

    #[test]
    fn a_preview_asked_for_twice_at_once_is_made_once() {
        let desk = Arc::new(PreviewDesk::new(2));
        let calls = Arc::new(AtomicUsize::new(0));
        let (go, make) = held(Ok((4, 3, 1)));
        let first = {
            let (desk, calls) = (Arc::clone(&desk), Arc::clone(&calls));
            std::thread::spawn(move || {
                desk.for_screen(desk.arrive(), 7, || {
                    calls.fetch_add(1, Ordering::SeqCst);
                    make()
                })
            })
        };
        until(&desk, |d| d.in_progress.contains(&7));
        // Three more requests for it while it is being made: they wait for that one.
        let others: Vec<_> = (0..3)
            .map(|_| {
                let (desk, calls) = (Arc::clone(&desk), Arc::clone(&calls));
                std::thread::spawn(move || {
                    desk.for_screen(desk.arrive(), 7, || {
                        calls.fetch_add(1, Ordering::SeqCst);
                        Ok((4, 3, 1))
                    })
                })
            })
            .collect();
        until(&desk, |d| d.waiting_for_one_in_progress == 3);
        go.send(()).unwrap();
        for thread in std::iter::once(first).chain(others) {
            assert_eq!(thread.join().unwrap(), Some(Ok((4, 3, 1))));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // The background run takes the screen's outcome instead of decoding again.
        assert_eq!(desk.in_background(7, || panic!("made twice")), Ok((4, 3, 1)));
        desk.forget([7]);
        assert_eq!(desk.in_background(7, || Err("edited".into())), Err("edited".into()));
        // Made by the run and not yet recorded: the screen gets it without making it again.
        assert_eq!(
            desk.for_screen(desk.arrive(), 7, || panic!("made twice")),
            Some(Err("edited".into()))
        );
        desk.forget([7]);
        assert_eq!(desk.for_screen(desk.arrive(), 7, || Ok((1, 1, 1))), Some(Ok((1, 1, 1))));
    }

    #[test]
    fn background_work_waits_while_the_screen_asks() {
        let desk = Arc::new(PreviewDesk::new(1));
        let order = Arc::new(Mutex::new(Vec::new()));
        let (go, make) = held(Ok((1, 1, 1)));
        let screen = {
            let (desk, order) = (Arc::clone(&desk), Arc::clone(&order));
            std::thread::spawn(move || {
                desk.for_screen(desk.arrive(), 1, || {
                    let made = make();
                    order.lock().unwrap().push("screen");
                    made
                })
            })
        };
        until(&desk, |d| d.screen_busy == 1);
        let background = {
            let (desk, order) = (Arc::clone(&desk), Arc::clone(&order));
            std::thread::spawn(move || {
                desk.in_background(2, || {
                    order.lock().unwrap().push("background");
                    Ok((2, 2, 1))
                })
            })
        };
        until(&desk, |d| d.background_waiting == 1);
        go.send(()).unwrap();
        screen.join().unwrap();
        assert_eq!(background.join().unwrap(), Ok((2, 2, 1)));
        assert_eq!(*order.lock().unwrap(), ["screen", "background"]);
    }

    #[test]
    fn a_screen_request_for_a_preview_the_run_is_making_waits_for_it_rather_than_queueing_to_make_it_again() {
        let desk = Arc::new(PreviewDesk::new(2));
        let (run_go, run_make) = held(Ok((7, 7, 1)));
        let run = {
            let desk = Arc::clone(&desk);
            std::thread::spawn(move || {
                let made = desk.in_background(7, run_make);
                // The run's recorder writes it to the catalog at once.
                desk.forget([7]);
                made
            })
        };
        until(&desk, |d| d.in_progress.contains(&7));
        // Another photo on screen takes the second worker for longer than the run needs.
        let (other_go, other_make) = held(Ok((8, 8, 1)));
        let other = {
            let desk = Arc::clone(&desk);
            std::thread::spawn(move || desk.for_screen(desk.arrive(), 8, other_make))
        };
        until(&desk, |d| d.screen_busy == 1);
        let asking = {
            let desk = Arc::clone(&desk);
            std::thread::spawn(move || {
                desk.for_screen(desk.arrive(), 7, || panic!("made again, after the run made it"))
            })
        };
        until(&desk, |d| d.waiting_for_one_in_progress == 1);
        run_go.send(()).unwrap();
        let outcome = asking.join().unwrap();
        assert!(matches!(outcome, None | Some(Ok((7, 7, 1)))), "{outcome:?}");
        assert_eq!(run.join().unwrap(), Ok((7, 7, 1)));
        other_go.send(()).unwrap();
        assert_eq!(other.join().unwrap(), Some(Ok((8, 8, 1))));
    }

    /// Three screen requests arriving `gap` apart (their arrival times set, not slept
    /// for), queued one after the other while the only worker is busy: the order they
    /// are served in.
    fn served_order(gap: Duration) -> Vec<i64> {
        let desk = Arc::new(PreviewDesk::new(1));
        let order = Arc::new(Mutex::new(Vec::new()));
        let (go, make) = held(Ok((0, 0, 1)));
        let busy = {
            let desk = Arc::clone(&desk);
            std::thread::spawn(move || desk.for_screen(desk.arrive(), 0, make))
        };
        until(&desk, |d| d.screen_busy == 1);
        let start = Instant::now();
        let waiting: Vec<_> = (1..=3)
            .map(|id| {
                let mut arrival = desk.arrive();
                arrival.at = start + gap * id as u32;
                let (desk_for_thread, order) = (Arc::clone(&desk), Arc::clone(&order));
                let thread = std::thread::spawn(move || {
                    desk_for_thread.for_screen(arrival, id, || {
                        order.lock().unwrap().push(id);
                        Ok((1, 1, 1))
                    })
                });
                until(&desk, |d| d.waiting.len() == id as usize);
                thread
            })
            .collect();
        go.send(()).unwrap();
        busy.join().unwrap();
        for thread in waiting {
            thread.join().unwrap();
        }
        order.lock().unwrap().clone()
    }

    #[test]
    fn the_newest_burst_of_screen_requests_goes_first_each_in_the_order_asked() {
        // A scroll between each request: the latest screen first.
        assert_eq!(served_order(Duration::from_millis(200)), [3, 2, 1]);
        // One screenful asked for at once: in reading order.
        assert_eq!(served_order(Duration::from_millis(2)), [1, 2, 3]);
    }

    /// The order a desk serves requests that arrived at these milliseconds.
    fn order_of_arrivals(milliseconds: &[u64]) -> Vec<u64> {
        let start = Instant::now();
        let mut desk = Desk::default();
        for (ticket, &ms) in (1..).zip(milliseconds) {
            desk.waiting.insert(ticket, start + Duration::from_millis(ms));
        }
        std::iter::from_fn(|| {
            let next = desk.next_up()?;
            desk.waiting.remove(&next);
            Some(next)
        })
        .collect()
    }

    #[test]
    fn a_burst_is_a_run_of_requests_close_to_each_other_and_to_the_newest() {
        // One screenful whose requests trickle in from a busy webview: one burst.
        assert_eq!(order_of_arrivals(&[0, 2, 4, 40, 70, 100, 130]), [1, 2, 3, 4, 5, 6, 7]);
        // A pause, then another screen: that one first.
        assert_eq!(order_of_arrivals(&[0, 10, 20, 200, 210]), [4, 5, 1, 2, 3]);
        // A scroll that never pauses: what was asked for more than a moment before the
        // newest waits.
        let scrolling: Vec<u64> = (0..15).map(|k| k * 40).collect();
        assert_eq!(
            order_of_arrivals(&scrolling),
            [8, 9, 10, 11, 12, 13, 14, 15, 1, 2, 3, 4, 5, 6, 7]
        );
    }
}
