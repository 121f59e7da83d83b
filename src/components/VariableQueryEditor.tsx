import React, { useMemo } from 'react';
import { DataSourceApi, QueryEditorProps } from '@grafana/data';
import { InlineField, InlineFieldRow, Select } from '@grafana/ui';

import type { DataSource } from '../datasource';
import { JobField, RESOURCE_PARAMS } from '../resources';
import { ListResource, NixDataSourceOptions, NixQuery, NixVariableQuery, VARIABLE_QUERY_TYPES } from '../types';
import { toVariableQuery } from '../variables';
import { ResourcePicker } from './ResourcePicker';

// Grafana types a variable editor's datasource as any datasource of the query type; it is this one.
type Props = QueryEditorProps<
  DataSourceApi<NixQuery, NixDataSourceOptions>,
  NixQuery,
  NixDataSourceOptions,
  NixVariableQuery
>;

const PARAM_UI: Record<JobField, { label: string; resource: ListResource; example: string }> = {
  project: { label: 'Project', resource: 'projects', example: 'nixpkgs or $project' },
  jobset: { label: 'Jobset', resource: 'jobsets', example: 'trunk or $jobset' },
  job: { label: 'Job', resource: 'jobs', example: 'metrics or $job' },
};

/**
 * Editor of a query variable: which list (projects, jobsets of a project, jobs of a jobset,
 * metrics or products of a job), and the names it depends on, picked or typed; those may be
 * other variables (`$project`), which chains the variables.
 */
export function VariableQueryEditor({ query: saved, onChange, datasource }: Props) {
  // a new query variable's query is the empty string, not an object
  const query = useMemo(() => toVariableQuery(saved as NixVariableQuery | string), [saved]);
  const type = query.type ?? 'projects';
  const client = (datasource as DataSource).resources;

  return (
    <InlineFieldRow>
      <InlineField
        label="List"
        labelWidth={10}
        htmlFor="nixci-variable-type-input"
        tooltip="What the variable's values are"
      >
        {/* eslint-disable-next-line @typescript-eslint/no-deprecated -- Grafana 10.4 has no Combobox */}
        <Select<ListResource>
          inputId="nixci-variable-type-input"
          data-testid="nixci-variable-type"
          aria-label="List"
          options={VARIABLE_QUERY_TYPES}
          value={type}
          width={20}
          onChange={(option) => onChange({ ...query, type: option.value ?? 'projects' })}
        />
      </InlineField>
      {RESOURCE_PARAMS[type].map((field) => (
        <ResourcePicker
          key={field}
          label={PARAM_UI[field].label}
          testId={`nixci-variable-${field}`}
          inputId={`nixci-variable-${field}-input`}
          resource={PARAM_UI[field].resource}
          client={client}
          fields={query}
          value={query[field]}
          onChange={(value) => onChange({ ...query, [field]: value })}
          placeholder={PARAM_UI[field].example}
        />
      ))}
    </InlineFieldRow>
  );
}
