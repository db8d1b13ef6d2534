import { err, ok } from '../result.js';
import { runInProcessGroup } from '../util/process-group.js';
import type { AgentAdapter, AgentRequest } from './types.js';

export interface CommandAgentConfig {
  name: string;
  /** argv; never run through a shell. */
  command: string[];
  env?: Record<string, string>;
}

const OUTPUT_TAIL_LINES = 20;

/**
 * Any program as an agent: cwd is the workspace, the prompt arrives on stdin and in
 * TASKWAVE_PROMPT_FILE, the task in TASKWAVE_* variables; exit 0 means it finished.
 */
export function commandAgent(config: CommandAgentConfig): AgentAdapter {
  return {
    name: config.name,
    async run(req: AgentRequest) {
      const tail: string[] = [];
      let lastLine: string | undefined;
      const env: Record<string, string> = {
        ...(process.env as Record<string, string>),
        ...config.env,
        TASKWAVE_TASK_ID: req.task.id,
        TASKWAVE_TASK_TITLE: req.task.title,
        TASKWAVE_PROMPT_FILE: req.promptFile,
        TASKWAVE_ATTEMPT: String(req.attempt),
        TASKWAVE_RUN_ID: req.runId,
      };
      const result = await runInProcessGroup(config.command, {
        cwd: req.cwd,
        env,
        input: req.prompt,
        timeoutMs: req.timeoutMs,
        signal: req.signal,
        killGraceMs: req.killGraceMs,
        onLine: (line, stream) => {
          tail.push(line);
          if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
          if (stream === 'stdout' && line.trim()) lastLine = line.trim();
          req.onOutput(line, stream);
        },
      });
      switch (result.kind) {
        case 'exited':
          if (result.exitCode === 0) return ok({ summary: lastLine });
          return err({
            reason: 'agent-exit',
            exitCode: result.exitCode,
            signal: result.signal,
            outputTail: tail.join('\n'),
          });
        case 'timeout':
          return err({ reason: 'timeout', timeoutMs: req.timeoutMs ?? 0 });
        case 'aborted':
          return err({ reason: 'cancelled' });
        case 'spawn-failed':
          return err({ reason: 'spawn-failed', message: `${config.command[0]}: ${result.message}` });
        default: {
          const never: never = result;
          return never;
        }
      }
    },
  };
}
