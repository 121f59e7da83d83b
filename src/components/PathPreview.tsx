import React, { CSSProperties, useEffect, useMemo, useState } from 'react';
import { GrafanaTheme2 } from '@grafana/data';
import { Button, useTheme2 } from '@grafana/ui';

import { numericPaths } from '../paths';
import { ResourceClient, ResourceFields, Sample, resourceError } from '../resources';

/** How long typing must pause before the preview asks the backend. */
export const PREVIEW_DEBOUNCE_MS = 300;

interface Props {
  client: ResourceClient;
  /** project, jobset, job, product and path of the query (variables are replaced here) */
  fields: ResourceFields;
  /** a suggested path was clicked */
  onPickPath: (path: string) => void;
}

interface Answer {
  key: string;
  sample?: Sample;
  error?: string;
}

/**
 * Live preview of an artifact query: the job's newest product (collapsible JSON), the values
 * the path selects from it (series → value), a plain word when the path matches nothing or the
 * backend says no, and the numeric paths of the document to click instead of typing.
 */
export function PathPreview({ client, fields, onPickPath }: Props) {
  const theme = useTheme2();
  const styles = getStyles(theme);
  const params = client.sampleParams(fields);
  const key = params ? new URLSearchParams(params).toString() : undefined;
  const [answer, setAnswer] = useState<Answer>();

  useEffect(() => {
    if (!key) {
      return;
    }
    let current = true;
    const timer = setTimeout(() => {
      client.fetchSample(Object.fromEntries(new URLSearchParams(key))).then(
        (sample) => current && setAnswer({ key, sample }),
        (err) => current && setAnswer({ key, error: resourceError(err) })
      );
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [key, client]);

  const sample = answer?.key === key ? answer?.sample : undefined;
  const pretty = useMemo(() => (sample?.json === undefined ? '' : JSON.stringify(sample.json, null, 2)), [sample]);
  const suggestions = useMemo(() => numericPaths(sample?.json), [sample]);

  if (!params) {
    return (
      <div style={styles.box} data-testid="nixci-preview">
        <span style={styles.muted}>Pick a job and a product to preview its newest artifact here.</span>
      </div>
    );
  }
  if (answer?.key !== key) {
    return (
      <div style={styles.box} data-testid="nixci-preview" aria-busy="true">
        <span style={styles.muted}>Loading the newest {params.product}…</span>
      </div>
    );
  }
  if (!sample) {
    return (
      <div style={styles.box} data-testid="nixci-preview">
        <div role="alert" style={styles.error} data-testid="nixci-preview-error">
          No preview: {answer?.error}
        </div>
      </div>
    );
  }

  const path = params.path ?? '';
  const { values, matched } = sample;
  const showSuggestions = suggestions.paths.length > 0 && (!path || !matched || values.length === 0);

  return (
    <div style={styles.box} data-testid="nixci-preview">
      <div style={styles.muted}>
        Newest <code>{sample.product}</code> is from build{' '}
        {sample.buildUrl ? (
          <a href={sample.buildUrl} target="_blank" rel="noreferrer" style={styles.link}>
            {sample.build}
          </a>
        ) : (
          sample.build
        )}
        .
      </div>

      {path && values.length > 0 && (
        <ul style={styles.values} data-testid="nixci-preview-values" aria-label="Values the path selects">
          {values.map((v) => (
            <li key={v.series}>
              <code>{v.series}</code> → <strong>{String(v.value)}</strong>
            </li>
          ))}
        </ul>
      )}
      {path && !matched && (
        <div role="status" style={styles.warning} data-testid="nixci-preview-nomatch">
          The path <code>{path}</code> matches nothing in this {sample.product}.
        </div>
      )}
      {path && matched && values.length === 0 && (
        <div role="status" style={styles.warning} data-testid="nixci-preview-nomatch">
          The path <code>{path}</code> selects no number in this {sample.product}.
        </div>
      )}

      {showSuggestions && (
        <div style={styles.suggestions} data-testid="nixci-path-suggestions">
          <span style={styles.muted}>{path ? 'Paths to numbers:' : 'Pick a path:'}</span>
          {suggestions.paths.map((suggestion) => (
            <Button
              key={suggestion}
              size="sm"
              variant="secondary"
              fill="outline"
              onClick={() => onPickPath(suggestion)}
            >
              {suggestion}
            </Button>
          ))}
          {suggestions.more > 0 && <span style={styles.muted}>and {suggestions.more} more</span>}
        </div>
      )}

      {sample.truncated && (
        <div style={styles.muted}>This {sample.product} is too large to show here; type the path.</div>
      )}
      {pretty && (
        <details>
          <summary style={styles.summary}>JSON of build {sample.build}</summary>
          <pre style={styles.json} data-testid="nixci-preview-json">
            {pretty}
          </pre>
        </details>
      )}
    </div>
  );
}

function getStyles(theme: GrafanaTheme2): Record<string, CSSProperties> {
  return {
    box: {
      margin: theme.spacing(0.5, 0, 1, 0),
      padding: theme.spacing(1),
      border: `1px solid ${theme.colors.border.weak}`,
      borderRadius: theme.shape.radius.default,
      fontSize: theme.typography.bodySmall.fontSize,
      display: 'flex',
      flexDirection: 'column',
      gap: theme.spacing(0.5),
    },
    muted: { color: theme.colors.text.secondary },
    link: { color: theme.colors.text.link },
    error: { color: theme.colors.error.text },
    warning: { color: theme.colors.warning.text },
    values: { margin: 0, paddingLeft: theme.spacing(2), maxHeight: 160, overflowY: 'auto' },
    suggestions: { display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: theme.spacing(0.5) },
    summary: { cursor: 'pointer', color: theme.colors.text.secondary },
    json: { maxHeight: 300, overflow: 'auto', margin: theme.spacing(0.5, 0, 0, 0) },
  };
}
