import React, { useState } from 'react';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';

import { DataSource } from '../datasource';
import { Sample } from '../resources';
import { golden } from '../testing/backend';
import {
  goldenDataSource,
  installTemplateSrv,
  openSelect,
  optionLabels,
  pick,
  resourceCalls,
  settle,
  typeInSelect,
} from '../testing/editors';
import { NixQuery } from '../types';
import { QueryEditor } from './QueryEditor';

installTemplateSrv();

const job = { project: 'bench', jobset: 'main', job: 'bench' };

/** Renders the editor the way Grafana does: every change comes back as the new query. */
async function renderEditor(initial: NixQuery, datasource: DataSource = goldenDataSource().datasource) {
  const changes: NixQuery[] = [];
  const onRunQuery = jest.fn();
  function Panel() {
    const [query, setQuery] = useState(initial);
    return (
      <QueryEditor
        query={query}
        datasource={datasource}
        onChange={(next) => {
          changes.push(next);
          setQuery(next);
        }}
        onRunQuery={onRunQuery}
      />
    );
  }
  render(<Panel />);
  await settle();
  return { changes, onRunQuery, last: () => changes[changes.length - 1] };
}

/** What the preview shows under "Values the path selects", as "series → value" lines. */
async function previewValues(): Promise<string[]> {
  const list = await screen.findByTestId('nixci-preview-values', {}, { timeout: 2000 });
  return within(list)
    .getAllByRole('listitem')
    .map((item) => item.textContent ?? '');
}

