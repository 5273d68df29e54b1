//! Showing an indexing run: progress bars with rate and time left on a terminal, plain
//! lines (one per phase step of 10 %, and every failure) when stderr is piped.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use motis_engine::{IndexEvent, Phase};

pub struct Reporter {
    terminal: bool,
    state: Mutex<State>,
}

struct State {
    phase: Option<Phase>,
    bar: Option<ProgressBar>,
    /// Plain mode: the last tenth of the phase reported, and when.
    reported_tenth: usize,
    last_line: Instant,
}

fn phase_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Scanning => "scanning",
        Phase::Previews => "previews",
        Phase::Encoding => "encoding",
    }
}

impl Reporter {
    pub fn new() -> Reporter {
        Reporter {
            terminal: std::io::stderr().is_terminal(),
            state: Mutex::new(State {
                phase: None,
                bar: None,
                reported_tenth: 0,
                last_line: Instant::now(),
            }),
        }
    }

    pub fn show(&self, event: &IndexEvent) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        match event {
            IndexEvent::Started { model, sources } => {
                let sources: Vec<String> = sources.iter().map(|f| f.display().to_string()).collect();
                eprintln!("indexing {} with {model}", sources.join(", "));
            }
            IndexEvent::Progress {
                phase,
                done,
                total,
                failed,
            } => {
                if state.phase != Some(*phase) {
                    finish(state.bar.take());
                    state.phase = Some(*phase);
                    state.reported_tenth = 0;
                    if self.terminal {
                        let bar = ProgressBar::with_draw_target(Some(*total as u64), ProgressDrawTarget::stderr());
                        bar.set_style(
                            ProgressStyle::with_template(
                                "{prefix:>9} [{bar:32}] {pos}/{len} {rate:>9} {eta:>4} left {msg}",
                            )
                            .expect("a valid template")
                            .with_key("rate", |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                                let _ = write!(out, "{:.1}/s", state.per_sec());
                            })
                            .progress_chars("=> "),
                        );
                        bar.set_prefix(phase_name(*phase));
                        state.bar = Some(bar);
                    }
                }
                if let Some(bar) = &state.bar {
                    bar.set_length(*total as u64);
                    bar.set_position((done + failed) as u64);
                    if *failed > 0 {
                        bar.set_message(format!("{failed} failed"));
                    }
                } else {
                    let tenth = if *total == 0 { 10 } else { 10 * (done + failed) / total };
                    let finished = done + failed == *total;
                    if tenth > state.reported_tenth
                        || (finished && state.reported_tenth < 10)
                        || state.last_line.elapsed() >= Duration::from_secs(10)
                    {
                        let failures = if *failed > 0 {
                            format!(" ({failed} failed)")
                        } else {
                            String::new()
                        };
                        eprintln!("{} {}/{total}{failures}", phase_name(*phase), done + failed);
                        state.reported_tenth = if finished { 10 } else { tenth };
                        state.last_line = Instant::now();
                    }
                }
            }
            IndexEvent::ItemFailed { path, cause, .. } => {
                let line = if cause.contains(&path.display().to_string()) {
                    format!("failed: {cause}")
                } else {
                    format!("failed: {}: {cause}", path.display())
                };
                match &state.bar {
                    Some(bar) => bar.println(line),
                    None => eprintln!("{line}"),
                }
            }
            IndexEvent::Paused { .. } | IndexEvent::Resumed => {
                let line = match event {
                    IndexEvent::Paused { reason } => format!("paused: {reason}"),
                    _ => "going on".to_owned(),
                };
                match &state.bar {
                    Some(bar) => bar.println(line),
                    None => eprintln!("{line}"),
                }
            }
            IndexEvent::Finished(_) | IndexEvent::Cancelled(_) => {
                finish(state.bar.take());
                if matches!(event, IndexEvent::Cancelled(_)) {
                    eprintln!("cancelled: what was done so far is saved; run motis index again to go on");
                }
            }
        }
    }
}

/// Leave a finished phase's bar on its own line.
fn finish(bar: Option<ProgressBar>) {
    if let Some(bar) = bar {
        bar.finish();
        eprintln!();
    }
}
