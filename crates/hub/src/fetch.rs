//! The Hub's HTTP interface: a revision resolved to its commit, the commit's file list
//! (tree API), and one file fetched into place, resumed with a Range request after an
//! interruption, retried with back-off on 429 and 5xx answers, and checked against the
//! listed sha256 (large files) or git blob SHA-1 (the rest) before it gets its name.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Deserialize;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use ureq::http::{HeaderMap, StatusCode};

use crate::HubError;

pub const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// Attempts per request before a 429, a 5xx or a dropped connection is an error.
const ATTEMPTS: u32 = 6;
const LONGEST_WAIT: Duration = Duration::from_secs(60);
/// The Hub pages a tree by 1,000 entries or more; a model's repository has tens of files.
const MAX_TREE_PAGES: usize = 1000;
/// A file larger than a terabyte is not a model's: its size is a damaged listing's, and
/// sums of such sizes would overflow.
const MAX_FILE_BYTES: u64 = 1 << 40;

/// One file of a repository at a commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoFile {
    pub path: String,
    pub size: u64,
    /// The git blob SHA-1 of small files.
    pub blob_sha1: String,
    /// The sha256 of large (LFS) files.
    pub sha256: Option<String>,
}

/// A repository's revision resolved to its commit, with the commit's files.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub repo: String,
    pub revision: String,
    pub commit: String,
    /// The licence its model card states, if it states one.
    pub licence: Option<String>,
    pub files: Vec<RepoFile>,
}

#[derive(Deserialize)]
struct RevisionInfo {
    sha: String,
    #[serde(default, rename = "cardData")]
    card: Option<CardData>,
}

#[derive(Deserialize)]
struct CardData {
    #[serde(default)]
    license: Option<String>,
}

#[derive(Deserialize)]
struct TreeEntry {
    #[serde(rename = "type")]
    kind: String,
    path: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    oid: String,
    #[serde(default)]
    lfs: Option<LfsInfo>,
}

#[derive(Deserialize)]
struct LfsInfo {
    oid: String,
    size: u64,
}

/// What one attempt at a request came to.
enum Attempt<T> {
    Done(T),
    /// Worth another try (a 429 or 5xx `status`, a dropped connection), after the
    /// server's Retry-After if it gave one.
    Again {
        cause: String,
        status: Option<u16>,
        after: Option<Duration>,
    },
    Failed(HubError),
}

/// A Hugging Face Hub, or a server that answers as one.
#[derive(Clone)]
pub struct Hub {
    endpoint: String,
    agent: ureq::Agent,
    first_wait: Duration,
    /// Set by whoever may stop the download (the app's Cancel): checked between reads
    /// and during waits, so a stop takes effect within one buffer.
    cancel: Option<Arc<AtomicBool>>,
}

impl Hub {
    pub fn new(endpoint: &str) -> Hub {
        let config = ureq::Agent::config_builder()
            // Redirects are followed here, to keep the Range header and see where they go.
            .max_redirects(0)
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_per_read(Some(Duration::from_secs(60)))
            .user_agent(concat!("motis/", env!("CARGO_PKG_VERSION")))
            .build();
        Hub {
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            agent: config.into(),
            first_wait: Duration::from_secs(1),
            cancel: None,
        }
    }

    /// `HF_ENDPOINT` (a mirror) if set, else huggingface.co.
    pub fn from_env() -> Hub {
        Hub::new(&std::env::var("HF_ENDPOINT").unwrap_or_else(|_| DEFAULT_ENDPOINT.to_owned()))
    }

    /// The wait before the first retry (it doubles with each one): short in tests.
    pub fn with_first_wait(mut self, wait: Duration) -> Hub {
        self.first_wait = wait;
        self
    }