describe('QueryEditor pickers', () => {
  it('builds an artifact query by picking: project, jobset, job, then the only product and a suggested path', async () => {
    const { datasource, getResource } = goldenDataSource();
    const { last, onRunQuery } = await renderEditor(
      { refId: 'A', queryType: 'artifact', limit: 100, timeField: 'timestamp' },
      datasource
    );

    // two projects: nothing is chosen for the user; the list also offers the dashboard's variables
    const projects = await openSelect('Project');
    expect(optionLabels(projects)).toEqual(['bench', 'infra', '$project', '$jobset', '$job']);
    expect(projects[0]).toHaveTextContent('Benchmarks — Performance of the tool');
    await pick('Project', 'bench');
    expect(last()).toMatchObject({ project: 'bench' });
    expect(onRunQuery).toHaveBeenCalled();

    await pick('Jobset', 'main');
    await pick('Job', 'bench');
    expect(last()).toMatchObject(job);

    // products.json lists one product: it is picked, and the preview offers the numbers' paths
    await waitFor(() => expect(last()).toMatchObject({ ...job, product: 'bench.json' }));
    const suggestions = await screen.findByTestId('nixci-path-suggestions', {}, { timeout: 2000 });
    const paths = within(suggestions)
      .getAllByRole('button')
      .map((b) => b.textContent);
    expect(paths).toEqual(['benchmarks.#.mean', 'results.latency_ms', 'results.throughput']);

    onRunQuery.mockClear();
    fireEvent.click(within(suggestions).getByRole('button', { name: 'results.throughput' }));
    expect(last()).toEqual({
      refId: 'A',
      queryType: 'artifact',
      limit: 100,
      timeField: 'timestamp',
      ...job,
      product: 'bench.json',
      path: 'results.throughput',
    });
    expect(onRunQuery).toHaveBeenCalledTimes(1);
    expect(await previewValues()).toEqual(['results.throughput → 1022.54']);

    // each list was asked for once, with the names picked before it
    expect(resourceCalls(getResource)).toEqual([
      ['projects', {}],
      ['jobsets', { project: 'bench' }],
      ['jobs', { project: 'bench', jobset: 'main' }],
      ['products', job],
      ['sample', { ...job, product: 'bench.json' }],
      ['sample', { ...job, product: 'bench.json', path: 'results.throughput' }],
    ]);
  });

  it('picks a project, jobset or job by itself only when the list has just one', async () => {
    const { datasource, getResource } = goldenDataSource();
    getResource.mockImplementation(async (path: string) =>
      path === 'projects' ? [{ value: 'bench' }] : path === 'jobsets' ? golden('jobsets') : []
    );
    const { last } = await renderEditor({ refId: 'A', queryType: 'builds' }, datasource);

    await waitFor(() => expect(last()).toEqual({ refId: 'A', queryType: 'builds', project: 'bench' }));
    // jobsets.json has two: the user chooses
    await waitFor(() => expect(resourceCalls(getResource)).toContainEqual(['jobsets', { project: 'bench' }]));
    expect(last().jobset).toBeUndefined();
  });

  it('keeps typed values: template variables and globs', async () => {
    const { changes, last } = await renderEditor({ refId: 'A', queryType: 'builds', project: 'bench', jobset: 'main' });

    await typeInSelect('Job', 'mybench-*');
    expect(last()).toMatchObject({ job: 'mybench-*' });

    await pick('Job', '$job');
    expect(last()).toMatchObject({ job: '$job' });
    expect(changes.every((query) => query.project === 'bench' && query.jobset === 'main')).toBe(true);
  });

  it('shows a value that the list does not have, such as a variable', async () => {
    await renderEditor({ refId: 'A', queryType: 'builds', ...job, job: '$job' });
    expect(screen.getByTestId('nixci-job')).toHaveTextContent('$job');
    expect(screen.getByTestId('nixci-project')).toHaveTextContent('bench');
  });

  it('asks for lists with the variables replaced', async () => {
    const { datasource, getResource } = goldenDataSource();
    await renderEditor(
      { refId: 'A', queryType: 'metric', project: '$project', jobset: '$jobset', job: '$job' },
      datasource
    );

    await openSelect('Metric');
    expect(resourceCalls(getResource)).toEqual([['metrics', job]]);
  });

  it('empties jobset and job when the project changes, and keeps the job when the jobset does', async () => {
    const { last } = await renderEditor({ refId: 'A', queryType: 'builds', ...job });

    await pick('Jobset', 'nightly');
    expect(last()).toMatchObject({ project: 'bench', jobset: 'nightly', job: 'bench' });

    await pick('Project', 'infra');
    expect(last()).toMatchObject({ project: 'infra', jobset: undefined, job: undefined });
  });

  it('says why a list cannot be had: the backend error text', async () => {
    const { datasource, getResource } = goldenDataSource();
    await renderEditor({ refId: 'A', queryType: 'builds', project: 'bench', jobset: 'nope' }, datasource);

    const { error } = golden<{ error: string }>('error-no-jobset');
    expect(await screen.findByText(error)).toBeInTheDocument();
    expect(resourceCalls(getResource)).toEqual([['jobs', { project: 'bench', jobset: 'nope' }]]);
  });

  it('does not ask again for a list it has, from any editor of the datasource', async () => {
    const { datasource, getResource } = goldenDataSource();
    const query: NixQuery = { refId: 'A', queryType: 'metric', ...job };
    await renderEditor(query, datasource);
    await renderEditor({ ...query, refId: 'B' }, datasource);

    for (const input of screen.getAllByLabelText('Metric')) {
      fireEvent.keyDown(input, { key: 'ArrowDown' });
      await settle();
    }
    expect(screen.getAllByRole('option').length).toBeGreaterThan(0);
    expect(resourceCalls(getResource)).toEqual([['metrics', job]]);
  });

  it('edits a metric query: the metric is picked from the job metrics or typed as a glob', async () => {
    const { last, onRunQuery } = await renderEditor({ refId: 'A', queryType: 'metric', ...job });
    expect(screen.queryByLabelText('Path')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Product')).not.toBeInTheDocument();

    const metrics = await openSelect('Metric');
    expect(optionLabels(metrics).slice(0, 2)).toEqual(['maxresident', 'time']);
    await pick('Metric', 'time');
    expect(last()).toMatchObject({ metric: 'time' });
    expect(onRunQuery).toHaveBeenCalledTimes(1);

    await typeInSelect('Metric', '*.time');
    expect(last()).toMatchObject({ metric: '*.time' });
  });

  it("starts an annotation as Grafana's annotation editor shows it: evaluations of a jobset", async () => {
    const { datasource } = goldenDataSource();
    // Grafana: {...datasource.annotations.getDefaultQuery(), ...(annotation.target ?? { refId: 'Anno' })}
    const { last } = await renderEditor({ ...datasource.annotations?.getDefaultQuery?.(), refId: 'Anno' }, datasource);

    expect(screen.getByTestId('nixci-query-type')).toHaveTextContent('Evaluations');
    await pick('Project', 'bench');
    await pick('Jobset', 'main');
    expect(last()).toEqual({ refId: 'Anno', queryType: 'evals', project: 'bench', jobset: 'main' });
    expect(datasource.filterQuery(last())).toBe(true);
  });

  it('shows project and jobset only for evaluations, and no time field', async () => {
    await renderEditor({ refId: 'A', queryType: 'evals' });
    expect(screen.getByLabelText('Project')).toBeInTheDocument();
    expect(screen.getByLabelText('Jobset')).toBeInTheDocument();
    expect(screen.queryByLabelText('Job')).not.toBeInTheDocument();
    expect(screen.queryByLabelText('Time field')).not.toBeInTheDocument();
  });
});

describe('QueryEditor fields', () => {
  it('edits the limit as a number and runs the query when the box loses focus', async () => {
    const { last, onRunQuery } = await renderEditor({ refId: 'A', queryType: 'builds' });
    const limit = screen.getByLabelText('Limit');

    fireEvent.change(limit, { target: { value: '25' } });
    expect(last()).toEqual({ refId: 'A', queryType: 'builds', limit: 25 });
    expect(onRunQuery).not.toHaveBeenCalled();
    fireEvent.blur(limit);
    expect(onRunQuery).toHaveBeenCalledTimes(1);

    fireEvent.change(limit, { target: { value: '' } });
    expect(last().limit).toBeUndefined();
  });

  it('changes the query type and the time field and runs the query', async () => {
    const { last, onRunQuery } = await renderEditor({ refId: 'A', queryType: 'builds', ...job });

    await pick('Query type', 'Metric');
    expect(last()).toMatchObject({ queryType: 'metric' });
    await pick('Time field', 'Finished');
    expect(last()).toMatchObject({ queryType: 'metric', timeField: 'stoptime' });
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it('runs the path when it loses focus or on Enter, not while typing', async () => {
    const { last, onRunQuery } = await renderEditor({
      refId: 'A',
      queryType: 'artifact',
      ...job,
      product: 'bench.json',
    });
    const path = screen.getByLabelText('Path');

    fireEvent.change(path, { target: { value: 'results.throughput' } });
    expect(last()).toMatchObject({ path: 'results.throughput' });
    expect(onRunQuery).not.toHaveBeenCalled();
    fireEvent.blur(path);
    fireEvent.keyDown(path, { key: 'Enter' });
    expect(onRunQuery).toHaveBeenCalledTimes(2);
  });

  it('shows a query saved by an older version as migrated, and saves it so on the first change', async () => {
    const saved = { refId: 'A', ...job, product: 'bench.json', path: 'x', limit: '200' } as unknown as NixQuery;
    const { last } = await renderEditor(saved);

    expect(screen.getByTestId('nixci-query-type')).toHaveTextContent('Artifact field');
    expect(screen.getByLabelText('Limit')).toHaveValue(200);
    fireEvent.change(screen.getByLabelText('Path'), { target: { value: 'y' } });
    expect(last()).toEqual({ ...saved, queryType: 'artifact', limit: 200, path: 'y' });
  });

  it('has stable test ids for a browser test', async () => {
    await renderEditor({ refId: 'A', queryType: 'artifact' });
    for (const id of ['query-type', 'project', 'jobset', 'job', 'product', 'path', 'limit', 'time-field', 'preview']) {
      expect(screen.getByTestId(`nixci-${id}`)).toBeInTheDocument();
    }
  });
});

describe('QueryEditor preview', () => {
  const artifact = (path: string, product = 'bench.json'): NixQuery => ({
    refId: 'A',
    queryType: 'artifact',
    ...job,
    product,
    path,
  });

  it("shows the value the path selects from the newest artifact, and the artifact's JSON", async () => {
    await renderEditor(artifact('results.throughput'));
    const sample = golden<Sample>('sample');

    expect(await previewValues()).toEqual(
      sample.values.map((v) => `${v.series} → ${v.value}`) // results.throughput → 1022.54
    );
    expect(screen.getByTestId('nixci-preview')).toHaveTextContent('Newest bench.json is from build 6.');
    expect(screen.getByRole('link', { name: '6' })).toHaveAttribute('href', 'http://hydra.test/build/6');
    expect(JSON.parse(screen.getByTestId('nixci-preview-json').textContent ?? '')).toEqual(sample.json);
    expect(screen.queryByTestId('nixci-path-suggestions')).not.toBeInTheDocument();
  });

  it('shows one value per series for a path that matches several', async () => {
    await renderEditor(artifact('benchmarks.#.mean'));
    expect(await previewValues()).toEqual(['benchmarks.0.mean → 13.17', 'benchmarks.1.mean → 24.94']);
  });

  it('says when the path matches nothing, and offers the paths that do', async () => {
    const { last } = await renderEditor(artifact('results.nothing'));

    const nomatch = await screen.findByTestId('nixci-preview-nomatch', {}, { timeout: 2000 });
    expect(nomatch).toHaveTextContent('The path results.nothing matches nothing in this bench.json.');
    expect(screen.queryByTestId('nixci-preview-values')).not.toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: 'results.latency_ms' }));
    expect(last()).toMatchObject({ path: 'results.latency_ms' });
  });

  it("shows the backend's error when the job has no such product", async () => {
    await renderEditor(artifact('', 'missing.json'));
    const error = await screen.findByTestId('nixci-preview-error', {}, { timeout: 2000 });
    expect(error).toHaveTextContent(golden<{ error: string }>('sample-noproduct').error);
  });

  it('waits until typing pauses, then asks for the last path only', async () => {
    const { datasource, getResource } = goldenDataSource();
    await renderEditor(artifact(''), datasource);
    const path = screen.getByLabelText('Path');
    for (const typed of ['r', 're', 'results.', 'results.throughput']) {
      fireEvent.change(path, { target: { value: typed } });
    }

    expect(await previewValues()).toEqual(['results.throughput → 1022.54']);
    expect(resourceCalls(getResource).filter(([name]) => name === 'sample')).toEqual([
      ['sample', { ...job, product: 'bench.json', path: 'results.throughput' }],
    ]);
  });

  it('previews with the variables replaced', async () => {
    const { datasource, getResource } = goldenDataSource();
    await renderEditor({ ...artifact('results.throughput'), project: '$project', job: '$job' }, datasource);
    expect(await previewValues()).toEqual(['results.throughput → 1022.54']);
    expect(resourceCalls(getResource)).toEqual([
      ['sample', { ...job, product: 'bench.json', path: 'results.throughput' }],
    ]);
  });

  it('asks the user for a job and a product before it can preview', async () => {
    const { datasource, getResource } = goldenDataSource();
    getResource.mockImplementation(async () => [{ value: 'a' }, { value: 'b' }]);
    await renderEditor({ refId: 'A', queryType: 'artifact', project: 'bench', jobset: 'main' }, datasource);
    expect(screen.getByTestId('nixci-preview')).toHaveTextContent('Pick a job and a product');
  });
});
