import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ADMIN_BASIC_AUTH, ADMIN_BEARER_AUTH } from './admin-api.decorator';

/** Every documented path starts here: the v2 API has its own specification, health and metrics the README. */
const ADMIN_API_PREFIX = '/admin/v1/';

/** The admin API's OpenAPI document, from the decorators on the app's controllers. */
export function buildAdminOpenApi(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Gantry admin API')
    .setDescription('Operator endpoints of the Gantry registry gateway. With an `auth` section every call needs the `admin` action: Basic credentials or a Gantry bearer token.')
    .setVersion(version)
    .addBasicAuth({ type: 'http', scheme: 'basic' }, ADMIN_BASIC_AUTH)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A token from Gantry\'s /token' }, ADMIN_BEARER_AUTH)
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.paths = Object.fromEntries(Object.entries(document.paths).filter(([path]) => path.startsWith(ADMIN_API_PREFIX)));
  return document;
}

/**
 * Built on the first request for /admin/openapi.json or /admin/docs, not at start: reading the
 * controllers and holding the document would cost every gateway memory that most never use.
 */
export class AdminOpenApiDocument {
  private build?: () => OpenAPIObject;
  private json?: Buffer;

  /** Given once the app is built (the document is read from its controllers). */
  buildWith(build: () => OpenAPIObject): void {
    this.build = build;
  }

  /** The serialised document, built once. */
  bytes(): Buffer {
    if (!this.json) {
      if (!this.build) throw new Error('the admin OpenAPI document cannot be built before the app is');
      this.json = Buffer.from(JSON.stringify(this.build()));
      this.build = undefined;
    }
    return this.json;
  }
}
