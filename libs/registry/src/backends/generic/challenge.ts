import type { BearerChallenge } from './credentials';

/** One challenge of a `WWW-Authenticate` header; scheme lower-cased, parameter names lower-cased. */
export interface ParsedChallenge {
  scheme: string;
  params: Record<string, string>;
}

/** What the upstream wants from us, as far as Gantry supports it. */
export type AuthChallenge = { scheme: 'none' } | { scheme: 'basic'; realm?: string } | ({ scheme: 'bearer' } & BearerChallenge);

/**
 * Parses every challenge of one or more `WWW-Authenticate` headers (RFC 9110 §11.6.1):
 * quoted values may hold commas and escaped quotes, several challenges may share one header.
 */
export function parseWwwAuthenticate(header: string | string[] | undefined): ParsedChallenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: ParsedChallenge[] = [];
  for (const value of values) parseOne(value, out);
  return out;
}

function parseOne(text: string, out: ParsedChallenge[]): void {
  let i = 0;
  let current: ParsedChallenge | undefined;
  const skip = (chars: RegExp): void => {
    while (i < text.length && chars.test(text[i]!)) i++;
  };
  while (i < text.length) {
    skip(/[\s,]/);
    const start = i;
    while (i < text.length && !/[\s=,]/.test(text[i]!)) i++;
    const token = text.slice(start, i);
    if (!token) {
      i++; // a stray '=': nothing sensible to do but move on
      continue;
    }
    skip(/\s/);
    if (text[i] !== '=') {
      current = { scheme: token.toLowerCase(), params: {} };
      out.push(current);
      continue;
    }
    i++; // '='
    // token68 (`Basic abc==`): trailing '=' padding belongs to the token, not to a parameter.
    if (i >= text.length || text[i] === '=' || text[i] === ',') {
      skip(/=/);
      continue;
    }
    skip(/\s/);
    let value: string;
    if (text[i] === '"') {
      i++;
      value = '';
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        value += text[i];
        i++;
      }
      i++; // closing quote
    } else {
      const vStart = i;
      while (i < text.length && !/[\s,]/.test(text[i]!)) i++;
      value = text.slice(vStart, i);
    }
    if (current) current.params[token.toLowerCase()] = value;
  }
}

/** The challenge Gantry will answer: Bearer when offered (it scopes access), else Basic. */
export function selectChallenge(header: string | string[] | undefined): AuthChallenge | undefined {
  const challenges = parseWwwAuthenticate(header);
  const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
  if (bearer) {
    const challenge: AuthChallenge = { scheme: 'bearer', realm: bearer.params.realm! };
    if (bearer.params.service) challenge.service = bearer.params.service;
    if (bearer.params.scope) challenge.scope = bearer.params.scope;
    return challenge;
  }
  const basic = challenges.find((c) => c.scheme === 'basic');
  if (basic) return { scheme: 'basic', realm: basic.params.realm };
  return undefined;
}
