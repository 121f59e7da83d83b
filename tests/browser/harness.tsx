/**
 * The query editor outside Grafana, for the browser test: the real QueryEditor and
 * DataSource from src/, with Grafana's backend service replaced by fetch() to the harness
 * server, which answers resource calls with the real plugin (pkg/e2e/editorserver).
 */
import React, { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { from, Observable } from 'rxjs';
import { DataSourceInstanceSettings } from '@grafana/data';
import {
  BackendSrv,
  BackendSrvRequest,
  FetchResponse,
  setBackendSrv,
  setTemplateSrv,
  TemplateSrv,
} from '@grafana/runtime';

import { DataSource } from '../../src/datasource';
import { QueryEditor } from '../../src/components/QueryEditor';
import { NixDataSourceOptions, NixQuery } from '../../src/types';

/** fetch() in the shape of Grafana's BackendSrv: errors carry status and parsed body. */
function fetchAsGrafana<T>(options: BackendSrvRequest): Observable<FetchResponse<T>> {
  const url = new URL(options.url, window.location.origin);
  for (const [key, value] of Object.entries(options.params ?? {})) {
    url.searchParams.set(key, String(value));
  }
  return from(
    fetch(url).then(async (res) => {
      const data = await res.json();
      if (!res.ok) {
        throw { status: res.status, statusText: res.statusText, data };
      }
      return { data, status: res.status, ok: true } as FetchResponse<T>;
    })
  );
}

setBackendSrv({ fetch: fetchAsGrafana } as unknown as BackendSrv);
setTemplateSrv({
  replace: (target?: string) => target ?? '',
  getVariables: () => [],
} as unknown as TemplateSrv);

const datasource = new DataSource({
  uid: 'nixci',
  type: 'nixci-artifacts-datasource',
  name: 'Hydra',
  jsonData: { source: 'hydra' },
} as DataSourceInstanceSettings<NixDataSourceOptions>);

function Harness() {
  const [query, setQuery] = useState<NixQuery>({ refId: 'A' });
  const [runs, setRuns] = useState(0);
  return (
    <div style={{ padding: 16, width: 1200 }}>
      <div data-testid="harness-editor" style={{ padding: '8px 32px 8px 8px', width: 1000 }}>
        <QueryEditor
          datasource={datasource}
          query={query}
          onChange={setQuery}
          onRunQuery={() => setRuns((n) => n + 1)}
        />
      </div>
      <pre data-testid="harness-query" style={{ marginTop: 16, fontSize: 12 }}>
        {JSON.stringify(query)}
      </pre>
      <span data-testid="harness-runs">{runs}</span>
    </div>
  );
}

createRoot(document.getElementById('root')!).render(<Harness />);
