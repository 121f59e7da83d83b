// Builds src/module.ts into the AMD bundle dist/module.js that Grafana loads, and copies the
// plugin metadata beside it. Root-level overrides belong in a root webpack.config.js that
// merges this one; the Go binaries (dist/gpx_*) are left alone by the clean step.
const path = require('path');
const CopyWebpackPlugin = require('copy-webpack-plugin');

const externals = require('./externals');
const { DIST_DIR, ROOT_DIR, SOURCE_DIR, packageJson, pluginJson } = require('./constants');

// %VERSION%, %TODAY% and %PLUGIN_ID% in plugin.json and README.md.
function fillPlaceholders(content) {
  return content
    .toString()
    .replace(/%VERSION%/g, packageJson.version)
    .replace(/%TODAY%/g, new Date().toISOString().substring(0, 10))
    .replace(/%PLUGIN_ID%/g, pluginJson.id);
}

module.exports = (env = {}) => {
  const production = Boolean(env.production);
  const fromRoot = (file) => path.join(ROOT_DIR, file);

  return {
    mode: production ? 'production' : 'development',
    context: fromRoot(SOURCE_DIR),
    devtool: production ? 'source-map' : 'eval-source-map',
    entry: { module: './module.ts' },
    externals,

    module: {
      rules: [
        {
          test: /\.tsx?$/,
          exclude: /node_modules/,
          use: {
            loader: 'ts-loader',
            // type errors are `npm run typecheck`'s job; the bundle only needs the JavaScript
            options: { transpileOnly: true, configFile: fromRoot('tsconfig.json') },
          },
        },
        {
          test: /\.(png|jpe?g|gif|svg)$/,
          type: 'asset/resource',
          generator: { filename: production ? '[hash][ext]' : '[file]' },
        },
      ],
    },

    output: {
      path: fromRoot(DIST_DIR),
      filename: '[name].js',
      chunkFilename: production ? '[name].js?_cache=[contenthash]' : '[name].js',
      library: { type: 'amd' },
      publicPath: `public/plugins/${pluginJson.id}/`,
      uniqueName: pluginJson.id,
      // keep what `mage` put in dist/: gpx_nixci_<os>_<arch>[.exe] and its build manifest
      clean: { keep: /(^gpx_|_(amd64|arm(64)?)(\.exe)?$|go_plugin_build_manifest)/ },
    },

    plugins: [
      new CopyWebpackPlugin({
        patterns: [
          { from: 'plugin.json', to: '.', transform: fillPlaceholders },
          { from: 'img/**/*', to: '.', noErrorOnMissing: true },
          { from: fromRoot('README.md'), to: '.', transform: fillPlaceholders, noErrorOnMissing: true },
          { from: fromRoot('CHANGELOG.md'), to: '.', noErrorOnMissing: true },
          { from: fromRoot('LICENSE'), to: '.', noErrorOnMissing: true },
        ],
      }),
    ],

    resolve: {
      extensions: ['.ts', '.tsx', '.js', '.jsx'],
      modules: [fromRoot(SOURCE_DIR), 'node_modules'],
    },

    performance: { hints: false },
  };
};
