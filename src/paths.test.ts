import { escapeKey, numericPaths } from './paths';
import { Sample } from './resources';
import { golden } from './testing/backend';

describe('numericPaths', () => {
  it("offers the paths of the golden sample's numbers, arrays of objects once with #", () => {
    const { json } = golden<Sample>('sample');
    expect(numericPaths(json)).toEqual({
      paths: ['benchmarks.#.mean', 'results.latency_ms', 'results.throughput'],
      more: 0,
    });
  });

  it('offers paths that the backend resolves to the golden values', () => {
    // sample.json and sample-many.json were made with two of the offered paths
    const offered = numericPaths(golden<Sample>('sample').json).paths;
    expect(offered).toContain('results.throughput');
    expect(offered).toContain('benchmarks.#.mean');
    expect(golden<Sample>('sample-many').values.map((v) => v.series)).toEqual([
      'benchmarks.0.mean',
      'benchmarks.1.mean',
    ]);
  });

  it('offers an array of plain numbers whole, and counts numeric strings and booleans', () => {
    const doc = { times: [1, 2, 3], label: 'x', ok: true, ratio: '0.5', nan: 'NaN', names: ['a', 'b'], empty: [] };
    expect(numericPaths(doc).paths).toEqual(['times', 'ok', 'ratio', 'nan']);
  });

  it('goes into nested arrays of objects', () => {
    const doc = { suites: [{ cases: [{ ms: 1 }, { ms: 2, extra: 3 }] }] };
    expect(numericPaths(doc).paths).toEqual(['suites.#.cases.#.ms', 'suites.#.cases.#.extra']);
  });

  it('escapes keys the way gjson reads them', () => {
    const doc = { 'a.b': 1, 'x y': 2, n: { 'k*': 3, 'time:ms': 4, 'size-kb': 5, 'p?': 6, 'e#': 7 } };
    expect(numericPaths(doc).paths).toEqual(['a\\.b', 'x y', 'n.k\\*', 'n.time:ms', 'n.size-kb', 'n.p\\?', 'n.e\\#']);
    expect(escapeKey('plain_key-1')).toBe('plain_key-1');
  });

  it('stops at the maximum and says how many more there are', () => {
    const doc = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]));
    const { paths, more } = numericPaths(doc, 50);
    expect(paths).toHaveLength(50);
    expect(more).toBe(10);
  });

  it('offers nothing for a document that is not an object', () => {
    expect(numericPaths(undefined).paths).toEqual([]);
    expect(numericPaths(42).paths).toEqual([]);
    expect(numericPaths([1, 2]).paths).toEqual([]);
  });
});
