import { createHash, randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';

export const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface Blob {
  bytes: Buffer;
  digest: string;
}

export function randomBlob(size = 1024): Blob {
  const bytes = randomBytes(size);
  return { bytes, digest: sha256(bytes) };
}

export function imageManifest(config: Blob, layers: Blob[], extra: Record<string, unknown> = {}): Blob {
  const bytes = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: config.digest, size: config.bytes.length },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.bytes.length })),
    ...extra,
  }, null, 3));
  return { bytes, digest: sha256(bytes) };
}

/** A thin v2 client over fetch, for protocol tests that look at every status and header. */
export class V2Client {
  constructor(readonly baseUrl: string, private readonly auth?: string) {}

  async request(method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.auth) headers.authorization = this.auth;
    return fetch(new URL(path, this.baseUrl), { method, headers, body: init.body, redirect: 'manual' });
  }

  /** A request whose path is sent exactly as given (fetch would resolve `..` segments itself). */
  async rawStatus(method: string, path: string): Promise<{ status: number; body: string }> {
    const url = new URL(this.baseUrl);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: this.auth ? { authorization: this.auth } : {} }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  async pushBlob(name: string, blob: Blob): Promise<void> {
    const res = await this.request('POST', `/v2/${name}/blobs/uploads/?digest=${blob.digest}`, {
      headers: { 'content-type': 'application/octet-stream' },
      body: blob.bytes,
    });
    if (res.status === 202) {
      // A registry may ignore a monolithic POST (distribution 2.8 does): the spec's fallback is a PUT.
      const location = new URL(res.headers.get('location')!, this.baseUrl);
      location.searchParams.set('digest', blob.digest);
      const put = await this.request('PUT', location.href, { headers: { 'content-type': 'application/octet-stream' }, body: blob.bytes });
      assert.equal(put.status, 201, `push blob: ${await put.text()}`);
      return;
    }
    assert.equal(res.status, 201, `push blob: ${await res.text()}`);
  }

  async pushManifest(name: string, reference: string, manifest: Blob, mediaType = 'application/vnd.oci.image.manifest.v1+json'): Promise<Response> {
    return this.request('PUT', `/v2/${name}/manifests/${reference}`, { headers: { 'content-type': mediaType }, body: manifest.bytes });
  }

  /** Pushes a config + one layer (4 KiB of random bytes unless given) + manifest under `tag`; returns all three. */
  async pushImage(name: string, tag: string, layer: Blob = randomBlob(4096)): Promise<{ config: Blob; layer: Blob; manifest: Blob }> {
    const config = { bytes: Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })), digest: '' };
    config.digest = sha256(config.bytes);
    await this.pushBlob(name, config);
    await this.pushBlob(name, layer);
    const manifest = imageManifest(config, [layer]);
    const res = await this.pushManifest(name, tag, manifest);
    assert.equal(res.status, 201, `push manifest: ${await res.text()}`);
    return { config, layer, manifest };
  }
}

/** Asserts an OCI error envelope with `code` and `status`. */
export async function assertOciError(res: Response, status: number, code: string): Promise<void> {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${text}`);
  if (text === '') return; // HEAD: the envelope's headers without its body
  const body = JSON.parse(text) as { errors: { code: string }[] };
  assert.equal(body.errors[0]?.code, code, text);
}

/** The JSON body of a response, typed by the caller. */
export async function jsonOf<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export interface TagList {
  name: string;
  tags: string[];
}

export interface IndexBody {
  mediaType: string;
  manifests: { digest: string; size: number; artifactType?: string; mediaType: string }[];
}
