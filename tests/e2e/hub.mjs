// A loopback server that answers as the Hugging Face Hub does, for the app's Models panel
// end to end: every repository it is asked for holds tests/fixtures/immich-tiny with
// CLIP's tokenizer (a model in Immich's layout, small and fast), listed by the revision
// and tree APIs with each file's git blob SHA-1 or LFS sha256; large files redirect to a
// CDN path with X-Linked-Etag and X-Linked-Size, and are sent slowly (`bytesPerTick`
// every `tickMs`) with Range requests honoured, so that a download can be watched and
// cancelled. (crates/hub/tests/hub_server is the Rust tests' server, with faults.)

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

export const COMMIT = 'fedcba9876543210fedcba9876543210fedcba98';

function fixtureFiles(root) {
  const fixture = join(root, 'tests/fixtures/immich-tiny');
  const file = (path, bytes, lfs) => ({
    path,
    bytes,
    lfs,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    blobSha1: createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex'),
  });
  const read = (path) => readFileSync(join(fixture, path));
  return [
    file('config.json', read('config.json'), false),
    file('visual/model.onnx', read('visual/model.onnx'), true),
    file('visual/preprocess_cfg.json', read('visual/preprocess_cfg.json'), false),
    file('textual/model.onnx', read('textual/model.onnx'), true),
    file('textual/tokenizer_config.json', read('textual/tokenizer_config.json'), false),
    file('textual/tokenizer.json', readFileSync(join(root, 'models/tokenizers/clip-bpe/tokenizer.json')), true),
  ];
}

/** Starts the server on 127.0.0.1; resolves `{ endpoint, requests, close }`. */
export function startHub(root, { bytesPerTick = 64 * 1024, tickMs = 40 } = {}) {
  const files = fixtureFiles(root);
  const requests = [];
  const json = (response, value) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(value));
  };
  const send = (request, response, file) => {
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const from = range ? Math.min(Number(range[1]), file.bytes.length) : 0;
    const headers = { 'content-length': String(file.bytes.length - from), 'x-repo-commit': COMMIT };
    if (range) headers['content-range'] = `bytes ${from}-${file.bytes.length - 1}/${file.bytes.length}`;
    response.writeHead(range ? 206 : 200, headers);
    let at = from;
    const tick = () => {
      if (response.destroyed) return;
      if (at >= file.bytes.length) return response.end();
      const end = Math.min(file.bytes.length, at + bytesPerTick);
      response.write(file.bytes.subarray(at, end));
      at = end;
      setTimeout(tick, file.lfs ? tickMs : 0);
    };
    tick();
  };
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    requests.push({ path: url.pathname, range: request.headers.range ?? null });
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(url.pathname);
    if (api) {
      const [, repo, kind, revision] = api;
      if (revision !== 'main' && revision !== COMMIT) {
        response.writeHead(404, { 'x-error-code': 'RevisionNotFound' });
        return response.end();
      }
      if (kind === 'revision') return json(response, { id: repo, sha: COMMIT, cardData: { license: 'mit' } });
      return json(response, [
        { type: 'directory', oid: 'd1', size: 0, path: 'visual' },
        { type: 'directory', oid: 'd2', size: 0, path: 'textual' },
        ...files.map((f) =>
          f.lfs
            ? { type: 'file', path: f.path, oid: f.blobSha1, size: 134, lfs: { oid: f.sha256, size: f.bytes.length, pointerSize: 134 } }
            : { type: 'file', path: f.path, oid: f.blobSha1, size: f.bytes.length },
        ),
      ]);
    }
    const resolve = /^\/[^/]+\/[^/]+\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    if (resolve) {
      const file = files.find((f) => f.path === decodeURIComponent(resolve[2]));
      if (!file || resolve[1] !== COMMIT) {
        response.writeHead(404, { 'x-error-code': 'EntryNotFound' });
        return response.end();
      }
      if (!file.lfs) return send(request, response, file);
      response.writeHead(302, {
        location: `/cdn/${file.sha256}`,
        'x-linked-etag': `"${file.sha256}"`,
        'x-linked-size': String(file.bytes.length),
        'x-repo-commit': COMMIT,
      });
      return response.end();
    }
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(url.pathname);
    const file = cdn && files.find((f) => f.lfs && f.sha256 === cdn[1]);
    if (file) return send(request, response, file);
    response.writeHead(404);
    response.end();
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        endpoint: `http://127.0.0.1:${server.address().port}`,
        requests,
        close: () => new Promise((done) => server.close(done)),
      });
    });
  });
}
