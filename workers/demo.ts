// `npm run demo [-- --jobs 300 --replicas 2 --keep-running]`
import { Command } from 'commander';
import { runDemo } from '../src/demo/run-demo.js';
import { runEntryPoint } from './entry-point.js';

const options = new Command('demo')
  .option('--jobs <n>', 'jobs to enqueue', (v) => Number.parseInt(v, 10), 300)
  .option('--replicas <n>', 'worker replicas (in this process)', (v) => Number.parseInt(v, 10), 2)
  .option('--keep-running', 'keep the workers and the dashboard up after the jobs finish', false)
  .parse()
  .opts<{ jobs: number; replicas: number; keepRunning: boolean }>();

await runEntryPoint(() =>
  runDemo({ ...options, cwd: process.cwd(), env: process.env, out: (text) => process.stdout.write(text) }),
);
process.exit(0);
