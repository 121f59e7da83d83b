// Stylesheets imported by components resolve to an empty class map in tests.
module.exports = {};
