//! A loopback server that answers as the Hugging Face Hub does for one repository: the
//! revision and tree APIs, `resolve` URLs that redirect large files to a CDN path with
//! `X-Linked-Etag` / `X-Linked-Size`, Range requests, and faults a test turns on: a
//! connection dropped midway, a corrupted byte, Range ignored, 404s, 429s and 503s.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use sha1::Sha1;
use sha2::{Digest, Sha256};

pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

pub struct RepoFile {
    pub path: String,
    pub bytes: Vec<u8>,
    pub lfs: bool,
}

impl RepoFile {
    pub fn sha256(&self) -> String {
        hex(&Sha256::digest(&self.bytes))
    }

    fn blob_sha1(&self) -> String {
        let mut digest = Sha1::new();
        digest.update(format!("blob {}\0", self.bytes.len()).as_bytes());
        digest.update(&self.bytes);
        hex(&digest.finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Faults, each for the next request(s) of a file (by its path in the repository).
#[derive(Default)]
pub struct Faults {
    /// Send this many bytes of the file, then close the connection: one request each,
    /// from the last entry.
    pub drop_after: HashMap<String, Vec<usize>>,
    /// Flip one byte in the middle of the file, once.
    pub corrupt: HashSet<String>,
    /// Answer every Range request with the whole file (200).
    pub ignore_range: bool,
    /// Answer the next Range request with a 206 of the file from byte 1,000 instead.
    pub misplace_range: bool,
    /// Answer this many file requests with 429 (Retry-After: 0) first.
    pub too_many_requests: usize,
    /// Answer every file request with 503.
    pub unavailable: bool,
    /// Files the server no longer has.
    pub missing: HashSet<String>,
    /// A tree listing no download may follow.
    pub damaged_listing: Option<DamagedListing>,
}

/// How a tree listing can be wrong.
#[derive(Clone, Copy, Debug)]
pub enum DamagedListing {
    /// The second page links back to the first.
    LinksBack,
    /// `config.json` is listed on both pages.
    ListsTwice,
    /// `visual/model.onnx` is listed with a size no file has.
    Exabytes,
}

/// One request the server saw: its path and its Range header.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub range: Option<String>,
}

struct State {
    repo: String,
    files: Vec<RepoFile>,
    faults: Mutex<Faults>,
    seen: Mutex<Vec<Seen>>,
}

pub struct HubServer {
    pub endpoint: String,
    state: Arc<State>,
}

impl HubServer {
    pub fn start(repo: &str, files: Vec<RepoFile>) -> HubServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(State {
            repo: repo.to_owned(),
            files,
            faults: Mutex::new(Faults::default()),
            seen: Mutex::new(Vec::new()),
        });
        let serving = Arc::clone(&state);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = Arc::clone(&serving);
                std::thread::spawn(move || answer(&state, stream));
            }
        });
        HubServer { endpoint, state }
    }

    pub fn faults(&self) -> std::sync::MutexGuard<'_, Faults> {
        self.state.faults.lock().unwrap()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.seen.lock().unwrap().clone()
    }

    /// Requests for the bytes of `path` (its resolve URL, and the CDN URL it redirects to).
    pub fn fetches_of(&self, path: &str) -> Vec<Seen> {
        let file = self.state.files.iter().find(|f| f.path == path).unwrap();
        let cdn = format!("/cdn/{}", file.sha256());
        self.seen()
            .into_iter()
            .filter(|seen| seen.path == cdn || (!file.lfs && seen.path.ends_with(&format!("/{path}"))))
            .collect()
    }
}

