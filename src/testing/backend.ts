/**
 * The backend as the editors' tests see it: each resource call is answered with the golden file
 * the Go test wrote for exactly that request (pkg/plugin/resources_test.go), so a change of the
 * backend's answers breaks these tests too. Failed calls reject the way Grafana's fetch does:
 * with the HTTP status and the parsed body (`{"error": "..."}`) in `data`.
 */
import fs from 'fs';
import path from 'path';

const GOLDEN_DIR = path.resolve(__dirname, '../../pkg/plugin/testdata/resources');

export function golden<T = unknown>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(GOLDEN_DIR, `${name}.json`), 'utf8')) as T;
}

const job = { project: 'bench', jobset: 'main', job: 'bench' };

/** The request behind each golden file, as resources_test.go makes it. */
export const GOLDEN_REQUESTS: Array<{ file: string; path: string; params: Record<string, string>; status: number }> = [
  { file: 'projects', path: 'projects', params: {}, status: 200 },
  { file: 'jobsets', path: 'jobsets', params: { project: 'bench' }, status: 200 },
  { file: 'jobs', path: 'jobs', params: { project: 'bench', jobset: 'main' }, status: 200 },
  { file: 'metrics', path: 'metrics', params: job, status: 200 },
  { file: 'products', path: 'products', params: job, status: 200 },
  { file: 'builds', path: 'builds', params: job, status: 200 },
  {
    file: 'sample',
    path: 'sample',
    params: { ...job, product: 'bench.json', path: 'results.throughput' },
    status: 200,
  },
  {
    file: 'sample-many',
    path: 'sample',
    params: { ...job, product: 'bench.json', path: 'benchmarks.#.mean' },
    status: 200,
  },
  {
    file: 'sample-nomatch',
    path: 'sample',
    params: { ...job, product: 'bench.json', path: 'results.nothing' },
    status: 200,
  },
  { file: 'sample-noproduct', path: 'sample', params: { ...job, product: 'missing.json' }, status: 400 },
  { file: 'error-missing-param', path: 'jobsets', params: {}, status: 400 },
  { file: 'error-no-jobset', path: 'jobs', params: { project: 'bench', jobset: 'nope' }, status: 404 },
];

function sameParams(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/**
 * Answers getResource(path, params) from the golden files. A sample without a path (which no
 * golden file holds) is sample.json as the backend answers it then (query/sample.go): the same
 * document, no values, matched false. Anything else is an error of the test.
 */
export async function goldenResource(path: string, params: Record<string, string> = {}): Promise<unknown> {
  const request = GOLDEN_REQUESTS.find((r) => r.path === path && sameParams(r.params, params));
  if (request) {
    const body = golden(request.file);
    if (request.status !== 200) {
      throw { status: request.status, statusText: 'error', data: body };
    }
    return body;
  }
  if (
    path === 'sample' &&
    params.product === 'bench.json' &&
    !params.path &&
    sameParams({ ...job, product: 'bench.json' }, params)
  ) {
    return { ...golden<object>('sample'), values: [], matched: false };
  }
  throw new Error(`the test asked for a resource no golden file answers: ${path} ${JSON.stringify(params)}`);
}
