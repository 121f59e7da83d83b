import base from './.config/eslint.config.mjs';

export default [...base];
