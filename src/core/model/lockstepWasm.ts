import type { LockstepTrees } from './gbdt.js';

// The part of the WebAssembly API this module uses: the project's type libraries (ES and Node)
// do not declare it, though every Node and Lambda runtime has it.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
declare const WebAssembly:
  | {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object) => WasmInstance;
    }
  | undefined;

/**
 * The lockstep walk of `pathMarginsFlat` compiled to WebAssembly: the same steps in the same
 * order, so every margin is the same to the bit, at about three quarters of the JavaScript walk's
 * time (measured on the handbook bench model: 100 trees of depth 6, 512-row blocks). The gain is
 * the loads: a typed-array read in JavaScript checks its index, a WebAssembly one does not (its
 * memory is fenced by guard pages instead). The module is assembled here from its instructions,
 * with no tool and no file: the function below is the whole of it.
 *
 * Memory holds, in order: the roots and depths of the trees (i32 each), every node's step (i32),
 * threshold and delta (f64), then a block's rows and margins; a block larger than the memory
 * grows it.
 */
export class LockstepKernel {
  private readonly memory: WasmMemory;
  private readonly run: (...args: number[]) => void;
  private readonly trees: number;
  private readonly shift: number;
  private readonly roots: number;
  private readonly depth: number;
  private readonly step: number;
  private readonly threshold: number;
  private readonly delta: number;
  /** Where a block's rows start: everything after is the block's. */
  private readonly rows: number;
  private f64: Float64Array;

  constructor(lockstep: LockstepTrees, roots: Int32Array) {
    const instance = new (wasm().Instance)(compiledModule());
    this.memory = instance.exports.memory as WasmMemory;
    this.run = instance.exports.margins as (...args: number[]) => void;
    this.trees = roots.length;
    this.shift = lockstep.shift;
    const nodes = lockstep.step.length;
    let at = 0;
    const place = (bytes: number): number => {
      const p = at;
      at += Math.ceil(bytes / 64) * 64;
      return p;
    };
    this.roots = place(4 * this.trees);
    this.depth = place(4 * this.trees);
    this.step = place(4 * nodes);
    this.threshold = place(8 * nodes);
    this.delta = place(8 * nodes);
    this.rows = at;
    this.f64 = this.reserve(at);
    const buffer = this.memory.buffer;
    new Int32Array(buffer, this.roots, this.trees).set(roots);
    new Int32Array(buffer, this.depth, this.trees).set(lockstep.depth);
    new Int32Array(buffer, this.step, nodes).set(lockstep.step);
    new Float64Array(buffer, this.threshold, nodes).set(lockstep.threshold);
    new Float64Array(buffer, this.delta, nodes).set(lockstep.delta);
  }

  /**
   * `out[r] = start + Σ deltas` along row r's path through every tree, as `pathMarginsFlat`: `x`
   * holds `rows` rows of `stride` numbers.
   */
  margins(start: number, x: Float64Array, stride: number, rows: number, out: Float64Array): void {
    const xAt = this.rows;
    const outAt = xAt + 8 * rows * stride;
    this.f64 = this.reserve(outAt + 8 * rows);
    const f64 = this.f64;
    f64.set(x.subarray(0, rows * stride), xAt / 8);
    f64.fill(start, outAt / 8, outAt / 8 + rows);
    this.run(this.trees, rows, stride, this.shift, this.roots, this.depth, this.step, this.threshold, this.delta, xAt, outAt);
    out.set(f64.subarray(outAt / 8, outAt / 8 + rows));
  }

  /** A view of the memory with room for `bytes` bytes (grown when short). */
  private reserve(bytes: number): Float64Array {
    const buffer = this.memory.buffer;
    if (bytes > buffer.byteLength) this.memory.grow(Math.ceil((bytes - buffer.byteLength) / PAGE));
    const f64 = this.f64 as Float64Array | undefined;
    return f64 && f64.buffer === this.memory.buffer ? f64 : new Float64Array(this.memory.buffer);
  }
}

const PAGE = 65_536;

/** Rows that go down each tree side by side. */
const LANES = 8;

