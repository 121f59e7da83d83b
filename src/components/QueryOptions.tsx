import React, { ChangeEvent } from 'react';
import { InlineField, InlineFieldRow, InlineSwitch, Input, Select } from '@grafana/ui';

import { BETTER, Better, LATEST, Latest, NixQuery } from '../types';

interface RowProps {
  query: NixQuery;
  change: (patch: Partial<NixQuery>) => void;
  changeAndRun: (patch: Partial<NixQuery>) => void;
  onRunQuery: () => void;
}

/** A positive whole number typed in a box, or undefined for the backend's default. */
function positive(event: ChangeEvent<HTMLInputElement>): number | undefined {
  const value = parseInt(event.target.value, 10);
  return Number.isFinite(value) && value > 0 ? value : undefined;
}

/**
 * The regression view of an artifact or metric query: per series the baseline (median of the
 * previous K builds), each build's change against it, and a flag past the threshold.
 */
export function RegressionRow({ query, change, changeAndRun, onRunQuery }: RowProps) {
  const id = `nixci-regression-${query.refId}`;
  const onThreshold = (event: ChangeEvent<HTMLInputElement>) => {
    const value = parseFloat(event.target.value);
    change({ threshold: Number.isFinite(value) && value >= 0 ? value : undefined });
  };
  return (
    <InlineFieldRow>
      <InlineField
        label="Regression"
        labelWidth={12}
        tooltip="Adds per series the baseline (median of earlier builds), the change against it and a regression flag, for alerts"
        htmlFor={id}
      >
        <InlineSwitch
          id={id}
          data-testid="nixci-regression"
          value={Boolean(query.regression)}
          onChange={(event) => changeAndRun({ regression: event.currentTarget.checked })}
        />
      </InlineField>
      {query.regression && (
        <>
          <InlineField
            label="Baseline builds"
            labelWidth={16}
            tooltip="The baseline is the median of this many earlier builds"
          >
            <Input
              data-testid="nixci-baseline-builds"
              aria-label="Baseline builds"
              type="number"
              min={1}
              width={10}
              value={query.baselineBuilds ?? ''}
              placeholder="10"
              onChange={(event: ChangeEvent<HTMLInputElement>) => change({ baselineBuilds: positive(event) })}
              onBlur={onRunQuery}
            />
          </InlineField>
          <InlineField
            label="Threshold %"
            labelWidth={14}
            tooltip="A change past this many percent in the bad direction is a regression"
          >
            <Input
              data-testid="nixci-threshold"
              aria-label="Threshold"
              type="number"
              min={0}
              step="any"
              width={10}
              value={query.threshold ?? ''}
              placeholder="5"
              onChange={onThreshold}
              onBlur={onRunQuery}
            />
          </InlineField>
          <InlineField label="Better" labelWidth={8}>
            {/* eslint-disable-next-line @typescript-eslint/no-deprecated -- Grafana 10.4 has no Combobox */}
            <Select<Better>
              aria-label="Better"
              data-testid="nixci-better"
              options={BETTER}
              value={query.better ?? 'lower'}
              width={20}
              onChange={(option) => changeAndRun({ better: option.value })}
            />
          </InlineField>
        </>
      )}
    </InlineFieldRow>
  );
}

/** The two builds of a compare query: ids or commit revisions (variables allowed). */
export function CompareRow({ query, change, onRunQuery }: RowProps) {
  const box = (key: 'base' | 'target', label: string, placeholder: string, tooltip: string) => (
    <InlineField label={label} labelWidth={10} tooltip={tooltip}>
      <Input
        data-testid={`nixci-${key}`}
        aria-label={label}
        width={24}
        value={query[key] ?? ''}
        placeholder={placeholder}
        onChange={(event: ChangeEvent<HTMLInputElement>) => change({ [key]: event.target.value })}
        onBlur={onRunQuery}
      />
    </InlineField>
  );
  return (
    <InlineFieldRow>
      {box('base', 'Base', 'build id or commit', 'The build (id) or commit (at least 7 hex digits) to compare from')}
      {box(
        'target',
        'Target',
        'newest succeeded',
        'The build or commit to compare with; empty: the newest succeeded build'
      )}
    </InlineFieldRow>
  );
}

/** Which build of each job is its latest (jobs and aggregate queries). */
export function LatestRow({ query, changeAndRun }: RowProps) {
  return (
    <InlineFieldRow>
      <InlineField
        label="Latest"
        labelWidth={10}
        tooltip="Latest: the newest build in any state; latest finished: the newest that finished"
      >
        {/* eslint-disable-next-line @typescript-eslint/no-deprecated -- Grafana 10.4 has no Combobox */}
        <Select<Latest>
          aria-label="Latest"
          data-testid="nixci-latest"
          options={LATEST}
          value={query.latest ?? 'latest'}
          width={22}
          onChange={(option) => changeAndRun({ latest: option.value })}
        />
      </InlineField>
    </InlineFieldRow>
  );
}

/** nixbuild.net's tag filter. */
export function TagsRow({ query, change, onRunQuery }: RowProps) {
  return (
    <InlineFieldRow>
      <InlineField
        label="Tags"
        labelWidth={10}
        tooltip="nixbuild.net tags, as TAG:VALUE pairs separated by commas"
        grow
      >
        <Input
          data-testid="nixci-tags"
          aria-label="Tags"
          value={query.tags ?? ''}
          placeholder="optional, e.g. project:myapp,branch:main"
          onChange={(event: ChangeEvent<HTMLInputElement>) => change({ tags: event.target.value })}
          onBlur={onRunQuery}
        />
      </InlineField>
    </InlineFieldRow>
  );
}
