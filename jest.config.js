// Force UTC so time formatting in tests does not depend on the machine.
process.env.TZ = 'UTC';

module.exports = {
  // configuration shared with the create-plugin layout
  ...require('./.config/jest.config'),
};
