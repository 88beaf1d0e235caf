import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CacheServices, Lease } from '#cache';
import type { GantryConfig } from '#config';
import { assertValidName, isOciError, OciError, parseDigest } from '#oci';
import type { ChunkInput, UploadProgress } from '#registry';
import { requestAccessOf } from '../access/request-access';
import { CACHE_SERVICES, GANTRY_CONFIG } from '../bootstrap/tokens';
import { BodyBrokeOff, bodyBrokeOff } from '../http/client-abort';
import { declaredLength, hasBody } from '../http/request-body';
import { parseContentRange } from '../http/range-header';
import { sendEmpty } from '../http/responses';
import { RepositoryResolver, type ResolvedRepository } from '../v2/repository-resolver';
import { blobPath, uploadPath } from '../v2/v2-routes';
import {
  isSessionId, overCap, UPLOAD_SESSION_STORE, type SessionCount, type UploadSession, type UploadSessionStore,
} from './upload-session';

/**
 * How long a writer that died keeps a session from others. The lease is renewed while the body
 * streams, so a slow chunk keeps it for as long as it takes.
 */
const WRITER_LEASE_MS = 30_000;

/** Blob uploads. Clients only ever see Gantry's own session URLs; the backend's live in the session. */
@Injectable()
export class UploadsHandler {
  constructor(
    private readonly resolver: RepositoryResolver,
    @Inject(UPLOAD_SESSION_STORE) private readonly sessions: UploadSessionStore,
    @Inject(GANTRY_CONFIG) private readonly config: GantryConfig,
    @Inject(CACHE_SERVICES) private readonly cache: CacheServices,
  ) {}

  async start(req: FastifyRequest, reply: FastifyReply, name: string): Promise<void> {
    const repo = this.resolver.resolve(name);
    if (req.method !== 'POST') throw new OciError('UNSUPPORTED', `${req.method} is not supported here`);
    const query = req.query as Record<string, string | undefined>;
    if (query.mount !== undefined) {
      if (await this.tryMount(req, repo, query.mount, query.from)) {
        req.raw.resume();
        sendEmpty(reply, 201, { location: blobPath(name, query.mount), 'docker-content-digest': query.mount });
        return;
      }
    } else if (query.digest !== undefined) {
      parseDigest(query.digest);
      await repo.registry.putBlob(repo.upstreamName, query.digest, req.raw, declaredLength(req.raw));
      sendEmpty(reply, 201, { location: blobPath(name, query.digest), 'docker-content-digest': query.digest });
      return;
    }
    req.raw.resume();
    // A cheap look first, so that a client over the cap opens nothing upstream.
    refuseOverCap(name, await this.sessions.count(name), this.caps());
    const progress = await repo.registry.startUpload(repo.upstreamName);
    const session: UploadSession = {
      id: randomUUID(),
      name,
      backend: repo.backendName,
      upstreamName: repo.upstreamName,
      handle: progress.handle,
      offset: progress.size,
      createdAt: Date.now(),
    };
    // The count and the save are one step: concurrent starts, on any replica, cannot overshoot.
    const refused = await this.sessions.insert(session, this.caps());
    if (refused) {
      await repo.registry.cancelUpload(repo.upstreamName, progress.handle).catch(() => undefined);
      refuseOverCap(name, refused, this.caps());
    }
    sendEmpty(reply, 202, sessionHeaders(session));
  }

  async session(req: FastifyRequest, reply: FastifyReply, name: string, id: string): Promise<void> {
    const repo = this.resolver.resolve(name);
    const session = await this.load(name, id);
    switch (req.method) {
      case 'GET':
        sendEmpty(reply, 204, sessionHeaders(session));
        return;
      case 'PATCH':
        // A chunk at the wrong offset is refused before it takes the session from anyone.
        return this.exclusively(req, session, (current) => this.patch(req, reply, repo, current), () => this.chunk(req, session));
      case 'PUT':
        return this.exclusively(req, session, (current) => this.finish(req, reply, repo, current));
      case 'DELETE':
        await this.sessions.delete(session.id);
        await repo.registry.cancelUpload(session.upstreamName, session.handle);
        sendEmpty(reply, 204);
        return;
      default:
        throw new OciError('UNSUPPORTED', `${req.method} is not supported on upload sessions`);
    }
  }

