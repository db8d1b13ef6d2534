import { type Alias, type Document, type Node, visit } from 'yaml';
import { err, ok, type Result } from '../result.js';

/** Why a parsed YAML document has no plain value, and the node to blame when one can be named. */
export interface YamlValueProblem {
  message: string;
  node?: Node;
}

/**
 * The plain value of a YAML document that parsed without errors. `toJS` can still throw on what a
 * user wrote: an alias whose anchor comes later (or never), and yaml's guard against alias bombs
 * ("billion laughs"), which refuses an alias that expands to too many values. Both are the file's
 * fault, so they come back as a problem at the alias that tripped, not as an exception.
 */
export function yamlValue(doc: Document): Result<unknown, YamlValueProblem> {
  try {
    return ok(doc.toJS());
  } catch (e) {
    // yaml throws ReferenceError for its alias problems only; anything else (a stack overflow) is no alias's.
    return err({ message: describe(e), node: e instanceof ReferenceError ? aliasThatThrows(doc) : undefined });
  }
}

function describe(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  if (/excessive alias count/i.test(message)) {
    return 'aliases expand to too many values (a YAML alias bomb?); write the values out instead of nesting aliases';
  }
  return message.split('\n')[0] ?? message;
}

/**
 * Which alias `toJS` was resolving when it threw: converted again with each alias noting itself first.
 * yaml says neither which alias nor where, and working it out from its counting rules would copy them.
 */
function aliasThatThrows(doc: Document): Node | undefined {
  let current: Alias | undefined;
  visit(doc, {
    Alias(_, alias) {
      const toJSON = alias.toJSON.bind(alias);
      alias.toJSON = (...args: Parameters<Alias['toJSON']>) => {
        current = alias;
        return toJSON(...args);
      };
    },
  });
  try {
    doc.toJS();
    return undefined;
  } catch {
    return current;
  }
}
