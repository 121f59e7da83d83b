// Modules that Grafana itself provides to plugins at runtime (the create-plugin list).
// Bundling a second copy of any of them breaks context, theming or React hooks.
module.exports = [
  // lets the AMD loader hand the module its own URL
  { 'amd-module': 'module' },
  'lodash',
  'jquery',
  'moment',
  'slate',
  'emotion',
  '@emotion/react',
  '@emotion/css',
  'prismjs',
  'slate-plain-serializer',
  '@grafana/slate-react',
  'react',
  'react-dom',
  'react-redux',
  'redux',
  'rxjs',
  'i18next',
  'react-router',
  'react-router-dom',
  'd3',
  'angular',
  /^@grafana\/ui/i,
  /^@grafana\/runtime/i,
  /^@grafana\/data/i,
  // legacy SDK imports such as 'grafana/app/core/...' resolve to Grafana's own modules
  ({ request }, callback) => {
    if (request && request.startsWith('grafana/')) {
      return callback(undefined, request.slice('grafana/'.length));
    }
    callback();
  },
];
