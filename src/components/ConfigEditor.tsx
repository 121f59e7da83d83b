import React, { ChangeEvent } from 'react';
import { DataSourcePluginOptionsEditorProps, SelectableValue } from '@grafana/data';
import { FieldSet, InlineField, InlineSwitch, Input, SecretInput, SecretTextArea, Select } from '@grafana/ui';

import { DEFAULT_SOURCE, NixDataSourceOptions, NixSecureJsonData, Source } from '../types';

type Props = DataSourcePluginOptionsEditorProps<NixDataSourceOptions, NixSecureJsonData>;
type TextOption = 'hydraUser' | 'database' | 'storeDir' | 'nixStateDir';
type NumberOption = 'maxConcurrency' | 'timeoutSeconds' | 'maxArtifactBytes' | 'cacheBytes';
type Secret = keyof NixSecureJsonData;

const SOURCES: Array<SelectableValue<Source>> = [
  { value: 'hydra', label: 'Hydra (HTTP API)', description: 'A Hydra server, public or with a login' },
  { value: 'hydradb', label: 'Hydra database', description: "Hydra's own PostgreSQL database" },
  { value: 'store', label: 'Nix store', description: 'The local /nix/store and Nix database' },
  { value: 'index', label: 'Build index', description: 'The index that `nixci-artifacts record` fills' },
  { value: 'nixbuild', label: 'nixbuild.net', description: "Build figures from nixbuild.net's API" },
];

const LABEL_WIDTH = 20;
const INPUT_WIDTH = 40;