let compiled: object | undefined;

/** The kernel's module, compiled once per thread. */
function compiledModule(): object {
  compiled ??= new (wasm().Module)(kernelBytes());
  return compiled;
}

/** Whether this runtime runs WebAssembly (every Node and Lambda runtime does). */
export function wasmAvailable(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.Module === 'function';
}

function wasm(): NonNullable<typeof WebAssembly> {
  if (typeof WebAssembly !== 'object') throw new Error('this runtime has no WebAssembly');
  return WebAssembly;
}

// The instructions the kernel uses (WebAssembly 1.0 opcodes).
const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  i32Load: 0x28,
  f64Load: 0x2b,
  f64Store: 0x39,
  i32Const: 0x41,
  i32GeU: 0x4f,
  f64Le: 0x65,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32RemU: 0x70,
  i32And: 0x71,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  f64Add: 0xa0,
} as const;
const I32 = 0x7f;
const F64 = 0x7c;
const EMPTY_BLOCK = 0x40;

function unsigned(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function signed(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

/** A vector in the binary format: its length, then its items. */
function vec(items: number[][]): number[] {
  return [...unsigned(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...unsigned(body.length), ...body];
}

function name(s: string): number[] {
  return vec([...s].map((c) => [c.charCodeAt(0)]));
}

/** A function body under construction: locals by name, instructions appended. */
class Body {
  readonly code: number[] = [];
  private readonly index = new Map<string, number>();
  private readonly declared: { type: number; count: number }[] = [];
  private next: number;

  constructor(params: string[]) {
    params.forEach((p, i) => this.index.set(p, i));
    this.next = params.length;
  }

  local(n: string, type: number): void {
    this.index.set(n, this.next++);
    const last = this.declared.at(-1);
    if (last && last.type === type) last.count++;
    else this.declared.push({ type, count: 1 });
  }

  private at(n: string): number {
    const i = this.index.get(n);
    if (i === undefined) throw new Error(`no local ${n}`);
    return i;
  }

  get(n: string): this {
    this.code.push(OP.localGet, ...unsigned(this.at(n)));
    return this;
  }

  set(n: string): this {
    this.code.push(OP.localSet, ...unsigned(this.at(n)));
    return this;
  }

  i32(c: number): this {
    this.code.push(OP.i32Const, ...signed(c));
    return this;
  }

  op(...codes: number[]): this {
    this.code.push(...codes);
    return this;
  }

  /** A load or store with its alignment (log2 of the bytes) and a constant offset. */
  memory(code: number, align: number, offset = 0): this {
    this.code.push(code, ...unsigned(align), ...unsigned(offset));
    return this;
  }

  bytes(): number[] {
    const locals = vec(this.declared.map((d) => [...unsigned(d.count), d.type]));
    const body = [...locals, ...this.code, OP.end];
    return [...unsigned(body.length), ...body];
  }
}

/**
 * `margins(trees, rows, stride, shift, roots, depth, step, threshold, delta, x, out)`, addresses
 * in bytes: for each tree k, rows go down it LANES at a time for `depth[k]` steps, each step
 * `n = (step[n] >> shift) + 1 − (x[row][step[n] & mask] <= threshold[n])` then `m += delta[n]`
 * (as `pathMarginsFlat`), the rows left over one at a time.
 */
function kernelBytes(): Uint8Array {
  const params = ['trees', 'rows', 'stride', 'shift', 'roots', 'depth', 'step', 'thr', 'delta', 'x', 'out'];
  const b = new Body(params);
  for (const l of ['k', 'r', 's', 'root', 'steps', 'mask', 'lanes', 'n', 'o', 'p']) b.local(l, I32);
  const lanes = Array.from({ length: LANES }, (_, j) => j);
  for (const j of lanes) for (const l of ['n', 'o', 'p']) b.local(`${l}${j}`, I32);
  b.local('m', F64);
  for (const j of lanes) b.local(`m${j}`, F64);

  // Address of element `index` (a local, or the local plus `plus`) of an array of 2^size bytes.
  const address = (base: string, index: () => void, size: number): void => {
    b.get(base);
    index();
    b.i32(size).op(OP.i32Shl, OP.i32Add);
  };
  // while (a < limit) { body }  — `a` and `limit` locals, unsigned comparison.
  const whileBelow = (a: string, limit: string, body: () => void): void => {
    b.op(OP.block, EMPTY_BLOCK, OP.loop, EMPTY_BLOCK);
    b.get(a).get(limit).op(OP.i32GeU, OP.brIf, 1);
    body();
    b.op(OP.br, 0, OP.end, OP.end);
  };
  const increment = (l: string, by: number): void => {
    b.get(l).i32(by).op(OP.i32Add).set(l);
  };
  // One step of one row: p = step[n]; n = (p >> shift) + 1 − (x[o + (p & mask)] <= thr[n]); m += delta[n]
  const load = (n: string, p: string): void => {
    address('step', () => b.get(n), 2);
    b.memory(OP.i32Load, 2).set(p);
  };
  const next = (n: string, o: string, p: string): void => {
    b.get(p).get('shift').op(OP.i32ShrS).i32(1).op(OP.i32Add);
    b.get(o).get(p).get('mask').op(OP.i32And).i32(3).op(OP.i32Shl, OP.i32Add).memory(OP.f64Load, 3);
    address('thr', () => b.get(n), 3);
    b.memory(OP.f64Load, 3).op(OP.f64Le, OP.i32Sub).set(n);
  };
  const add = (n: string, m: string): void => {
    b.get(m);
    address('delta', () => b.get(n), 3);
    b.memory(OP.f64Load, 3).op(OP.f64Add).set(m);
  };
  // out[r + j] as an address
  const outAt = (j: number): void => address('out', () => b.get('r').i32(j).op(OP.i32Add), 3);

  b.i32(1).get('shift').op(OP.i32Shl).i32(1).op(OP.i32Sub).set('mask');
  b.get('rows').get('rows').i32(LANES).op(OP.i32RemU, OP.i32Sub).set('lanes');
  whileBelow('k', 'trees', () => {
    address('roots', () => b.get('k'), 2);
    b.memory(OP.i32Load, 2).set('root');
    address('depth', () => b.get('k'), 2);
    b.memory(OP.i32Load, 2).set('steps');
    b.i32(0).set('r');
    whileBelow('r', 'lanes', () => {
      for (const j of lanes) {
        outAt(j);
        b.memory(OP.f64Load, 3).set(`m${j}`);
        b.get('root').set(`n${j}`);
        // o_j = x + ((r + j) × stride) × 8
        b.get('x').get('r').i32(j).op(OP.i32Add).get('stride').op(OP.i32Mul).i32(3).op(OP.i32Shl, OP.i32Add).set(`o${j}`);
      }
      b.i32(0).set('s');
      whileBelow('s', 'steps', () => {
        for (const j of lanes) load(`n${j}`, `p${j}`);
        for (const j of lanes) next(`n${j}`, `o${j}`, `p${j}`);
        for (const j of lanes) add(`n${j}`, `m${j}`);
        increment('s', 1);
      });
      for (const j of lanes) {
        outAt(j);
        b.get(`m${j}`).memory(OP.f64Store, 3);
      }
      increment('r', LANES);
    });
    whileBelow('r', 'rows', () => {
      outAt(0);
      b.memory(OP.f64Load, 3).set('m');
      b.get('root').set('n');
      b.get('x').get('r').get('stride').op(OP.i32Mul).i32(3).op(OP.i32Shl, OP.i32Add).set('o');
      b.i32(0).set('s');
      whileBelow('s', 'steps', () => {
        load('n', 'p');
        next('n', 'o', 'p');
        add('n', 'm');
        increment('s', 1);
      });
      outAt(0);
      b.get('m').memory(OP.f64Store, 3);
      increment('r', 1);
    });
    increment('k', 1);
  });

  const type = [0x60, ...vec(params.map(() => [I32])), ...vec([])];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([type])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec([[...name('margins'), 0x00, 0], [...name('memory'), 0x02, 0]])),
    ...section(10, vec([b.bytes()])),
  ]);
}
