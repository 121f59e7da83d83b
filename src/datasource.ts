import { CoreApp, DataSourceInstanceSettings, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';

import {
  DEFAULT_QUERY,
  DEFAULT_SOURCE,
  NixDataSourceOptions,
  NixQuery,
  Source,
  TEXT_FIELDS,
  requiredFields,
} from './types';

/**
 * The browser side of the datasource. Every query runs in the Go backend through
 * /api/ds/query; this class only fills in template variables and holds back incomplete queries.
 */
export class DataSource extends DataSourceWithBackend<NixQuery, NixDataSourceOptions> {
  /** Where this instance reads builds from (jsonData.source, default hydra). */
  readonly source: Source;

  constructor(instanceSettings: DataSourceInstanceSettings<NixDataSourceOptions>) {
    super(instanceSettings);
    this.source = instanceSettings.jsonData?.source ?? DEFAULT_SOURCE;
    // Standard annotation support: the query editor edits the annotation query (type `evals`),
    // and the backend's frame (time, text, tags) becomes the annotations.
    this.annotations = {};
  }

  getDefaultQuery(_: CoreApp): Partial<NixQuery> {
    return DEFAULT_QUERY;
  }

  applyTemplateVariables(query: NixQuery, scopedVars: ScopedVars): NixQuery {
    const templateSrv = getTemplateSrv();
    const interpolated: NixQuery = { ...query };
    for (const field of TEXT_FIELDS) {
      const value = query[field];
      if (typeof value === 'string') {
        interpolated[field] = templateSrv.replace(value, scopedVars);
      }
    }
    return interpolated;
  }

  interpolateVariablesInQueries(queries: NixQuery[], scopedVars: ScopedVars): NixQuery[] {
    return queries.map((query) => ({ ...this.applyTemplateVariables(query, scopedVars), datasource: this.getRef() }));
  }

  filterQuery(query: NixQuery): boolean {
    if (query.hide) {
      return false;
    }
    const queryType = query.queryType ?? DEFAULT_QUERY.queryType!;
    return requiredFields(queryType, this.source).every((field) => Boolean(query[field]?.trim()));
  }
}