    /// This Hub, stopping what it fetches with [`HubError::Cancelled`] once `cancel` is
    /// set. What is fetched so far stays, for the next download to resume.
    pub fn with_cancel(mut self, cancel: Arc<AtomicBool>) -> Hub {
        self.cancel = Some(cancel);
        self
    }

    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    /// Sleep `pause`, waking early when cancelled.
    fn wait(&self, pause: Duration) -> Result<(), HubError> {
        let step = Duration::from_millis(50);
        let mut left = pause;
        while !left.is_zero() {
            if self.cancelled() {
                return Err(HubError::Cancelled);
            }
            let now = left.min(step);
            std::thread::sleep(now);
            left -= now;
        }
        Ok(())
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// `revision` of `repo` resolved to its commit, and that commit's files.
    pub fn snapshot(&self, repo: &str, revision: &str) -> Result<Snapshot, HubError> {
        let info_url = format!("{}/api/models/{repo}/revision/{}", self.endpoint, encode(revision));
        let info: RevisionInfo = self.get_json(&info_url, |status, headers| {
            let code = headers.get("x-error-code").and_then(|v| v.to_str().ok());
            match (status, code) {
                (404, Some("RevisionNotFound")) => Some(HubError::NoRevision {
                    repo: repo.to_owned(),
                    revision: revision.to_owned(),
                }),
                (401 | 404, _) => Some(HubError::NoRepository {
                    repo: repo.to_owned(),
                    endpoint: self.endpoint.clone(),
                }),
                _ => None,
            }
        })?;
        if info.sha.len() != 40 || !info.sha.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(HubError::Protocol {
                url: info_url,
                reason: format!("{:?} is not a commit", info.sha),
            });
        }
        let mut files = Vec::new();
        let mut next = Some(format!(
            "{}/api/models/{repo}/tree/{}?recursive=true",
            self.endpoint, info.sha
        ));
        let mut pages = HashSet::new();
        let mut paths = HashSet::new();
        // The tree API pages long listings, linking each page to the next.
        while let Some(url) = next.take() {
            let refuse = |reason: String| HubError::Protocol {
                url: url.clone(),
                reason,
            };
            // A server that links back to a page it sent would keep a download listing for good.
            if !pages.insert(url.clone()) || pages.len() > MAX_TREE_PAGES {
                return Err(refuse(format!(
                    "the listing does not end (it links back to a page it sent, or runs past {MAX_TREE_PAGES} pages)"
                )));
            }
            let (entries, link): (Vec<TreeEntry>, Option<String>) = self.get_json_with_link(&url)?;
            next = link;
            for entry in entries.into_iter().filter(|e| e.kind == "file") {
                let size = entry.lfs.as_ref().map_or(entry.size, |lfs| lfs.size);
                if size > MAX_FILE_BYTES {
                    return Err(refuse(format!("{} is listed with {size} bytes", entry.path)));
                }
                if !paths.insert(entry.path.clone()) {
                    return Err(refuse(format!("{} is listed twice", entry.path)));
                }
                files.push(RepoFile {
                    size,
                    sha256: entry.lfs.map(|lfs| lfs.oid),
                    blob_sha1: entry.oid,
                    path: entry.path,
                });
            }
        }
        Ok(Snapshot {
            repo: repo.to_owned(),
            revision: revision.to_owned(),
            commit: info.sha,
            licence: info.card.and_then(|card| card.license),
            files,
        })
    }

    fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        not_there: impl Fn(u16, &HeaderMap) -> Option<HubError>,
    ) -> Result<T, HubError> {
        let response = self.get(url, None, &not_there)?;
        read_json(url, response)
    }

    fn get_json_with_link<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<(T, Option<String>), HubError> {
        let response = self.get(url, None, &|_, _| None)?;
        let next = response
            .headers()
            .get("link")
            .and_then(|v| v.to_str().ok())
            .and_then(next_link)
            .map(|link| absolute(url, &link));
        Ok((read_json(url, response)?, next))
    }

    /// A successful (2xx) answer to GET `url`, after following redirects and retrying
    /// what is worth retrying. `not_there` names the error for a 4xx answer, if it knows
    /// better than "not found".
    fn get(
        &self,
        url: &str,
        from_byte: Option<u64>,
        not_there: &dyn Fn(u16, &HeaderMap) -> Option<HubError>,
    ) -> Result<ureq::http::Response<ureq::Body>, HubError> {
        self.retrying(url, || self.attempt_get(url, from_byte, not_there))
    }

    fn attempt_get(
        &self,
        url: &str,
        from_byte: Option<u64>,
        not_there: &dyn Fn(u16, &HeaderMap) -> Option<HubError>,
    ) -> Attempt<ureq::http::Response<ureq::Body>> {
        let mut current = url.to_owned();
        for _ in 0..10 {
            let mut request = self.agent.get(&current);
            if let Some(from) = from_byte {
                request = request.header("Range", format!("bytes={from}-"));
            }
            let response = match request.call() {
                Ok(response) => response,
                Err(error) => {
                    return Attempt::Again {
                        cause: error.to_string(),
                        status: None,
                        after: None,
                    };
                }
            };
            let status = response.status();
            if status.is_redirection() {
                let Some(location) = response.headers().get("location").and_then(|v| v.to_str().ok()) else {
                    return Attempt::Failed(HubError::Protocol {
                        url: current,
                        reason: format!("a redirect ({status}) without a Location"),
                    });
                };
                current = absolute(&current, location);
                continue;
            }
            if status.is_success() {
                return Attempt::Done(response);
            }
            if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
                let after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|seconds| Duration::from_secs(seconds).min(LONGEST_WAIT));
                return Attempt::Again {
                    cause: format!("HTTP {}", status.as_u16()),
                    status: Some(status.as_u16()),
                    after,
                };
            }
            if let Some(error) = not_there(status.as_u16(), response.headers()) {
                return Attempt::Failed(error);
            }
            return Attempt::Failed(if status == StatusCode::NOT_FOUND {
                HubError::NotFound { url: current }
            } else {
                HubError::Status {
                    url: current,
                    status: status.as_u16(),
                    retried: String::new(),
                }
            });
        }
        Attempt::Failed(HubError::Protocol {
            url: url.to_owned(),
            reason: "more than 10 redirects".to_owned(),
        })
    }

    /// `attempt` until it is done, fails, or has been tried [`ATTEMPTS`] times, waiting
    /// longer after each try.
    fn retrying<T>(&self, url: &str, mut attempt: impl FnMut() -> Attempt<T>) -> Result<T, HubError> {
        self.retrying_with(url, &mut |_, _, _| {}, &mut attempt)
    }

    fn retrying_with<T>(
        &self,
        url: &str,
        on_retry: &mut dyn FnMut(u32, Duration, &str),
        attempt: &mut dyn FnMut() -> Attempt<T>,
    ) -> Result<T, HubError> {
        let mut wait = self.first_wait;
        for tried in 1..=ATTEMPTS {
            match attempt() {
                Attempt::Done(value) => return Ok(value),
                Attempt::Failed(error) => return Err(error),
                Attempt::Again { cause, status, .. } if tried == ATTEMPTS => {
                    return Err(match status {
                        Some(status) => HubError::Status {
                            url: url.to_owned(),
                            status,
                            retried: format!(" (tried {ATTEMPTS} times)"),
                        },
                        None => HubError::Network {
                            url: url.to_owned(),
                            cause: format!("{cause} (tried {ATTEMPTS} times)"),
                        },
                    });
                }
                Attempt::Again { cause, after, .. } => {
                    let pause = after.unwrap_or(wait);
                    on_retry(tried + 1, pause, &cause);
                    self.wait(pause)?;
                    wait = (wait * 2).min(LONGEST_WAIT);
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    /// Fetch `file` of `snapshot` to `target`, through `target` + `.part`: a part left by
    /// an interrupted run is continued where it stopped. `on_position` hears how many of
    /// the file's bytes are written, as they are; `on_retry` of each retry. Only a
    /// verified file is renamed to `target`; a file that fails its check is deleted.
    pub fn fetch_file(
        &self,
        snapshot: &Snapshot,
        file: &RepoFile,
        target: &Path,
        on_position: &mut dyn FnMut(u64),
        on_retry: &mut dyn FnMut(u32, Duration, &str),
    ) -> Result<(), HubError> {
        let url = format!(
            "{}/{}/resolve/{}/{}",
            self.endpoint,
            snapshot.repo,
            snapshot.commit,
            file.path.split('/').map(encode).collect::<Vec<_>>().join("/")
        );
        let part = part_path(target);
        if let Some(folder) = part.parent() {
            std::fs::create_dir_all(folder).map_err(|source| write_error(folder, source, file.size))?;
        }
        self.retrying_with(&url, on_retry, &mut || {
            self.fetch_attempt(&url, file, &part, on_position)
        })?;
        let (algorithm, expected, actual) = match &file.sha256 {
            Some(sha256) => ("sha256", sha256.clone(), hash_file::<Sha256>(&part, None)?),
            None => (
                "git blob SHA-1",
                file.blob_sha1.clone(),
                hash_file::<Sha1>(&part, Some(file.size))?,
            ),
        };
        if !actual.eq_ignore_ascii_case(&expected) {
            let _ = std::fs::remove_file(&part);
            return Err(HubError::Corrupt {
                path: target.to_owned(),
                algorithm,
                expected,
                actual,
            });
        }
        std::fs::rename(&part, target).map_err(|source| write_error(target, source, 0))
    }

    fn fetch_attempt(&self, url: &str, file: &RepoFile, part: &Path, on_position: &mut dyn FnMut(u64)) -> Attempt<()> {
        let have = std::fs::metadata(part).map_or(0, |m| m.len());
        if have == file.size {
            on_position(have);
            return Attempt::Done(());
        }
        // Longer than the file: not a part of it. Start again.
        let from = if have > file.size { 0 } else { have };
        let response = match self.attempt_get(url, (from > 0).then_some(from), &|_, _| None) {
            Attempt::Done(response) => response,
            Attempt::Again { cause, status, after } => return Attempt::Again { cause, status, after },
            Attempt::Failed(error) => return Attempt::Failed(error),
        };
        // Only a 206 that continues the part is appended; a 200 is the whole file. A 206
        // from anywhere else is neither: the part is dropped and the file asked for whole.
        let partial = response.status() == StatusCode::PARTIAL_CONTENT;
        let continues = partial
            && response
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(range_start)
                == Some(from);
        if partial && !continues {
            if let Err(source) = File::create(part) {
                return Attempt::Failed(write_error(part, source, file.size));
            }
            return Attempt::Again {
                cause: format!("a range that does not continue the {from} bytes already here"),
                status: None,
                after: None,
            };
        }
        let start = if continues { from } else { 0 };
        on_position(start);
        let opened = if start == 0 {
            File::create(part)
        } else {
            OpenOptions::new().append(true).open(part)
        };
        let mut out = match opened {
            Ok(out) => out,
            Err(source) => return Attempt::Failed(write_error(part, source, file.size - start)),
        };
        let mut body = response.into_body().into_with_config().limit(u64::MAX).reader();
        let mut buffer = vec![0u8; 256 * 1024];
        let mut written = start;
        loop {
            if self.cancelled() {
                let _ = out.sync_all();
                return Attempt::Failed(HubError::Cancelled);
            }
            let read = match body.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) => {
                    let _ = out.flush();
                    return Attempt::Again {
                        cause: format!("the connection broke after {written} of {} bytes: {error}", file.size),
                        status: None,
                        after: None,
                    };
                }
            };
            if written + read as u64 > file.size {
                return Attempt::Failed(HubError::Protocol {
                    url: url.to_owned(),
                    reason: format!("more than the {} bytes the Hub lists", file.size),
                });
            }
            if let Err(source) = out.write_all(&buffer[..read]) {
                return Attempt::Failed(write_error(part, source, file.size - written));
            }
            written += read as u64;
            on_position(written);
        }
        if let Err(source) = out.sync_all() {
            return Attempt::Failed(write_error(part, source, file.size - written));
        }
        if written < file.size {
            return Attempt::Again {
                cause: format!("the answer ended after {written} of {} bytes", file.size),
                status: None,
                after: None,
            };
        }
        Attempt::Done(())
    }
}

/// Where a file is written until it is verified.
pub(crate) fn part_path(target: &Path) -> PathBuf {
    let mut name = target.file_name().unwrap_or_default().to_owned();
    name.push(".part");
    target.with_file_name(name)
}

fn write_error(path: &Path, source: std::io::Error, needed: u64) -> HubError {
    if source.kind() == ErrorKind::StorageFull {
        HubError::DiskFull {
            path: path.to_owned(),
            needed,
        }
    } else {
        HubError::Write {
            path: path.to_owned(),
            source,
        }
    }
}

fn read_json<T: serde::de::DeserializeOwned>(
    url: &str,
    response: ureq::http::Response<ureq::Body>,
) -> Result<T, HubError> {
    let mut text = String::new();
    response
        .into_body()
        .into_with_config()
        .limit(64 << 20)
        .reader()
        .read_to_string(&mut text)
        .map_err(|error| HubError::Network {
            url: url.to_owned(),
            cause: error.to_string(),
        })?;
    serde_json::from_str(&text).map_err(|error| HubError::Protocol {
        url: url.to_owned(),
        reason: error.to_string(),
    })
}

/// The hex digest of the file at `path`; with `blob_size`, as git hashes a blob of that size.
fn hash_file<D: Digest>(path: &Path, blob_size: Option<u64>) -> Result<String, HubError> {
    let read = |source| HubError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(read)?;
    let mut digest = D::new();
    if let Some(size) = blob_size {
        digest.update(format!("blob {size}\0").as_bytes());
    }
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).map_err(read)?;
        if read == 0 {
            break;
        }
        digest.update(&buffer[..read]);
    }
    Ok(digest.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The first byte of a `Content-Range: bytes FIRST-LAST/TOTAL`.
fn range_start(value: &str) -> Option<u64> {
    value.strip_prefix("bytes ")?.split('-').next()?.trim().parse().ok()
}

/// The `rel="next"` target of a Link header.
fn next_link(value: &str) -> Option<String> {
    value.split(',').find_map(|link| {
        let (target, params) = link.split_once(';')?;
        params
            .contains("rel=\"next\"")
            .then(|| target.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
    })
}

/// `location` made absolute against `base` (Locations may be relative to the server).
fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http://") || location.starts_with("https://") {
        return location.to_owned();
    }
    let origin_end = base
        .find("://")
        .map(|scheme| {
            base[scheme + 3..]
                .find('/')
                .map_or(base.len(), |slash| scheme + 3 + slash)
        })
        .unwrap_or(base.len());
    if location.starts_with('/') {
        format!("{}{location}", &base[..origin_end])
    } else {
        let directory = base[..base.rfind('/').filter(|&i| i >= origin_end).unwrap_or(origin_end)].to_owned();
        format!("{directory}/{location}")
    }
}

/// A path segment or revision as it goes into a URL.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_resolve_against_the_server() {
        assert_eq!(absolute("http://h:1/a/b/c", "/cdn/x"), "http://h:1/cdn/x");
        assert_eq!(
            absolute("http://h:1/a/b/c", "https://cdn.example/x"),
            "https://cdn.example/x"
        );
        assert_eq!(absolute("http://h:1/a/b/c", "d"), "http://h:1/a/b/d");
    }

    #[test]
    fn content_ranges_and_links_are_read() {
        assert_eq!(range_start("bytes 100-199/200"), Some(100));
        assert_eq!(range_start("items 1-2/3"), None);
        assert_eq!(
            next_link("<https://h/api/x?cursor=abc>; rel=\"next\""),
            Some("https://h/api/x?cursor=abc".to_owned())
        );
        assert_eq!(next_link("<https://h/api/x>; rel=\"prev\""), None);
        assert_eq!(encode("refs/pr/1"), "refs%2Fpr%2F1");
    }
}
