// Re-records test/replay/histories/*.json by running the workflow scenario tests with RECORD_HISTORIES=1
// (each scenario saves the histories it produced). Run: npm run record-histories
import { execa } from 'execa';

const result = await execa('npx', ['vitest', 'run', 'test/workflows'], {
  env: { RECORD_HISTORIES: '1' },
  stdio: 'inherit',
  reject: false,
});
process.exit(result.exitCode ?? 1);
