import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { OciError } from '#oci';
import { AdminOpenApiDocument } from './admin-openapi';

/** swagger-ui's files the page loads: nothing else of the package is served. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Gantry admin API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/admin/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/admin/docs/swagger-ui-bundle.js"></script>
<script src="/admin/docs/init.js"></script>
</body>
</html>
`;

// No inline script: the page works under a strict Content-Security-Policy in front of it.
const INIT = `window.ui = SwaggerUIBundle({ url: '/admin/openapi.json', dom_id: '#swagger-ui', layout: 'BaseLayout', deepLinking: true });\n`;

/**
 * `/admin/openapi.json` and the swagger-ui page at `/admin/docs`. Nest routes under /admin, so
 * the admin guard protects them like the API they describe (a browser asks for Basic credentials).
 */
@ApiExcludeController()
@Controller('admin')
export class AdminDocsController {
  private readonly assetsDir: string;

  constructor(private readonly document: AdminOpenApiDocument) {
    // Resolved once: swagger-ui-dist ships the built UI as plain files.
    this.assetsDir = join(require.resolve('swagger-ui-dist/package.json'), '..');
  }

  @Get('openapi.json')
  openApi(@Res() reply: FastifyReply): void {
    const bytes = this.document.bytes();
    reply.headers({ 'content-type': 'application/json', 'content-length': bytes.length }).send(bytes);
  }

  @Get('docs')
  page(@Res() reply: FastifyReply): void {
    reply.header('content-type', 'text/html; charset=utf-8').send(PAGE);
  }

  @Get('docs/init.js')
  init(@Res() reply: FastifyReply): void {
    reply.header('content-type', 'application/javascript; charset=utf-8').send(INIT);
  }

  @Get('docs/:asset')
  asset(@Param('asset') asset: string, @Res() reply: FastifyReply): void {
    const type = Object.hasOwn(ASSETS, asset) ? ASSETS[asset] : undefined;
    if (!type) throw new OciError('NAME_UNKNOWN', `no such file: /admin/docs/${asset.slice(0, 100)}`, { status: 404 });
    reply.headers({ 'content-type': type, 'cache-control': 'public, max-age=3600' }).send(createReadStream(join(this.assetsDir, asset)));
  }
}
