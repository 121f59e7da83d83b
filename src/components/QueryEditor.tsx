import React, { ChangeEvent } from 'react';
import { QueryEditorProps } from '@grafana/data';
import { InlineField, InlineFieldRow, Input, Select } from '@grafana/ui';

import { DataSource } from '../datasource';
import {
  DEFAULT_QUERY,
  NixDataSourceOptions,
  NixQuery,
  QUERY_TYPES,
  QueryType,
  TIME_FIELDS,
  TextField,
  requiredFields,
} from '../types';

type Props = QueryEditorProps<DataSource, NixQuery, NixDataSourceOptions>;

/** The text fields each query type reads. */
const FIELDS_BY_TYPE: Record<QueryType, TextField[]> = {
  artifact: ['project', 'jobset', 'job', 'product', 'path'],
  metric: ['project', 'jobset', 'job', 'metric'],
  builds: ['project', 'jobset', 'job'],
  evals: ['project', 'jobset'],
  jobs: ['project', 'jobset'],
};

const FIELD_UI: Record<TextField, { label: string; example: string; tooltip: string }> = {
  project: { label: 'Project', example: 'nixpkgs', tooltip: 'Hydra project' },
  jobset: { label: 'Jobset', example: 'trunk', tooltip: 'Hydra jobset' },
  job: { label: 'Job', example: 'metrics', tooltip: 'Hydra job; for a Nix store, a derivation name or glob' },
  product: { label: 'Product', example: 'bench.json', tooltip: 'Build product file name or path inside the output' },
  path: { label: 'Path', example: 'results.throughput', tooltip: 'gjson path into the artifact' },
  metric: { label: 'Metric', example: '*.time', tooltip: 'Metric name from nix-support/hydra-metrics, or a glob' },
};

/** Simple query editor: the query type and the plain fields of the query model. */
export function QueryEditor({ query, onChange, onRunQuery, datasource }: Props) {
  const queryType = query.queryType ?? DEFAULT_QUERY.queryType!;
  const required = requiredFields(queryType, datasource.source);
  const usesTime = queryType === 'artifact' || queryType === 'metric' || queryType === 'builds';

  const onText = (field: TextField) => (event: ChangeEvent<HTMLInputElement>) =>
    onChange({ ...query, [field]: event.target.value });

  const onLimit = (event: ChangeEvent<HTMLInputElement>) => {
    const limit = parseInt(event.target.value, 10);
    onChange({ ...query, limit: Number.isFinite(limit) && limit > 0 ? limit : undefined });
  };

  // A select takes effect at once; a text box when it loses focus.
  const changeAndRun = (patch: Partial<NixQuery>) => {
    onChange({ ...query, ...patch });
    onRunQuery();
  };

  return (
    <>
      <InlineFieldRow>
        <InlineField label="Query type" labelWidth={14}>
          {/* eslint-disable-next-line @typescript-eslint/no-deprecated -- Grafana 10.4 has no Combobox */}
          <Select
            inputId={`query-type-${query.refId}`}
            options={QUERY_TYPES}
            value={queryType}
            width={24}
            onChange={(option) => changeAndRun({ queryType: option.value })}
          />
        </InlineField>
        {usesTime && (
          <InlineField label="Time" labelWidth={8} tooltip="Which build time places a point on the time axis">
            {/* eslint-disable-next-line @typescript-eslint/no-deprecated -- Grafana 10.4 has no Combobox */}
            <Select
              inputId={`query-time-${query.refId}`}
              options={TIME_FIELDS}
              value={query.timeField ?? DEFAULT_QUERY.timeField}
              width={16}
              onChange={(option) => changeAndRun({ timeField: option.value })}
            />
          </InlineField>
        )}
        {queryType !== 'jobs' && (
          <InlineField label="Limit" labelWidth={8} tooltip="At most this many builds, newest first">
            <Input
              id={`query-limit-${query.refId}`}
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
      <InlineFieldRow>
        {FIELDS_BY_TYPE[queryType].map((field) => (
          <InlineField key={field} label={FIELD_UI[field].label} labelWidth={10} tooltip={FIELD_UI[field].tooltip}>
            <Input
              id={`query-${field}-${query.refId}`}
              value={query[field] ?? ''}
              placeholder={required.includes(field) ? FIELD_UI[field].example : 'optional'}
              width={field === 'path' || field === 'product' ? 28 : 20}
              onChange={onText(field)}
              onBlur={onRunQuery}
            />
          </InlineField>
        ))}
      </InlineFieldRow>
    </>
  );
}
