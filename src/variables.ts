import { CustomVariableSupport, DataQueryRequest, DataQueryResponse } from '@grafana/data';
import { from, Observable } from 'rxjs';

import { VariableQueryEditor } from './components/VariableQueryEditor';
import type { DataSource } from './datasource';
import { ListResource, NixVariableQuery, VARIABLE_QUERY_TYPES } from './types';

const listTypes = VARIABLE_QUERY_TYPES.map((option) => option.value);

export const DEFAULT_VARIABLE_QUERY: NixVariableQuery = { refId: 'NixVariableQuery', type: 'projects' };

/**
 * A variable query as the current model, whatever Grafana hands over: a new query variable's
 * query is the empty string, and a hand-written one may be just a list's name ("projects").
 */
export function toVariableQuery(query: NixVariableQuery | string | undefined | null): NixVariableQuery {
  if (typeof query === 'string') {
    const type = query.trim().toLowerCase();
    return { ...DEFAULT_VARIABLE_QUERY, type: isListType(type) ? type : DEFAULT_VARIABLE_QUERY.type };
  }
  if (!query || typeof query !== 'object') {
    return DEFAULT_VARIABLE_QUERY;
  }
  return {
    ...query,
    refId: query.refId || DEFAULT_VARIABLE_QUERY.refId,
    type: isListType(query.type) ? query.type : DEFAULT_VARIABLE_QUERY.type,
  };
}

export function isListType(value: unknown): value is ListResource {
  return listTypes.includes(value as ListResource);
}

/**
 * Query variables (Grafana 10.4 through 12): the editor picks a list and its project, jobset or
 * job, which may be other variables; the values are the datasource's metricFindQuery answer.
 */
export class NixVariableSupport extends CustomVariableSupport<DataSource, NixVariableQuery> {
  editor = VariableQueryEditor;

  constructor(private readonly datasource: DataSource) {
    super();
  }

  query(request: DataQueryRequest<NixVariableQuery>): Observable<DataQueryResponse> {
    const answer = this.datasource
      .metricFindQuery(request.targets[0], { scopedVars: request.scopedVars })
      .then((data) => ({ data }));
    return from(answer);
  }
}