  /**
   * One writer per session, through the gateway's locks: in this process, or across every replica
   * with Redis. A concurrent writer gets 416 with the session's state, as for a bad offset. The
   * writer works on the session as it is once the lock is held (the last writer may just have
   * moved it on); the lease is renewed while it writes and released after.
   */
  private async exclusively(
    req: FastifyRequest,
    session: UploadSession,
    write: (current: UploadSession) => Promise<void>,
    precheck?: () => void,
  ): Promise<void> {
    const beingWritten = (): OciError => {
      req.raw.resume();
      return new OciError('RANGE_INVALID', `upload ${session.id} is being written by another request`, { headers: sessionHeaders(session) });
    };
    // A request that will be refused anyway (a chunk at the wrong offset) looks at the lock but
    // never takes it: it must not turn away the writer that holds, or is about to take, the session.
    if (await this.cache.locks.isHeld(writerLockKey(session.id))) throw beingWritten();
    precheck?.();
    const lease = await this.takeWriterLock(session.id);
    if (!lease) throw beingWritten();
    const renewal = setInterval(() => void lease.renew().catch(() => false), WRITER_LEASE_MS / 3);
    renewal.unref();
    try {
      await write(await this.load(session.name, session.id));
    } finally {
      clearInterval(renewal);
      await lease.release().catch(() => undefined);
    }
  }

  private async takeWriterLock(id: string): Promise<Lease | undefined> {
    try {
      return await this.cache.locks.tryAcquire(writerLockKey(id), WRITER_LEASE_MS);
    } catch {
      // Without the lock a second writer could interleave bytes: refuse rather than guess.
      throw new OciError('UNAVAILABLE', 'the upload session lock is unavailable (Redis does not answer); try again');
    }
  }

  private caps(): { maxTotal: number; maxPerRepository: number } {
    const { maxTotal, maxPerRepository } = this.config.server.uploadSessions;
    return { maxTotal, maxPerRepository };
  }

  private async patch(req: FastifyRequest, reply: FastifyReply, repo: ResolvedRepository, session: UploadSession): Promise<void> {
    const chunk = this.chunk(req, session);
    let progress: UploadProgress;
    try {
      progress = await repo.registry.writeChunk(session.upstreamName, session.handle, chunk);
    } catch (err) {
      await this.resync(repo, session);
      throw err;
    }
    const updated = { ...session, handle: progress.handle, offset: progress.size };
    await this.sessions.save(updated);
    // The backend kept the bytes that arrived before the client went away; the session says so.
    if (bodyBrokeOff(req.raw)) throw new BodyBrokeOff();
    sendEmpty(reply, 202, sessionHeaders(updated));
  }

  /**
   * After a failed chunk the backend may hold part of it, or have dropped the session: ask it, so
   * that the session reports (and resumes at) what the backend really has.
   */
  private async resync(repo: ResolvedRepository, session: UploadSession): Promise<void> {
    let progress: UploadProgress;
    try {
      progress = await repo.registry.uploadStatus(session.upstreamName, session.handle);
    } catch (err) {
      if (isOciError(err) && (err.code === 'BLOB_UPLOAD_UNKNOWN' || err.code === 'BLOB_UPLOAD_INVALID')) {
        // Gone on the backend: gone here too, and the client starts over.
        await this.sessions.delete(session.id);
        await repo.registry.cancelUpload(session.upstreamName, session.handle).catch(() => undefined);
      }
      // Otherwise the backend cannot be asked now; the session stays as it was.
      return;
    }
    await this.sessions.save({ ...session, handle: progress.handle, offset: progress.size });
  }

