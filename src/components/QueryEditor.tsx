import React, { ChangeEvent, KeyboardEvent, useMemo } from 'react';
import { QueryEditorProps, SelectableValue } from '@grafana/data';
import { InlineField, InlineFieldRow, Input, Select } from '@grafana/ui';

import { DataSource } from '../datasource';
import { isQueryType, migrateQuery } from '../migrate';
import {
  DEFAULT_QUERY,
  ListResource,
  NixDataSourceOptions,
  NixQuery,
  QUERY_TYPES,
  QueryType,
  TIME_FIELDS,
  TextField,
  requiredFields,
} from '../types';
import { PathPreview } from './PathPreview';
import { CompareRow, LatestRow, RegressionRow, TagsRow } from './QueryOptions';
import { ResourcePicker } from './ResourcePicker';

type Props = QueryEditorProps<DataSource, NixQuery, NixDataSourceOptions>;

/** The text fields each query type reads. */
const FIELDS_BY_TYPE: Record<QueryType, TextField[]> = {
  artifact: ['project', 'jobset', 'job', 'product', 'path'],
  metric: ['project', 'jobset', 'job', 'metric'],
  builds: ['project', 'jobset', 'job'],
  evals: ['project', 'jobset'],
  jobs: ['project', 'jobset'],
  compare: ['project', 'jobset', 'job', 'product', 'path', 'metric'],
  aggregate: ['project', 'jobset', 'job'],
};

type PickedField = Exclude<TextField, 'path' | 'base' | 'target' | 'tags'>;

const PICKERS: Record<
  PickedField,
  { label: string; example: string; tooltip: string; resource: ListResource; autoSelect?: 'only' | 'first' }
> = {
  project: { label: 'Project', example: 'nixpkgs', tooltip: 'Hydra project', resource: 'projects', autoSelect: 'only' },
  jobset: {
    label: 'Jobset',
    example: 'trunk',
    tooltip: 'Jobset of the project',
    resource: 'jobsets',
    autoSelect: 'only',
  },
  job: {
    label: 'Job',
    example: 'metrics',
    tooltip: 'Job of the jobset; for a Nix store, a derivation name or a glob such as mybench-*',
    resource: 'jobs',
    autoSelect: 'only',
  },
  product: {
    label: 'Product',
    example: 'bench.json',
    tooltip: 'Build product: its file name, or its path inside the output (results/bench.json)',
    resource: 'products',
    autoSelect: 'first',
  },
  metric: {
    label: 'Metric',
    example: '*.time',
    tooltip: 'Metric name from nix-support/hydra-metrics, or a glob such as *.time',
    resource: 'metrics',
  },
};

/** What changing a field empties: jobset and job names belong to a project. */
const CLEARS: Partial<Record<PickedField, TextField[]>> = { project: ['jobset', 'job'] };

/**
 * The query editor: every field is picked from what the backend lists (or typed: variables and
 * globs are kept as they are), and an artifact query previews the newest artifact and what its
 * path selects. A picker runs the query when it changes, a text box when it loses focus.
 */
