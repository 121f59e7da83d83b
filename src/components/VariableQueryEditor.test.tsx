import React, { useState } from 'react';
import { render, screen } from '@testing-library/react';

import { DataSource } from '../datasource';
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
import { NixVariableQuery } from '../types';
import { VariableQueryEditor } from './VariableQueryEditor';

installTemplateSrv({ project: 'bench', jobset: 'main' });

async function renderEditor(
  initial: NixVariableQuery | string,
  datasource: DataSource = goldenDataSource().datasource
) {
  const changes: NixVariableQuery[] = [];
  function Variable() {
    const [query, setQuery] = useState(initial as NixVariableQuery);
    return (
      <VariableQueryEditor
        query={query}
        datasource={datasource}
        onChange={(next) => {
          changes.push(next);
          setQuery(next);
        }}
        onRunQuery={jest.fn()}
      />
    );
  }
  render(<Variable />);
  await settle();
  return { changes, last: () => changes[changes.length - 1] };
}

describe('VariableQueryEditor', () => {
  it("shows a new variable's empty query as the projects, with nothing more to fill in", async () => {
    const { changes } = await renderEditor('');
    expect(screen.getByTestId('nixci-variable-type')).toHaveTextContent('Projects');
    expect(screen.queryByLabelText('Project')).not.toBeInTheDocument();
    expect(changes).toEqual([]);
  });

  it('asks for the fields the chosen list needs, and picks them from the resources', async () => {
    const { datasource, getResource } = goldenDataSource();
    const { last } = await renderEditor({ refId: 'V', type: 'projects' }, datasource);

    await pick('List', 'Jobs');
    expect(last()).toEqual({ refId: 'V', type: 'jobs' });
    expect(screen.getByLabelText('Project')).toBeInTheDocument();
    expect(screen.getByLabelText('Jobset')).toBeInTheDocument();
    expect(screen.queryByLabelText('Job')).not.toBeInTheDocument();

    await pick('Project', 'bench');
    await pick('Jobset', 'nightly');
    expect(last()).toEqual({ refId: 'V', type: 'jobs', project: 'bench', jobset: 'nightly' });
    expect(resourceCalls(getResource)).toEqual([
      ['projects', {}],
      ['jobsets', { project: 'bench' }],
    ]);
  });

  it('chains variables: another variable can be picked or typed as a field', async () => {
    const { datasource, getResource } = goldenDataSource();
    const { last } = await renderEditor({ refId: 'V', type: 'metrics' }, datasource);

    const projects = await openSelect('Project');
    expect(optionLabels(projects)).toEqual(['bench', 'infra', '$project', '$jobset']);
    await pick('Project', '$project');
    await typeInSelect('Jobset', '$jobset');
    await typeInSelect('Job', 'bench');
    expect(last()).toEqual({ refId: 'V', type: 'metrics', project: '$project', jobset: '$jobset', job: 'bench' });
    // the jobsets of $project were asked for with its value
    expect(resourceCalls(getResource)).toContainEqual(['jobsets', { project: 'bench' }]);
  });

  it('does not pick anything by itself', async () => {
    const { datasource, getResource } = goldenDataSource();
    getResource.mockImplementation(async () => [{ value: 'only' }]);
    const { changes } = await renderEditor({ refId: 'V', type: 'jobsets' }, datasource);
    await settle();
    expect(getResource).toHaveBeenCalledWith('projects', {}, expect.anything());
    expect(changes).toEqual([]);
  });
});
