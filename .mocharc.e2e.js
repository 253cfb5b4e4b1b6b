// The end-to-end suites only (the real engine, and the package installed from its tarball): what
// `npm run test:e2e` runs, and what .ci/run repeats on Node 24 after `npm test` on Node 22.
module.exports = {
  ...require("./.mocharc.json"),
  spec: ["dist/test/engine/**/*.test.js", "dist/test/package/**/*.test.js"],
};