export function QueryEditor({ query: saved, onChange, onRunQuery, datasource }: Props) {
  const query = useMemo(() => migrateQuery(saved), [saved]);
  const known = isQueryType(query.queryType);
  const queryType: QueryType = known ? (query.queryType as QueryType) : 'builds';
  const fields = known ? FIELDS_BY_TYPE[queryType] : FIELDS_BY_TYPE.builds;
  const required = requiredFields(queryType, datasource.source);
  const usesTime = queryType === 'artifact' || queryType === 'metric' || queryType === 'builds';
  const series = queryType === 'artifact' || queryType === 'metric';
  const client = datasource.resources;
  const refId = query.refId;

  const change = (patch: Partial<NixQuery>) => onChange({ ...query, ...patch });
  const changeAndRun = (patch: Partial<NixQuery>) => {
    change(patch);
    onRunQuery();
  };

  const rowProps = { query, change, changeAndRun, onRunQuery };

  const onPick = (field: PickedField) => (value: string | undefined) => {
    if (value === query[field]) {
      return;
    }
    const patch: Partial<NixQuery> = { [field]: value };
    for (const dependent of CLEARS[field] ?? []) {
      patch[dependent] = undefined;
    }
    changeAndRun(patch);
  };

  const onLimit = (event: ChangeEvent<HTMLInputElement>) => {
    const limit = parseInt(event.target.value, 10);
    change({ limit: Number.isFinite(limit) && limit > 0 ? limit : undefined });
  };

  const onPathKey = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      onRunQuery();
    }
  };

  const typeValue: SelectableValue<string> | undefined = known
    ? QUERY_TYPES.find((option) => option.value === queryType)
    : { value: String(query.queryType), label: `unknown: ${String(query.queryType)}` };

  const picker = (field: PickedField) => {
    const ui = PICKERS[field];
    return (
      <ResourcePicker
        key={field}
        label={ui.label}
        testId={`nixci-${field}`}
        inputId={`nixci-${field}-${refId}`}
        resource={ui.resource}
        client={client}
        fields={query}
        value={query[field]}
        onChange={onPick(field)}
        autoSelect={queryType === 'compare' ? undefined : ui.autoSelect}
        placeholder={required.includes(field) ? ui.example : 'optional'}
        tooltip={ui.tooltip}
        width={field === 'product' || field === 'metric' ? 28 : 22}
      />
    );
  };

  return (
    <>
      <InlineFieldRow>
        <InlineField label="Query type" labelWidth={10} htmlFor={`nixci-query-type-${refId}`}>
          {/* eslint-disable-next-line @typescript-eslint/no-deprecated -- Grafana 10.4 has no Combobox */}
          <Select<string>
            inputId={`nixci-query-type-${refId}`}
            data-testid="nixci-query-type"
            aria-label="Query type"
            options={QUERY_TYPES}
            value={typeValue}
            width={22}
            onChange={(option) => changeAndRun({ queryType: option.value as QueryType })}
          />
        </InlineField>
        {usesTime && (
          <InlineField
            label="Time"
            labelWidth={8}
            tooltip="Which build time places a point on the time axis"
            htmlFor={`nixci-time-field-${refId}`}
          >
            {/* eslint-disable-next-line @typescript-eslint/no-deprecated -- Grafana 10.4 has no Combobox */}
            <Select<string>
              inputId={`nixci-time-field-${refId}`}
              data-testid="nixci-time-field"
              aria-label="Time field"
              options={TIME_FIELDS}
              value={query.timeField ?? DEFAULT_QUERY.timeField}
              width={16}
              onChange={(option) => changeAndRun({ timeField: option.value as NixQuery['timeField'] })}
            />
          </InlineField>
        )}
        {queryType !== 'jobs' && queryType !== 'aggregate' && (
          <InlineField
            label="Limit"
            labelWidth={8}
            tooltip="At most this many builds (or evaluations), newest first"
            htmlFor={`nixci-limit-${refId}`}
          >
            <Input
              id={`nixci-limit-${refId}`}
              data-testid="nixci-limit"
              aria-label="Limit"
              type="number"
              min={1}
              value={query.limit ?? ''}
              placeholder={String(DEFAULT_QUERY.limit)}
              width={12}
              onChange={onLimit}
              onBlur={onRunQuery}
            />
          </InlineField>
        )}
      </InlineFieldRow>

      <InlineFieldRow>{fields.filter(isJobField).map(picker)}</InlineFieldRow>

      {datasource.source === 'nixbuild' && usesTime && <TagsRow {...rowProps} />}

      {(queryType === 'jobs' || queryType === 'aggregate') && <LatestRow {...rowProps} />}

      {queryType === 'compare' && <CompareRow {...rowProps} />}

      {(queryType === 'metric' || (queryType === 'compare' && !query.product)) && (
        <InlineFieldRow>{picker('metric')}</InlineFieldRow>
      )}

      {(queryType === 'artifact' || queryType === 'compare') && (
        <>
          <InlineFieldRow>
            {picker('product')}
            <InlineField
              label="Path"
              labelWidth={8}
              grow
              htmlFor={`nixci-path-${refId}`}
              tooltip="gjson path into the product, e.g. results.throughput; benchmarks.#.mean gives one series per element"
            >
              <Input
                id={`nixci-path-${refId}`}
                data-testid="nixci-path"
                aria-label="Path"
                value={query.path ?? ''}
                placeholder="results.throughput"
                onChange={(event: ChangeEvent<HTMLInputElement>) => change({ path: event.target.value })}
                onBlur={onRunQuery}
                onKeyDown={onPathKey}
              />
            </InlineField>
          </InlineFieldRow>
          <PathPreview client={client} fields={query} onPickPath={(path) => changeAndRun({ path })} />
        </>
      )}

      {series && <RegressionRow {...rowProps} />}
    </>
  );
}

function isJobField(field: TextField): field is 'project' | 'jobset' | 'job' {
  return field === 'project' || field === 'jobset' || field === 'job';
}
