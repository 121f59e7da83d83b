import { DataQueryRequest } from '@grafana/data';
import { lastValueFrom } from 'rxjs';

import { golden } from './testing/backend';
import { goldenDataSource, installTemplateSrv, resourceCalls } from './testing/editors';
import { NixVariableQuery } from './types';
import { NixVariableSupport, toVariableQuery } from './variables';

installTemplateSrv({ project: 'bench', jobset: 'main', job: 'bench', none: '' });

const variable = (fields: Partial<NixVariableQuery>): NixVariableQuery => ({ refId: 'V', ...fields });
const job = { project: 'bench', jobset: 'main', job: 'bench' };

describe('metricFindQuery', () => {
  it.each<[string, NixVariableQuery, string, Record<string, string>]>([
    ['projects', variable({ type: 'projects' }), 'projects', {}],
    ['jobsets of a project', variable({ type: 'jobsets', project: 'bench' }), 'jobsets', { project: 'bench' }],
    [
      'jobs of a jobset',
      variable({ type: 'jobs', project: 'bench', jobset: 'main' }),
      'jobs',
      job && { project: 'bench', jobset: 'main' },
    ],
    ['metrics of a job', variable({ type: 'metrics', ...job }), 'metrics', job],
    ['products of a job', variable({ type: 'products', ...job }), 'products', job],
    ['builds of a job', variable({ type: 'builds', ...job }), 'builds', job],
  ])('lists the %s as {text, value}', async (_, query, file, params) => {
    const { datasource, getResource } = goldenDataSource();
    const items = golden<Array<{ value: string; label?: string }>>(file);

    expect(await datasource.metricFindQuery(query)).toEqual(
      items.map((item) => ({ text: item.label ?? item.value, value: item.value }))
    );
    expect(resourceCalls(getResource)).toEqual([[file, params]]);
  });

  it('shows a project by its display name and uses its name as the value', async () => {
    const { datasource } = goldenDataSource();
    expect(await datasource.metricFindQuery(variable({ type: 'projects' }))).toEqual([
      { text: 'Benchmarks', value: 'bench' },
      { text: 'Infrastructure', value: 'infra' },
    ]);
  });

  it('replaces other variables, scoped ones first', async () => {
    const { datasource, getResource } = goldenDataSource();
    await datasource.metricFindQuery(variable({ type: 'jobs', project: '$project', jobset: '$jobset' }));
    await datasource.metricFindQuery(variable({ type: 'jobsets', project: '$p' }), {
      scopedVars: { p: { text: 'bench', value: 'bench' } },
    });
    expect(resourceCalls(getResource)).toEqual([
      ['jobs', { project: 'bench', jobset: 'main' }],
      ['jobsets', { project: 'bench' }],
    ]);
  });

  it('has no values while a name it needs is empty, and asks nothing', async () => {
    const { datasource, getResource } = goldenDataSource();
    expect(await datasource.metricFindQuery(variable({ type: 'jobs', project: 'bench', jobset: '$none' }))).toEqual([]);
    expect(getResource).not.toHaveBeenCalled();
  });

  it("fails with the backend's error text", async () => {
    const { datasource } = goldenDataSource();
    await expect(
      datasource.metricFindQuery(variable({ type: 'jobs', project: 'bench', jobset: 'nope' }))
    ).rejects.toThrow(`jobs: ${golden<{ error: string }>('error-no-jobset').error}`);
  });

  it("takes a new variable's empty query for the projects, and a list's name as that list", async () => {
    const { datasource, getResource } = goldenDataSource();
    await datasource.metricFindQuery('');
    await datasource.metricFindQuery('Projects');
    expect(resourceCalls(getResource)).toEqual([['projects', {}]]);
    expect(toVariableQuery('jobsets')).toEqual({ refId: 'NixVariableQuery', type: 'jobsets' });
    expect(toVariableQuery(null)).toEqual({ refId: 'NixVariableQuery', type: 'projects' });
    expect(toVariableQuery({ refId: '', type: 'bogus' as never, project: 'x' })).toEqual({
      refId: 'NixVariableQuery',
      type: 'projects',
      project: 'x',
    });
  });
});

describe('variable support', () => {
  it('is the custom kind, with its own editor', () => {
    const { datasource } = goldenDataSource();
    expect(datasource.variables).toBeInstanceOf(NixVariableSupport);
    expect(datasource.variables?.getType()).toBe('custom');
  });

  it("answers Grafana's variable request with the values", async () => {
    const { datasource } = goldenDataSource();
    const request = {
      targets: [variable({ type: 'jobsets', project: '$p' })],
      scopedVars: { p: { text: 'bench', value: 'bench' } },
    } as unknown as DataQueryRequest<NixVariableQuery>;
    const response = await lastValueFrom((datasource.variables as NixVariableSupport).query(request));
    expect(response).toEqual({
      data: [
        { text: 'main', value: 'main' },
        { text: 'nightly', value: 'nightly' },
      ],
    });
  });
});
