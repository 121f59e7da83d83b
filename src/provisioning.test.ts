/**
 * @jest-environment node
 */
// The files under provisioning/ are only read by Grafana inside Docker; these checks catch
// drift between them and the plugin before anyone starts a container.
import fs from 'fs';
import path from 'path';
import { parse } from 'yaml';

import pluginJson from './plugin.json';
import { QUERY_TYPES } from './types';

const root = path.resolve(__dirname, '..');
const read = (file: string) => fs.readFileSync(path.join(root, file), 'utf8');
const queryTypes = QUERY_TYPES.map((option) => option.value);

interface Ref {
  type?: string;
  uid?: string;
}
interface Target extends Ref {
  datasource?: Ref;
  queryType?: string;
}

describe('provisioning', () => {
  const { datasources } = parse(read('provisioning/datasources/datasources.yml'));
  const [hydra] = datasources;

  it('provisions a Hydra datasource and a local Nix store datasource of this plugin', () => {
    expect(datasources).toHaveLength(2);
    expect(datasources[1]).toMatchObject({
      type: pluginJson.id,
      uid: 'nix-store-local',
      access: 'proxy',
      jsonData: { source: 'store', storeDir: '/nix/store', nixStateDir: '/nix/var/nix' },
    });
    expect(hydra).toMatchObject({
      type: pluginJson.id,
      uid: 'hydra-nixos-org',
      access: 'proxy',
      url: 'https://hydra.nixos.org',
      isDefault: true,
      jsonData: { source: 'hydra', maxConcurrency: 4, timeoutSeconds: 30 },
    });
  });

  it('loads dashboards from the folder that holds them', () => {
    const { providers } = parse(read('provisioning/dashboards/dashboards.yml'));
    const dir = providers[0].options.path.replace('/etc/grafana/provisioning/', 'provisioning/');
    expect(fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(0);
  });

  it('points every panel, query and annotation of the dashboards at the provisioned datasource', () => {
    const dir = 'provisioning/dashboards/json';
    for (const file of fs.readdirSync(path.join(root, dir))) {
      const dashboard = JSON.parse(read(path.join(dir, file)));
      const targets: Target[] = dashboard.panels.flatMap((panel: { datasource: Ref; targets: Target[] }) => {
        expect(panel.datasource).toEqual({ type: pluginJson.id, uid: hydra.uid });
        return panel.targets;
      });
      const annotations = dashboard.annotations.list.filter((a: { builtIn?: number }) => !a.builtIn);
      expect(annotations.map((a: { target: Target }) => a.target.queryType)).toEqual(['evals']);

      for (const target of [...targets, ...annotations]) {
        expect(target.datasource).toEqual({ type: pluginJson.id, uid: hydra.uid });
      }
      for (const target of targets) {
        expect(queryTypes).toContain(target.queryType);
      }
    }
  });

  it('provisions an alert rule on the regression view of a provisioned dashboard panel', () => {
    const { apiVersion, groups } = parse(read('provisioning/alerting/nixci-regressions.yaml'));
    expect(apiVersion).toBe(1);
    const [rule] = groups[0].rules;
    const [query, reduce, threshold] = rule.data;
    expect(query.datasourceUid).toBe(hydra.uid);
    expect(query.model).toMatchObject({ queryType: 'metric', regression: true, better: 'lower' });
    expect([reduce.datasourceUid, reduce.model.type, reduce.model.expression]).toEqual(['__expr__', 'reduce', 'A']);
    expect([threshold.model.type, threshold.model.expression, rule.condition]).toEqual(['threshold', 'B', 'C']);

    const dashboard = JSON.parse(read(`provisioning/dashboards/json/${rule.dashboardUid}.json`));
    const panel = dashboard.panels.find((p: { id: number }) => p.id === rule.panelId);
    expect(panel.targets[0]).toMatchObject({ queryType: 'metric', metric: query.model.metric, regression: true });
    // the band and the markers are drawn from the fields the regression view adds
    const names = panel.fieldConfig.overrides.map((o: { matcher: { options: string } }) => o.matcher.options);
    for (const field of ['baseline', 'low', 'high', 'regressed']) {
      expect(names).toContain(`${query.model.metric} ${field}`);
    }
  });
});
