// Lint rules for the front end: typescript-eslint's recommended set (type-aware in src/),
// the rules of hooks, and prettier's formatting left to prettier.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const nodeGlobals = { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly' };
const browserGlobals = { window: 'readonly', global: 'readonly', console: 'readonly', HTMLCanvasElement: 'readonly' };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'pkg/', 'provisioning/'] },
  js.configs.recommended,
  {
    files: ['**/*.{js,mjs}'],
    languageOptions: { globals: { ...nodeGlobals, ...browserGlobals } },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    files: ['jest-setup.js', '.config/jest-setup.js'],
    languageOptions: { sourceType: 'module' },
  },
  {
    files: ['src/**/*.{ts,tsx}'],
    extends: [tseslint.configs.recommended],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: process.cwd() } },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-deprecated': 'warn',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  {
    // test fixtures fill in every field of Grafana's types, deprecated ones included
    files: ['src/**/*.test.{ts,tsx}'],
    rules: { '@typescript-eslint/no-deprecated': 'off' },
  },
  prettier
);
