// Every setting package.json declares has exactly one effect in the change dispatcher's table, and back.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SETTING_EFFECTS, SETTING_KEYS } from '../../src/vscode/settingKeys';

describe('settings: one table of keys and their effects', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, unknown> } } };
  const declared = Object.keys(pkg.contributes.configuration.properties).map((k) => k.replace(/^devServerDoctor\./, ''));

  it('lists every setting package.json declares, and nothing else', () => {
    const missing = declared.filter((k) => !SETTING_KEYS.includes(k as never));
    assert.deepEqual(missing, [], `add these to SETTING_EFFECTS in src/vscode/settingKeys.ts: ${missing.join(', ')}`);
    assert.deepEqual(SETTING_KEYS.filter((k) => !declared.includes(k)), [], 'settings in the table that package.json does not declare');
  });

  it('the scan and the monitor react to what changes them', () => {
    assert.equal(SETTING_EFFECTS.servers, 'rescan');
    assert.equal(SETTING_EFFECTS.excludeFolders, 'rescan');
    assert.equal(SETTING_EFFECTS.pollIntervalSeconds, 'poll');
    assert.equal(SETTING_EFFECTS['notifications.maxPerMinute'], 'notifications');
  });
});
