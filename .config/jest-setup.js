// Browser APIs that jsdom lacks but @grafana/ui touches while rendering. Tests that declare
// `@jest-environment node` have no window, and skip all of this.
import '@testing-library/jest-dom';
import { TextDecoder, TextEncoder } from 'util';

if (typeof window !== 'undefined') {
  Object.assign(global, { TextDecoder, TextEncoder });

  Object.defineProperty(window, 'matchMedia', {
    writable: true,
    value: (query) => ({
      matches: false,
      media: query,
      onchange: null,
      addListener: () => {},
      removeListener: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      dispatchEvent: () => false,
    }),
  });

  if (!global.ResizeObserver) {
    global.ResizeObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
    };
  }

  // Select menus watch their scroll edges with an IntersectionObserver, which jsdom lacks.
  if (!global.IntersectionObserver) {
    global.IntersectionObserver = class {
      observe() {}
      unobserve() {}
      disconnect() {}
      takeRecords() {
        return [];
      }
    };
  }

  // Canvas measuring (text width in Select and friends) has no jsdom implementation.
  HTMLCanvasElement.prototype.getContext = () => null;
}

// i18next (initialised by @grafana/ui) advertises itself on console.info at start-up.
const consoleInfo = console.info;
console.info = (...args) => {
  if (typeof args[0] === 'string' && args[0].includes('i18next is made possible')) {
    return;
  }
  consoleInfo(...args);
};
