import { CoreApp, DataSourceInstanceSettings, MetricFindValue, ScopedVars } from '@grafana/data';
import { DataSourceWithBackend, getTemplateSrv } from '@grafana/runtime';

import { migrateQuery } from './migrate';
import { ResourceClient, resourceError } from './resources';
import {
  DEFAULT_QUERY,
  DEFAULT_SOURCE,
  NixDataSourceOptions,
  NixQuery,
  NixVariableQuery,
  Source,
  TEXT_FIELDS,
  requiredFields,
} from './types';
import { NixVariableSupport, toVariableQuery } from './variables';

/** What a new annotation query starts as: the evaluations of a jobset, with their commits. */
export const ANNOTATION_DEFAULT_QUERY: Partial<NixQuery> = { queryType: 'evals' };

/**
 * The browser side of the datasource. Every query runs in the Go backend through
 * /api/ds/query; this class brings saved queries to the current model, fills in template
 * variables, holds back incomplete queries, and serves the editors' pickers and variables
 * from the backend's resources.
 */
export class DataSource extends DataSourceWithBackend<NixQuery, NixDataSourceOptions> {
  /** Where this instance reads builds from (jsonData.source, default hydra). */
  readonly source: Source;
  /** The backend's resources (pickers, preview, variables), with answers kept for a while. */
  readonly resources: ResourceClient;

  constructor(instanceSettings: DataSourceInstanceSettings<NixDataSourceOptions>) {
    super(instanceSettings);
    this.source = instanceSettings.jsonData?.source ?? DEFAULT_SOURCE;
    this.resources = new ResourceClient(this, this.source);
    // Standard annotation support: the query editor edits the annotation query (new ones start
    // as `evals`), and the backend's frame (time, title, text, tags) becomes the annotations.
    this.annotations = { getDefaultQuery: () => ANNOTATION_DEFAULT_QUERY };
    this.variables = new NixVariableSupport(this);
  }

  getDefaultQuery(_: CoreApp): Partial<NixQuery> {
    return DEFAULT_QUERY;
  }

  applyTemplateVariables(query: NixQuery, scopedVars: ScopedVars): NixQuery {
    const templateSrv = getTemplateSrv();
    const interpolated: NixQuery = { ...migrateQuery(query) };
    for (const field of TEXT_FIELDS) {
      const value = interpolated[field];
      if (typeof value === 'string') {
        interpolated[field] = templateSrv.replace(value, scopedVars);
      }
    }
    return interpolated;
  }

  interpolateVariablesInQueries(queries: NixQuery[], scopedVars: ScopedVars): NixQuery[] {
    return queries.map((query) => ({ ...this.applyTemplateVariables(query, scopedVars), datasource: this.getRef() }));
  }

  filterQuery(saved: NixQuery): boolean {
    const query = migrateQuery(saved);
    if (query.hide) {
      return false;
    }
    const queryType = query.queryType ?? DEFAULT_QUERY.queryType!;
    // an unknown type goes through, so that the backend says what is wrong with it
    const required = requiredFields(queryType, this.source) ?? [];
    return required.every((field) => Boolean(query[field]?.trim()));
  }

  /**
   * The values of a query variable: a list resource as `{text, value}` (text is the label where
   * the backend has one, as for projects). Variables in its fields are replaced first; while a
   * field the list needs is empty (say, a variable with no value yet) the answer is empty.
   */
  async metricFindQuery(
    query: NixVariableQuery | string,
    options?: { scopedVars?: ScopedVars }
  ): Promise<MetricFindValue[]> {
    const { type = 'projects', ...fields } = toVariableQuery(query);
    try {
      const items = await this.resources.list(type, fields, options?.scopedVars);
      return items.map((item) => ({ text: item.label || item.value, value: item.value }));
    } catch (err) {
      throw new Error(`${type}: ${resourceError(err)}`);
    }
  }
}
