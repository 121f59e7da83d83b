const fs = require('fs');
const path = require('path');

const SOURCE_DIR = 'src';
const DIST_DIR = 'dist';
const ROOT_DIR = process.cwd();

const pluginJson = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, SOURCE_DIR, 'plugin.json'), 'utf8'));
const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT_DIR, 'package.json'), 'utf8'));

module.exports = { SOURCE_DIR, DIST_DIR, ROOT_DIR, pluginJson, packageJson };