/// The repository `tests/fixtures/immich-tiny` with CLIP's tokenizer: what Immich
/// publishes, with the accelerator builds a download must leave alone. `config` replaces
/// its config.json.
pub fn immich_tiny(root: &Path, config: Option<&str>) -> Vec<RepoFile> {
    let fixture = root.join("tests/fixtures/immich-tiny");
    let read = |path: &str| std::fs::read(fixture.join(path)).unwrap();
    let file = |path: &str, bytes: Vec<u8>, lfs: bool| RepoFile {
        path: path.to_owned(),
        bytes,
        lfs,
    };
    vec![
        file(
            ".gitattributes",
            b"*.onnx filter=lfs diff=lfs merge=lfs -text\n".to_vec(),
            false,
        ),
        file("README.md", b"# immich-tiny\n".to_vec(), false),
        file(
            "config.json",
            config.map_or_else(|| read("config.json"), |c| c.as_bytes().to_vec()),
            false,
        ),
        file("visual/model.onnx", read("visual/model.onnx"), true),
        file("visual/preprocess_cfg.json", read("visual/preprocess_cfg.json"), false),
        file("visual/fp16/model.armnn", vec![7; 4096], true),
        file("textual/model.onnx", read("textual/model.onnx"), true),
        file(
            "textual/tokenizer_config.json",
            read("textual/tokenizer_config.json"),
            false,
        ),
        file(
            "textual/tokenizer.json",
            std::fs::read(root.join("models/tokenizers/clip-bpe/tokenizer.json")).unwrap(),
            true,
        ),
        file("textual/rk3566/model.rknn", vec![9; 4096], true),
    ]
}

fn answer(state: &State, mut stream: TcpStream) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_owned());
        }
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    state.seen.lock().unwrap().push(Seen {
        path: path.to_owned(),
        range: range.clone(),
    });
    let api = format!("/api/models/{}/", state.repo);
    let resolve = format!("/{}/resolve/", state.repo);
    if let Some(rest) = path.strip_prefix(&api) {
        api_answer(state, &mut stream, rest, query);
    } else if let Some(rest) = path.strip_prefix(&resolve) {
        let (revision, file) = rest.split_once('/').unwrap_or((rest, ""));
        let Some(found) = state.files.iter().find(|f| f.path == file) else {
            return respond(&mut stream, "404 Not Found", &[("X-Error-Code", "EntryNotFound")], b"");
        };
        if revision != COMMIT || state.faults.lock().unwrap().missing.contains(file) {
            return respond(&mut stream, "404 Not Found", &[("X-Error-Code", "EntryNotFound")], b"");
        }
        if found.lfs {
            let (location, etag, size) = (
                format!("/cdn/{}", found.sha256()),
                format!("\"{}\"", found.sha256()),
                found.bytes.len().to_string(),
            );
            return respond(
                &mut stream,
                "302 Found",
                &[
                    ("Location", &location),
                    ("X-Linked-Etag", &etag),
                    ("X-Linked-Size", &size),
                    ("X-Repo-Commit", COMMIT),
                ],
                b"",
            );
        }
        serve_file(state, &mut stream, found, range.as_deref());
    } else if path.starts_with("/api/models/") {
        // Another repository: the Hub answers 401 to anonymous requests for one it lacks.
        respond(
            &mut stream,
            "401 Unauthorized",
            &[("X-Error-Code", "RepoNotFound")],
            b"",
        );
    } else if let Some(sha) = path.strip_prefix("/cdn/") {
        match state.files.iter().find(|f| f.lfs && f.sha256() == sha) {
            Some(found) => serve_file(state, &mut stream, found, range.as_deref()),
            None => respond(&mut stream, "404 Not Found", &[], b""),
        }
    } else {
        respond(&mut stream, "404 Not Found", &[], b"");
    }
}

