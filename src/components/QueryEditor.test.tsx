import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';

import { DataSource } from '../datasource';
import { NixQuery } from '../types';
import { QueryEditor } from './QueryEditor';

const hydra = { source: 'hydra' } as DataSource;

function renderEditor(query: NixQuery) {
  const onChange = jest.fn();
  const onRunQuery = jest.fn();
  render(<QueryEditor query={query} datasource={hydra} onChange={onChange} onRunQuery={onRunQuery} />);
  return { onChange, onRunQuery };
}

describe('QueryEditor', () => {
  it('shows the fields of a metric query and runs it when a box loses focus', () => {
    const query: NixQuery = { refId: 'A', queryType: 'metric', project: 'nixpkgs', jobset: 'trunk', job: 'metrics' };
    const { onChange, onRunQuery } = renderEditor(query);

    expect(screen.queryByPlaceholderText('bench.json')).not.toBeInTheDocument();
    const metric = screen.getByPlaceholderText('*.time');

    fireEvent.change(metric, { target: { value: 'nixos.*.time' } });
    expect(onChange).toHaveBeenCalledWith({ ...query, metric: 'nixos.*.time' });
    expect(onRunQuery).not.toHaveBeenCalled();

    fireEvent.blur(metric);
    expect(onRunQuery).toHaveBeenCalledTimes(1);
  });

  it('edits the limit as a number', () => {
    const { onChange } = renderEditor({ refId: 'A', queryType: 'builds' });
    fireEvent.change(screen.getByPlaceholderText('100'), { target: { value: '25' } });
    expect(onChange).toHaveBeenCalledWith({ refId: 'A', queryType: 'builds', limit: 25 });
  });

  it('offers artifact fields for a query without a type', () => {
    renderEditor({ refId: 'A' });
    expect(screen.getByPlaceholderText('bench.json')).toBeInTheDocument();
    expect(screen.getByPlaceholderText('results.throughput')).toBeInTheDocument();
  });
});
