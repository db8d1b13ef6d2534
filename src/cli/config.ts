import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from 'yaml';
import { z } from 'zod';
import { type Diagnostic, errorAt, type SourceSpan } from '../plan/diagnostic.js';
import { err, ok, type Result } from '../result.js';
import { parseDuration } from '../util/duration.js';
import { yamlValue } from '../util/yaml-value.js';
import { CONFIG_FILE } from '../workspace/repo.js';
import { configIssues } from './config-checks.js';

export { CONFIG_FILE } from '../workspace/repo.js';

/** The most tasks (or gates) at once: the same bound as --concurrency's, a typo caught the same way. */
export const MAX_CONCURRENCY = 1000;

const concurrencyLimit = z
  .number()
  .int(`expected a whole number from 1 to ${MAX_CONCURRENCY}`)
  .min(1, `expected a whole number from 1 to ${MAX_CONCURRENCY}`)
  .max(MAX_CONCURRENCY, `expected a whole number from 1 to ${MAX_CONCURRENCY}`);

const duration = z.union([z.string(), z.number()]).refine((v) => parseDuration(v) !== undefined, {
  message: 'expected a duration such as 30m, 1h30m, 90s',
});

/** Keys only the built-in adapters read: a command agent's argv is its `command`, whole. */
const ADAPTER_ONLY_KEYS = ['bin', 'args', 'model', 'maxTurns', 'skipPermissions'] as const;

const agentSchema = z
  .strictObject({
    command: z.array(z.string()).min(1).optional(),
    bin: z.string().optional(),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    model: z.string().optional(),
    timeout: duration.optional(),
    maxTurns: z.number().int().positive().optional(),
    concurrency: concurrencyLimit.optional(),
    skipPermissions: z.boolean().optional(),
  })
  .superRefine((agent, ctx) => {
    if (!agent.command) return;
    // Accepted and then ignored, they would let a config say what its agent never does.
    for (const key of ADAPTER_ONLY_KEYS) {
      if (agent[key] === undefined) continue;
      ctx.addIssue({
        code: 'custom',
        path: [key],
        params: { atKey: true },
        message: `a command agent takes its whole argv from \`command\`; ${key} applies to the built-in adapters (claude, codex, …)`,
      });
    }
  });

const gateCommand = z.union([
  z.string(),
  z.array(z.string()).min(1),
  z.strictObject({
    name: z.string().optional(),
    run: z.union([z.string(), z.array(z.string())]),
    timeout: duration.optional(),
  }),
]);

const regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a regular expression' },
);

const words = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/** One `routing:` rule: every key given must match the task; the first rule that matches picks the agent. */
const routingRule = z
  .strictObject({
    role: words.optional(),
    complexity: words.optional(),
    words: words.optional(),
    phase: words.optional(),
    agent: z.string().min(1),
  })
  .refine((r) => r.role !== undefined || r.complexity !== undefined || r.words !== undefined || r.phase !== undefined, {
    message: 'a routing rule needs at least one of role, complexity, words or phase besides agent',
  });

const configSchema = z.strictObject({
  agent: z.string().optional(),
  concurrency: concurrencyLimit.optional(),
  killGrace: duration.optional(),
  agents: z.record(z.string(), agentSchema).optional(),
  gates: z
    .strictObject({
      task: z.array(gateCommand).optional(),
      phase: z.array(gateCommand).optional(),
      final: z.array(gateCommand).optional(),
      concurrency: concurrencyLimit.optional(),
      /** Extra patterns (regular expressions) the diff of a task must not contain. */
      secrets: z.array(regex).optional(),
      /** Patterns of findings that are not secrets (false positives). */
      allowSecrets: z.array(regex).optional(),
    })
    .optional(),
  repair: z
    .strictObject({
      /** Attempts after a failed gate, each with the failure in the prompt (default 2). */
      attempts: z.number().int().min(0).optional(),
    })
    .optional(),
  retry: z
    .strictObject({
      /** Retries after a transient agent failure (rate limit, API 5xx, crash); default 3. */
      attempts: z.number().int().min(0).optional(),
      /** First backoff; doubled each time, with jitter (default 2s). */
      backoff: duration.optional(),
    })
    .optional(),
  usageLimit: z
    .strictObject({
      /**
       * How long the run waits for an agent's usage limit to reset (default 6h; 0: never wait). A
       * later reset stops the run, resumable.
       */
      wait: z
        .custom<string | number>(
          (v) => v === 0 || ((typeof v === 'string' || typeof v === 'number') && parseDuration(v) !== undefined),
          { message: 'expected a duration such as 6h, 90m, or 0 to stop at once instead of waiting' },
        )
        .optional(),
    })
    .optional(),
  budget: z
    .strictObject({
      /** Start no new task once the run's agents have cost this much (where they report cost). */
      usd: z.number().positive().optional(),
      /** Start no new task once the run's agents have used this many tokens (input + output). */
      tokens: z.number().int().positive().optional(),
    })
    .optional(),
  routing: z.array(routingRule).optional(),
  workspace: z
    .strictObject({
      /** Commands run in each new worktree before its agent (install dependencies). */
      setup: z.array(z.union([z.string().min(1), z.array(z.string()).min(1)])).optional(),
      /** Untracked files copied from the repository root into each new worktree (`.env`). */
      copy: z.array(z.string().min(1)).optional(),
    })
    .optional(),
});