  private async finish(req: FastifyRequest, reply: FastifyReply, repo: ResolvedRepository, session: UploadSession): Promise<void> {
    const digest = (req.query as Record<string, string | undefined>).digest;
    if (!digest) throw new OciError('DIGEST_INVALID', 'the digest query parameter is required to complete an upload');
    parseDigest(digest);
    const chunk = hasBody(req.raw) ? this.chunk(req, session) : undefined;
    if (!chunk) req.raw.resume();
    try {
      await repo.registry.finishUpload(session.upstreamName, session.handle, digest, chunk);
    } catch (err) {
      // A failed completion ends the session: nothing of it becomes visible and the client starts over.
      await this.sessions.delete(session.id);
      await repo.registry.cancelUpload(session.upstreamName, session.handle).catch(() => undefined);
      throw err;
    }
    await this.sessions.delete(session.id);
    sendEmpty(reply, 201, { location: blobPath(session.name, digest), 'docker-content-digest': digest });
  }

  /** A chunk must continue exactly where the session stands; anything else is 416. */
  private chunk(req: FastifyRequest, session: UploadSession): ChunkInput {
    const range = parseContentRange(req.headers['content-range']);
    const length = declaredLength(req.raw);
    if (range) {
      if (range.start !== session.offset) {
        req.raw.resume();
        throw new OciError('RANGE_INVALID', `chunk starts at ${range.start}, the upload is at ${session.offset}`, {
          headers: sessionHeaders(session),
        });
      }
      if (length !== undefined && length !== range.end - range.start + 1) {
        req.raw.resume();
        throw new OciError('SIZE_INVALID', 'Content-Length does not match Content-Range');
      }
    }
    return { body: req.raw, offset: session.offset, length: length ?? (range ? range.end - range.start + 1 : undefined) };
  }

  private async load(name: string, id: string): Promise<UploadSession> {
    if (!isSessionId(id)) throw new OciError('BLOB_UPLOAD_UNKNOWN', 'invalid upload id');
    const session = await this.sessions.get(id);
    if (!session || session.name !== name) throw new OciError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown`);
    return session;
  }

  /** Mounting works inside one backend; across backends the client uploads instead (202). */
  private async tryMount(req: FastifyRequest, repo: ResolvedRepository, digest: string, from: string | undefined): Promise<boolean> {
    parseDigest(digest);
    if (!from) return false;
    assertValidName(from);
    // A mount reads the source: without pull there, it is a normal upload (like distribution).
    const access = requestAccessOf(req);
    if (access && !access.allows(from, 'pull')) return false;
    let source: ResolvedRepository;
    try {
      source = this.resolver.resolve(from);
    } catch {
      return false;
    }
    if (source.backendName !== repo.backendName) return false;
    return repo.registry.mountBlob(repo.upstreamName, digest, source.upstreamName);
  }
}

/** Open sessions are capped per repository and in all; each one holds state here and upstream. */
function refuseOverCap(name: string, open: SessionCount, caps: { maxTotal: number; maxPerRepository: number }): void {
  if (!overCap(open, caps)) return;
  if (open.total >= caps.maxTotal) {
    throw new OciError('TOOMANYREQUESTS', `${open.total} upload sessions are open, the most this gateway allows; finish or cancel some first`);
  }
  throw new OciError('TOOMANYREQUESTS', `${open.repository} upload sessions are open for ${name}, the most allowed per repository; finish or cancel some first`);
}

function sessionHeaders(session: UploadSession): Record<string, string> {
  return {
    location: uploadPath(session.name, session.id),
    range: `0-${Math.max(0, session.offset - 1)}`,
    'docker-upload-uuid': session.id,
  };
}

function writerLockKey(sessionId: string): string {
  return `upload:${sessionId}`;
}
