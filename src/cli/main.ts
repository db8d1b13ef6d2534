import { Command, CommanderError, Option } from 'commander';
import { errorAt } from '../plan/diagnostic.js';
import { ignoreClosedOutput } from '../util/closed-output.js';
import { cleanCommand } from './clean-command.js';
import { graphCommand } from './graph-command.js';
import { initCommand } from './init-command.js';
import { EXIT, printDiagnostics } from './output.js';
import { planCommand } from './plan-command.js';
import { type RunFlags, runCommand } from './run-command.js';
import { splitList } from './selection.js';
import { lastRun, planPathOf, statusCommand } from './status-command.js';

const collect = (value: string, previous: string[] = []) => [...previous, ...splitList(value)];
/** `--only` values as typed: an id may hold a space, which only the plan can tell (`onlyIds`). */
const collectAsTyped = (value: string, previous: string[] = []) => [...previous, value];

/** Parse the arguments and run a command; resolves to the process exit code (DESIGN.md contract). */
export async function main(argv: string[]): Promise<number> {
  // `taskwave … | head -1`: a reader that goes away is no reason to crash, nor to abandon a run.
  ignoreClosedOutput();
  let code: number = EXIT.ok;
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const program = new Command('taskwave')
    .description('Execute implementation plans with coding agents: parallel, verified, resumable.')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError('(run taskwave --help for usage)')
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  const planOptions = (cmd: Command) =>
    cmd
      .option('--format <name>', 'force the plan format instead of detecting it')
      .option('--tag <name>', 'Taskmaster: read this tag instead of the current one')
      .option('--config <file>', 'config file (default: the nearest taskwave.yaml up to the repository root)');

  planOptions(
    program
      .command('run')
      .description('run the agent on every task of PLAN that is not done yet')
      .argument('<plan>', 'plan file or folder (e.g. specs/001-x/tasks.md, .kiro/specs/x, .claudio, .)')
      .argument('[hints...]', 'what to do in words: "sequential", "use 2 agents in parallel", "only the auth feature"')
      .option('-c, --concurrency <n>', 'tasks running at once (default: config, else 4)')
      .option('-a, --agent <name>', 'agent for every task (default: config "routing", then "agent")')
      .option('--phase <id...>', 'run only these phases (id like 2 or 3.1, or part of the title)', collect)
      .option('--only <id...>', 'run only these tasks (a group id stands for its sub-tasks)', collectAsTyped)
      .option('--from <id>', 'run only this task and the tasks after it in plan order')
      .option('--spec <id...>', 'specs tree: run only these specs (I001, F002)', collect)
      .option('--infrastructure', 'specs tree: run only infrastructure specs')
      .option('--features', 'specs tree: run only feature specs')
      .option('--with-deps', 'also run the unfinished prerequisites of the selected tasks')
      .option('--include-optional', 'also run optional tasks')
      .option('--in-place', 'run in the working tree, one task at a time, without worktrees')
      .option('--no-commit', 'with --in-place: leave each task uncommitted')
      .option('--allow-empty', 'a task that changes no file may still be done')
      .option('--ignore-checklists', "run even when the spec's checklists/*.md have unticked items")
      .option('--fail-fast', 'stop everything at the first task that fails')
      .option('--junit <file>', 'also write a JUnit XML report: a test case per task and gate')
      .option('--timeout <duration>', 'per-task timeout, e.g. 30m (default: agents.NAME.timeout)')
      .option('--dry-run', 'show what would run, in order, and change nothing')
      .option('--json', 'print events as JSON lines on stdout')
      .addOption(
        new Option('--shuffle-ties <seed>', 'break priority ties randomly (finds missing dependencies)').hideHelp(),
      ),
  ).action(async (plan: string, hints: string[], flags: RunFlags) => {
    code = await runCommand(plan, { ...flags, hints });
  });

  planOptions(
    program
      .command('plan')
      .description('show the tasks, dependencies, waves and critical path of PLAN without running anything')
      .argument('<plan>', 'plan file or folder')
      .option('--json', 'print the plan as JSON'),
  ).action(async (plan: string, flags: { json?: boolean; format?: string; tag?: string; config?: string }) => {
    code = await planCommand(plan, { ...flags, color });
  });

  planOptions(
    program
      .command('graph')
      .description('print the dependency graph of PLAN as Mermaid (or Graphviz with --dot)')
      .argument('<plan>', 'plan file or folder')
      .option('--dot', 'Graphviz dot instead of Mermaid'),
  ).action(async (plan: string, flags: { dot?: boolean; format?: string; tag?: string; config?: string }) => {
    code = await graphCommand(plan, flags);
  });

  program
    .command('status')
    .description('show where the last run in this repository stands')
    .option('--json', 'print execution.json (with "live": whether it is running now)')
    .action((flags: { json?: boolean }) => {
      code = statusCommand({ ...flags, color });
    });

  program
    .command('resume')
    .description('continue the last run with the options it was started with')
    .option('--json', 'print events as JSON lines on stdout')
    .option('-c, --concurrency <n>', 'change the number of tasks running at once')
    .action(async (flags: { json?: boolean; concurrency?: string }) => {
      const found = lastRun(process.cwd());
      if (!found.ok) {
        printDiagnostics([found.error]);
        code = EXIT.usage;
        return;
      }
      const last = found.value;
      if (!last) {
        printDiagnostics([
          errorAt(undefined, 'nothing to resume: no taskwave run found here; start one with: taskwave run PLAN'),
        ]);
        code = EXIT.usage;
        return;
      }
      if (last.live) {
        printDiagnostics([errorAt(undefined, `run ${last.state.runId} is still running`)]);
        code = EXIT.usage;
        return;
      }
      const o = last.state.options;
      code = await runCommand(
        planPathOf(last.state, last.root),
        {
          concurrency: flags.concurrency ?? String(o.concurrency),
          agent: o.agent,
          phase: o.phases,
          only: o.only,
          from: o.from,
          spec: o.specs,
          infrastructure: o.specKinds?.includes('infrastructure'),
          features: o.specKinds?.includes('feature'),
          withDeps: o.withDeps,
          includeOptional: o.includeOptional,
          format: o.format,
          tag: o.tag,
          config: o.config,
          timeout: o.timeout,
          inPlace: o.inPlace,
          // Runs before --no-commit was refused without --in-place recorded it anyway; it was ignored then too.
          commit: o.inPlace ? o.commit : undefined,
          allowEmpty: o.allowEmpty,
          ignoreChecklists: true,
          failFast: o.failFast,
          json: flags.json,
        },
        last.state,
      );
    });

  program
    .command('clean')
    .description('remove worktrees left by interrupted runs, and taskwave/* branches already merged')
    .option('--branches', 'also delete taskwave/* branches whose work was not merged (failed tasks)')
    .action(async (flags: { branches?: boolean }) => {
      code = await cleanCommand(flags);
    });

  program
    .command('init')
    .description('write a starter taskwave.yaml at the repository root')
    .action(() => {
      code = initCommand();
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return EXIT.ok;
      return EXIT.usage;
    }
    throw e;
  }
  return code;
}
