import { defineCodes } from '../../lib/engine/codes';

export const codes = defineCodes({
  'FD-FWCFG-001': {
    severity: 'fail',
    title: 'the settings ConfigMap is missing',
    summary:
      'ConfigMap {configMap} key {configKey} not found: the flywheel API and workers have no settings to start with',
    fix: "Install the blueprint's df-config (helm upgrade of the data-flywheel chart) or set dataFlywheel.configMap.",
  },
  'FD-FWCFG-002': {
    severity: 'fail',
    title: 'the settings do not load',
    summary: 'The flywheel cannot load {configMap}: {problem}{more}; the API and the Celery workers exit at start',
    fix: 'Correct the fields named (types, enums, required keys) in the ConfigMap, then restart the flywheel pods.',
  },
});
