//! What a Hub (or a mirror, or whatever answers at its address) says about a repository:
//! the revision's JSON and the pages of its tree listing with their `Link` headers, served
//! on loopback to a real download. The input is the parts split at NUL bytes: the
//! revision, then each page followed by its Link header (page N is asked for with
//! `cursor=N`; the first without one). The files themselves answer 404, so a listing
//! the download accepts ends at its first file.
#![no_main]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use motis_embed::Runtime;
use motis_hub::{DownloadRequest, Hub, download_model};

/// The parts the loopback server answers with, set per input.
static PARTS: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                // The rest of the request's head.
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                    header.clear();
                }
                let target = line.split(' ').nth(1).unwrap_or("");
                let parts = PARTS.lock().unwrap().clone();
                let part = |i: usize| parts.get(i).cloned().unwrap_or_default();
                let (status, body, link) = if target.contains("/revision/") {
                    ("200 OK", part(0), Vec::new())
                } else if target.contains("/tree/") {
                    let page: usize = target
                        .split("cursor=")
                        .nth(1)
                        .and_then(|n| n.split('&').next()?.parse().ok())
                        .unwrap_or(0)
                        .min(64);
                    ("200 OK", part(1 + 2 * page), part(2 + 2 * page))
                } else {
                    ("404 Not Found", Vec::new(), Vec::new())
                };
                let link: Vec<u8> = link.into_iter().filter(|&b| b != b'\r' && b != b'\n').collect();
                let mut head = format!(
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                )
                .into_bytes();
                if !link.is_empty() {
                    head.extend(b"Link: ");
                    head.extend(&link);
                    head.extend(b"\r\n");
                }
                head.extend(b"\r\n");
                let _ = stream.write_all(&head).and_then(|()| stream.write_all(&body));
            }
        });
        endpoint
    })
}

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| Runtime::load().expect("ONNX Runtime (scripts/setup installs it)"))
}

fuzz_target!(|bytes: &[u8]| {
    *PARTS.lock().unwrap() = bytes.split(|&b| b == 0).map(<[u8]>::to_vec).collect();
    let models = tempfile::tempdir().unwrap();
    let hub = Hub::new(endpoint()).with_first_wait(Duration::from_millis(1));
    let request = DownloadRequest {
        repo: "fuzz/Listing".into(),
        revision: "main".into(),
        id: "fuzzed".into(),
        licence: None,
        name: None,
        description: None,
    };
    let _ = download_model(&hub, runtime(), &request, models.path(), &mut |_| {});
});
