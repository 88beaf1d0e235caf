import { createReadStream } from 'node:fs';
import { Controller, Get, Inject, Optional, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { GantryConfig } from '#config';
import { OciError } from '#oci';
import type { Replication } from '#replication';
import { GANTRY_CONFIG, REPLICATION } from '../bootstrap/tokens';
import { uiFiles, type UiFile } from './ui-files';

/**
 * Nothing inline, nothing from elsewhere: the page's data comes from the admin API of this origin,
 * and a repository name or a denial reason can never run as script.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/**
 * The dashboard at `/ui`: static files only, public (no data in them). Its script calls the admin
 * API, which the admin guard protects; with auth on, the page asks for credentials first.
 */
@ApiExcludeController()
@Controller('ui')
export class UiController {
  private readonly files = uiFiles();

  constructor(
    @Inject(GANTRY_CONFIG) private readonly config: GantryConfig,
    // Present when replication runs here (rules and Redis): then the jobs API is mounted.
    @Optional() @Inject(REPLICATION) private readonly replication?: Replication,
  ) {}

  /**
   * Whether to ask for credentials before the first admin call (the v2 challenge says as much to
   * anyone) and whether there are replication jobs to ask for: the page makes no call bound to fail.
   */
  @Get('settings.json')
  settings(@Res() reply: FastifyReply): void {
    const settings = { auth: this.config.auth !== undefined, replication: this.replication !== undefined };
    reply.headers({ 'cache-control': 'no-store', 'content-security-policy': CONTENT_SECURITY_POLICY }).send(settings);
  }

  @Get()
  page(@Res() reply: FastifyReply): void {
    this.send(reply, this.files.get('index.html')!, 'no-cache');
  }

  @Get('vendor/:file')
  vendor(@Param('file') file: string, @Res() reply: FastifyReply): void {
    this.send(reply, this.found(`vendor/${file}`), 'public, max-age=3600');
  }

  @Get(':file')
  file(@Param('file') file: string, @Res() reply: FastifyReply): void {
    this.send(reply, this.found(file), 'no-cache');
  }

  private found(name: string): UiFile {
    const file = this.files.get(name);
    if (!file) throw new OciError('NAME_UNKNOWN', `no such file: /ui/${name.slice(0, 100)}`, { status: 404 });
    return file;
  }

  private send(reply: FastifyReply, file: UiFile, cacheControl: string): void {
    reply.headers({
      'content-type': file.type,
      'cache-control': cacheControl,
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    }).send(createReadStream(file.path));
  }
}
