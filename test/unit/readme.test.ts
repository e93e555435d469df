import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config.js';

describe('README', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('shows the two commands first', () => {
    const firstBlock = readme.slice(readme.indexOf('```sh'), readme.indexOf('```', readme.indexOf('```sh') + 5));
    expect(firstBlock).toMatch(/^npm start/m);
    expect(firstBlock).toMatch(/^npm test/m);
  });

  it('documents every configuration variable', () => {
    for (const key of Object.keys(configSchema.shape)) expect(readme, `README lacks ${key}`).toContain(`\`${key}\``);
  });
});
