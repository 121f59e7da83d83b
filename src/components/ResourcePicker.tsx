import React, { useEffect, useRef, useState } from 'react';
import { SelectableValue } from '@grafana/data';
import { getTemplateSrv } from '@grafana/runtime';
import { InlineField, Select } from '@grafana/ui';

import { ResourceClient, ResourceFields, ResourceItem, resourceError } from '../resources';
import { ListResource } from '../types';

interface Props {
  label: string;
  /** stable hook for browser tests: the select's data-testid */
  testId: string;
  /** id of the select's input, unique on the page (the label points at it) */
  inputId: string;
  resource: ListResource;
  client: ResourceClient;
  /** the fields the list depends on (project for jobsets, and so on); may hold variables */
  fields: ResourceFields;
  value?: string;
  onChange: (value: string | undefined) => void;
  /**
   * While the value is empty, pick an option without being asked: `only` when the list has just
   * one entry, `first` always. Done once per list, so a value the user clears stays cleared.
   */
  autoSelect?: 'only' | 'first';
  placeholder?: string;
  tooltip?: string;
  labelWidth?: number;
  width?: number;
}

interface Loaded {
  key: string;
  items: ResourceItem[];
  error?: string;
}

/**
 * A picker filled from a list resource. Typing filters the list, and any text can be kept as a
 * custom value: a template variable (`$job`, also offered in the list) or a glob (`mybench-*`).
 * The list is asked for when the menu opens, or at once while the value is empty (to offer it
 * and to auto-select); not before the fields it depends on are filled.
 */
export function ResourcePicker(props: Props) {
  const { label, testId, inputId, resource, client, fields, value, onChange, autoSelect } = props;
  const params = client.listParams(resource, fields);
  const key = params ? `${resource}?${new URLSearchParams(params).toString()}` : undefined;

  const [menuOpened, setMenuOpened] = useState(false);
  const [loaded, setLoaded] = useState<Loaded>();
  const wanted = key !== undefined && (menuOpened || !value);

  useEffect(() => {
    if (!wanted || !key) {
      return;
    }
    let current = true;
    const asked = Object.fromEntries(new URLSearchParams(key.slice(key.indexOf('?') + 1)));
    client.fetchList(resource, asked).then(
      (items) => current && setLoaded({ key, items }),
      (err) => current && setLoaded({ key, items: [], error: resourceError(err) })
    );
    return () => {
      current = false;
    };
  }, [wanted, key, resource, client]);

  const fresh = loaded && loaded.key === key ? loaded : undefined;
  const loading = wanted && !fresh;

  const autoSelectedFor = useRef<string>();
  useEffect(() => {
    if (!autoSelect || value || !fresh || autoSelectedFor.current === fresh.key) {
      return;
    }
    autoSelectedFor.current = fresh.key;
    const { items } = fresh;
    if (items.length === 1 || (autoSelect === 'first' && items.length > 0)) {
      onChange(items[0].value);
    }
  }, [autoSelect, value, fresh, onChange]);

  const options: Array<SelectableValue<string>> = [...(fresh?.items ?? []).map(toOption), ...variableOptions()];
  const selected = value ? (options.find((option) => option.value === value) ?? { label: value, value }) : null;

  return (
    <InlineField
      label={label}
      labelWidth={props.labelWidth ?? 10}
      tooltip={props.tooltip}
      htmlFor={inputId}
      invalid={Boolean(fresh?.error)}
      error={fresh?.error}
    >
      {/* eslint-disable-next-line @typescript-eslint/no-deprecated -- Grafana 10.4 has no Combobox */}
      <Select<string>
        inputId={inputId}
        data-testid={testId}
        aria-label={label}
        options={options}
        value={selected}
        allowCustomValue
        isClearable
        isLoading={loading}
        placeholder={props.placeholder}
        noOptionsMessage={
          fresh?.error ? 'Could not load the list' : key ? 'Nothing found' : 'Fill in the fields before'
        }
        width={props.width ?? 24}
        onOpenMenu={() => setMenuOpened(true)}
        onChange={(option: SelectableValue<string> | null) => onChange(option?.value || undefined)}
      />
    </InlineField>
  );
}

function toOption(item: ResourceItem): SelectableValue<string> {
  const description = [item.label, item.description].filter(Boolean).join(' — ');
  return { value: item.value, label: item.value, description: description || undefined };
}

/** The dashboard's template variables, so that `$project` can be picked like a name. */
function variableOptions(): Array<SelectableValue<string>> {
  const variables = getTemplateSrv().getVariables?.() ?? [];
  return variables.map((variable) => ({
    value: `$${variable.name}`,
    label: `$${variable.name}`,
    description: 'Template variable',
  }));
}
