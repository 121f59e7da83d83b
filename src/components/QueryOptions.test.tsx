import React, { useState } from 'react';
import { fireEvent, render, screen } from '@testing-library/react';

import { goldenDataSource, installTemplateSrv, pick, settle } from '../testing/editors';
import { NixQuery } from '../types';
import { QueryEditor } from './QueryEditor';

installTemplateSrv();

const job = { project: 'bench', jobset: 'main', job: 'bench' };

async function renderEditor(initial: NixQuery) {
  const changes: NixQuery[] = [];
  const onRunQuery = jest.fn();
  function Panel() {
    const [query, setQuery] = useState(initial);
    return (
      <QueryEditor
        query={query}
        datasource={goldenDataSource().datasource}
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
  return { onRunQuery, last: () => changes[changes.length - 1] };
}

describe('QueryEditor options of issue 8', () => {
  it('turns on the regression view of a metric query and sets K, the threshold and the direction', async () => {
    const { last, onRunQuery } = await renderEditor({ refId: 'A', queryType: 'metric', ...job, metric: 'time' });
    expect(screen.queryByTestId('nixci-baseline-builds')).toBeNull();

    fireEvent.click(screen.getByTestId('nixci-regression'));
    expect(last()).toMatchObject({ regression: true });
    expect(onRunQuery).toHaveBeenCalled();

    fireEvent.change(screen.getByTestId('nixci-baseline-builds'), { target: { value: '7' } });
    fireEvent.change(screen.getByTestId('nixci-threshold'), { target: { value: '2.5' } });
    expect(last()).toMatchObject({ regression: true, baselineBuilds: 7, threshold: 2.5 });

    // a threshold of 0 is kept (flag every rise); an empty box means the default
    fireEvent.change(screen.getByTestId('nixci-threshold'), { target: { value: '0' } });
    expect(last().threshold).toBe(0);
    fireEvent.change(screen.getByTestId('nixci-threshold'), { target: { value: '' } });
    expect(last().threshold).toBeUndefined();

    await pick('Better', 'Higher is better');
    expect(last()).toMatchObject({ better: 'higher' });
  });

  it('offers no regression view for builds, evals or jobs queries', async () => {
    await renderEditor({ refId: 'A', queryType: 'builds', ...job });
    expect(screen.queryByTestId('nixci-regression')).toBeNull();
  });

  it('edits the two builds of a compare query, and asks for a metric only without a product', async () => {
    const { last } = await renderEditor({ refId: 'A', queryType: 'compare', ...job });
    fireEvent.change(screen.getByTestId('nixci-base'), { target: { value: '$base' } });
    fireEvent.change(screen.getByTestId('nixci-target'), { target: { value: 'abc1234' } });
    expect(last()).toMatchObject({ base: '$base', target: 'abc1234' });
    expect(screen.getByTestId('nixci-metric')).toBeTruthy();
    expect(screen.getByTestId('nixci-path')).toBeTruthy();
  });

  it('chooses latest or latest finished for jobs and aggregate queries, which have no limit', async () => {
    const { last } = await renderEditor({ refId: 'A', queryType: 'aggregate', ...job });
    expect(screen.queryByTestId('nixci-limit')).toBeNull();
    await pick('Latest', 'Latest finished');
    expect(last()).toMatchObject({ latest: 'latest-finished' });
  });
});