/** Plus the checks across keys and of what values mean (config-checks.ts), each at its value's line. */
const checkedConfigSchema = configSchema.superRefine((config, ctx) => {
  for (const issue of configIssues(config)) {
    ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message, params: { atKey: issue.atKey === true } });
  }
});

export type Config = z.infer<typeof configSchema>;
export type AgentConfig = z.infer<typeof agentSchema>;
export type RoutingRule = z.infer<typeof routingRule>;

export interface LoadedConfig {
  config: Config;
  /** The file it came from; undefined when there is none and defaults apply. */
  file?: string;
}

/**
 * The config nearest to the plan: `taskwave.yaml` in the plan's folder or any folder above it up to
 * the repository root. A plan in a sub-project (or the bundled example) can carry its own.
 */
export function findConfig(planDir: string, root: string): string | undefined {
  let dir = resolve(planDir);
  const top = resolve(root);
  for (;;) {
    const candidate = join(dir, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    if (dir === top || relative(top, dir).startsWith('..')) return undefined;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export function loadConfig(file: string | undefined): Result<LoadedConfig, Diagnostic[]> {
  if (!file) return ok({ config: {} });
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    return err([errorAt(undefined, `cannot read config ${file}: ${(e as Error).message}`)]);
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file: string): Result<LoadedConfig, Diagnostic[]> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number): SourceSpan => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, column: p.col };
  };
  if (doc.errors.length > 0) {
    return err(doc.errors.map((e) => errorAt(at(e.pos[0]), `invalid YAML: ${e.message.split('\n')[0]}`)));
  }
  const value = yamlValue(doc);
  if (!value.ok) return err([errorAt(nodePos(value.error.node, at, file), `invalid YAML: ${value.error.message}`)]);
  const data = value.value ?? {};
  const parsed = checkedConfigSchema.safeParse(data);
  if (parsed.success) return ok({ config: parsed.data, file });

  const diagnostics: Diagnostic[] = [];
  for (const issue of parsed.error.issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const node = keyNode(doc.getIn(path, true) as Node | undefined, key) ?? (doc.contents as Node | null);
        const where = [...path, key].join('.');
        diagnostics.push(errorAt(nodePos(node, at, file), `unknown key '${where}' in ${CONFIG_FILE}`));
      }
      continue;
    }
    const last = path[path.length - 1];
    // An issue about a key being there at all is shown at the key (its value may start a line below).
    const atKey = issue.code === 'custom' && issue.params?.atKey === true && typeof last === 'string';
    const node = (
      atKey
        ? keyNode(doc.getIn(path.slice(0, -1), true) as Node | undefined, last)
        : path.length > 0
          ? doc.getIn(path, true)
          : doc.contents
    ) as Node | undefined;
    const where = path.length > 0 ? path.join('.') : '(top level)';
    diagnostics.push(errorAt(nodePos(node, at, file), `${where}: ${issue.message}`));
  }
  return err(diagnostics);
}

function keyNode(parent: Node | undefined, key: string): Node | undefined {
  if (!parent || !isMap(parent)) return undefined;
  for (const pair of parent.items) {
    if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === key) return pair.key;
  }
  return undefined;
}

function nodePos(node: Node | null | undefined, at: (offset: number) => SourceSpan, file: string): SourceSpan {
  if (node?.range) return at(node.range[0]);
  return { file, line: 1, column: 1 };
}
