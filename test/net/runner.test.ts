// The process runner every `ip`/`bridge` call goes through (node's spawn, no execa): output as text,
// input on stdin, exit codes, timeouts and cancellation kill the child, a missing program is a
// CommandError, and line-by-line children stop on demand. Real processes (sh, cat, sleep).
import { describe, expect, it } from 'vitest';
import { CommandError, processRunner as r } from '../../src/net/runner.js';

describe('processRunner', () => {
  it('returns stdout, stderr and the exit code; throws CommandError with argv and stderr unless reject: false', async () => {
    const script = 'echo hi; echo err >&2; exit 3';
    expect(await r.run('sh', ['-c', script], { reject: false })).toEqual({
      stdout: 'hi\n',
      stderr: 'err\n',
      exitCode: 3,
    });
    const err = await r.run('sh', ['-c', script]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ argv: ['sh', '-c', script], exitCode: 3, stderr: 'err\n' });
  });

  it('writes the input to stdin', async () => {
    expect((await r.run('cat', [], { input: 'fdb append x\nfdb del y\n' })).stdout).toBe(
      'fdb append x\nfdb del y\n',
    );
  });

  it('a missing program is a CommandError (exit -1 without reject)', async () => {
    await expect(r.run('no-such-program-eo', [])).rejects.toBeInstanceOf(CommandError);
    expect((await r.run('no-such-program-eo', [], { reject: false })).exitCode).toBe(-1);
  });

  it('kills the child on timeout and on cancel, and says which', async () => {
    const t0 = Date.now();
    await expect(r.run('sleep', ['5'], { timeoutMs: 100 })).rejects.toThrow(/timed out/);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(r.run('sleep', ['5'], { cancelSignal: ac.signal })).rejects.toThrow(/canceled/);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it('spawnLines delivers whole lines and stops the child', async () => {
    const lines: string[] = [];
    const p = r.spawnLines('sh', ['-c', 'printf "a\\nb"; sleep 0.05; printf "c\\n"; sleep 5'], (l) =>
      lines.push(l),
    );
    expect(p.pid).toBeGreaterThan(0);
    for (const end = Date.now() + 2000; lines.length < 2 && Date.now() < end; )
      await new Promise((res) => setTimeout(res, 10));
    await p.stop();
    expect(lines).toEqual(['a', 'bc']);
    await r.spawnLines('no-such-program-eo', [], () => undefined).done; // resolves, never hangs
  });
});
