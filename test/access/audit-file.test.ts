import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../support/temp';
import { basic, startAuthGateway, usersConfig } from './access-fixtures';

test('audit lines go to their own file (auth.audit.destination), apart from the operational log', async () => {
  const dir = tempDir('audit-file');
  const auditFile = join(dir.path, 'audit', 'gantry-audit.jsonl');
  try {
    const auth = await startAuthGateway({
      users: usersConfig({ alice: ['dev'] }),
      rules: [{ name: 'dev-reads', subjects: ['group:dev'], repositories: ['team/**'], actions: ['pull'] }],
      audit: { destination: auditFile },
    });
    const url = auth.gateway.url;
    assert.equal((await fetch(`${url}/v2/team/app/tags/list`, { headers: { authorization: basic('alice') } })).status, 404);
    assert.equal((await fetch(`${url}/v2/other/app/tags/list`, { headers: { authorization: basic('alice') } })).status, 403);
    assert.equal(await auth.gateway.stop(), 0);
    const lines = readFileSync(auditFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const requests = lines.filter((l) => l.event === 'request');
    assert.ok(requests.some((l) => l.decision === 'allow' && l.repository === 'team/app' && l.rule === 'dev-reads' && l.subject === 'user:alice'), JSON.stringify(requests));
    assert.ok(requests.some((l) => l.decision === 'deny' && l.repository === 'other/app' && l.subject === 'user:alice'), JSON.stringify(requests));
    assert.ok(lines.every((l) => l.audit === true));
    assert.ok(!auth.gateway.logs.join('').includes('"audit":true'), 'no audit line in the operational log');
  } finally {
    dir.remove();
  }
});
