import base from './.config/eslint.config.mjs';

// The browser-test harness is built into tests/browser/dist/; lint its sources, not its bundle.
export default [{ ignores: ['tests/browser/dist/'] }, ...base];
