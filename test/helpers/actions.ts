// Runs a GitHub Actions workflow the way a runner would, on this machine: every `run:` step
// verbatim, in order, with bash -eo pipefail (the runner's default shell) in a fresh clone of the
// origin, the job's and the step's `env:` with `${{ secrets.X }}`, `${{ vars.X }}` and
// `${{ env.X }}` filled in (nothing else is understood: anything else fails the test), and each
// step's `if:` (success(), always(), failure()). `actions/checkout` is a clone and
// `actions/setup-node` is this machine's Node.js; any other action that would run fails the
// test, as does an action not pinned to a commit SHA or a `${{ }}` inside a script (injection).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import YAML from 'yaml';

const exec = promisify(execFile);

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, string | boolean | number>;
}

interface Workflow {
  env?: Record<string, string>;
  jobs: Record<string, { env?: Record<string, string>; steps: Step[] }>;
}

export interface StepResult {
  name: string;
  ran: boolean;
  code: number;
  output: string;
}

export interface WorkflowRun {
  steps: StepResult[];
  failed: boolean;
  workspace: string;
  /** Everything the steps printed, in order. */
  log: string;
}

export interface RunWorkflowOptions {
  /** The workflow file, as the repository holds it (read from the clone). */
  workflow: string;
  /** The bare repository the job checks out. */
  origin: string;
  secrets: Record<string, string>;
  vars?: Record<string, string>;
  /** What the machine itself provides (a clock for the test, a CA, npm's cache): not secrets. */
  machine?: Record<string, string>;
  /** Runs after the step whose name starts with `after`, before the next one: someone else pushing meanwhile. */
  meanwhile?: { after: string; run: () => Promise<void> };
}

const tmp = (name: string) => mkdtempSync(path.join(os.tmpdir(), `invite-runner-${name}-`));

/** `${{ … }}` in a value: secrets, vars and env only. */
function expand(value: string, context: { secrets: Record<string, string>; vars: Record<string, string>; env: Record<string, string> }): string {
  return value.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (whole, expression: string) => {
    const match = /^(secrets|vars|env)\.([A-Za-z_][A-Za-z0-9_]*)$/.exec(expression);
    if (!match) throw new Error(`the workflow uses an expression this runner does not know: ${whole}`);
    return context[match[1] as 'secrets' | 'vars' | 'env'][match[2]!] ?? '';
  });
}

function condition(expression: string | undefined, failed: boolean): boolean {
  const bare = (expression ?? 'success()').replace(/^\$\{\{\s*|\s*\}\}$/g, '').trim();
  if (bare === 'always()') return true;
  if (bare === 'success()') return !failed;
  if (bare === 'failure()') return failed;
  if (bare === 'cancelled()') return false;
  throw new Error(`the workflow has an if: this runner does not know: ${expression}`);
}

export async function runWorkflow(options: RunWorkflowOptions): Promise<WorkflowRun> {
  const workspace = tmp('workspace');
  const runnerTemp = tmp('temp');
  const prefix = tmp('prefix');
  const home = tmp('home');
  mkdirSync(path.join(prefix, 'bin'), { recursive: true });
  const vars = options.vars ?? {};
  const steps: StepResult[] = [];
  let failed = false;
  let log = '';
  let workflow: Workflow | undefined;
  let stepsToRun: Step[] = [];
  let jobEnv: Record<string, string> = {};
  const context = () => ({ secrets: options.secrets, vars, env: jobEnv });

  // The first step must be the checkout: after it, the workflow is read from the clone, as the runner would.
  const load = () => {
    workflow = YAML.parse(readFileSync(path.join(workspace, options.workflow), 'utf8')) as Workflow;
    const jobs = Object.values(workflow.jobs);
    if (jobs.length !== 1) throw new Error('this runner runs workflows of one job');
    const job = jobs[0]!;
    jobEnv = {};
    for (const [k, v] of Object.entries({ ...workflow.env, ...job.env })) jobEnv[k] = expand(String(v), context());
    stepsToRun = job.steps;
  };

  const baseEnv = {
    PATH: `${path.join(prefix, 'bin')}:${process.env.PATH}`,
    HOME: home,
    RUNNER_TEMP: runnerTemp,
    GITHUB_WORKSPACE: workspace,
    GITHUB_REF_NAME: 'main',
    GITHUB_REPOSITORY: 'organiser/campaign',
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GIT_CONFIG_NOSYSTEM: '1',
    npm_config_prefix: prefix,
    NO_COLOR: '1',
    ...options.machine,
  };

  // The checkout, before the workflow can be read.
  await exec('git', ['clone', '--quiet', options.origin, workspace], { env: baseEnv });
  load();
  const first = stepsToRun[0];
  if (!first?.uses?.startsWith('actions/checkout@')) throw new Error('the first step must be actions/checkout');

  for (const step of stepsToRun) {
    const name = step.name ?? step.uses ?? step.run?.split('\n')[0] ?? '?';
    if (!condition(step.if, failed)) {
      steps.push({ name, ran: false, code: 0, output: '' });
      continue;
    }
    if (step.uses) {
      const [action, ref] = step.uses.split('@');
      if (!/^[0-9a-f]{40}$/.test(ref ?? '')) throw new Error(`${step.uses}: an action must be pinned to a commit SHA`);
      if (action === 'actions/checkout') {
        // Done above: the clone is the checkout.
      } else if (action === 'actions/setup-node') {
        // This machine's Node.js.
      } else {
        throw new Error(`the workflow would run ${step.uses}, which this runner cannot`);
      }
      steps.push({ name, ran: true, code: 0, output: '' });
      continue;
    }
    if (!step.run) throw new Error(`step ${name} neither uses an action nor runs a script`);
    if (step.run.includes('${{')) throw new Error(`step ${name}: an expression inside a script (use env: instead)`);
    const stepEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(step.env ?? {})) stepEnv[k] = expand(String(v), context());
    let code = 0;
    let output: string;
    try {
      const result = await exec('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {
        cwd: workspace,
        env: { ...baseEnv, ...jobEnv, ...stepEnv },
        maxBuffer: 1 << 26,
      });
      output = result.stdout + result.stderr;
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      code = typeof e.code === 'number' ? e.code : 1;
      output = (e.stdout ?? '') + (e.stderr ?? '');
      failed = true;
    }
    log += `── ${name} (exit ${code})\n${output}`;
    steps.push({ name, ran: true, code, output });
    if (options.meanwhile && name.startsWith(options.meanwhile.after)) await options.meanwhile.run();
  }
  return { steps, failed, workspace, log };
}
