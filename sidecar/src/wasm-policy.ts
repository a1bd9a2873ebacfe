/**
 * A policy compiled by `opa build -t wasm`, instantiated and evaluated through OPA's WASM ABI 1.2
 * (`opa_eval`) by the engine itself rather than by the opa-wasm SDK: one shared encoder and decoder,
 * the input written straight into WASM memory, and host built-ins called with each argument's JSON
 * text (nanoseconds stay exact). The engine wraps every failure in a typed error.
 */

/** A built-in the host provides: each argument as the JSON text OPA dumped, the result as JSON text. */
export type HostBuiltin = (...args: string[]) => string;

/** The parts of the WebAssembly JS API used here (the project's TypeScript libs have no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** Memory size in 64 KiB pages. */
export interface WasmMemoryDescriptor {
  readonly initial: number;
  readonly maximum: number;
}

interface WasmApi {
  readonly Memory: new (descriptor: WasmMemoryDescriptor) => WasmMemory;
  instantiate(
    module: Uint8Array,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ instance: { exports: unknown } }>;
}

const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: WasmApi };

/** The exports of an OPA WASM module (ABI 1.2 and later) this file calls. */
interface OpaExports {
  readonly opa_wasm_abi_version?: { readonly value: unknown } | number;
  readonly opa_wasm_abi_minor_version?: { readonly value: unknown } | number;
  builtins(): number;
  entrypoints(): number;
  opa_malloc(size: number): number;
  opa_json_parse(address: number, length: number): number;
  opa_json_dump(address: number): number;
  opa_heap_ptr_get(): number;
  opa_heap_ptr_set(pointer: number): void;
  opa_eval(
    reserved: number,
    entrypoint: number,
    data: number,
    input: number,
    inputLength: number,
    heap: number,
    format: number,
  ): number;
}

const PAGE_BYTES = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A compiled policy in its own WASM instance and memory. Not re-entrant: one evaluation at a time. */
export class WasmPolicy {
  /** Entrypoint ids by name, e.g. `verdict/authz/decision`. */
  readonly entrypoints: ReadonlyMap<string, number>;
  /** The names of the built-ins the module imports from its host, sorted. */
  readonly importedBuiltins: readonly string[];
  readonly #exports: OpaExports;
  readonly #memory: HostMemory;
  readonly #baseHeap: number;
  #dataAddress = 0;
  #dataHeap = 0;

  private constructor(exports: OpaExports, memory: HostMemory, builtinIds: Record<string, number>) {
    this.#exports = exports;
    this.#memory = memory;
    this.importedBuiltins = Object.keys(builtinIds).sort();
    this.entrypoints = new Map(
      Object.entries(JSON.parse(dump(exports, memory, exports.entrypoints())) as Record<string, number>),
    );
    this.#dataAddress = load(exports, memory, '{}');
    this.#baseHeap = exports.opa_heap_ptr_get();
    this.#dataHeap = this.#baseHeap;
  }

  /**
   * Instantiates `wasm` with a fresh memory. A built-in the module imports and `builtins` lacks is
   * left out (see {@link importedBuiltins}); calling it fails the evaluation. Throws when the module
   * is not an OPA policy of ABI 1.2 or later.
   */
  static async instantiate(
    wasm: Uint8Array,
    memory: WasmMemoryDescriptor,
    builtins: Readonly<Record<string, HostBuiltin>>,
  ): Promise<WasmPolicy> {
    const mem = new HostMemory(new wasmApi.Memory(memory));
    // Set once the instance exists: the imports close over them.
    const instanceState: { exports?: OpaExports } = {};
    const byId: (HostBuiltin | undefined)[] = [];
    const builtin = (id: number): HostBuiltin => {
      const found = byId[id];
      if (!found || !instanceState.exports) throw new Error(`built-in ${id} is not provided by the engine`);
      return found;
    };
    // One import per arity, as OPA's ABI calls them (the context argument is unused).
    const call = (id: number, args: number[]): number => {
      const fn = builtin(id);
      const ex = instanceState.exports as OpaExports;
      return load(ex, mem, fn(...args.map((address) => dump(ex, mem, address))));
    };
    const call1 = (id: number, a: number): number => {
      const fn = builtin(id);
      const ex = instanceState.exports as OpaExports;
      return load(ex, mem, fn(dump(ex, mem, a)));
    };
    const { instance } = await wasmApi.instantiate(wasm, {
      env: {
        memory: mem.memory,
        opa_abort: (address: number) => {
          throw new Error(`policy aborted: ${mem.readString(address)}`);
        },
        opa_println: () => undefined,
        opa_builtin0: (id: number) => call(id, []),
        opa_builtin1: (id: number, _ctx: number, a: number) => call1(id, a),
        opa_builtin2: (id: number, _ctx: number, a: number, b: number) => call(id, [a, b]),
        opa_builtin3: (id: number, _ctx: number, a: number, b: number, c: number) => call(id, [a, b, c]),
        opa_builtin4: (id: number, _ctx: number, a: number, b: number, c: number, d: number) =>
          call(id, [a, b, c, d]),
      },
    });
    const loaded = instance.exports as OpaExports;
    const major = globalNumber(loaded.opa_wasm_abi_version);
    const minor = globalNumber(loaded.opa_wasm_abi_minor_version);
    if (major !== 1 || minor === undefined || minor < 2) {
      throw new Error(`unsupported OPA WASM ABI ${major ?? '?'}.${minor ?? '?'} (1.2 or later is needed)`);
    }
    const builtinIds = JSON.parse(dump(loaded, mem, loaded.builtins())) as Record<string, number>;
    for (const [name, id] of Object.entries(builtinIds)) byId[id] = builtins[name];
    instanceState.exports = loaded;
    return new WasmPolicy(loaded, mem, builtinIds);
  }

