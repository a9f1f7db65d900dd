import { DockerfileParser, type Instruction, JSONInstruction, ModifiableInstruction } from 'dockerfile-ast';
import { readFileSync } from 'node:fs';
import { repoPath } from './paths';

/** One instruction of a Dockerfile, reduced to what the checks use. */
export interface Step {
  keyword: string;
  /** Arguments without flags; for JSON (exec) form, the decoded strings. */
  args: string[];
  /** Raw argument text (shell form of RUN and CMD). */
  text: string;
  flags: Record<string, string | null>;
  /** Exec form (`["node", "main.js"]`) rather than shell form. */
  json: boolean;
  line: number;
}

export interface Stage {
  /** `AS <name>`, if any. */
  name: string | null;
  /** The FROM argument as written (`${NODE_IMAGE}`). */
  from: string;
  /** The FROM argument with the build arguments at their defaults (`node:26.12.1-bookworm-slim`). */
  image: string;
  steps: Step[];
}

export interface Dockerfile {
  file: string;
  /** Build arguments declared before the first FROM, with their defaults. */
  args: Record<string, string>;
  stages: Stage[];
  /** The last stage: what the image is. */
  final: Stage;
}

function toStep(instruction: Instruction): Step {
  const jsonStrings = instruction instanceof JSONInstruction ? instruction.getJSONStrings() : [];
  const flags =
    instruction instanceof ModifiableInstruction
      ? Object.fromEntries(instruction.getFlags().map((flag) => [flag.getName(), flag.getValue()]))
      : {};
  const json = jsonStrings.length > 0;
  return {
    keyword: instruction.getKeyword(),
    args: json ? jsonStrings.map((s) => s.getJSONValue()) : instruction.getArguments().map((a) => a.getValue()),
    text: instruction.getArgumentsContent() ?? '',
    flags,
    json,
    line: instruction.getRange().start.line + 1,
  };
}

export function parseDockerfile(name: string): Dockerfile {
  const file = repoPath(name);
  const args: Record<string, string> = {};
  const expand = (text: string) =>
    text.replace(/\$\{?(\w+)\}?/g, (_, variable: string) => {
      if (!(variable in args)) throw new Error(`${name}: \${${variable}} has no default`);
      return args[variable];
    });
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(readFileSync(file, 'utf8')).getInstructions()) {
    const step = toStep(instruction);
    if (step.keyword === 'FROM') {
      const asIndex = step.args.findIndex((arg) => arg.toUpperCase() === 'AS');
      stages.push({
        from: step.args[0],
        image: expand(step.args[0]),
        name: asIndex > 0 ? step.args[asIndex + 1] : null,
        steps: [],
      });
    } else if (stages.length === 0) {
      if (step.keyword !== 'ARG') throw new Error(`${name}:${step.line}: ${step.keyword} before any FROM`);
      const [variable, ...value] = step.text.split('=');
      args[variable.trim()] = expand(value.join('=').trim());
    } else {
      stages[stages.length - 1].steps.push(step);
    }
  }
  if (stages.length === 0) throw new Error(`${name}: no FROM`);
  return { file: name, args, stages, final: stages[stages.length - 1] };
}

/** `ENV A=1 B=2` as pairs (the legacy `ENV A 1` form too). */
export function envPairs(step: Step): Array<[string, string]> {
  if (step.args.length === 2 && !step.args[0].includes('=')) return [[step.args[0], step.args[1]]];
  return step.args.map((arg) => {
    const index = arg.indexOf('=');
    return [arg.slice(0, index), arg.slice(index + 1).replace(/^"(.*)"$/, '$1')] as [string, string];
  });
}
