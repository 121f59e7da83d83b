// Builds the browser-test harness (tests/browser/harness.tsx) into tests/browser/dist/.
// Unlike the plugin build, it bundles React and @grafana/* itself: there is no Grafana to
// provide them.
const path = require('path');
const CopyWebpackPlugin = require('copy-webpack-plugin');

module.exports = {
  mode: 'development',
  devtool: false,
  entry: path.resolve(__dirname, 'harness.tsx'),
  output: { path: path.resolve(__dirname, 'dist'), filename: 'harness.js', clean: true },
  resolve: { extensions: ['.tsx', '.ts', '.mjs', '.js', '.json'] },
  module: {
    rules: [
      {
        test: /\.tsx?$/,
        exclude: /node_modules/,
        use: { loader: 'ts-loader', options: { transpileOnly: true } },
      },
      { test: /\.css$/, type: 'asset/source' },
      { test: /\.(svg|png|woff2?|ttf|eot)$/, type: 'asset/resource' },
    ],
  },
  plugins: [new CopyWebpackPlugin({ patterns: [{ from: path.resolve(__dirname, 'index.html') }] })],
  performance: { hints: false },
};