  /** Replaces the policy's data (the bundle's `data.json`), parsed once for every later evaluation. */
  setData(json: string): void {
    this.#exports.opa_heap_ptr_set(this.#baseHeap);
    this.#dataAddress = load(this.#exports, this.#memory, json);
    this.#dataHeap = this.#exports.opa_heap_ptr_get();
  }

  /**
   * Evaluates an entrypoint on an input given as JSON text (`undefined`: no input) and returns the
   * result set's JSON text, `[]` or `[{"result": …}]`. Throws what the module or a built-in throws,
   * or a `RangeError` when memory cannot grow enough.
   */
  evaluate(entrypoint: number, input: string | undefined): string {
    const address = this.#dataHeap;
    const length = input === undefined ? 0 : this.#memory.write(input, address);
    const result = this.#exports.opa_eval(
      0,
      entrypoint,
      this.#dataAddress,
      address,
      length,
      address + length,
      0,
    );
    return this.#memory.readString(result);
  }
}

/**
 * The module's linear memory with a byte view kept between calls: a view is made anew only when
 * the memory has grown (growing detaches the old buffer, which leaves the view empty).
 */
class HostMemory {
  #bytes: Uint8Array;

  constructor(readonly memory: WasmMemory) {
    this.#bytes = new Uint8Array(memory.buffer);
  }

  bytes(): Uint8Array {
    if (this.#bytes.byteLength === 0) this.#bytes = new Uint8Array(this.memory.buffer);
    return this.#bytes;
  }

  /** The NUL-terminated UTF-8 string at `address`. */
  readString(address: number): string {
    const bytes = this.bytes();
    const found = bytes.indexOf(0, address);
    const end = found < 0 ? bytes.length : found;
    return decoder.decode(bytes.subarray(address, end));
  }

  /** Writes `text` as UTF-8 at `address`, growing memory when needed; returns the bytes written. */
  write(text: string, address: number): number {
    let free = this.bytes().byteLength - address;
    // Every UTF-16 code unit is at most three bytes of UTF-8.
    if (free < text.length * 3) {
      const needed = Buffer.byteLength(text);
      if (free < needed) {
        this.memory.grow(Math.ceil((needed - free) / PAGE_BYTES));
        free = this.bytes().byteLength - address;
      }
    }
    return encoder.encodeInto(text, this.bytes().subarray(address, address + free)).written;
  }
}

/** Parses JSON text into a value in WASM memory and returns its address. */
function load(exports: OpaExports, memory: HostMemory, json: string): number {
  const length = Buffer.byteLength(json);
  const raw = exports.opa_malloc(length);
  memory.write(json, raw);
  const address = exports.opa_json_parse(raw, length);
  if (address === 0) throw new Error('the policy could not parse a JSON value');
  return address;
}

/** The JSON text of a value in WASM memory. */
function dump(exports: OpaExports, memory: HostMemory, address: number): string {
  return memory.readString(exports.opa_json_dump(address));
}

/** The value of an exported i32 global (a number on very old engines). */
function globalNumber(global: { readonly value: unknown } | number | undefined): number | undefined {
  const value = typeof global === 'object' ? global.value : global;
  return typeof value === 'number' ? value : undefined;
}
