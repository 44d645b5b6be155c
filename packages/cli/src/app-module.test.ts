import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importAppModule } from './app-module.js';
import { UsageError } from './parse.js';

describe('importAppModule', () => {
  const folders: string[] = [];
  afterAll(async () => Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true }))));

  it('reads a file from the working directory, with or without ./, and a package by its name', async () => {
    const folder = await mkdtemp(join(tmpdir(), 'replayrail-app-module-'));
    folders.push(folder);
    await writeFile(join(folder, 'policies.mjs'), 'export const channels = ["from the file"];');
    expect((await importAppModule('./policies.mjs', '--config', folder)).channels).toEqual(['from the file']);
    expect((await importAppModule('policies.mjs', '--config', folder)).channels).toEqual(['from the file']);
    expect(await importAppModule('node:path', '--config', folder)).toHaveProperty('join');
    const missing = await importAppModule('nothing-here.mjs', '--config', folder).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(UsageError);
    expect(String(missing)).toMatch(/--config nothing-here\.mjs cannot be loaded/);
  });
});
