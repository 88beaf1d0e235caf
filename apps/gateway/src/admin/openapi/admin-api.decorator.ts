import { applyDecorators } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiForbiddenResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ociErrorSchema } from './admin-schemas';

/** Names of the security schemes in the admin OpenAPI document. */
export const ADMIN_BASIC_AUTH = 'basic';
export const ADMIN_BEARER_AUTH = 'bearer';

/**
 * An admin API controller in the OpenAPI document: its tag, the credentials the admin guard
 * takes (Basic, or a Gantry bearer token) and the answers it gives without them.
 */
export function AdminApi(tag: string): ClassDecorator {
  return applyDecorators(
    ApiTags(tag),
    ApiBasicAuth(ADMIN_BASIC_AUTH),
    ApiBearerAuth(ADMIN_BEARER_AUTH),
    ApiUnauthorizedResponse({ description: 'No or bad credentials (with auth configured): a Basic challenge', schema: ociErrorSchema }),
    ApiForbiddenResponse({ description: 'The subject lacks the `admin` action', schema: ociErrorSchema }),
  );
}
