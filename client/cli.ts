// The `clinsynth` command line: the usage text, the command table (each command a module loaded when it runs) and
// main(), which maps errors to exit codes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../lib/config/problems.js';
import { PROJECT_ROOT } from '../lib/config/paths.js';
import { setFlagOverrides, takeConnectionFlags, TemporalConfigError } from './connection.js';
import { say, UsageError } from './cli-args.js';

const USAGE = `usage:
  clinsynth run FILE [--run-id ID] [--detach] [--no-worker] [--json] [--dry-run]
  clinsynth study FILE [--detach] [--no-worker] [--json]
  clinsynth validate FILE
  clinsynth try FILE [--stage silver|bronze|selfcheck] [--n 10] [--label ID] [--gold] [--show-prompt] [--json]   (docs/prompts.md)
  clinsynth status RUN_ID [--json]
  clinsynth list [--experiment NAME] [--study NAME] [--status STATUS] [--json]
  clinsynth worker [--llm-concurrency N] [--llm-pages-per-second N] [--queues main,llm] [--cpu-concurrency N]
                   [--metrics HOST:PORT] [--shutdown-grace SECONDS]   (docs/workers.md)
  clinsynth server [stop] [--ip IP] [--port N] [--ui-port N]
  clinsynth predict --model DIR INPUT [--out FILE]
  clinsynth report RUN_ID|STUDY
  clinsynth view RUN_ID|STUDY [--port N] [--host HOST] [--allow-remote]   (local row viewer, docs/looking-at-data.md)
  clinsynth codec-server [--port N]
  clinsynth control RUN_ID pause|resume|budget USD|cancel
  clinsynth review export RUN_ID [--rewrite] | import RUN_ID FILE | skip RUN_ID
global flags: --profile NAME, --address HOST:PORT, --namespace NS (override the Temporal settings below)
environment: Temporal's client settings (docs/connecting.md): TEMPORAL_ADDRESS (unset: embedded dev server),
  TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE (temporal.toml);
  CLINSYNTH_HOME (default .clinsynth/), CLINSYNTH_ENCRYPTION_KEY / CLINSYNTH_ENCRYPTION_KEY_FILE (encrypt payloads)`;

/** A command: its arguments (after the command name) in, an exit code out. */
type Command = (args: string[]) => Promise<number>;

/** The commands main() knows, each loaded when it runs; `clinsynth COMMAND --help` prints that command's usage lines. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import('./run.js')).runCommand,
  study: async () => (await import('./run.js')).studyCommand,
  validate: async () => (await import('./validate.js')).validateCommand,
  try: async () => {
    const { tryCommand, TryUsageError } = await import('./try.js');
    return async (args) => {
      try {
        return await tryCommand(args);
      } catch (err) {
        if (err instanceof TryUsageError) throw new UsageError(err.message);
        throw err;
      }
    };
  },
  status: async () => (await import('./status.js')).statusCommand,
  list: async () => {
    const { listCommand } = await import('./list.js');
    return (args) => listCommand(args, say);
  },
  worker: async () => (await import('./serve.js')).workerCommand,
  server: async () => (await import('./serve.js')).serverCommand,
  predict: async () => (await import('./predict.js')).predictCommand,
  report: async () => (await import('./report.js')).reportCommand,
  view: async () => {
    const { viewCommand } = await import('./view/command.js');
    return (args) => viewCommand(args, say);
  },
  'codec-server': async () => {
    const { codecServerCommand } = await import('./codec-server.js');
    return (args) => codecServerCommand(args, say);
  },
  control: async () => {
    const { controlCommand } = await import('./control.js');
    return (args) => controlCommand(args, say);
  },
  review: async () => {
    const { reviewCommand } = await import('./review.js');
    return (args) => reviewCommand(args, say);
  },
};

/** The usage lines of one command (and the environment note), from USAGE: one text, no second copy to drift. */
function commandUsage(command: string): string {
  const lines = USAGE.split('\n');
  const env = lines.findIndex((l) => l.startsWith('environment:'));
  const own = lines.filter((l) => l.startsWith(`  clinsynth ${command} `) || l === `  clinsynth ${command}`);
  return ['usage:', ...own, ...lines.slice(env)].join('\n');
}

/** The package version (package.json next to the code). */
function version(): string {
  return (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-V' || argv[0] === 'version') {
    process.stdout.write(`clinsynth ${version()}\n`);
    return 0;
  }
  try {
    const flags = takeConnectionFlags(argv);
    setFlagOverrides(flags.overrides);
    const [command, ...rest] = flags.args;
    const load = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
    if (load && rest.some((x) => x === '--help' || x === '-h')) {
      process.stdout.write(commandUsage(command!) + '\n');
      return 0;
    }
    if (load) return await (await load())(rest);
    if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command "${command}"`);
  } catch (err) {
    if (err instanceof InputError) {
      for (const line of err.message.split('\n')) process.stderr.write(line + '\n');
      return 2;
    }
    if (err instanceof TemporalConfigError) {
      say(`clinsynth: ${err.message}`);
      return 2;
    }
    if (err instanceof UsageError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      say(`clinsynth: ${(err as Error).message}\n${USAGE}`);
      return 2;
    }
    say(`clinsynth: ${(err as Error).message ?? err}`);
    if (process.env.CLINSYNTH_DEBUG) console.error(err);
    return 1;
  }
}
