/**
 * Generates the prompt set: npx tsx scripts/make-prompts.ts <dir>
 * espeak-ng (voices en-us and cmn) -> sox (8 kHz mono 16-bit WAV, trimmed, normalised), in parallel.
 * Idempotent: <dir>/.manifest.json remembers the text+voice of each file, so a re-run only renders what
 * is missing or changed; <dir>/studio/ (studio recordings) is never touched; <dir>/.complete is written last.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { LANGS, PROMPT_TEXTS, type Lang } from '../src/media/prompt-catalog.js';

const VOICES: Record<Lang, string> = { en: 'en-us', zh: 'cmn' };
const GENERATOR = 'v1';

interface Job {
  out: string;
  hash: string;
  render(tmp: string): Promise<void>;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

const SOX_OUT = ['-r', '8000', '-c', '1', '-b', '16', '-e', 'signed-integer'];

function speechJob(dir: string, lang: Lang, key: string, text: string): Job {
  const voice = VOICES[lang];
  return {
    out: join(dir, lang, `${key}.wav`),
    hash: createHash('sha1').update(`${GENERATOR}|${voice}|${text}`).digest('hex'),
    async render(tmp) {
      const raw = `${tmp}.espeak.wav`;
      await run('espeak-ng', ['-v', voice, '-s', lang === 'zh' ? '150' : '160', '-w', raw, text]);
      // trim leading/trailing silence so concatenated number words flow; short pad; -3 dBFS peak
      await run('sox', [raw, ...SOX_OUT, tmp, 'silence', '1', '0.02', '0.5%', 'reverse', 'silence', '1', '0.02', '0.5%', 'reverse',
        'pad', '0.03', '0.06', 'gain', '-n', '-3']);
      await rm(raw, { force: true });
    },
  };
}

function soxJob(dir: string, key: string, synth: string[]): Job {
  return {
    out: join(dir, 'common', `${key}.wav`),
    hash: createHash('sha1').update(`${GENERATOR}|sox|${synth.join(' ')}`).digest('hex'),
    render: (tmp) => run('sox', ['-n', ...SOX_OUT, tmp, ...synth]),
  };
}

async function pool<T>(items: T[], size: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

export async function makePrompts(dirArg: string, log: (s: string) => void = console.log): Promise<{ rendered: number; kept: number }> {
  const dir = resolve(dirArg);
  const started = Date.now();
  for (const sub of [...LANGS, 'common', ...LANGS.map((l) => join('studio', l)), join('studio', 'common')]) {
    await mkdir(join(dir, sub), { recursive: true });
  }
  const manifestPath = join(dir, '.manifest.json');
  const manifest: Record<string, string> = existsSync(manifestPath) ? JSON.parse(await readFile(manifestPath, 'utf8')) : {};
  const jobs: Job[] = [];
  for (const lang of LANGS) for (const [key, text] of Object.entries(PROMPT_TEXTS[lang])) jobs.push(speechJob(dir, lang, key, text));
  // music on hold: a soft, slow arpeggio (8 s loop); beep: 1 kHz 300 ms (voicemail)
  jobs.push(soxJob(dir, 'moh', ['synth', '2', 'pluck', 'C4', 'pluck', 'E4', 'pluck', 'G4', 'remix', '-', 'repeat', '3', 'vol', '0.3',
    'fade', '0.1', '8', '0.5']));
  jobs.push(soxJob(dir, 'beep', ['synth', '0.3', 'sine', '1000', 'vol', '0.5']));
  const todo = jobs.filter((j) => manifest[relative(dir, j.out)] !== j.hash || !existsSync(j.out));
  const tmpBase = join(tmpdir(), `prompts-${process.pid}`);
  let n = 0;
  await pool(todo, Math.max(4, cpus().length * 2), async (j) => {
    const tmp = `${tmpBase}-${n++}.wav`;
    await j.render(tmp);
    await rename(tmp, j.out).catch(async () => {
      // rename across file systems: copy via write
      await writeFile(j.out, await readFile(tmp));
      await rm(tmp, { force: true });
    });
    manifest[relative(dir, j.out)] = j.hash;
  });
  await writeFile(manifestPath, JSON.stringify(manifest, null, 1));
  await writeFile(join(dir, '.complete'), new Date().toISOString() + '\n');
  log(`prompts: ${todo.length} rendered, ${jobs.length - todo.length} up to date, in ${((Date.now() - started) / 1000).toFixed(1)} s -> ${dir}`);
  return { rendered: todo.length, kept: jobs.length - todo.length };
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('make-prompts.ts')) {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: npx tsx scripts/make-prompts.ts <dir>');
    process.exit(2);
  }
  makePrompts(dir).catch((err: Error) => {
    console.error(`make-prompts failed: ${err.message}`);
    process.exit(1);
  });
}
