// @grafana/ui's Icon loads its SVG over the network through react-inlinesvg; in tests an
// empty <svg> named after the icon stands in for it.
const React = require('react');

function InlineSVG({ src, innerRef, className, width, height }) {
  const name = String(src ?? '')
    .split('/')
    .pop();
  return React.createElement('svg', { ref: innerRef, 'data-testid': name, className, width, height });
}

module.exports = InlineSVG;
module.exports.default = InlineSVG;
module.exports.__esModule = true;
