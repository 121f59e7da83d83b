import { DataSourceInstanceSettings } from '@grafana/data';
import { BackendSrv, BackendSrvRequest, setBackendSrv } from '@grafana/runtime';
import { from, of } from 'rxjs';

import { DataSource } from './datasource';
import { ResourceClient, resourceError } from './resources';
import { golden, GOLDEN_REQUESTS, goldenResource } from './testing/backend';
import { goldenDataSource, installTemplateSrv, resourceCalls } from './testing/editors';
import { NixDataSourceOptions } from './types';

installTemplateSrv({ project: 'bench', jobset: 'main', job: 'bench', empty: '' });

const job = { project: 'bench', jobset: 'main', job: 'bench' };

/** Grafana's fetch, answering from the golden files (a failure rejects with status and body). */
function goldenFetch() {
  const fetch = jest.fn((request: BackendSrvRequest) => {
    const name = request.url.replace('/api/datasources/uid/test-uid/resources/', '');
    return from(goldenResource(name, request.params).then((data) => ({ data, status: 200, ok: true })));
  });
  setBackendSrv({ fetch: (request: BackendSrvRequest) => fetch(request) } as unknown as BackendSrv);
  return fetch;
}

function dataSource(jsonData: NixDataSourceOptions = {}) {
  return new DataSource({
    id: 1,
    uid: 'test-uid',
    type: 'nixci-artifacts-datasource',
    name: 'Hydra',
    jsonData,
  } as DataSourceInstanceSettings<NixDataSourceOptions>);
}

describe('ResourceClient through Grafana', () => {
  it("calls the datasource's resource URL with the parameters, and no error toast", async () => {
    const requests: BackendSrvRequest[] = [];
    setBackendSrv({
      fetch: (request: BackendSrvRequest) => {
        requests.push(request);
        return of({ data: golden('jobsets'), status: 200, ok: true });
      },
    } as unknown as BackendSrv);

    expect(await dataSource().resources.list('jobsets', { project: '$project' })).toEqual(golden('jobsets'));
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      method: 'GET',
      url: '/api/datasources/uid/test-uid/resources/jobsets',
      params: { project: 'bench' },
      showErrorAlert: false,
    });
  });

  it("rejects with the backend's error, and says it in words", async () => {
    goldenFetch();
    const failed = dataSource().resources.list('jobs', { project: 'bench', jobset: 'nope' });
    await expect(failed).rejects.toMatchObject({ status: 404 });
    expect(resourceError(await failed.catch((err) => err))).toBe(golden<{ error: string }>('error-no-jobset').error);
  });

  it('previews a sample, the path passed as it is (# included)', async () => {
    const fetch = goldenFetch();
    const sample = await dataSource().resources.sample({ ...job, product: 'bench.json', path: 'benchmarks.#.mean' });
    expect(sample).toEqual(golden('sample-many'));
    expect(fetch.mock.calls[0][0].params).toEqual({ ...job, product: 'bench.json', path: 'benchmarks.#.mean' });
  });
});

describe('ResourceClient', () => {
  it('answers every golden request with its golden file', async () => {
    for (const request of GOLDEN_REQUESTS.filter((r) => r.status === 200 && r.path !== 'sample')) {
      const { datasource } = goldenDataSource();
      const answer = await datasource.resources.list(request.path as never, request.params);
      expect(answer).toEqual(golden(request.file));
    }
  });

  it('does not call while a parameter a list needs is empty, a variable without value included', async () => {
    const { datasource, getResource } = goldenDataSource();
    const client = datasource.resources;
    expect(await client.list('jobsets', {})).toEqual([]);
    expect(await client.list('jobs', { project: 'bench', jobset: '$empty' })).toEqual([]);
    expect(await client.list('products', { project: 'bench', jobset: 'main' })).toEqual([]);
    expect(client.sampleParams({ ...job })).toBeUndefined();
    await expect(client.sample({ ...job, product: ' ' })).rejects.toThrow('pick a job and a product');
    expect(getResource).not.toHaveBeenCalled();
  });

  it('sends only the parameters a list takes, variables replaced and trimmed', () => {
    const client = goldenDataSource().datasource.resources;
    expect(client.listParams('projects', job)).toEqual({});
    expect(client.listParams('jobs', { project: ' $project ', jobset: '$jobset', job: 'x' })).toEqual({
      project: 'bench',
      jobset: 'main',
    });
    expect(client.sampleParams({ ...job, product: 'bench.json', path: '' })).toEqual({ ...job, product: 'bench.json' });
  });

  it('asks a Nix store for the products and metrics of a job alone', () => {
    const client = goldenDataSource({ source: 'store' }).datasource.resources;
    expect(client.listParams('products', { job: 'mybench-*' })).toEqual({ job: 'mybench-*' });
    expect(client.listParams('metrics', { project: 'p', job: 'mybench-*' })).toEqual({
      project: 'p',
      job: 'mybench-*',
    });
    expect(client.listParams('jobs', { job: 'mybench-*' })).toBeUndefined();
  });

  it('asks once for the same list, and again after a failure', async () => {
    const { datasource, getResource } = goldenDataSource();
    const client = datasource.resources;
    await Promise.all([client.list('jobsets', { project: 'bench' }), client.list('jobsets', { project: '$project' })]);
    await client.list('jobsets', { project: 'bench' });
    expect(resourceCalls(getResource)).toEqual([['jobsets', { project: 'bench' }]]);

    await expect(client.list('jobs', { project: 'bench', jobset: 'nope' })).rejects.toBeDefined();
    await expect(client.list('jobs', { project: 'bench', jobset: 'nope' })).rejects.toBeDefined();
    expect(getResource).toHaveBeenCalledTimes(3);
  });

  it('asks again once an answer is old', async () => {
    const getResource = jest.fn(goldenResource);
    const client = new ResourceClient({ getResource: getResource as never });
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    await client.list('projects', {});
    now.mockReturnValue(1_000_000 + 4 * 60_000);
    await client.list('projects', {});
    expect(getResource).toHaveBeenCalledTimes(1);
    now.mockReturnValue(1_000_000 + 6 * 60_000);
    await client.list('projects', {});
    expect(getResource).toHaveBeenCalledTimes(2);
    now.mockRestore();
  });
});

describe('resourceError', () => {
  it.each([
    ['the backend error', { status: 400, data: golden('error-missing-param') }, 'missing query parameter "project"'],
    ['a message in the body', { status: 500, data: { message: 'Plugin unavailable' } }, 'Plugin unavailable'],
    ['only a status', { status: 502, statusText: 'Bad Gateway', data: '' }, 'the datasource answered 502 Bad Gateway'],
    ['an Error', new Error('network down'), 'network down'],
    ['nothing useful', undefined, 'the request failed'],
  ])('%s', (_, err, text) => {
    expect(resourceError(err)).toBe(text);
  });
});