/** Settings page of a datasource instance; shows only the fields the chosen source uses. */
export function ConfigEditor({ options, onOptionsChange }: Props) {
  const { jsonData, secureJsonFields = {}, secureJsonData = {} } = options;
  const source = jsonData.source ?? DEFAULT_SOURCE;

  const setJsonData = (patch: Partial<NixDataSourceOptions>) =>
    onOptionsChange({ ...options, jsonData: { ...jsonData, ...patch } });

  const onText = (key: TextOption) => (event: ChangeEvent<HTMLInputElement>) =>
    setJsonData({ [key]: event.target.value });

  // An empty box means "use the backend's default"; anything else is a positive integer.
  const onNumber = (key: NumberOption) => (event: ChangeEvent<HTMLInputElement>) => {
    const value = parseInt(event.target.value, 10);
    setJsonData({ [key]: Number.isFinite(value) && value > 0 ? value : undefined });
  };

  const onSecret = (key: Secret) => (event: ChangeEvent<HTMLInputElement>) =>
    onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, [key]: event.target.value } });

  const onResetSecret = (key: Secret) => () =>
    onOptionsChange({
      ...options,
      secureJsonFields: { ...secureJsonFields, [key]: false },
      secureJsonData: { ...secureJsonData, [key]: '' },
    });

  const secretInput = (key: Secret, label: string, tooltip: string, placeholder = 'password') => (
    <InlineField label={label} labelWidth={LABEL_WIDTH} tooltip={tooltip} htmlFor={`config-${key}`}>
      <SecretInput
        id={`config-${key}`}
        isConfigured={Boolean(secureJsonFields[key])}
        value={secureJsonData[key] ?? ''}
        placeholder={placeholder}
        width={INPUT_WIDTH}
        onChange={onSecret(key)}
        onReset={onResetSecret(key)}
      />
    </InlineField>
  );

  const textInput = (key: TextOption, label: string, placeholder: string, tooltip?: string) => (
    <InlineField label={label} labelWidth={LABEL_WIDTH} tooltip={tooltip} htmlFor={`config-${key}`}>
      <Input
        id={`config-${key}`}
        value={jsonData[key] ?? ''}
        placeholder={placeholder}
        width={INPUT_WIDTH}
        onChange={onText(key)}
      />
    </InlineField>
  );

  const numberInput = (key: NumberOption, label: string, fallback: number, tooltip: string, bytes = false) => (
    <InlineField label={label} labelWidth={LABEL_WIDTH} tooltip={tooltip} htmlFor={`config-${key}`}>
      <Input
        id={`config-${key}`}
        type="number"
        min={1}
        value={jsonData[key] ?? ''}
        placeholder={String(fallback)}
        width={INPUT_WIDTH}
        suffix={bytes ? formatBytes(jsonData[key] ?? fallback) : undefined}
        onChange={onNumber(key)}
      />
    </InlineField>
  );

  const usesUrl = source === 'hydra' || source === 'hydradb' || source === 'nixbuild';
  const usesHttp = source === 'hydra' || source === 'nixbuild';
  const urlLabel = source === 'nixbuild' ? 'API URL' : 'Hydra URL';
  const urlTooltip = {
    hydra: 'Base URL of the Hydra server',
    hydradb: 'Used for build links and downloads',
    nixbuild: "nixbuild.net's API; empty means https://api.nixbuild.net",
  }[source as 'hydra' | 'hydradb' | 'nixbuild'];
  const usesDatabase = source === 'hydradb' || source === 'index';

  return (
    <>
      <FieldSet label="Source">
        <InlineField label="Read builds from" labelWidth={LABEL_WIDTH} htmlFor="config-source">
          {/* eslint-disable-next-line @typescript-eslint/no-deprecated -- Grafana 10.4 has no Combobox */}
          <Select
            inputId="config-source"
            options={SOURCES}
            value={source}
            width={INPUT_WIDTH}
            onChange={(option) => setJsonData({ source: option.value ?? DEFAULT_SOURCE })}
          />
        </InlineField>

        {usesUrl && (
          <InlineField label={urlLabel} labelWidth={LABEL_WIDTH} tooltip={urlTooltip} htmlFor="config-url">
            <Input
              id="config-url"
              value={options.url ?? ''}
              placeholder={source === 'nixbuild' ? 'https://api.nixbuild.net' : 'https://hydra.nixos.org'}
              width={INPUT_WIDTH}
              onChange={(event: ChangeEvent<HTMLInputElement>) =>
                onOptionsChange({ ...options, url: event.target.value })
              }
            />
          </InlineField>
        )}

        {source === 'hydra' && (
          <>
            {textInput('hydraUser', 'User', 'anonymous', 'Only for a private Hydra (POST /login)')}
            {secretInput('hydraPassword', 'Password', 'Password of the Hydra user')}
          </>
        )}

        {usesDatabase && (
          <>
            {textInput(
              'database',
              'Database',
              'postgres://hydra@db:5432/hydra?sslmode=disable',
              'PostgreSQL URL without the password'
            )}
            {secretInput('databasePassword', 'Database password', 'Password of the database user')}
          </>
        )}

        {source === 'nixbuild' &&
          secretInput(
            'nixbuildToken',
            'API token',
            'A nixbuild.net token with build:read (in the nixbuild.net shell: tokens create -p build:read)',
            'token'
          )}

        {source === 'store' && (
          <>
            {textInput('storeDir', 'Store directory', '/nix/store')}
            {textInput('nixStateDir', 'Nix state directory', '/nix/var/nix')}
          </>
        )}
      </FieldSet>

      {usesHttp && (
        <FieldSet label="TLS">
          <InlineField
            label="Skip TLS verify"
            labelWidth={LABEL_WIDTH}
            tooltip="Accept any certificate. Only on a network you trust"
            htmlFor="config-tlsSkipVerify"
          >
            <InlineSwitch
              id="config-tlsSkipVerify"
              value={Boolean(jsonData.tlsSkipVerify)}
              onChange={(event) => setJsonData({ tlsSkipVerify: event.currentTarget.checked })}
            />
          </InlineField>
          <InlineField
            label="With CA cert"
            labelWidth={LABEL_WIDTH}
            tooltip="Verify the server against this CA certificate (PEM), e.g. a private Hydra's own CA"
            htmlFor="config-tlsAuthWithCACert"
          >
            <InlineSwitch
              id="config-tlsAuthWithCACert"
              value={Boolean(jsonData.tlsAuthWithCACert)}
              onChange={(event) => setJsonData({ tlsAuthWithCACert: event.currentTarget.checked })}
            />
          </InlineField>
          {jsonData.tlsAuthWithCACert && (
            <InlineField label="CA certificate" labelWidth={LABEL_WIDTH} htmlFor="config-tlsCACert">
              <SecretTextArea
                id="config-tlsCACert"
                isConfigured={Boolean(secureJsonFields.tlsCACert)}
                value={secureJsonData.tlsCACert ?? ''}
                placeholder="-----BEGIN CERTIFICATE-----"
                cols={INPUT_WIDTH}
                rows={5}
                onChange={(event: ChangeEvent<HTMLTextAreaElement>) =>
                  onOptionsChange({ ...options, secureJsonData: { ...secureJsonData, tlsCACert: event.target.value } })
                }
                onReset={onResetSecret('tlsCACert')}
              />
            </InlineField>
          )}
        </FieldSet>
      )}

      <FieldSet label="Limits">
        {numberInput('maxConcurrency', 'Max concurrency', 8, 'Downloads from the source in flight at once')}
        {numberInput('timeoutSeconds', 'Timeout (s)', 30, 'Time limit of one request to the source')}
        {numberInput(
          'maxArtifactBytes',
          'Max artifact bytes',
          16 << 20,
          'Larger build products are refused with an error',
          true
        )}
        {numberInput(
          'cacheBytes',
          'Cache bytes',
          64 << 20,
          'Memory kept for finished builds, shared by all queries',
          true
        )}
      </FieldSet>
    </>
  );
}

/** A byte count as people read it: 16777216 is "16 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
