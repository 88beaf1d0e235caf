import { backendSchema, type BackendOfType } from '#config';
import type { AcrCloud } from './acr-cloud';
import type { EcrCloud } from './ecr-cloud';
import type { GarCloud } from './gar-cloud';

/** Backend configurations pointed at the stand-ins, parsed by the real schema (defaults applied). */

export function ecrConfig(cloud: EcrCloud, overrides: Record<string, unknown> = {}): BackendOfType<'ecr'> {
  return backendSchema.parse({
    type: 'ecr', region: cloud.region, registryId: cloud.registryId,
    registryUrl: cloud.registryUrl, apiEndpoint: cloud.apiEndpoint, credentials: cloud.credentials,
    ...overrides,
  }) as BackendOfType<'ecr'>;
}

export function garConfig(cloud: GarCloud, overrides: Record<string, unknown> = {}): BackendOfType<'gar'> {
  return backendSchema.parse({
    type: 'gar', location: cloud.location, project: cloud.project,
    registryUrl: cloud.registryUrl, apiEndpoint: cloud.apiEndpoint, credentialsFile: cloud.credentialsFile,
    ...overrides,
  }) as BackendOfType<'gar'>;
}

export function acrConfig(cloud: AcrCloud, overrides: Record<string, unknown> = {}): BackendOfType<'acr'> {
  return backendSchema.parse({
    type: 'acr', registry: cloud.service, registryUrl: cloud.registryUrl, apiEndpoint: cloud.apiEndpoint,
    ...overrides,
  }) as BackendOfType<'acr'>;
}
