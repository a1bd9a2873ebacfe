import type { LoadedPolicy } from '@open-policy-agent/opa-wasm';

/** The exports of an OPA WASM module (ABI 1.x) this file calls. */
interface OpaExports {
  builtins(): number;
  opa_json_dump(address: number): number;
  opa_heap_ptr_get(): number;
  opa_heap_ptr_set(pointer: number): void;
}

/**
 * Names of the built-ins a loaded policy imports from its host, i.e. those OPA did not compile into
 * the WASM module. Read from the module's `builtins()` export; the heap is left as it was.
 */
export function importedBuiltins(policy: LoadedPolicy): string[] {
  // The SDK stores the instance here (not the instantiated source) once it is constructed.
  const { exports } = policy.wasmInstance as unknown as { exports: OpaExports };
  const heap = exports.opa_heap_ptr_get();
  try {
    const address = exports.opa_json_dump(exports.builtins());
    const memory = new Uint8Array((policy.mem as unknown as { buffer: ArrayBuffer }).buffer);
    const end = memory.indexOf(0, address);
    const json = new TextDecoder().decode(memory.subarray(address, end < 0 ? memory.length : end));
    return Object.keys(JSON.parse(json) as Record<string, number>).sort();
  } finally {
    exports.opa_heap_ptr_set(heap);
  }
}
