// Jest for src/**/*.{test,spec}.{ts,tsx}: jsdom, TypeScript through ts-jest (transpile only,
// since tsconfig sets isolatedModules; `npm run typecheck` does the type checking).
const path = require('path');

// Packages shipped only as ES modules that Jest must transform before it can require them.
// (the list create-plugin keeps for @grafana/ui and @grafana/data, plus what they pull in)
const esModules = [
  'd3-[a-z-]+',
  'internmap',
  'ol',
  'react-colorful',
  'uuid',
  'marked',
  'react-calendar',
  'get-user-locale',
  'memoize',
  'mimic-function',
  '@wojtekmaj',
];

module.exports = {
  rootDir: path.resolve(__dirname, '..'),
  testEnvironment: 'jest-environment-jsdom',
  testMatch: ['<rootDir>/src/**/*.{spec,test}.{ts,tsx}'],
  modulePaths: ['<rootDir>/src'],
  moduleNameMapper: {
    '\\.(css|scss|sass)$': '<rootDir>/.config/jest/mocks/style.js',
    '\\.(svg|png|jpe?g|gif)$': '<rootDir>/.config/jest/mocks/file.js',
    '^react-inlinesvg$': '<rootDir>/.config/jest/mocks/react-inlinesvg.js',
  },
  setupFilesAfterEnv: ['<rootDir>/jest-setup.js'],
  transform: {
    '^.+\\.(t|j)sx?$|^.+\\.mjs$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', moduleResolution: 'node10' } },
    ],
  },
  transformIgnorePatterns: [`node_modules/(?!(${esModules.join('|')})/)`],
};
