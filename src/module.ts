import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { NixDataSourceOptions, NixQuery, NixSecureJsonData } from './types';

export const plugin = new DataSourcePlugin<DataSource, NixQuery, NixDataSourceOptions, NixSecureJsonData>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
