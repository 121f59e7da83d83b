import { DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { setTemplateSrv, TemplateSrv } from '@grafana/runtime';

import { DataSource } from './datasource';
import { NixDataSourceOptions, NixQuery } from './types';

// A template service that knows two variables and records the scopedVars it was given.
const seenScopedVars: Array<ScopedVars | undefined> = [];
const variables: Record<string, string> = { jobset: 'trunk', bench: 'results' };
setTemplateSrv({
  replace: (target?: string, scopedVars?: ScopedVars) => {
    seenScopedVars.push(scopedVars);
    return (target ?? '').replace(/\$(\w+)/g, (whole, name: string) => variables[name] ?? whole);
  },
} as unknown as TemplateSrv);

function makeDataSource(jsonData: NixDataSourceOptions = {}): DataSource {
  return new DataSource({
    id: 1,
    uid: 'test-uid',
    type: 'nixci-artifacts-datasource',
    name: 'test',
    jsonData,
  } as DataSourceInstanceSettings<NixDataSourceOptions>);
}

describe('applyTemplateVariables', () => {
  it('interpolates every text field and leaves the others alone', () => {
    const query: NixQuery = {
      refId: 'A',
      queryType: 'artifact',
      project: 'nixpkgs',
      jobset: '$jobset',
      job: 'bench-$jobset',
      product: '$bench/bench.json',
      path: '$bench.throughput',
      metric: '$unknown',
      limit: 50,
      timeField: 'stoptime',
    };
    const scopedVars: ScopedVars = { __interval: { text: '1m', value: '1m' } };

    expect(makeDataSource().applyTemplateVariables(query, scopedVars)).toEqual({
      ...query,
      jobset: 'trunk',
      job: 'bench-trunk',
      product: 'results/bench.json',
      path: 'results.throughput',
      metric: '$unknown',
    });
    expect(seenScopedVars.at(-1)).toBe(scopedVars);
  });

  it("interpolates a compare query's builds and nixbuild.net's tags", () => {
    const query: NixQuery = {
      refId: 'A',
      queryType: 'compare',
      project: 'p',
      jobset: 'j',
      job: 'b',
      base: '$jobset',
      target: 'abc1234',
      tags: 'branch:$jobset',
    };
    expect(makeDataSource().applyTemplateVariables(query, {})).toMatchObject({
      base: 'trunk',
      target: 'abc1234',
      tags: 'branch:trunk',
    });
  });

  it('does not add fields the query did not have', () => {
    const result = makeDataSource().applyTemplateVariables({ refId: 'A', queryType: 'builds', job: 'x' }, {});
    expect(Object.keys(result).sort()).toEqual(['job', 'queryType', 'refId']);
  });
});

describe('filterQuery', () => {
  const hydra = makeDataSource({ source: 'hydra' });
  const store = makeDataSource({ source: 'store' });
  const job = { project: 'nixpkgs', jobset: 'trunk', job: 'metrics' };

  it.each<[string, NixQuery, boolean]>([
    ['metric with a metric', { refId: 'A', queryType: 'metric', ...job, metric: '*.time' }, true],
    ['metric without a metric', { refId: 'A', queryType: 'metric', ...job }, false],
    [
      'artifact with product and path',
      { refId: 'A', queryType: 'artifact', ...job, product: 'b.json', path: 'x' },
      true,
    ],
    ['artifact without a path', { refId: 'A', queryType: 'artifact', ...job, product: 'b.json' }, false],
    ['default type (artifact) with nothing', { refId: 'A' }, false],
    ['builds without a project', { refId: 'A', queryType: 'builds', jobset: 'trunk', job: 'metrics' }, false],
    ['builds with only blanks', { refId: 'A', queryType: 'builds', project: ' ', jobset: 'trunk', job: 'x' }, false],
    ['builds', { refId: 'A', queryType: 'builds', ...job }, true],
    ['evals of a jobset', { refId: 'A', queryType: 'evals', project: 'nixpkgs', jobset: 'trunk' }, true],
    ['jobs without a jobset', { refId: 'A', queryType: 'jobs', project: 'nixpkgs' }, false],
    ['a hidden query', { refId: 'A', queryType: 'builds', ...job, hide: true }, false],
    ['compare without a base', { refId: 'A', queryType: 'compare', ...job }, false],
    [
      'compare with a base and no target (the newest)',
      { refId: 'A', queryType: 'compare', ...job, base: '$base' },
      true,
    ],
    ['aggregate', { refId: 'A', queryType: 'aggregate', ...job, latest: 'latest-finished' }, true],
  ])('hydra: %s', (_, query, expected) => {
    expect(hydra.filterQuery(query)).toBe(expected);
  });

  it('needs only the job on a Nix store, and project and jobset elsewhere', () => {
    expect(store.filterQuery({ refId: 'A', queryType: 'builds', job: 'mybench-*' })).toBe(true);
    expect(makeDataSource({ source: 'index' }).filterQuery({ refId: 'A', queryType: 'builds', job: 'x' })).toBe(false);
    expect(store.filterQuery({ refId: 'A', queryType: 'evals', jobset: 'trunk' })).toBe(false);
    expect(store.filterQuery({ refId: 'A', queryType: 'metric', job: 'mybench-*' })).toBe(false);
    expect(store.filterQuery({ refId: 'A', queryType: 'metric', job: 'mybench-*', metric: 'time' })).toBe(true);
  });

  it('keeps a query whose fields are template variables', () => {
    expect(hydra.filterQuery({ refId: 'A', queryType: 'builds', project: '$p', jobset: '$js', job: '$j' })).toBe(true);
  });
});

describe('saved queries of older versions', () => {
  it('are migrated before variables are replaced', () => {
    const saved = { refId: 'A', project: 'nixpkgs', jobset: '$jobset', job: 'j', limit: '200', timeField: 'queued' };
    expect(makeDataSource().applyTemplateVariables(saved as unknown as NixQuery, {})).toEqual({
      refId: 'A',
      queryType: 'artifact',
      project: 'nixpkgs',
      jobset: 'trunk',
      job: 'j',
      limit: 200,
      timeField: 'timestamp',
    });
  });

  it('are judged complete or not as migrated', () => {
    const hydra = makeDataSource();
    const saved = { refId: 'A', project: 'p', jobset: 'j', job: 'x', product: 'b.json', path: 'x', limit: '5' };
    expect(hydra.filterQuery(saved as unknown as NixQuery)).toBe(true);
    expect(hydra.filterQuery({ ...saved, queryType: 'Metric' } as unknown as NixQuery)).toBe(false);
    expect(hydra.filterQuery({ ...saved, queryType: 'Builds' } as unknown as NixQuery)).toBe(true);
  });

  it('with an unknown query type go to the backend, which names the type in its error', () => {
    expect(makeDataSource().filterQuery({ refId: 'A', queryType: 'bogus' } as unknown as NixQuery)).toBe(true);
  });
});

describe('getDefaultQuery and annotations', () => {
  it('starts with an artifact query over 100 builds by queue time', () => {
    expect(makeDataSource().getDefaultQuery(0 as never)).toEqual({
      queryType: 'artifact',
      limit: 100,
      timeField: 'timestamp',
    });
  });

  it('starts an annotation query as the evaluations of a jobset', () => {
    const { annotations } = makeDataSource();
    expect(annotations?.getDefaultQuery?.()).toEqual({ queryType: 'evals' });
    // Grafana's annotation editor shows {...getDefaultQuery(), ...(annotation.target ?? { refId: 'Anno' })}
    expect(annotations?.QueryEditor).toBeUndefined();
    expect(annotations?.prepareAnnotation).toBeUndefined();
  });

  it('turns an evals annotation query with project and jobset into a runnable query', () => {
    const ds = makeDataSource();
    const target: NixQuery = {
      refId: 'Anno',
      ...ds.annotations!.getDefaultQuery!(),
      project: 'nixpkgs',
      jobset: '$jobset',
    };
    expect(ds.filterQuery(target)).toBe(true);
    expect(ds.applyTemplateVariables(target, {})).toEqual({ ...target, jobset: 'trunk' });
  });
});