fn api_answer(state: &State, stream: &mut TcpStream, rest: &str, query: &str) {
    if let Some(revision) = rest.strip_prefix("revision/") {
        if revision != "main" && revision != COMMIT {
            return respond(stream, "404 Not Found", &[("X-Error-Code", "RevisionNotFound")], b"");
        }
        let body = serde_json::json!({"id": state.repo, "sha": COMMIT, "cardData": {"license": "mit"}});
        return respond(
            stream,
            "200 OK",
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
    }
    if let Some(commit) = rest.strip_prefix("tree/") {
        if commit != COMMIT || !query.contains("recursive=true") {
            return respond(stream, "404 Not Found", &[], b"");
        }
        let mut entries = vec![
            serde_json::json!({"type": "directory", "oid": "d1", "size": 0, "path": "visual"}),
            serde_json::json!({"type": "directory", "oid": "d2", "size": 0, "path": "textual"}),
        ];
        let damage = state.faults.lock().unwrap().damaged_listing;
        for file in &state.files {
            let mut entry = serde_json::json!({"type": "file", "path": file.path, "oid": file.blob_sha1()});
            let size = match damage {
                Some(DamagedListing::Exabytes) if file.path == "visual/model.onnx" => u64::MAX - 1,
                _ => file.bytes.len() as u64,
            };
            if file.lfs {
                entry["size"] = 134.into();
                entry["lfs"] = serde_json::json!({"oid": file.sha256(), "size": size, "pointerSize": 134});
            } else {
                entry["size"] = size.into();
            }
            entries.push(entry);
        }
        if let Some(DamagedListing::ListsTwice) = damage {
            let config = entries.iter().find(|e| e["path"] == "config.json").unwrap().clone();
            entries.push(config);
        }
        // Two pages, linked as the Hub links them.
        let half = entries.len() / 2;
        let second = query.contains("cursor=2");
        let page: Vec<_> = if second {
            entries.split_off(half)
        } else {
            entries[..half].to_vec()
        };
        let link = format!(
            "<{}/api/models/{}/tree/{COMMIT}?recursive=true&cursor=2>; rel=\"next\"",
            "http://".to_owned() + &stream.local_addr().unwrap().to_string(),
            state.repo
        );
        let mut headers = vec![("Content-Type", "application/json")];
        let back = link.replace("&cursor=2", "");
        if !second {
            headers.push(("Link", &link));
        } else if let Some(DamagedListing::LinksBack) = damage {
            headers.push(("Link", &back));
        }
        return respond(
            stream,
            "200 OK",
            &headers,
            serde_json::to_string(&page).unwrap().as_bytes(),
        );
    }
    respond(stream, "404 Not Found", &[], b"");
}

fn serve_file(state: &State, stream: &mut TcpStream, file: &RepoFile, range: Option<&str>) {
    let mut faults = state.faults.lock().unwrap();
    if faults.unavailable {
        return respond(stream, "503 Service Unavailable", &[], b"");
    }
    if faults.too_many_requests > 0 {
        faults.too_many_requests -= 1;
        return respond(stream, "429 Too Many Requests", &[("Retry-After", "0")], b"");
    }
    let mut bytes = file.bytes.clone();
    if faults.corrupt.remove(&file.path) {
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
    }
    let start = range
        .and_then(|r| r.strip_prefix("bytes="))
        .and_then(|r| r.strip_suffix('-'))
        .and_then(|r| r.parse::<usize>().ok())
        .filter(|_| !faults.ignore_range);
    let start = match start {
        Some(_) if faults.misplace_range => {
            faults.misplace_range = false;
            Some(1_000)
        }
        start => start,
    };
    let drop_after = faults.drop_after.get_mut(&file.path).and_then(|cuts| cuts.pop());
    drop(faults);
    let from = start.unwrap_or(0).min(bytes.len());
    let body = &bytes[from..];
    let length = body.len().to_string();
    let content_range = format!("bytes {from}-{}/{}", bytes.len().saturating_sub(1), bytes.len());
    let mut headers = vec![("Content-Length", length.as_str()), ("X-Repo-Commit", COMMIT)];
    let status = if start.is_some() {
        headers.push(("Content-Range", &content_range));
        "206 Partial Content"
    } else {
        "200 OK"
    };
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (name, value) in &headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    match drop_after {
        Some(cut) => {
            let _ = stream.write_all(&body[..cut.min(body.len())]);
            let _ = stream.flush();
            let _ = stream.shutdown(Shutdown::Both);
        }
        None => {
            let _ = stream.write_all(body);
        }
    }
}

fn respond(stream: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}
